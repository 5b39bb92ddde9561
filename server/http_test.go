package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/onenet-wasm/onenet-wasm/broker"
	"github.com/onenet-wasm/onenet-wasm/token"
)

// TestSlowBodyIsCutOff (issue: "slow request bodies are never cut off"):
// with the server's HTTP limits, an authenticated request that never
// finishes its body is cut off after ReadTimeout, a body larger than the
// limit gets 413, headers beyond MaxHeaderBytes get 431, and a page
// request still works meanwhile.
func TestSlowBodyIsCutOff(t *testing.T) {
	reg := &broker.Registry{Products: []broker.Product{{ID: accessProduct, Key: accessPKey, Devices: []broker.Device{{Name: "d1", Key: accessD1Key}}}}}
	s, err := New(Config{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	hs := s.HTTPServer(HTTPLimits{ReadTimeout: 500 * time.Millisecond, MaxHeaderBytes: 8 << 10}, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	defer hs.Close()
	addr := ln.Addr().String()
	tok, err := token.Generate(token.Params{Res: "products/" + accessProduct, Key: accessPKey, ET: time.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}

	send := func(req string) (net.Conn, *bufio.Reader) {
		c, err := net.DialTimeout("tcp", addr, waitLong)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.SetDeadline(time.Now().Add(waitLong))
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
		return c, bufio.NewReader(c)
	}
	// Held: 10 bytes of a 100,000-byte body, with a valid token.
	held, heldR := send(fmt.Sprintf("POST /api/thingmodel/set-device-property HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s\r\nContent-Length: 100000\r\n\r\n{\"product_", tok))
	_, r := send("GET /local.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
	if resp, err := http.ReadResponse(r, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("/local.json while a body is held: %v %v", resp, err)
	}
	// The held request ends: an answer about the body (the read timed
	// out), then the connection closes; or the connection closes at once.
	if resp, err := http.ReadResponse(heldR, nil); err == nil {
		body, _ := io.ReadAll(resp.Body)
		t.Logf("held request: %d %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	if _, err := io.ReadAll(held); err != nil {
		t.Errorf("the held request's connection was not closed by the server: %v", err)
	}

	_, r = send(fmt.Sprintf("POST /api/datapoint/synccmds?product_id=p1&device_name=d1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n", maxBody+1))
	if resp, err := http.ReadResponse(r, nil); err != nil || resp.StatusCode != 413 {
		t.Errorf("a %d-byte body: %v %v, want 413", maxBody+1, resp, err)
	}
	_, r = send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + strings.Repeat("x", 16<<10) + "\r\n\r\n")
	if resp, err := http.ReadResponse(r, nil); err != nil || resp.StatusCode != 431 {
		t.Errorf("16 KB of headers: %v %v, want 431", resp, err)
	}
	// net/http lingers 500 ms on a connection it refused (to avoid a
	// reset), in goroutines the leak check would otherwise count.
	time.Sleep(600 * time.Millisecond)
}

// TestRefusedBodyNotRead: a refused request (405 from the page's files, 421
// for a foreign host, 401 from the API) whose body is still coming is
// answered and its connection closed, without waiting for the body, even
// with a long ReadTimeout.
func TestRefusedBodyNotRead(t *testing.T) {
	reg := &broker.Registry{Products: []broker.Product{{ID: accessProduct, Key: accessPKey}}}
	s, err := New(Config{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	hs := s.HTTPServer(HTTPLimits{ReadTimeout: 10 * time.Minute}, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	defer hs.Close()
	for _, tc := range []struct {
		req  string
		code int
	}{
		{"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n", 405},
		{"POST /local.json HTTP/1.1\r\nHost: 127.0.0.1\r\n", 405},
		{"POST /api/datapoint/synccmds?product_id=p1&device_name=d1 HTTP/1.1\r\nHost: 127.0.0.1\r\n", 401},
		{"POST / HTTP/1.1\r\nHost: rebind.evil.test\r\n", 421},
	} {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), waitLong)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(waitLong))
		io.WriteString(c, tc.req+"Content-Length: 100000\r\n\r\n0123456789")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil || resp.StatusCode != tc.code {
			t.Fatalf("%q: %v %v, want %d", tc.req, resp, err, tc.code)
		}
		if _, err := io.ReadAll(resp.Body); err != nil {
			t.Errorf("%q: reading the answer: %v", tc.req, err)
		}
		// The server closes: EOF (or a reset), never the test's deadline.
		_, err = c.Read(make([]byte, 1))
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Errorf("%q: the connection stays open, waiting for the body", tc.req)
		}
		c.Close()
	}
	time.Sleep(600 * time.Millisecond) // net/http's lingering close, for the leak check
}

// TestWebSocketOutlivesHTTPTimeouts: the HTTP limits end slow requests,
// not WebSockets: with every limit at 300 ms, an MQTT session over /mqtt
// is still answered after several times that.
func TestWebSocketOutlivesHTTPTimeouts(t *testing.T) {
	reg := &broker.Registry{Products: []broker.Product{{ID: accessProduct, Key: accessPKey, Devices: []broker.Device{{Name: "d1", Key: accessD1Key}}}}}
	s, err := New(Config{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const short = 300 * time.Millisecond
	hs := s.HTTPServer(HTTPLimits{ReadHeaderTimeout: short, ReadTimeout: short, WriteTimeout: short, IdleTimeout: short}, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	defer hs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws://"+ln.Addr().String()+"/mqtt", &websocket.DialOptions{Subprotocols: []string{"mqtt"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	tok, _ := token.Generate(token.Params{Res: "products/" + accessProduct + "/devices/d1", Key: accessD1Key, ET: time.Now().Add(time.Hour).Unix()})
	c.Write(ctx, websocket.MessageBinary, mqttConnect("d1", accessProduct, tok))
	if _, ack, err := c.Read(ctx); err != nil || len(ack) != 4 || ack[3] != 0 {
		t.Fatalf("login: % x %v", ack, err)
	}
	for range 3 {
		time.Sleep(4 * short)
		if err := c.Write(ctx, websocket.MessageBinary, mqttPingreq); err != nil {
			t.Fatal(err)
		}
		if _, resp, err := c.Read(ctx); err != nil || len(resp) != 2 || resp[0] != 0xD0 {
			t.Fatalf("PINGRESP after %v: % x %v", 4*short, resp, err)
		}
	}
}
