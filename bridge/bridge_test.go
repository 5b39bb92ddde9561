package bridge

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// TestMQTTRoundTrip connects paho through the bridge to a local broker
// and does a QoS 1 subscribe/publish round trip.
func TestMQTTRoundTrip(t *testing.T) {
	broker := startBroker(t)
	b := startBridge(t, Options{Allow: []Target{{Addr: broker}}})

	const password, payload = "version=2018-10-31&sign=s3cret", "payload-bytes-never-logged"
	c := mqttClient(t, b.url(broker), "dev1", func(o *mqtt.ClientOptions) {
		o.SetUsername("product1").SetPassword(password)
	})
	got := make(chan mqtt.Message, 1)
	waitToken(t, "subscribe", c.Subscribe("$dp/test", 1, func(_ mqtt.Client, m mqtt.Message) { got <- m }))
	waitToken(t, "publish", c.Publish("$dp/test", 1, false, payload))
	select {
	case m := <-got:
		if string(m.Payload()) != payload || m.Qos() != 1 {
			t.Fatalf("got %q at QoS %d, want %q at QoS 1", m.Payload(), m.Qos(), payload)
		}
	case <-time.After(wait):
		t.Fatal("message did not come back through the bridge")
	}
	b.log.waitFor(t, "-> "+broker+" opened")
	c.Disconnect(100)
	// After DISCONNECT the broker hangs up too; either side may be first.
	line := b.log.waitFor(t, "-> "+broker+" closed after", "B up, ", "B down (closed by the ")
	t.Log(line)

	st := b.h.Stats()
	if st.Total != 1 || st.BytesUp == 0 || st.BytesDown == 0 {
		t.Errorf("Stats() = %+v, want Total 1 and bytes both ways", st)
	}
	b.waitConns(t, 0)
	for _, l := range b.log.all() {
		if strings.Contains(l, password) || strings.Contains(l, "s3cret") || strings.Contains(l, payload) {
			t.Errorf("log line holds a secret or payload: %s", l)
		}
	}
}

// TestEndpointCloses checks the page learns that the endpoint hung up, as
// OneNET does after refusing a login.
func TestEndpointCloses(t *testing.T) {
	addr := startServer(t, nil, func(c net.Conn) {}) // accepts, then hangs up
	b := startBridge(t, Options{Allow: []Target{{Addr: addr}}})
	c := b.dial(t, addr)
	code, reason := closeOf(t, c)
	if code != websocket.StatusNormalClosure || reason != addr+" closed the connection" {
		t.Fatalf("close = %v %q, want 1000 %q", code, reason, addr+" closed the connection")
	}
	b.log.waitFor(t, "(closed by the endpoint)")
}

// TestNotAllowed: a target off the allow-list is refused with 1008; the
// reason does not list the allow-list (issue: "the relay's close reason
// lists the whole allow-list to any client").
func TestNotAllowed(t *testing.T) {
	echoAddr := startEcho(t)
	b := startBridge(t, Options{Allow: []Target{{Addr: echoAddr}}})
	c := b.dial(t, "Evil.Example:1883")
	code, reason := closeOf(t, c)
	want := "target evil.example:1883 is not on this relay's allow-list"
	if code != websocket.StatusPolicyViolation || reason != want {
		t.Fatalf("close = %v %q, want 1008 %q", code, reason, want)
	}
	b.log.waitFor(t, "refused target evil.example:1883: not allowed")

	// Nor with OneNET's four endpoints.
	d := startBridge(t, Options{})
	c = d.dial(t, "evil.example:1883")
	code, reason = closeOf(t, c)
	if code != websocket.StatusPolicyViolation || strings.Contains(reason, "heclouds") || strings.Contains(reason, "allowed:") {
		t.Fatalf("close = %v %q, want 1008 without the allow-list", code, reason)
	}
	if st := d.h.Stats(); st.Refused != 1 || st.Total != 0 {
		t.Errorf("Stats() = %+v, want 1 refused", st)
	}
}

func TestBadTarget(t *testing.T) {
	b := startBridge(t, Options{Allow: []Target{{Addr: "127.0.0.1:1883"}}})
	for _, tc := range []struct{ url, reason string }{
		{b.url("mqtt://127.0.0.1:1883"), "bad target: must not have a scheme"},
		{b.url("127.0.0.1"), "bad target: missing port"},
		{b.url("user:pw@127.0.0.1:1883"), "bad target: must not contain user info"},
		{strings.TrimSuffix(b.url("x"), "?target=x"), "give exactly one ?target=host:port"},
		{b.url("127.0.0.1:1883") + "&target=127.0.0.1:1883", "give exactly one ?target=host:port"},
	} {
		c, err := dialWS(tc.url, nil)
		if err != nil {
			t.Fatalf("dial %s: %v", tc.url, err)
		}
		code, reason := closeOf(t, c)
		if code != websocket.StatusPolicyViolation || !strings.HasPrefix(reason, tc.reason) {
			t.Errorf("%s: close = %v %q, want 1008 %q…", tc.url, code, reason, tc.reason)
		}
	}
	for _, l := range b.log.all() {
		if strings.Contains(l, "pw@") {
			t.Errorf("log holds user info: %s", l)
		}
	}
}

func TestDialRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	b := startBridge(t, Options{Allow: []Target{{Addr: addr}}})
	c := b.dial(t, addr)
	code, reason := closeOf(t, c)
	if want := "cannot reach " + addr + ": connection refused"; code != websocket.StatusBadGateway || reason != want {
		t.Fatalf("close = %v %q, want 1014 %q", code, reason, want)
	}
	b.log.waitFor(t, "-> "+addr+" cannot connect")
	b.waitConns(t, 0)
	if st := b.h.Stats(); st.Refused != 1 || st.Total != 0 {
		t.Errorf("Stats() = %+v, want 1 refused", st)
	}
}

func TestDialTimeout(t *testing.T) {
	b := startBridge(t, Options{
		Allow:       []Target{{Addr: "127.0.0.1:1"}},
		DialTimeout: 50 * time.Millisecond,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			<-ctx.Done() // an endpoint that never answers
			return nil, ctx.Err()
		},
	})
	c := b.dial(t, "127.0.0.1:1")
	code, reason := closeOf(t, c)
	if want := "cannot reach 127.0.0.1:1: timed out after 50ms"; code != websocket.StatusBadGateway || reason != want {
		t.Fatalf("close = %v %q, want 1014 %q", code, reason, want)
	}
}

func TestOrigin(t *testing.T) {
	echoAddr := startEcho(t)
	allow := []Target{{Addr: echoAddr}}
	try := func(b *testBridge, origin string) error {
		h := http.Header{}
		h.Set("Origin", origin)
		c, err := dialWS(b.url(echoAddr), &websocket.DialOptions{HTTPHeader: h, Subprotocols: []string{"mqtt"}})
		if err != nil {
			return err
		}
		defer c.CloseNow()
		echo(t, c, "hello")
		return nil
	}

	b := startBridge(t, Options{Allow: allow})
	same := "http://" + strings.TrimPrefix(b.srv.URL, "http://")
	if err := try(b, same); err != nil {
		t.Errorf("same origin %s refused: %v", same, err)
	}
	for _, o := range []string{"http://evil.example", "http://localhost:3000", "null"} {
		err := try(b, o)
		if err == nil || !strings.Contains(err.Error(), "HTTP 403") {
			t.Errorf("origin %s: err = %v, want HTTP 403", o, err)
		}
	}
	b.log.waitFor(t, "refused upgrade", "evil.example")

	b = startBridge(t, Options{Allow: allow, AllowedOrigins: []string{"http://localhost:3000", "*.example.org"}})
	for o, ok := range map[string]bool{
		"http://localhost:3000":   true,
		"https://localhost:3000":  false,
		"http://localhost:3001":   false,
		"https://app.example.org": true,
		"http://evil.example":     false,
	} {
		if err := try(b, o); (err == nil) != ok {
			t.Errorf("AllowedOrigins: origin %s: err = %v, want allowed %v", o, err, ok)
		}
	}

	b = startBridge(t, Options{Allow: allow, AllowedOrigins: []string{"*"}})
	if err := try(b, "http://evil.example"); err != nil {
		t.Errorf(`AllowedOrigins "*": %v`, err)
	}
}

func TestSubprotocol(t *testing.T) {
	echoAddr := startEcho(t)
	b := startBridge(t, Options{Allow: []Target{{Addr: echoAddr}}})

	c := b.dial(t, echoAddr)
	if c.Subprotocol() != "mqtt" {
		t.Errorf("offered mqtt, got subprotocol %q", c.Subprotocol())
	}
	echo(t, c, "with mqtt")

	c, err := dialWS(b.url(echoAddr), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if c.Subprotocol() != "" {
		t.Errorf("offered nothing, got subprotocol %q", c.Subprotocol())
	}
	echo(t, c, "without")
	b.log.waitFor(t, "opened", `did not offer subprotocol "mqtt"`)
}

func TestPerClientLimit(t *testing.T) {
	echoAddr := startEcho(t)
	b := startBridge(t, Options{Allow: []Target{{Addr: echoAddr}}, MaxConnsPerClient: 2})
	c1 := b.dial(t, echoAddr)
	echo(t, c1, "one")
	c2 := b.dial(t, echoAddr)
	echo(t, c2, "two")

	c3 := b.dial(t, echoAddr)
	code, reason := closeOf(t, c3)
	if code != websocket.StatusTryAgainLater || reason != "try again later: too many connections" {
		t.Fatalf("third connection: close = %v %q, want 1013", code, reason)
	}
	b.log.waitFor(t, "too many connections", "from this client")

	// Another client address is counted apart.
	if other, err := dialFrom("127.0.0.2", b.url(echoAddr)); err != nil {
		t.Logf("skipping the second-client check: %v", err)
	} else {
		echo(t, other, "other client")
		other.Close(websocket.StatusNormalClosure, "")
	}

	c1.Close(websocket.StatusNormalClosure, "")
	b.waitConns(t, 1)
	c4 := b.dial(t, echoAddr)
	echo(t, c4, "four")
}

// dialFrom opens a WebSocket from local address ip.
func dialFrom(ip, u string) (*websocket.Conn, error) {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	client := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	return dialWS(u, &websocket.DialOptions{HTTPClient: client})
}

func TestTotalLimit(t *testing.T) {
	echoAddr := startEcho(t)
	b := startBridge(t, Options{Allow: []Target{{Addr: echoAddr}}, MaxConns: 1})
	c1 := b.dial(t, echoAddr)
	echo(t, c1, "one")
	code, reason := closeOf(t, b.dial(t, echoAddr))
	if code != websocket.StatusTryAgainLater || reason != "try again later: too many connections" {
		t.Fatalf("second connection: close = %v %q, want 1013", code, reason)
	}
	b.log.waitFor(t, "too many connections", "1 connections open, the maximum")
}

func TestIdleTimeout(t *testing.T) {
	echoAddr := startEcho(t)
	const idle = 100 * time.Millisecond
	const why = "idle timeout: no traffic for 100ms"
	b := startBridge(t, Options{Allow: []Target{{Addr: echoAddr}}, IdleTimeout: idle})
	// A connection that relays a message, then nothing. Its idle time
	// runs from the relay's start, so a machine that holds the test up
	// for 100 ms before it sends the message sees the connection closed
	// first, rightly: such an attempt is made again, while a close sooner
	// than 100 ms after the dial began fails the test.
	for attempt := 1; ; attempt++ {
		start := time.Now()
		c := b.dial(t, echoAddr)
		if err := tryEcho(c, "then silence"); err != nil {
			var ce websocket.CloseError
			if after := time.Since(start); errors.As(err, &ce) && ce.Code == websocket.StatusNormalClosure && ce.Reason == why && after >= idle && attempt < 10 {
				t.Logf("attempt %d: closed as idle %s after the dial began, before the test sent its message; again", attempt, after.Round(time.Millisecond))
				continue
			}
			t.Fatalf("attempt %d, %s after the dial began: %v", attempt, time.Since(start).Round(time.Millisecond), err)
		}
		code, reason := closeOf(t, c)
		if code != websocket.StatusNormalClosure || reason != why {
			t.Fatalf("close = %v %q, want 1000 idle timeout", code, reason)
		}
		break
	}
	b.log.waitFor(t, "closed after", "12 B up, 12 B down ("+why+")")
	b.waitConns(t, 0)
}

func TestReadLimit(t *testing.T) {
	echoAddr := startEcho(t)
	b := startBridge(t, Options{Allow: []Target{{Addr: echoAddr}}})
	c := b.dial(t, echoAddr)
	echo(t, c, string(bytes.Repeat([]byte{'a'}, 300<<10))) // an MQTT packet over 256 KB is fine
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageBinary, make([]byte, ReadLimit+1)); err != nil {
		t.Fatal(err)
	}
	if code, _ := closeOf(t, c); code != websocket.StatusMessageTooBig {
		t.Fatalf("close code %v, want 1009", code)
	}
}

func TestTextFrameRefused(t *testing.T) {
	echoAddr := startEcho(t)
	b := startBridge(t, Options{Allow: []Target{{Addr: echoAddr}}})
	c := b.dial(t, echoAddr)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte("text")); err != nil {
		t.Fatal(err)
	}
	if code, _ := closeOf(t, c); code != websocket.StatusUnsupportedData {
		t.Fatalf("close code %v, want 1003", code)
	}
}

// TestClose shuts the Handler down with connections open, and checks every
// goroutine it started ends.
func TestClose(t *testing.T) {
	echoAddr := startEcho(t)
	b := startBridge(t, Options{Allow: []Target{{Addr: echoAddr}}})
	before := runtime.NumGoroutine()

	var conns []*websocket.Conn
	for range 3 {
		c, err := dialWS(b.url(echoAddr), nil)
		if err != nil {
			t.Fatal(err)
		}
		echo(t, c, "hello")
		conns = append(conns, c)
	}
	// One more, refused, still in its close handshake: the page does not
	// answer until it reads.
	refused, err := dialWS(b.url("nowhere.example:1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := b.h.Stats().Conns; n != 3 {
		t.Errorf("Stats().Conns = %d, want 3", n)
	}

	closed := make(chan struct{})
	go func() { b.h.Close(); close(closed) }()
	for _, c := range conns {
		code, reason := closeOf(t, c)
		if code != websocket.StatusGoingAway || reason != "bridge shutting down" {
			t.Errorf("close = %v %q, want 1001 bridge shutting down", code, reason)
		}
	}
	closeOf(t, refused)
	select {
	case <-closed:
	case <-time.After(wait):
		t.Fatal("Handler.Close did not return")
	}
	if n := b.h.Stats().Conns; n != 0 {
		t.Errorf("after Close, Stats().Conns = %d", n)
	}
	b.log.waitFor(t, "(bridge shutting down)")
	if err := b.h.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	// Hand-rolled leak check: the goroutine count settles back.
	deadline := time.Now().Add(wait)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before the connections:\n%s",
				runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}

	// (After the leak check: the client keeps this HTTP connection.)
	if _, err := dialWS(b.url(echoAddr), nil); err == nil || !strings.Contains(err.Error(), "HTTP 503") {
		t.Errorf("dial after Close: err = %v, want HTTP 503", err)
	}
}

func TestNewPanics(t *testing.T) {
	for name, opts := range map[string]Options{
		"bad Addr":   {Allow: []Target{{Addr: "mqtt://x:1883"}}},
		"bad origin": {AllowedOrigins: []string{"[x"}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: New did not panic", name)
				}
			}()
			New(opts)
		}()
	}
}

func TestDefaults(t *testing.T) {
	h := New(Options{Logf: func(string, ...any) {}})
	if h.opts.MaxConns != 64 || h.opts.MaxConnsPerClient != 8 || h.opts.IdleTimeout != 5*time.Minute || h.opts.DialTimeout != 10*time.Second {
		t.Errorf("defaults: %+v", h.opts)
	}
	want := []string{"mqtts.heclouds.com:1883", "mqttstls.heclouds.com:8883", "studio-mqtt.heclouds.com:1883", "studio-mqtts.heclouds.com:8883"}
	if len(h.allow) != len(want) {
		t.Fatalf("allow-list %v, want %v", h.allow, want)
	}
	for _, a := range want {
		tg, ok := h.allow[a]
		if !ok {
			t.Errorf("%s not allowed by default", a)
			continue
		}
		if tls := strings.HasSuffix(a, ":8883"); tg.TLS != tls || tg.VerifyOneNET != tls {
			t.Errorf("%s: TLS %v VerifyOneNET %v, want %v", a, tg.TLS, tg.VerifyOneNET, tls)
		}
		if tg.TLS && h.tls[a].ServerName != strings.TrimSuffix(a, ":8883") {
			t.Errorf("%s: ServerName %q", a, h.tls[a].ServerName)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		n    uint64
		want string
	}{{0, "0 B"}, {1023, "1023 B"}, {1229, "1.2 KB"}, {3565158, "3.4 MB"}, {5 << 30, "5.0 GB"}} {
		if got := fmtBytes(tc.n); got != tc.want {
			t.Errorf("fmtBytes(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{{12345 * time.Millisecond, "12.3s"}, {5 * time.Minute, "5m0s"}, {1500 * time.Microsecond, "2ms"}} {
		if got := fmtDuration(tc.d); got != tc.want {
			t.Errorf("fmtDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
	for _, tc := range []struct {
		s    string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"0123456789abc", 10, "0123456…"},
		{"目标目标", 10, "目标…"}, // never cuts a rune
	} {
		if got := truncate(tc.s, tc.max); got != tc.want || len(got) > tc.max {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.s, tc.max, got, tc.want)
		}
	}
}
