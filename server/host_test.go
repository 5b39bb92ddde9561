package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/onenet-wasm/onenet-wasm/broker"
)

// hostRequest sends method path to hs with the Host header host (and a
// matching Origin); upgrade asks for a WebSocket with subprotocol mqtt.
func hostRequest(t *testing.T, hs *httptest.Server, method, path, host string, upgrade bool) int {
	t.Helper()
	req, err := http.NewRequest(method, hs.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	req.Header.Set("Origin", "http://"+host)
	if upgrade {
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "websocket")
		req.Header.Set("Sec-WebSocket-Version", "13")
		req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		req.Header.Set("Sec-WebSocket-Protocol", "mqtt")
	}
	resp, err := (&http.Transport{DisableKeepAlives: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestDNSRebindingHostRefused (issue: "no Host check: DNS rebinding
// works"): a request naming another host, with an Origin of that host, is
// refused with 421 on every route, WebSocket upgrades included; the
// loopback names, the listen address and the -host names are served.
func TestDNSRebindingHostRefused(t *testing.T) {
	reg := &broker.Registry{Products: []broker.Product{{ID: "p1", Key: "kKsubaG7FzMgzR6N3eUD53319Qu+K4MCvw6KzOYc5eI="}}}
	s, err := New(Config{Registry: reg, Hosts: []string{"onenet.team.test", "192.0.2.7"}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() { hs.Close(); s.Close() })
	port := hs.URL[strings.LastIndex(hs.URL, ":")+1:]

	routes := []struct {
		method, path string
		upgrade      bool
		ok           int
	}{
		{"GET", "/", false, 200},
		{"GET", "/local.json", false, 200},
		{"GET", "/api/devices?product_id=p1", false, 401},
		{"GET", "/mqtt", true, 101},
		{"GET", "/bridge?target=127.0.0.1:1", true, 101},
		{"GET", "/nothing-here", false, 404},
	}
	for _, host := range []string{"rebind.evil.test:" + port, "rebind.evil.test", "127.0.0.1.evil.test:" + port, "localhost.evil.test", "onenet.team.test.evil.test", "192.0.2.8:" + port, "[::2]:" + port} {
		for _, rt := range routes {
			if code := hostRequest(t, hs, rt.method, rt.path, host, rt.upgrade); code != http.StatusMisdirectedRequest {
				t.Errorf("Host %q: %s %s = %d, want 421", host, rt.method, rt.path, code)
			}
		}
	}
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST", "[::1]:" + port, "127.0.0.2:" + port, "onenet.team.test", "onenet.team.test.:443", "ONENET.team.test:8443", "192.0.2.7:" + port} {
		for _, rt := range routes {
			if code := hostRequest(t, hs, rt.method, rt.path, host, rt.upgrade); code != rt.ok {
				t.Errorf("Host %q: %s %s = %d, want %d", host, rt.method, rt.path, code, rt.ok)
			}
		}
	}
}
