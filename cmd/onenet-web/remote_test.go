package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuf is a log written by the server's goroutines and read by the test.
type lockedBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitLog waits for a match of re in buf.
func waitLog(t *testing.T, buf *lockedBuf, re string) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := rx.FindStringSubmatch(buf.String()); m != nil {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in:\n%s", re, buf.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestNonLoopbackAddrNeedsAllowRemote (issue: "-addr 0.0.0.0 starts the
// broker, relay and API for the whole network without a word"): a
// non-loopback -addr or -mqtt-addr is refused, naming -allow-remote; with
// it the server starts and warns loudly; the machine's own addresses are
// then accepted Host names, others are not.
func TestNonLoopbackAddrNeedsAllowRemote(t *testing.T) {
	for _, args := range [][]string{
		{"-addr", "0.0.0.0:0", "-mqtt-addr", ""},
		{"-addr", "127.0.0.1:0", "-mqtt-addr", "0.0.0.0:0"},
	} {
		var errb lockedBuf
		err := run(context.Background(), append(args, "-demo-file", ""), io.Discard, &errb)
		if err == nil || !strings.Contains(err.Error(), "-allow-remote") || !strings.Contains(err.Error(), "not a loopback address") {
			t.Errorf("%v: %v, want a refusal naming -allow-remote", args, err)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	var out, errb lockedBuf
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "0.0.0.0:0", "-mqtt-addr", "", "-demo-file", "", "-allow-remote", "-host", "team.test"}, &out, &errb)
	}()
	page := waitLog(t, &out, `open http://\[::\]:(\d+)/`)
	waitLog(t, &errb, `WARNING: -addr \S+ serves the network WITHOUT TLS`)
	for host, want := range map[string]int{"127.0.0.1": 200, "team.test": 200, "evil.test": 421, hostIP(t): 200} {
		req, _ := http.NewRequest("GET", "http://127.0.0.1:"+page[1]+"/local.json", nil)
		req.Host = host + ":" + page[1]
		resp, err := (&http.Transport{DisableKeepAlives: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %s: %d, want %d", req.Host, resp.StatusCode, want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("exit: %v", err)
	}
}

// hostIP is an address of this machine that is not loopback, or
// 127.0.0.1 when it has none.
func hostIP(t *testing.T) string {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	return "127.0.0.1"
}
