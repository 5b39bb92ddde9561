package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/onenet-wasm/onenet-wasm/bridge"
	"github.com/onenet-wasm/onenet-wasm/broker"
	"github.com/onenet-wasm/onenet-wasm/server"
	"github.com/onenet-wasm/onenet-wasm/token"
)

// restartable is the local server on a fixed 127.0.0.1 port that a test
// can stop (broker closed, port closed: the page sees connections refused)
// and start again as a new server.Server with the same configuration.
type restartable struct {
	e    *env
	cfg  server.Config
	addr string
	logs []*logBuffer // one per start
	hold func()       // releases the port held while stopped (holdPort)
}

// holdPort binds a socket to addr (host:port, IPv4) without listening: the
// port stays the test's while its server is stopped, for the port came
// from the ephemeral range, and any connection on the machine (the other
// packages' tests run alongside) could otherwise get it as its local port
// and keep the server from listening again. A bound socket that does not
// listen is not offered connections: they are refused, as by a closed port.
func holdPort(addr string) (func(), error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, err
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return nil, err
	}
	syscall.CloseOnExec(fd) // not for the browser or nginx the tests start
	// As a Go listener does: the server's connections in TIME_WAIT do
	// not keep this socket, or the next listener, from the port.
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	return func() { syscall.Close(fd) }, nil
}

// newRestartableEnv is newEnv with a server that can be restarted.
func newRestartableEnv(t *testing.T, cfg server.Config) (*env, *restartable) {
	t.Helper()
	if cfg.Registry == nil {
		cfg.Registry = testRegistry()
	}
	if cfg.Files == nil {
		cfg.Files = os.DirFS(webDir(t))
	}
	cfg.Limits.Disabled = true
	e := &env{t: t}
	r := &restartable{e: e, cfg: cfg, addr: "127.0.0.1:0"}
	r.start()
	r.addr = e.http.Listener.Addr().String()
	e.ctx, e.cancel = newBrowser(t)
	t.Cleanup(func() {
		e.cancel()
		r.stop()
		if r.hold != nil {
			r.hold()
		}
		if t.Failed() {
			for i, l := range r.logs {
				t.Logf("server log (start %d):\n%s", i+1, l.String())
			}
		}
	})
	return e, r
}

// start starts a new server.Server on the address.
func (r *restartable) start() {
	t := r.e.t
	t.Helper()
	logs := &logBuffer{}
	cfg := r.cfg
	cfg.Logf = logs.Logf
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var ln net.Listener
	for i := 0; ; i++ { // the port was just closed: it may take a moment
		if ln, err = net.Listen("tcp", r.addr); err == nil || i == 50 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("listen again on %s: %v", r.addr, err)
	}
	// The listener shares the port with the socket that held it
	// (SO_REUSEADDR, which does not listen), so it is let go only now.
	if r.hold != nil {
		r.hold()
		r.hold = nil
	}
	hs := httptest.NewUnstartedServer(srv.Handler())
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	r.e.srv, r.e.http, r.e.logs = srv, hs, logs
	r.logs = append(r.logs, logs)
}

// stop closes the broker (devices see the connection end) and the port,
// which it holds (holdPort) until start.
func (r *restartable) stop() {
	if r.e.srv == nil {
		return
	}
	r.e.srv.Close()
	r.e.http.Close()
	r.e.srv, r.e.http = nil, nil
	hold, err := holdPort(r.addr)
	if err != nil {
		r.e.t.Logf("holding %s while the server is stopped: %v", r.addr, err)
		return
	}
	r.hold = hold
}

// recordTokens wraps onenet.token in the page so that the test sees every
// token the page computes (window.__tokens).
func (e *env) recordTokens() {
	e.t.Helper()
	eval[bool](e, `(() => { window.__tokens = []; const orig = onenet.token; onenet.token = (o) => { const t = orig(o); window.__tokens.push(t); return t }; return true })()`)
}

// tokens returns the tokens the page computed since recordTokens.
func (e *env) tokens() []string {
	e.t.Helper()
	var out []string
	if err := json.Unmarshal([]byte(eval[string](e, `JSON.stringify(window.__tokens)`)), &out); err != nil {
		e.t.Fatal(err)
	}
	return out
}

func maxET(t *testing.T, toks []string) int64 {
	t.Helper()
	var m int64
	for _, s := range toks {
		p, err := token.Parse(s)
		if err != nil {
			t.Fatalf("the page computed a token that does not parse: %v", err)
		}
		m = max(m, p.ET)
	}
	return m
}

const (
	stateIs      = `document.getElementById("conn-state").dataset.state === %q`
	acceptedPubs = `document.querySelectorAll("#pub-history li.accepted").length`
)

// TestBrokerRestart: the broker restarts while the page is connected with a
// token valid for a few seconds only. The page shows "reconnecting", keeps
// the publishes the user makes meanwhile, logs in again with a fresh token
// (the first has expired by then: the broker would refuse it with 1104),
// subscribes again, and the queued QoS 1 publishes are delivered and
// answered on /accepted.
func TestBrokerRestart(t *testing.T) {
	e, r := newRestartableEnv(t, server.Config{})
	e.open("/")
	e.recordTokens()
	e.set("ttlUnit", "3600") // hours, first: every token the page computes is short-lived
	e.set("ttl", "0.002")    // a token valid for 7 s
	e.connectLocal(deviceKey)
	e.waitJS(fmt.Sprintf(stateIs, "connected"), "connected")
	first := maxET(t, e.tokens())
	e.set("sub-preset", "dp/post/json/+")
	e.click("subscribe")
	e.waitJS(`document.querySelectorAll("#subs li").length === 1`, "the subscription")
	e.set("pub-kind", "dp/post/json")
	e.click("tab-builder")
	e.click("publish")
	e.waitJS(acceptedPubs+` === 1`, "the first publish to be accepted")

	// Let the login token expire: a reconnection with it would be refused.
	for time.Now().Unix() <= first+1 {
		time.Sleep(200 * time.Millisecond)
	}
	firstToken := e.tokens()[0]
	if _, err := token.Verify(firstToken, deviceKey, token.VerifyOptions{Now: time.Now()}); err == nil {
		t.Fatalf("the first token (et %d) has not expired at %d", first, time.Now().Unix())
	}

	r.stop()
	e.waitJS(fmt.Sprintf(stateIs, "reconnecting"), "the page to show it is reconnecting")
	if s := e.text("conn-state"); !strings.Contains(strings.ToLower(s), "reconnecting") {
		t.Errorf("state text %q does not say reconnecting", s)
	}
	if s := e.text("conn-msgs"); s == "" {
		t.Error("no reason shown for the lost connection")
	}
	// Two QoS 1 publishes during the outage: queued, not refused.
	e.click("publish")
	e.click("publish")
	e.waitJS(`document.querySelectorAll("#pub-history li").length === 3`, "the publishes made while reconnecting to be listed")
	if n := eval[int](e, `document.querySelectorAll("#pub-history li.failed").length`); n != 0 {
		t.Fatalf("publishes made while reconnecting failed: %s", e.text("pub-history"))
	}

	r.start()
	e.waitJS(fmt.Sprintf(stateIs, "connected"), "the page to reconnect")
	e.waitJS(acceptedPubs+` === 3`, "the publishes made during the outage to be acknowledged and answered on /accepted")
	// The new broker got them, and the subscription was restored (the
	// /accepted replies go only to subscribers).
	if pts := e.srv.Broker().Datapoints(productID, deviceName); len(pts["temperature"]) != 2 {
		t.Errorf("the restarted broker stored %v, want the 2 queued uploads", pts)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "login accepted: device "+productID+"/"+deviceName) || strings.Contains(logs, "login refused") {
		t.Errorf("second login not accepted at first try:\n%s", logs)
	}
	if after := maxET(t, e.tokens()); after <= first {
		t.Errorf("no fresh token after the restart: et %d, first login's %d", after, first)
	}
	if s := e.text("subs"); !strings.Contains(s, "dp/post/json/+") {
		t.Errorf("subscriptions after reconnecting: %q", s)
	}
}

// TestRelayTargetGoesAway: the page is connected through the relay
// (/bridge?target=127.0.0.1:PORT) to a plain TCP broker; that broker stops:
// the page says the connection was lost and why, and reconnects when a
// broker listens on the port again.
func TestRelayTargetGoesAway(t *testing.T) {
	startTarget := func(addr string) (*broker.Broker, string) {
		b, err := broker.New(broker.Options{Registry: testRegistry(), Limits: broker.RateLimits{Disabled: true}})
		if err != nil {
			t.Fatal(err)
		}
		var a net.Addr
		for i := 0; ; i++ {
			if a, err = b.ListenTCP(addr); err == nil || i == 50 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			b.Close()
			t.Fatalf("target broker on %s: %v", addr, err)
		}
		return b, a.String()
	}
	target, addr := startTarget("127.0.0.1:0")
	var current atomic.Pointer[broker.Broker]
	current.Store(target)
	t.Cleanup(func() { current.Load().Close() })

	e := newEnv(t, server.Config{BridgeTargets: []bridge.Target{{Addr: addr}}})
	e.open("/")
	e.set("resKind", "device")
	e.set("productId", productID)
	e.set("deviceName", deviceName)
	e.set("key", deviceKey)
	e.check("input[name=etMode][value=ttl]", true)
	e.check("input[name=target][value=url]", true)
	e.set("url", "ws"+strings.TrimPrefix(e.http.URL, "http")+"/bridge?target="+addr)
	e.check("#cred-auto", true)
	e.click("connect")
	e.waitJS(fmt.Sprintf(stateIs, "connected"), "connected through the relay")
	e.set("sub-filter", "$sys/"+productID+"/"+deviceName+"/dp/post/json/+")
	e.click("subscribe")
	e.waitJS(`document.querySelectorAll("#subs li").length === 1`, "the subscription")
	e.set("pub-kind", "dp/post/json")
	e.click("tab-builder")
	e.click("publish")
	e.waitJS(acceptedPubs+` === 1`, "the publish through the relay to be accepted")

	target.Close()
	e.waitJS(fmt.Sprintf(stateIs, "reconnecting"), "the page to notice the target went away")
	// The relay closes the page's WebSocket with a reason (bridge doc:
	// "closed the connection", "cannot reach …: connection refused").
	e.waitJS(`/cannot reach|closed the connection|connection lost|lost/i.test(document.getElementById("conn-msgs").textContent)`, "the page to say the connection was lost")
	t.Logf("page while the target is down: %s / %s", e.text("conn-state"), e.text("conn-msgs"))
	e.waitJS(`/attempt|cannot reach|refused/i.test(document.getElementById("conn-msgs").textContent)`, "a failed reconnection attempt to be explained")
	t.Logf("after a failed attempt: %s", e.text("conn-msgs"))

	again, _ := startTarget(addr)
	current.Store(again)
	e.waitJS(fmt.Sprintf(stateIs, "connected"), "the page to reconnect once the target is back")
	e.click("publish")
	e.waitJS(acceptedPubs+` === 2`, "a publish after the reconnection to be accepted (subscription restored)")
}
