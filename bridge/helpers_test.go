package bridge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	mqtt "github.com/eclipse/paho.mqtt.golang"
	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Tests use real sockets on the loopback interface only.

// wait bounds every blocking step of a test; it is a hang guard, not a
// timing assertion.
const wait = 15 * time.Second

// loopbackOnly is the tests' Options.Dial: it refuses every address that is
// not a loopback IP, so no test can reach the network.
func loopbackOnly(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("test dialer: %s is not a loopback address", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// testLog collects a Handler's log lines.
type testLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *testLog) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *testLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

// waitFor waits until a line contains every one of subs, and returns it.
func (l *testLog) waitFor(t *testing.T, subs ...string) string {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
	lines:
		for _, line := range l.all() {
			for _, s := range subs {
				if !strings.Contains(line, s) {
					continue lines
				}
			}
			return line
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line contains %q; log:\n%s", subs, strings.Join(l.all(), "\n"))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testBridge is a Handler served on /bridge by an httptest server.
type testBridge struct {
	h   *Handler
	srv *httptest.Server
	log *testLog
}

func startBridge(t testing.TB, opts Options) *testBridge {
	t.Helper()
	b := &testBridge{log: &testLog{}}
	if opts.Dial == nil {
		opts.Dial = loopbackOnly
	}
	opts.Logf = b.log.logf
	b.h = New(opts)
	mux := http.NewServeMux()
	mux.Handle("/bridge", b.h)
	b.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		b.h.Close()
		b.srv.Close()
		if t.Failed() {
			t.Logf("bridge log:\n%s", strings.Join(b.log.all(), "\n"))
		}
	})
	return b
}

// url returns the bridge's WebSocket URL for target.
func (b *testBridge) url(target string) string {
	return "ws" + strings.TrimPrefix(b.srv.URL, "http") + "/bridge?target=" + url.QueryEscape(target)
}

// dial opens a WebSocket to the bridge offering subprotocol "mqtt".
func (b *testBridge) dial(t testing.TB, target string) *websocket.Conn {
	t.Helper()
	c, err := dialWS(b.url(target), &websocket.DialOptions{Subprotocols: []string{"mqtt"}})
	if err != nil {
		t.Fatalf("dial bridge for %s: %v", target, err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func dialWS(u string, opts *websocket.DialOptions) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, u, opts)
	if err != nil && resp != nil {
		return nil, fmt.Errorf("%w (HTTP %d)", err, resp.StatusCode)
	}
	return c, err
}

// waitConns waits until the bridge has n connections open.
func (b *testBridge) waitConns(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for b.h.Stats().Conns != n {
		if time.Now().After(deadline) {
			t.Fatalf("Stats().Conns = %d, want %d", b.h.Stats().Conns, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// closeOf reads from c until it is closed and returns the close code and
// reason it got.
func closeOf(t *testing.T, c *websocket.Conn) (websocket.StatusCode, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for {
		_, _, err := c.Read(ctx)
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("connection ended without a close frame: %v", err)
		}
		return ce.Code, ce.Reason
	}
}

// echo sends msg through c and checks it comes back.
func echo(t *testing.T, c *websocket.Conn, msg string) {
	t.Helper()
	if err := tryEcho(c, msg); err != nil {
		t.Fatal(err)
	}
}

// tryEcho sends msg through c and returns an error unless it comes back;
// a connection closed instead gives its websocket.CloseError.
func tryEcho(c *websocket.Conn, msg string) error {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageBinary, []byte(msg)); err != nil {
		// Closed already: the close frame, if one came, says why.
		if _, _, rerr := c.Read(ctx); rerr != nil {
			return fmt.Errorf("write: %w; read: %w", err, rerr)
		}
		return fmt.Errorf("write: %w", err)
	}
	var got []byte
	for len(got) < len(msg) {
		typ, p, err := c.Read(ctx)
		if err != nil {
			return fmt.Errorf("read echo of %q: %w (got %q so far)", msg, err, got)
		}
		if typ != websocket.MessageBinary {
			return fmt.Errorf("echo came back as %v, want binary", typ)
		}
		got = append(got, p...)
	}
	if string(got) != msg {
		return fmt.Errorf("echo = %q, want %q", got, msg)
	}
	return nil
}

// startServer serves TCP on 127.0.0.1 with handle, one goroutine per
// connection, and returns its address. Cleanup closes the listener and
// every connection and waits for the handlers.
func startServer(t testing.TB, ln net.Listener, handle func(net.Conn)) string {
	t.Helper()
	if ln == nil {
		var err error
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]struct{}{}
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = struct{}{}
			mu.Unlock()
			wg.Go(func() {
				defer func() {
					c.Close()
					mu.Lock()
					delete(conns, c)
					mu.Unlock()
				}()
				handle(c)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

func echoHandler(c net.Conn) { io.Copy(c, c) }

// startEcho starts a TCP echo server on 127.0.0.1.
func startEcho(t testing.TB) string { return startServer(t, nil, echoHandler) }

// allowAll is mochi's auth.AllowHook, written out: importing that package
// needs gopkg.in/yaml.v3, which go.sum does not list.
type allowAll struct{ mochi.HookBase }

func (h *allowAll) ID() string { return "allow-all" }

func (h *allowAll) Provides(b byte) bool {
	return b == mochi.OnConnectAuthenticate || b == mochi.OnACLCheck
}

func (h *allowAll) OnConnectAuthenticate(*mochi.Client, packets.Packet) bool { return true }

func (h *allowAll) OnACLCheck(*mochi.Client, string, bool) bool { return true }

// startBroker starts an in-process MQTT broker (mochi, allow-all auth)
// with a TCP listener on 127.0.0.1 and returns its address.
func startBroker(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := mochi.New(&mochi.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := s.AddHook(new(allowAll), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.AddListener(listeners.NewNet("tcp", ln)); err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return ln.Addr().String()
}

// mqttClient connects a paho client with the given broker URL; a ws://
// URL goes through coder/websocket (as in the browser), anything else is a
// plain TCP connection to the URL's host.
func mqttClient(t testing.TB, broker, id string, opts func(*mqtt.ClientOptions)) mqtt.Client {
	t.Helper()
	o := mqtt.NewClientOptions().
		AddBroker(broker).
		SetClientID(id).
		SetProtocolVersion(4).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetOrderMatters(false).
		SetConnectTimeout(wait).
		SetWriteTimeout(wait).
		SetKeepAlive(time.Minute).
		SetCustomOpenConnectionFn(func(u *url.URL, _ mqtt.ClientOptions) (net.Conn, error) {
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			if u.Scheme != "ws" {
				return loopbackOnly(ctx, "tcp", u.Host)
			}
			c, _, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{Subprotocols: []string{"mqtt"}})
			if err != nil {
				return nil, err
			}
			return websocket.NetConn(context.Background(), c, websocket.MessageBinary), nil
		})
	if opts != nil {
		opts(o)
	}
	c := mqtt.NewClient(o)
	tok := c.Connect()
	if !tok.WaitTimeout(wait) {
		t.Fatalf("MQTT connect via %s timed out", broker)
	}
	if err := tok.Error(); err != nil {
		t.Fatalf("MQTT connect via %s: %v", broker, err)
	}
	t.Cleanup(func() { c.Disconnect(0) })
	return c
}

// waitToken waits for an MQTT token.
func waitToken(t testing.TB, what string, tok mqtt.Token) {
	t.Helper()
	if !tok.WaitTimeout(wait) {
		t.Fatalf("%s timed out", what)
	}
	if err := tok.Error(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
