package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/onenet-wasm/onenet-wasm/token"
)

// TestSIGTERMWithHeldPartialPOSTs (issue: "slow request bodies are never
// cut off, and they break a clean shutdown"): 200 partial POSTs to the
// thing-model API, half without a valid token and half with one. Those
// without are answered 401 at once and closed without their body being
// read; those with one are held by their senders. SIGTERM then closes
// what is left and the server exits 0.
func TestSIGTERMWithHeldPartialPOSTs(t *testing.T) {
	bin := build(t)
	reg := filepath.Join(t.TempDir(), "devices.json")
	if err := os.WriteFile(reg, []byte(registry), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd, page, _, logs := start(t, bin, "-devices", reg)
	hostport := strings.TrimSuffix(strings.TrimPrefix(page, "http://"), "/")
	tok, err := token.Generate(token.Params{Res: "products/469948", Key: "kKsubaG7FzMgzR6N3eUD53319Qu+K4MCvw6KzOYc5eI=", ET: time.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	const n = 100
	var held []net.Conn
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	post := func(auth string) net.Conn {
		c, err := net.DialTimeout("tcp", hostport, 20*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
		req := fmt.Sprintf("POST /api/thingmodel/set-device-property HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nContent-Length: 100000\r\n\r\n{\"product_id\":", hostport, auth)
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
		return c
	}
	var unauth []net.Conn
	for i := range n {
		unauth = append(unauth, post("garbage"+fmt.Sprint(i)))
		post(tok)
	}
	for i, c := range unauth {
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != 401 {
			t.Fatalf("unauthenticated partial POST %d: %v %v, want 401 while the body is held", i, resp, err)
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM with %d held POSTs: %v\n%s", n, err, logs.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the server did not exit after SIGTERM")
	}
	if !strings.Contains(logs.String(), "closed the HTTP connections still open") {
		t.Errorf("the log does not say the held connections were closed:\n%s", logs.String())
	}
}
