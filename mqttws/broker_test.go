//go:build !js

package mqttws

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// wait is the generous bound on anything a test waits for; nothing in these
// tests should take more than a fraction of it, even on a loaded machine.
const wait = 20 * time.Second

// testBroker is an in-process mochi broker with a WebSocket listener on a
// free loopback port.
type testBroker struct {
	srv  *mqtt.Server
	addr string // host:port of the WebSocket listener
	url  string // ws:// URL of the WebSocket listener
	auth *authHook
}

// authHook allows every login except the password "bad" (mochi answers
// CONNACK 5) and every topic except those under "forbidden/" or the prefix
// in refuse (SUBACK 0x80, or a disconnection for a QoS>0 publish). It
// records the passwords it was shown. The first QoS>0 publish to
// "drop/once" is not acknowledged and its connection is dropped.
type authHook struct {
	mqtt.HookBase
	mu        sync.Mutex
	passwords []string
	refuse    atomic.Value // string: a topic prefix to refuse as well
	dropped   atomic.Bool
}

func (h *authHook) ID() string { return "test-auth" }

func (h *authHook) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck || b == mqtt.OnPublish
}

func (h *authHook) OnConnectAuthenticate(_ *mqtt.Client, pk packets.Packet) bool {
	pw := string(pk.Connect.Password)
	h.mu.Lock()
	h.passwords = append(h.passwords, pw)
	h.mu.Unlock()
	return pw != "bad"
}

func (h *authHook) OnACLCheck(_ *mqtt.Client, topic string, _ bool) bool {
	if p, _ := h.refuse.Load().(string); p != "" && strings.HasPrefix(topic, p) {
		return false
	}
	return !strings.HasPrefix(topic, "forbidden/")
}

func (h *authHook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if pk.TopicName == "drop/once" && pk.FixedHeader.Qos > 0 && h.dropped.CompareAndSwap(false, true) {
		go cl.Stop(io.ErrUnexpectedEOF)
		return pk, packets.ErrRejectPacket
	}
	return pk, nil
}

func (h *authHook) seen() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.passwords...)
}

func newBroker(t testing.TB) *testBroker {
	t.Helper()
	b := &testBroker{auth: &authHook{}}
	b.srv = mqtt.New(&mqtt.Options{
		InlineClient: true,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err := b.srv.AddHook(b.auth, nil); err != nil {
		t.Fatal(err)
	}
	// mochi's WebSocket listener binds the address it is given and cannot
	// report the port it got, so find a free port first.
	b.addr = freeAddr(t)
	b.url = "ws://" + b.addr + "/mqtt"
	if err := b.srv.AddListener(listeners.NewWebsocket(listeners.Config{ID: "ws", Address: b.addr})); err != nil {
		t.Fatal(err)
	}
	if err := b.srv.Serve(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeBroker(b.srv) })
	deadline := time.Now().Add(wait)
	for {
		c, err := net.Dial("tcp", b.addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("broker did not start listening on %s: %v", b.addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return b
}

// closeBroker closes srv once its clients have gone. mochi v2.7.9 can
// deadlock in Close when a client is removed at the same moment
// (Clients.GetByListener read-locks twice, and a waiting writer blocks the
// second read lock), so let disconnections finish first.
func closeBroker(srv *mqtt.Server) {
	deadline := time.Now().Add(wait)
	for atomic.LoadInt64(&srv.Info.ClientsConnected) > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	srv.Close()
}

// freeAddr returns a loopback address with a port nothing listens on.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// dropClient closes a client's connection from the broker's side.
func (b *testBroker) dropClient(t testing.TB, id string) {
	t.Helper()
	cl, ok := b.srv.Clients.Get(id)
	if !ok {
		t.Fatalf("broker has no client %q", id)
	}
	cl.Stop(io.ErrUnexpectedEOF)
}

// proxy is a TCP relay in front of the broker that can cut its connections
// and refuse new ones, to make outages.
type proxy struct {
	ln     net.Listener
	target string
	url    string
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	down   bool
	wg     sync.WaitGroup
}

func newProxy(t testing.TB, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, url: "ws://" + ln.Addr().String() + "/mqtt", conns: make(map[net.Conn]struct{})}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.setDown(true)
		p.wg.Wait()
	})
	return p
}

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go p.relay(c)
	}
}

func (p *proxy) relay(c net.Conn) {
	defer p.wg.Done()
	defer p.forget(c)
	u, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		u.Close()
		return
	}
	p.conns[u] = struct{}{}
	p.mu.Unlock()
	defer p.forget(u)
	done := make(chan struct{}, 2)
	go func() { io.Copy(u, c); done <- struct{}{} }()
	go func() { io.Copy(c, u); done <- struct{}{} }()
	<-done
	c.Close()
	u.Close()
	<-done
}

func (p *proxy) forget(c net.Conn) {
	c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// setDown(true) cuts every connection and refuses new ones until setDown(false).
func (p *proxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
	}
}

// states records the events given to OnState.
type states struct {
	mu     sync.Mutex
	events []StateEvent
	ch     chan StateEvent
}

func newStates() *states { return &states{ch: make(chan StateEvent, 1000)} }

func (s *states) on(ev StateEvent) {
	s.mu.Lock()
	s.events = append(s.events, ev)
	s.mu.Unlock()
	s.ch <- ev
}

func (s *states) all() []StateEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]StateEvent(nil), s.events...)
}

// next waits for an event accepted by match and returns it.
func (s *states) next(t testing.TB, what string, match func(StateEvent) bool) StateEvent {
	t.Helper()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case ev := <-s.ch:
			if match(ev) {
				return ev
			}
		case <-timer.C:
			t.Fatalf("no %s event; events so far: %+v", what, s.all())
		}
	}
}

func (s *states) waitState(t testing.TB, st State) StateEvent {
	t.Helper()
	return s.next(t, string(st), func(ev StateEvent) bool { return ev.State == st })
}

// inbox collects received messages.
type inbox struct {
	ch chan Message
}

func newInbox() *inbox { return &inbox{ch: make(chan Message, 10000)} }

func (b *inbox) on(m Message) { b.ch <- m }

func (b *inbox) next(t testing.TB) Message {
	t.Helper()
	select {
	case m := <-b.ch:
		return m
	case <-time.After(wait):
		t.Fatal("no message arrived")
		return Message{}
	}
}

// dial connects with a test deadline and closes the client at cleanup.
func dial(t testing.TB, url string, o *Options) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, err := Dial(ctx, url, o)
	if err != nil {
		t.Fatalf("Dial(%s): %v", url, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return ctx
}

// eventually polls cond until it holds.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var clientSeq atomic.Int64

// newID returns a client ID unique within the test binary.
func newID(prefix string) string {
	return prefix + "-" + strconv.FormatInt(clientSeq.Add(1), 10)
}
