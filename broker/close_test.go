package broker

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	paho "github.com/eclipse/paho.mqtt.golang"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/onenet-wasm/onenet-wasm/internal/testwatch"
)

// TestCloseLeaksNothing: Close disconnects every device (over TCP and
// WebSocket, logged in or not), ends waiting calls, and leaves no
// goroutine behind. Not parallel: it counts goroutines.
func TestCloseLeaksNothing(t *testing.T) {
	before := runtime.NumGoroutine()
	e := &env{clock: &clock{t: epoch}, log: &logBuf{}}
	b, err := New(Options{Registry: testRegistry(), Now: e.clock.Now, Logf: e.log.logf, ConnectTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	e.b = b
	addr, err := b.ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.tcp = addr.String()
	e.http = httptest.NewServer(b.WebSocketHandler())
	e.ws = "ws" + strings.TrimPrefix(e.http.URL, "http") + "/mqtt"

	tcp := e.mustDial(t, "tcp", "prod1", "dev1")
	ws := e.mustDial(t, "ws", "prod1", "dev2")
	tcp.sub(t, 0, "$sys/prod1/dev1/#")
	ws.pub(t, "$sys/prod1/dev2/dp/post/json", 1, `{"id":1,"dp":{"a":[{"v":1}]}}`)
	responder(t, ws, "prod1", "dev2")

	// Connections that never log in.
	idle, err := net.Dial("tcp", e.tcp)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	idleWS, err := dialWS(e.ws)
	if err != nil {
		t.Fatal(err)
	}
	defer idleWS.Close()

	waiting := make(chan error, 1)
	go func() {
		_, err := b.SendCommand(context.Background(), "prod1", "dev2", []byte("ignore"))
		waiting <- err
	}()
	e.log.waitFor(t, "command sent")

	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	tcp.waitLost(t, "Close")
	ws.waitLost(t, "Close")
	expectClosed(t, idle)
	if err := <-waiting; !errors.Is(err, ErrClosed) {
		t.Errorf("SendCommand during Close: %v", err)
	}
	if _, err := b.ListenTCP("127.0.0.1:0"); !errors.Is(err, ErrClosed) {
		t.Errorf("ListenTCP after Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	e.log.waitFor(t, "disconnected: device prod1/dev1", "shutting down")
	tcp.Disconnect(0)
	ws.Disconnect(0)
	e.http.Close()

	settle(t, before)
	t.Logf("%d goroutines before, %d after", before, runtime.NumGoroutine())
}

// settle waits until no more goroutines run than before, or fails with
// their stacks.
func settle(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWebSocketHandshake: the handler checks the origin and the
// subprotocol.
func TestWebSocketHandshake(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *Options) { o.WebSocketOrigins = []string{"page.example"} })
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	dial := func(origin string, protos ...string) (*websocket.Conn, *http.Response, error) {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		return websocket.Dial(ctx, e.ws, &websocket.DialOptions{Subprotocols: protos, HTTPHeader: h})
	}
	for _, origin := range []string{"", e.http.URL, "https://page.example"} {
		c, _, err := dial(origin, "mqtt")
		if err != nil {
			t.Errorf("origin %q: %v", origin, err)
			continue
		}
		c.CloseNow()
	}
	if _, resp, err := dial("https://evil.example", "mqtt"); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("foreign origin: %v, want 403", err)
	}
	// A page opened from disk (origin "null") only when "null" is listed.
	if _, resp, err := dial("null", "mqtt"); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("origin null, not listed: %v, want 403", err)
	}
	withNull := newEnv(t, func(o *Options) { o.WebSocketOrigins = []string{"null"} })
	if c, _, err := websocket.Dial(ctx, withNull.ws, &websocket.DialOptions{Subprotocols: []string{"mqtt"}, HTTPHeader: http.Header{"Origin": {"null"}}}); err != nil {
		t.Errorf("origin null, listed: %v", err)
	} else {
		c.CloseNow()
	}
	c, _, err := dial("")
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Errorf("no subprotocol: %v, want close 1008", err)
	}
	e.log.waitFor(t, "websocket refused", "subprotocol")
}

// TestBareMochiDropsSys documents why the hook maps $sys: mochi without it
// never acknowledges a QoS 1 publish on $sys/… (mochi's
// $SYS filter). If this fails, mochi has changed and the mapping may no
// longer be needed.
func TestBareMochiDropsSys(t *testing.T) {
	t.Parallel()
	addr, stop := bareMochi(t)
	defer stop()
	c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("d").
		SetProtocolVersion(4).SetAutoReconnect(false).SetConnectTimeout(wait))
	if ct := c.Connect(); !ct.WaitTimeout(wait) || ct.Error() != nil {
		t.Fatalf("connect: %v", ct.Error())
	}
	defer c.Disconnect(0)
	if pt := c.Publish("$sys/p/d/dp/post/json", 1, false, "{}"); pt.WaitTimeout(500 * time.Millisecond) {
		t.Errorf("bare mochi acknowledged a QoS 1 publish on $sys/…: %v", pt.Error())
	}
	if pt := c.Publish("sys/p/d/dp/post/json", 1, false, "{}"); !pt.WaitTimeout(wait) {
		t.Error("bare mochi did not acknowledge a QoS 1 publish on sys/…")
	}
}

// allowHook lets every client in and everywhere, like mochi's
// hooks/auth.AllowHook (whose package needs a module this one does not
// require).
type allowHook struct{ mqtt.HookBase }

func (h *allowHook) ID() string { return "allow-all" }
func (h *allowHook) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck
}
func (h *allowHook) OnConnectAuthenticate(*mqtt.Client, packets.Packet) bool { return true }
func (h *allowHook) OnACLCheck(*mqtt.Client, string, bool) bool              { return true }

// bareMochi runs mochi with an allow-all hook and a TCP listener.
func bareMochi(t testing.TB) (addr string, stop func()) {
	t.Helper()
	s := mqtt.New(&mqtt.Options{Logger: discardLogger(), SysTopicResendInterval: 3600})
	if err := s.AddHook(new(allowHook), nil); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = ln.Addr().String()
	ln.Close()
	if err := s.AddListener(listeners.NewTCP(listeners.Config{ID: "t", Address: addr})); err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(); err != nil {
		t.Fatal(err)
	}
	return addr, func() { s.Close() }
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestCloseWhileDevicesComeAndGo: Close returns while devices log in and
// out on both listeners. mochi's own way of disconnecting a listener's
// clients (Clients.GetByListener) takes the client list's read lock twice;
// a login or disconnection that asked for its write lock in between
// deadlocked Close forever (twice in CI, in the load test's and another
// test's clean-up). The listeners now end their connections themselves.
func TestCloseWhileDevicesComeAndGo(t *testing.T) {
	const devices, rounds = 40, 8
	p := Product{ID: "churn", Key: keyP1}
	for i := range devices {
		p.Devices = append(p.Devices, Device{Name: "d" + strconv.Itoa(i)})
	}
	password := tokAt(t, "products/churn", keyP1, time.Now().Add(time.Hour).Unix(), "")
	for round := range rounds {
		b, err := New(Options{Registry: &Registry{Products: []Product{p}}, Limits: RateLimits{Disabled: true}})
		if err != nil {
			t.Fatal(err)
		}
		addr, wsURL, hs := listenBoth(t, b)
		var logins atomic.Int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for i := range devices {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					var c net.Conn
					var err error
					if i%4 == 3 {
						ws, _, err := websocket.Dial(context.Background(), wsURL, &websocket.DialOptions{Subprotocols: []string{"mqtt"}})
						if err != nil {
							continue // refused: the broker is closing
						}
						c = websocket.NetConn(context.Background(), ws, websocket.MessageBinary)
					} else if c, err = net.Dial("tcp", addr); err != nil {
						continue
					}
					_ = c.SetDeadline(time.Now().Add(wait))
					_, _ = c.Write(connectPacket("d"+strconv.Itoa(i), "churn", password))
					if pk, err := readPacket(bufio.NewReader(c)); err == nil && pk.FixedHeader.Type == packets.Connack && pk.ReasonCode == 0 {
						logins.Add(1)
						_, _ = c.Write(disconnectPacket)
					}
					_ = c.Close()
				}
			})
		}
		for logins.Load() < devices {
			time.Sleep(time.Millisecond)
		}
		select {
		case <-closing(b):
		case <-time.After(wait):
			r := string(testwatch.Report(wait))
			t.Fatalf("round %d: Close has not returned after %s, with %d logins; where the goroutines wait:\n%s", round, wait, logins.Load(), r[strings.Index(r, "testwatch: where"):])
		}
		close(stop)
		wg.Wait()
		hs.Close()
	}
}

// TestCloseTakesNoClientListLock: Close does not wait for mochi's client
// list. Here a reader holds the list and a writer waits for it, so that
// any new reader waits too; Close must still return. (mochi's own
// disconnection of a listener's clients reads the list, and takes its
// read lock twice: a writer arriving between the two deadlocked Close.)
func TestCloseTakesNoClientListLock(t *testing.T) {
	b, err := New(Options{Registry: testRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	_, _, hs := listenBoth(t, b)
	defer hs.Close()
	b.srv.Clients.RLock()
	writing := make(chan struct{})
	go func() {
		b.srv.Clients.Lock() // waits for the reader above
		close(writing)
		b.srv.Clients.Unlock()
	}()
	// Wait until the writer waits: a new reader is then refused.
	for b.srv.Clients.TryRLock() {
		b.srv.Clients.RUnlock()
		time.Sleep(time.Millisecond)
	}
	closed := closing(b)
	select {
	case <-closed:
	case <-time.After(wait):
		t.Errorf("Close has not returned after %s while mochi's client list is locked", wait)
	}
	b.srv.Clients.RUnlock()
	<-writing
	<-closed
}

// closing calls b.Close in a goroutine; the channel is closed once it has
// returned.
func closing(b *Broker) <-chan struct{} {
	closed := make(chan struct{})
	go func() {
		b.Close()
		close(closed)
	}()
	return closed
}
