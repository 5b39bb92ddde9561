package server

import (
	"net"
	"net/http"
	"strings"

	"github.com/onenet-wasm/onenet-wasm/internal/logsafe"
)

// hostCheck answers 421 to any request whose Host is not a name the server
// is reachable as: a page on an attacker's domain that re-points its name
// at 127.0.0.1 (DNS rebinding) is same-origin with itself, so the Origin
// checks cannot stop it; the Host header names the attacker's domain and
// can (docs/RELIABILITY.md, "Host names").
type hostCheck struct {
	hosts map[string]bool // lower case, IPv6 without brackets
	next  http.Handler
	logf  func(string, ...any)
}

// loopbackHosts are always accepted.
var loopbackHosts = []string{"localhost", "127.0.0.1", "::1"}

func newHostCheck(extra []string, next http.Handler, logf func(string, ...any)) *hostCheck {
	h := &hostCheck{hosts: map[string]bool{}, next: next, logf: logf}
	for _, s := range append(append([]string(nil), loopbackHosts...), extra...) {
		h.hosts[normHost(s)] = true
	}
	return h
}

// normHost lower-cases a host and drops a port, brackets and a final dot.
func normHost(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if h, _, err := net.SplitHostPort(s); err == nil {
		s = h
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	return strings.TrimSuffix(s, ".")
}

// allowed reports whether a Host header names this server.
func (h *hostCheck) allowed(host string) bool {
	n := normHost(host)
	if h.hosts[n] {
		return true
	}
	ip := net.ParseIP(n)
	return ip != nil && ip.IsLoopback()
}

func (h *hostCheck) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.allowed(r.Host) {
		h.logf("server: refused %s %s from %s: Host %s is not a name of this server (-host adds names)",
			logsafe.Word(r.Method), logsafe.Word(r.URL.Path), r.RemoteAddr, logsafe.Q(r.Host))
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusMisdirectedRequest)
		_, _ = w.Write([]byte("421 misdirected request: this server does not answer to that host name; start it with -host NAME to add one\n"))
		return
	}
	h.next.ServeHTTP(w, r)
}
