package broker

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/onenet-wasm/onenet-wasm/token"
)

// wait is how long a test waits for something that should happen: generous,
// for a noisy 2-core machine. Nothing asserts on timing.
const wait = 20 * time.Second

// key returns a fixed 32-byte base64 key derived from seed.
func key(seed byte) string {
	b := make([]byte, 32)
	for i := range b {
		b[i] = seed + byte(i)*7
	}
	return base64.StdEncoding.EncodeToString(b)
}

var (
	keyP1   = key(1)
	keyD1   = key(2)
	keyD2   = key(3)
	keyP2   = key(4)
	keyP2D1 = key(5)
	keyNone = key(6) // in no registry
)

// testRegistry: prod1 with dev1, dev2 and nokey (no device key); prod2
// with its own dev1.
func testRegistry() *Registry {
	return &Registry{Products: []Product{
		{ID: "prod1", Key: keyP1, Devices: []Device{
			{Name: "dev1", Key: keyD1}, {Name: "dev2", Key: keyD2}, {Name: "nokey"},
		}},
		{ID: "prod2", Key: keyP2, Devices: []Device{{Name: "dev1", Key: keyP2D1}}},
	}}
}

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

var epoch = time.Unix(1_700_000_000, 0)

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// logBuf collects the broker's log lines.
type logBuf struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuf) logf(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	l.mu.Lock()
	l.lines = append(l.lines, s)
	l.mu.Unlock()
}

func (l *logBuf) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// mark returns the number of lines so far, for waitAfter.
func (l *logBuf) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lines)
}

// waitFor waits for a log line holding every one of parts.
func (l *logBuf) waitFor(t testing.TB, parts ...string) string {
	t.Helper()
	return l.waitAfter(t, 0, parts...)
}

// waitAfter waits for a line after the first n holding every one of parts.
func (l *logBuf) waitAfter(t testing.TB, n int, parts ...string) string {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		for _, line := range l.all()[n:] {
			ok := true
			for _, p := range parts {
				ok = ok && strings.Contains(line, p)
			}
			if ok {
				return line
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q; log:\n%s", parts, strings.Join(l.all(), "\n"))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// env is a broker with a TCP listener and a WebSocket server.
type env struct {
	b     *Broker
	clock *clock
	log   *logBuf
	tcp   string // host:port
	ws    string // ws://host:port/mqtt
	http  *httptest.Server
}

func newEnv(t testing.TB, mod ...func(*Options)) *env {
	t.Helper()
	e := &env{clock: &clock{t: epoch}, log: &logBuf{}}
	opts := Options{Registry: testRegistry(), Now: e.clock.Now, Logf: e.log.logf}
	for _, m := range mod {
		m(&opts)
	}
	b, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.b = b
	addr, err := b.ListenTCP("127.0.0.1:0")
	if err != nil {
		b.Close()
		t.Fatal(err)
	}
	e.tcp = addr.String()
	mux := http.NewServeMux()
	mux.Handle("/mqtt", b.WebSocketHandler())
	mux.Handle("/api/", b.APIHandler())
	mux.Handle("/stripped/", http.StripPrefix("/stripped", b.APIHandler())) // paths without /api
	e.http = httptest.NewServer(mux)
	e.ws = "ws" + strings.TrimPrefix(e.http.URL, "http") + "/mqtt"
	t.Cleanup(func() {
		b.Close()
		e.http.Close()
		if t.Failed() {
			t.Logf("broker log:\n%s", strings.Join(e.log.all(), "\n"))
		}
	})
	return e
}

// listenBoth starts b's MQTT listener on 127.0.0.1 and an HTTP server of
// its WebSocket handler (which serves any path); it returns the listener's
// address, the WebSocket URL and the server, which the caller closes.
func listenBoth(t testing.TB, b *Broker) (tcp, ws string, hs *httptest.Server) {
	t.Helper()
	addr, err := b.ListenTCP("127.0.0.1:0")
	if err != nil {
		b.Close()
		t.Fatal(err)
	}
	hs = httptest.NewServer(b.WebSocketHandler())
	return addr.String(), "ws" + strings.TrimPrefix(hs.URL, "http") + "/mqtt", hs
}

// tok returns a token for res signed with key, valid for a year after epoch.
func tok(t testing.TB, res, key string) string {
	t.Helper()
	return tokAt(t, res, key, epoch.Add(365*24*time.Hour).Unix(), "")
}

func tokAt(t testing.TB, res, key string, et int64, version string) string {
	t.Helper()
	s, err := token.Generate(token.Params{Res: res, Key: key, Method: token.SHA1, ET: et, Version: version})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// devTok returns a device-key token for prod1's dev.
func devTok(t testing.TB, pid, dev, key string) string {
	return tok(t, "products/"+pid+"/devices/"+dev, key)
}

type message struct {
	topic   string
	payload []byte
}

// client is a paho client with its received messages and connection loss.
type client struct {
	paho.Client
	msgs chan message
	lost chan error
	in   inbox
	stop chan struct{} // ends the inbox's pump
	once sync.Once
}

// Disconnect disconnects, then stops delivering to msgs.
func (c *client) Disconnect(quiesce uint) {
	c.Client.Disconnect(quiesce)
	c.once.Do(func() { close(c.stop) })
}

// inbox holds the messages a client has received and the test has not read
// yet, however many: paho's handler must never block, or the client's
// Disconnect waits for it forever.
type inbox struct {
	mu   sync.Mutex
	q    []message
	wake chan struct{}
}

func (b *inbox) put(m message) {
	b.mu.Lock()
	b.q = append(b.q, m)
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// pump moves the inbox into out, in order, until stop is closed.
func (b *inbox) pump(out chan<- message, stop <-chan struct{}) {
	for {
		b.mu.Lock()
		q := b.q
		b.q = nil
		b.mu.Unlock()
		for _, m := range q {
			select {
			case out <- m:
			case <-stop:
				return
			}
		}
		select {
		case <-b.wake:
		case <-stop:
			return
		}
	}
}

// dial connects to the broker over "tcp" or "ws" as device dev of pid.
// It returns the CONNACK code and the connect error.
func (e *env) dial(t testing.TB, via, pid, dev, password string, mod ...func(*paho.ClientOptions)) (*client, byte, error) {
	t.Helper()
	c := &client{msgs: make(chan message), lost: make(chan error, 1), in: inbox{wake: make(chan struct{}, 1)}, stop: make(chan struct{})}
	go c.in.pump(c.msgs, c.stop)
	t.Cleanup(func() { c.once.Do(func() { close(c.stop) }) })
	o := paho.NewClientOptions().
		SetClientID(dev).SetUsername(pid).SetPassword(password).
		SetProtocolVersion(4).SetCleanSession(true).
		SetKeepAlive(60 * time.Second).SetPingTimeout(wait).
		SetConnectTimeout(wait).SetAutoReconnect(false).SetConnectRetry(false).
		SetOrderMatters(true). // handlers never block: tests read messages in order
		SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) {
			c.in.put(message{m.Topic(), m.Payload()})
		}).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			select {
			case c.lost <- err:
			default:
			}
		})
	switch via {
	case "tcp":
		o.AddBroker("tcp://" + e.tcp)
	case "ws":
		o.AddBroker(e.ws)
		o.SetCustomOpenConnectionFn(func(*url.URL, paho.ClientOptions) (net.Conn, error) {
			return dialWS(e.ws)
		})
	default:
		t.Fatalf("dial via %q", via)
	}
	for _, m := range mod {
		m(o)
	}
	c.Client = paho.NewClient(o)
	ct := c.Connect()
	if !ct.WaitTimeout(wait) {
		t.Fatalf("connect as %s/%s via %s: no CONNACK in %s", pid, dev, via, wait)
	}
	code := ct.(*paho.ConnectToken).ReturnCode()
	if ct.Error() == nil {
		t.Cleanup(func() { c.Disconnect(0) })
	}
	return c, code, ct.Error()
}

// dialWS opens MQTT over WebSocket as a browser page does (subprotocol "mqtt",
// binary messages).
func dialWS(u string) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{Subprotocols: []string{"mqtt"}})
	if err != nil {
		return nil, err
	}
	return websocket.NetConn(context.Background(), c, websocket.MessageBinary), nil
}

// mustDial connects and fails the test unless the login is accepted.
func (e *env) mustDial(t testing.TB, via, pid, dev string, mod ...func(*paho.ClientOptions)) *client {
	t.Helper()
	k := map[string]string{"prod1/dev1": keyD1, "prod1/dev2": keyD2, "prod2/dev1": keyP2D1}[pid+"/"+dev]
	pw := devTok(t, pid, dev, k)
	if k == "" {
		pw = tok(t, "products/"+pid, map[string]string{"prod1": keyP1, "prod2": keyP2}[pid])
	}
	c, code, err := e.dial(t, via, pid, dev, pw, mod...)
	if err != nil || code != 0 {
		t.Fatalf("login %s/%s via %s: CONNACK %d, %v", pid, dev, via, code, err)
	}
	return c
}

// sub subscribes to filters at qos and returns the granted codes.
func (c *client) sub(t testing.TB, qos byte, filters ...string) []byte {
	t.Helper()
	m := map[string]byte{}
	for _, f := range filters {
		m[f] = qos
	}
	st := c.SubscribeMultiple(m, nil)
	if !st.WaitTimeout(wait) {
		t.Fatalf("subscribe %q: no SUBACK", filters)
	}
	if err := st.Error(); err != nil {
		t.Fatalf("subscribe %q: %v", filters, err)
	}
	res := st.(*paho.SubscribeToken).Result()
	out := make([]byte, len(filters))
	for i, f := range filters {
		out[i] = res[f]
	}
	return out
}

// pub publishes and, for QoS 1, waits for the PUBACK.
func (c *client) pub(t testing.TB, topic string, qos byte, payload string) {
	t.Helper()
	pt := c.Publish(topic, qos, false, payload)
	if !pt.WaitTimeout(wait) {
		t.Fatalf("publish %s at QoS %d: not completed in %s", topic, qos, wait)
	}
	if err := pt.Error(); err != nil {
		t.Fatalf("publish %s: %v", topic, err)
	}
}

// expect waits for a message on topic, skipping others.
func (c *client) expect(t testing.TB, topic string) message {
	t.Helper()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case m := <-c.msgs:
			if m.topic == topic {
				return m
			}
		case <-timer.C:
			t.Fatalf("no message on %s in %s", topic, wait)
		}
	}
}

// next waits for the next message, whatever its topic.
func (c *client) next(t testing.TB) message {
	t.Helper()
	select {
	case m := <-c.msgs:
		return m
	case <-time.After(wait):
		t.Fatalf("no message in %s", wait)
	}
	return message{}
}

// waitLost waits until the broker has closed the connection.
func (c *client) waitLost(t testing.TB, why string) {
	t.Helper()
	select {
	case <-c.lost:
	case <-time.After(wait):
		t.Fatalf("%s: the broker did not disconnect the client", why)
	}
}

// rawConnect sends a CONNECT (MQTT 3.1.1, clean session, keepalive 60 s)
// over a plain TCP connection and returns the connection and the CONNACK
// return code.
func rawConnect(t testing.TB, addr, pid, dev, password string) (net.Conn, byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(wait))
	if _, err := conn.Write(connectPacket(dev, pid, password)); err != nil {
		t.Fatal(err)
	}
	ack := make([]byte, 4)
	if _, err := io.ReadFull(conn, ack); err != nil {
		t.Fatalf("reading CONNACK: %v", err)
	}
	if ack[0] != 0x20 || ack[1] != 2 {
		t.Fatalf("not a CONNACK: % x", ack)
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, ack[3]
}

// rawLogin is rawConnect that must succeed.
func rawLogin(t testing.TB, addr, pid, dev, password string) net.Conn {
	t.Helper()
	conn, code := rawConnect(t, addr, pid, dev, password)
	if code != 0 {
		t.Fatalf("raw login %s/%s: CONNACK %d", pid, dev, code)
	}
	return conn
}

// expectClosed waits until the broker closes conn.
func expectClosed(t testing.TB, conn net.Conn) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 64)
	for {
		_, err := conn.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("the broker did not close the connection")
		}
		return
	}
}
