//go:build !js

package mqttws

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestConnect(t *testing.T) {
	b := newBroker(t)
	st := newStates()
	c := dial(t, b.url, &Options{ClientID: newID("connect"), Username: "u", Password: "p", OnState: st.on})
	if got := c.State(); got != StateConnected {
		t.Errorf("State() = %q, want %q", got, StateConnected)
	}
	st.waitState(t, StateConnecting)
	if ev := st.waitState(t, StateConnected); ev.Err != nil || ev.Reason == "" {
		t.Errorf("connected event = %+v, want a reason and no error", ev)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close() = %v", err)
	}
	if ev := st.waitState(t, StateClosed); ev.Err != nil {
		t.Errorf("closed event after Close has Err = %v, want nil", ev.Err)
	}
	if got := c.State(); got != StateClosed {
		t.Errorf("State() after Close = %q, want %q", got, StateClosed)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close() = %v", err)
	}
	err := c.Publish(testCtx(t), "a", nil, 0, false)
	if !errors.Is(err, ErrClosed) {
		t.Errorf("Publish after Close = %v, want ErrClosed", err)
	}
	if _, err := c.Subscribe(testCtx(t), "a", 0); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscribe after Close = %v, want ErrClosed", err)
	}
}

func TestLoginRefused(t *testing.T) {
	b := newBroker(t)
	servers := newBadServers(t)
	for _, tc := range []struct {
		name string
		url  string
		code byte
		want []string
	}{
		// mochi answers a refused password with 5 (not authorized).
		{"mochi", b.url, 5, []string{"CONNACK 5", "not authorized"}},
		// OneNET answers any token problem with 4.
		{"OneNET-like", servers.connack4, 4, []string{"CONNACK 4", "bad user name or password", "token"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := newStates()
			_, err := Dial(testCtx(t), tc.url, &Options{ClientID: newID("refused"), Username: "u", Password: "bad", OnState: st.on})
			var ce *ConnectError
			if !errors.As(err, &ce) || ce.Code != tc.code {
				t.Fatalf("Dial with a bad password = %v, want *ConnectError code %d", err, tc.code)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) || !strings.Contains(Explain(err), want) {
					t.Errorf("error %q / Explain %q: want %q in both", err, Explain(err), want)
				}
			}
			// OnState hears the whole story before Dial returns.
			evs := st.all()
			if len(evs) != 2 || evs[0].State != StateConnecting || evs[1].State != StateClosed || !errors.As(evs[1].Err, &ce) {
				t.Errorf("events = %+v, want connecting, then closed with the *ConnectError", evs)
			}
		})
	}
}

func TestPasswordFuncError(t *testing.T) {
	b := newBroker(t)
	boom := errors.New("no key entered")
	_, err := Dial(testCtx(t), b.url, &Options{
		Username:     "u",
		PasswordFunc: func(context.Context) (string, error) { return "", boom },
	})
	var pe *PasswordError
	if !errors.As(err, &pe) || !errors.Is(err, boom) {
		t.Fatalf("Dial = %v, want *PasswordError wrapping %v", err, boom)
	}
	if got := Explain(err); !strings.Contains(got, "no key entered") {
		t.Errorf("Explain = %q", got)
	}
}

func TestRoundTrip(t *testing.T) {
	b := newBroker(t)
	box := newInbox()
	sub := dial(t, b.url, &Options{ClientID: newID("sub"), OnMessage: box.on})
	pub := dial(t, b.url, &Options{ClientID: newID("pub")})
	ctx := testCtx(t)
	for _, tc := range []struct {
		pubQoS, subQoS, want byte
	}{
		{0, 0, 0}, {1, 1, 1}, {2, 2, 2},
		{2, 1, 1}, // delivered at the lower of the two
		{1, 2, 1},
	} {
		filter := fmt.Sprintf("rt/%d/%d/+", tc.pubQoS, tc.subQoS)
		granted, err := sub.Subscribe(ctx, filter, tc.subQoS)
		if err != nil || granted != tc.subQoS {
			t.Fatalf("Subscribe(%q, %d) = %d, %v", filter, tc.subQoS, granted, err)
		}
		topic := fmt.Sprintf("rt/%d/%d/x", tc.pubQoS, tc.subQoS)
		payload := []byte("hello " + topic)
		if err := pub.Publish(ctx, topic, payload, tc.pubQoS, false); err != nil {
			t.Fatalf("Publish(%q, QoS %d): %v", topic, tc.pubQoS, err)
		}
		m := box.next(t)
		if m.Topic != topic || !bytes.Equal(m.Payload, payload) || m.QoS != tc.want || m.Retained || m.ReceivedAt.IsZero() {
			t.Errorf("published QoS %d to a QoS %d subscription: got %+v, want topic %q payload %q QoS %d",
				tc.pubQoS, tc.subQoS, m, topic, payload, tc.want)
		}
	}
}

func TestOrder(t *testing.T) {
	b := newBroker(t)
	box := newInbox()
	sub := dial(t, b.url, &Options{OnMessage: box.on})
	pub := dial(t, b.url, nil)
	ctx := testCtx(t)
	if _, err := sub.Subscribe(ctx, "order", 1); err != nil {
		t.Fatal(err)
	}
	const n = 300
	for i := range n {
		if err := pub.Publish(ctx, "order", []byte(fmt.Sprint(i)), byte(i%2), false); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		if m := box.next(t); string(m.Payload) != fmt.Sprint(i) {
			t.Fatalf("message %d has payload %q: delivered out of order", i, m.Payload)
		}
	}
}

func TestRetain(t *testing.T) {
	b := newBroker(t)
	pub := dial(t, b.url, nil)
	ctx := testCtx(t)
	if err := pub.Publish(ctx, "retain/a", []byte("kept"), 1, true); err != nil {
		t.Fatal(err)
	}
	// mochi sends PUBACK before it hands a message to subscribers; the PUBACK
	// of the next publish from the same client shows it has.
	if err := pub.Publish(ctx, "sync", nil, 1, false); err != nil {
		t.Fatal(err)
	}
	box := newInbox()
	sub := dial(t, b.url, &Options{OnMessage: box.on})
	if _, err := sub.Subscribe(ctx, "retain/#", 1); err != nil {
		t.Fatal(err)
	}
	if m := box.next(t); m.Topic != "retain/a" || string(m.Payload) != "kept" || !m.Retained {
		t.Errorf("got %+v, want the retained message", m)
	}
	// A live message is not marked retained.
	if err := pub.Publish(ctx, "retain/b", []byte("live"), 1, false); err != nil {
		t.Fatal(err)
	}
	if m := box.next(t); m.Topic != "retain/b" || m.Retained {
		t.Errorf("got %+v, want the live message, not retained", m)
	}
}

func TestUnsubscribe(t *testing.T) {
	b := newBroker(t)
	box := newInbox()
	sub := dial(t, b.url, &Options{OnMessage: box.on})
	pub := dial(t, b.url, nil)
	ctx := testCtx(t)
	for _, f := range []string{"unsub/a", "unsub/marker"} {
		if _, err := sub.Subscribe(ctx, f, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := sub.Unsubscribe(ctx, "unsub/a"); err != nil {
		t.Fatalf("Unsubscribe: %v", err)
	}
	if err := pub.Publish(ctx, "unsub/a", []byte("unwanted"), 1, false); err != nil {
		t.Fatal(err)
	}
	// Messages from one publisher arrive in order, so once the marker is
	// here the unwanted message would have been too.
	if err := pub.Publish(ctx, "unsub/marker", []byte("marker"), 1, false); err != nil {
		t.Fatal(err)
	}
	if m := box.next(t); m.Topic != "unsub/marker" {
		t.Errorf("got %+v after Unsubscribe, want only the marker", m)
	}
	if err := sub.Unsubscribe(ctx); err != nil {
		t.Errorf("Unsubscribe() with no filters = %v", err)
	}
}

func TestSubscribeRefused(t *testing.T) {
	b := newBroker(t)
	c := dial(t, b.url, nil)
	granted, err := c.Subscribe(testCtx(t), "forbidden/x", 1)
	var se *SubscribeError
	if !errors.As(err, &se) || se.Filter != "forbidden/x" || se.Code != 0x80 || granted != 0x80 {
		t.Fatalf("Subscribe to a forbidden filter = %#x, %v; want 0x80 and *SubscribeError", granted, err)
	}
	if !strings.Contains(Explain(err), "SUBACK 0x80") {
		t.Errorf("Explain = %q", Explain(err))
	}
	// The client is still usable.
	if _, err := c.Subscribe(testCtx(t), "allowed/x", 1); err != nil {
		t.Errorf("Subscribe after a refusal: %v", err)
	}
}

func TestLargePayload(t *testing.T) {
	b := newBroker(t)
	box := newInbox()
	c := dial(t, b.url, &Options{OnMessage: box.on})
	ctx := testCtx(t)
	if _, err := c.Subscribe(ctx, "big", 1); err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, 256<<10)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	if err := c.Publish(ctx, "big", payload, 1, false); err != nil {
		t.Fatalf("Publish 256 KB: %v", err)
	}
	if m := box.next(t); !bytes.Equal(m.Payload, payload) {
		t.Errorf("received %d bytes, not the %d published", len(m.Payload), len(payload))
	}
}

func TestConcurrentPublishers(t *testing.T) {
	b := newBroker(t)
	var got sync.Map
	var n atomic.Int64
	sub := dial(t, b.url, &Options{OnMessage: func(m Message) {
		if _, dup := got.LoadOrStore(string(m.Payload), true); !dup {
			n.Add(1)
		}
	}})
	ctx := testCtx(t)
	if _, err := sub.Subscribe(ctx, "conc/#", 1); err != nil {
		t.Fatal(err)
	}
	pub := dial(t, b.url, &Options{MaxInflight: 4})
	const workers, each = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				qos := byte((w + i) % 3)
				topic := fmt.Sprintf("conc/%d", w)
				if err := pub.Publish(ctx, topic, fmt.Appendf(nil, "%d-%d", w, i), qos, false); err != nil {
					errs <- err
				}
			}
		})
	}
	// Subscribing and receiving at the same time.
	wg.Go(func() {
		for i := range 20 {
			if _, err := pub.Subscribe(ctx, fmt.Sprintf("other/%d", i), 1); err != nil {
				errs <- err
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// QoS 0 may in principle be lost; on loopback it is not, and QoS 1/2 must all arrive.
	eventually(t, "all messages", func() bool { return n.Load() == workers*each })
}

func TestSlowOnMessage(t *testing.T) {
	b := newBroker(t)
	release := make(chan struct{})
	var delivered atomic.Int64
	slow := dial(t, b.url, &Options{QueueSize: 4, OnMessage: func(m Message) {
		<-release
		delivered.Add(1)
	}})
	ctx := testCtx(t)
	if _, err := slow.Subscribe(ctx, "slow", 1); err != nil {
		t.Fatal(err)
	}
	pub := dial(t, b.url, nil)
	const n = 100
	for i := range n {
		if err := pub.Publish(ctx, "slow", []byte(fmt.Sprint(i)), 1, false); err != nil {
			t.Fatal(err)
		}
	}
	// OnMessage is stuck in the first message, 4 wait in the queue, the rest are dropped.
	eventually(t, "drops", func() bool { return slow.Dropped() == n-5 })
	// The client still works while OnMessage is stuck.
	if _, err := slow.Subscribe(ctx, "slow/other", 1); err != nil {
		t.Errorf("Subscribe while OnMessage is stuck: %v", err)
	}
	if err := slow.Publish(ctx, "elsewhere", []byte("x"), 1, false); err != nil {
		t.Errorf("Publish while OnMessage is stuck: %v", err)
	}
	close(release)
	eventually(t, "the queued messages", func() bool { return delivered.Load() == 5 })
	if got := slow.Dropped(); got != n-5 {
		t.Errorf("Dropped() = %d, want %d", got, n-5)
	}
}

// TestReconnect drops the client's connection from the broker's side: the
// client logs in again with a fresh password and restores its subscriptions.
func TestReconnect(t *testing.T) {
	b := newBroker(t)
	st := newStates()
	box := newInbox()
	var calls atomic.Int64
	id := newID("reconnect")
	c := dial(t, b.url, &Options{
		ClientID: id, Username: "product", AutoReconnect: true, MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		PasswordFunc: func(ctx context.Context) (string, error) {
			return fmt.Sprintf("pw-%d", calls.Add(1)), nil
		},
		OnState: st.on, OnMessage: box.on,
	})
	ctx := testCtx(t)
	for _, f := range []string{"re/a", "re/b/+"} {
		if _, err := c.Subscribe(ctx, f, 1); err != nil {
			t.Fatal(err)
		}
	}
	st.waitState(t, StateConnected)

	b.dropClient(t, id)
	ev := st.waitState(t, StateReconnecting)
	var le *ConnectionLostError
	if !errors.As(ev.Err, &le) || ev.Reason == "" || ev.Backoff != 10*time.Millisecond {
		t.Errorf("reconnecting event = %+v, want a *ConnectionLostError, a reason and the first backoff (10ms)", ev)
	}
	ev = st.waitState(t, StateConnected)
	if !strings.Contains(ev.Reason, "2 filter") || ev.Resubscribed != 2 {
		t.Errorf("connected event after reconnecting = %+v, want 2 filters resubscribed", ev)
	}
	if got := calls.Load(); got != 2 {
		t.Errorf("PasswordFunc called %d times, want 2", got)
	}
	if seen := b.auth.seen(); seen[len(seen)-1] != "pw-2" {
		t.Errorf("broker saw passwords %q, want the fresh pw-2 last", seen)
	}
	pub := dial(t, b.url, nil)
	for _, topic := range []string{"re/a", "re/b/c"} {
		if err := pub.Publish(ctx, topic, []byte("after"), 1, false); err != nil {
			t.Fatal(err)
		}
		if m := box.next(t); m.Topic != topic {
			t.Errorf("after reconnecting got %+v, want a message on %q", m, topic)
		}
	}
	if err := c.Publish(ctx, "re/a", []byte("own"), 1, false); err != nil {
		t.Errorf("Publish after reconnecting: %v", err)
	}
}

// TestOutageOwnPublishes: QoS 1 publishes made while the broker is
// unreachable wait and are delivered once the client reconnects.
func TestOutageOwnPublishes(t *testing.T) {
	b := newBroker(t)
	p := newProxy(t, b.addr)
	st := newStates()
	c := dial(t, p.url, &Options{
		ClientID: newID("outage"), AutoReconnect: true, MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		OnState: st.on,
	})
	box := newInbox()
	sub := dial(t, b.url, &Options{OnMessage: box.on}) // not through the proxy
	ctx := testCtx(t)
	if _, err := sub.Subscribe(ctx, "outage/#", 1); err != nil {
		t.Fatal(err)
	}

	p.setDown(true)
	st.waitState(t, StateReconnecting)
	const n = 20
	results := make(chan error, n+1)
	for i := range n {
		go func() { results <- c.Publish(ctx, fmt.Sprintf("outage/%d", i), []byte("queued"), 1, false) }()
	}
	go func() { // subscribing waits too
		_, err := c.Subscribe(ctx, "outage-sub", 1)
		results <- err
	}()
	// Let reconnection fail at least twice while the publishes wait.
	ev := st.next(t, "failed attempt", func(ev StateEvent) bool { return ev.Attempt >= 2 })
	if ev.Err == nil || c.State() != StateReconnecting {
		t.Errorf("failed attempt event = %+v, state %q", ev, c.State())
	}
	select {
	case err := <-results:
		t.Fatalf("a Publish returned (%v) while the broker was unreachable", err)
	default:
	}

	p.setDown(false)
	for range n + 1 {
		if err := <-results; err != nil {
			t.Errorf("Publish or Subscribe made during the outage: %v", err)
		}
	}
	seen := make(map[string]bool)
	for range n {
		seen[box.next(t).Topic] = true
	}
	if len(seen) != n {
		t.Errorf("received %d distinct topics, want %d", len(seen), n)
	}
}

// TestOutageOthersPublishes: QoS 1 messages other clients publish during an
// outage reach a persistent session after it reconnects, and are lost to a
// clean session.
func TestOutageOthersPublishes(t *testing.T) {
	for _, persistent := range []bool{true, false} {
		t.Run(fmt.Sprintf("persistent=%v", persistent), func(t *testing.T) {
			b := newBroker(t)
			p := newProxy(t, b.addr)
			st := newStates()
			box := newInbox()
			c := dial(t, p.url, &Options{
				ClientID: newID("away"), PersistentSession: persistent,
				AutoReconnect: true, MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
				OnState: st.on, OnMessage: box.on,
			})
			ctx := testCtx(t)
			if _, err := c.Subscribe(ctx, "away/#", 1); err != nil {
				t.Fatal(err)
			}
			pub := dial(t, b.url, nil)

			p.setDown(true)
			st.waitState(t, StateReconnecting)
			// Wait until the broker has noticed the connection is gone.
			eventually(t, "the broker to see the client leave", func() bool {
				for _, cl := range b.srv.Clients.GetAll() {
					if strings.HasPrefix(cl.ID, "away-") && !cl.Closed() {
						return false
					}
				}
				return true
			})
			const n = 10
			for i := range n {
				if err := pub.Publish(ctx, fmt.Sprintf("away/%d", i), []byte("while away"), 1, false); err != nil {
					t.Fatal(err)
				}
			}
			p.setDown(false)
			st.waitState(t, StateConnected)
			if err := pub.Publish(ctx, "away/marker", []byte("marker"), 1, false); err != nil {
				t.Fatal(err)
			}
			var got []string
			for {
				m := box.next(t)
				if m.Topic == "away/marker" {
					break
				}
				got = append(got, m.Topic)
			}
			if persistent && len(got) != n {
				t.Errorf("persistent session: received %d of the %d messages published while away: %q", len(got), n, got)
			}
			if !persistent && len(got) != 0 {
				t.Errorf("clean session: received %q published while away, want none", got)
			}
		})
	}
}

// TestPublishResentAfterLoss: a QoS 1 publish whose connection drops
// before PUBACK is sent again after reconnecting.
func TestPublishResentAfterLoss(t *testing.T) {
	b := newBroker(t)
	st := newStates()
	box := newInbox()
	sub := dial(t, b.url, &Options{OnMessage: box.on})
	ctx := testCtx(t)
	if _, err := sub.Subscribe(ctx, "drop/#", 1); err != nil {
		t.Fatal(err)
	}
	c := dial(t, b.url, &Options{AutoReconnect: true, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, OnState: st.on})
	if err := c.Publish(ctx, "drop/once", []byte("persist"), 1, false); err != nil {
		t.Fatalf("Publish whose first connection dropped: %v", err)
	}
	if !b.auth.dropped.Load() {
		t.Fatal("the broker did not drop the first attempt")
	}
	st.waitState(t, StateReconnecting)
	if m := box.next(t); m.Topic != "drop/once" || string(m.Payload) != "persist" {
		t.Errorf("got %+v", m)
	}
}

// TestPoisonPublish: a publish the broker answers by disconnecting (as
// OneNET does for a forbidden topic) fails after 3 connections; the client
// recovers.
func TestPoisonPublish(t *testing.T) {
	b := newBroker(t)
	st := newStates()
	c := dial(t, b.url, &Options{AutoReconnect: true, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, OnState: st.on})
	ctx := testCtx(t)
	err := c.Publish(ctx, "forbidden/x", []byte("no"), 1, false)
	var le *ConnectionLostError
	if !errors.As(err, &le) {
		t.Fatalf("Publish to a topic that gets the client disconnected = %v, want *ConnectionLostError", err)
	}
	if got := Explain(err); !strings.Contains(got, "publish the platform forbids") {
		t.Errorf("Explain = %q", got)
	}
	lostConn := func(ev StateEvent) bool { return ev.State == StateReconnecting && ev.Attempt == 0 }
	for range maxSends {
		st.next(t, "lost connection", lostConn)
	}
	if err := c.Publish(ctx, "allowed", []byte("yes"), 1, false); err != nil {
		t.Errorf("Publish after giving up: %v", err)
	}
	var losses int
	for _, ev := range st.all() {
		if lostConn(ev) {
			losses++
		}
	}
	if losses != maxSends {
		t.Errorf("%d connections lost, want %d", losses, maxSends)
	}
}

// TestResubscribeRefused: a filter the broker refuses after a reconnection
// is reported and forgotten.
func TestResubscribeRefused(t *testing.T) {
	b := newBroker(t)
	st := newStates()
	id := newID("resub")
	c := dial(t, b.url, &Options{ClientID: id, AutoReconnect: true, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, OnState: st.on})
	ctx := testCtx(t)
	for _, f := range []string{"flip/a", "keep/a"} {
		if _, err := c.Subscribe(ctx, f, 1); err != nil {
			t.Fatal(err)
		}
	}
	st.waitState(t, StateConnected)
	b.auth.refuse.Store("flip/")
	b.dropClient(t, id)
	ev := st.next(t, "reconnection", func(ev StateEvent) bool { return ev.State == StateConnected })
	var se *SubscribeError
	if !errors.As(ev.Err, &se) || se.Filter != "flip/a" || !strings.Contains(ev.Reason, `"flip/a"`) {
		t.Errorf("connected event = %+v, want the refusal of flip/a", ev)
	}
	if ev.Resubscribed != 1 {
		t.Errorf("connected event: Resubscribed = %d, want 1 (keep/a; flip/a was refused)", ev.Resubscribed)
	}
	c.subMu.Lock()
	_, kept := c.subs["keep/a"]
	_, flipped := c.subs["flip/a"]
	c.subMu.Unlock()
	if !kept || flipped {
		t.Errorf("subscriptions after the refusal: keep/a %v, flip/a %v; want only keep/a", kept, flipped)
	}
}

func TestNoAutoReconnect(t *testing.T) {
	b := newBroker(t)
	st := newStates()
	id := newID("noreconnect")
	c := dial(t, b.url, &Options{ClientID: id, OnState: st.on})
	st.waitState(t, StateConnected)
	b.dropClient(t, id)
	ev := st.waitState(t, StateClosed)
	var le *ConnectionLostError
	if !errors.As(ev.Err, &le) {
		t.Errorf("closed event = %+v, want a *ConnectionLostError", ev)
	}
	err := c.Publish(testCtx(t), "x", nil, 1, false)
	if !errors.Is(err, ErrClosed) || !errors.As(err, &le) {
		t.Errorf("Publish after the connection was lost = %v, want ErrClosed wrapping *ConnectionLostError", err)
	}
	if got := Explain(err); !strings.HasPrefix(got, "Connection lost") {
		t.Errorf("Explain = %q", got)
	}
}

func TestCloseWhileReconnecting(t *testing.T) {
	b := newBroker(t)
	p := newProxy(t, b.addr)
	st := newStates()
	c := dial(t, p.url, &Options{AutoReconnect: true, MinBackoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, OnState: st.on})
	p.setDown(true)
	st.waitState(t, StateReconnecting)
	done := make(chan error)
	go func() { done <- c.Publish(context.Background(), "x", nil, 1, false) }()
	c.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Errorf("Publish waiting for a reconnection, then Close: %v, want ErrClosed", err)
	}
	st.waitState(t, StateClosed)
}

func TestContextEnds(t *testing.T) {
	b := newBroker(t)
	p := newProxy(t, b.addr)
	st := newStates()
	c := dial(t, p.url, &Options{AutoReconnect: true, MinBackoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, OnState: st.on})
	p.setDown(true)
	st.waitState(t, StateReconnecting)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := c.Publish(ctx, "x", nil, 1, false)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "reconnect") {
		t.Errorf("Publish with a short deadline while reconnecting = %v", err)
	}

	// Dial with a cancelled context.
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if _, err := Dial(ctx, b.url, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Dial with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestDialErrors(t *testing.T) {
	t.Parallel()
	servers := newBadServers(t)
	for _, tc := range []struct {
		name   string
		url    string
		kind   DialErrorKind
		status int
	}{
		{"wrong path", servers.notFound, KindHandshake, 404},
		{"no mqtt subprotocol", servers.noSubprotocol, KindSubprotocol, 0},
		{"another subprotocol", servers.subprotocol, KindSubprotocol, 0},
		{"nothing listening", "ws://" + freeAddr(t) + "/mqtt", KindRefused, 0},
		{"untrusted certificate", servers.tls, KindTLS, 0},
		{"no HTTP answer", servers.silentTCP, KindTimeout, 0}, // these two take ConnectTimeout
		{"no CONNACK", servers.silentMQTT, KindTimeout, 0},
		{"not MQTT", servers.garbage, KindProtocol, 0},
		{"closed after upgrade", servers.hangUp, KindClosed, 0},
		{"closed before upgrade", servers.closeTCP, KindClosed, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			timeout := wait
			if tc.kind == KindTimeout {
				timeout = time.Second
			}
			_, err := Dial(testCtx(t), tc.url, &Options{ConnectTimeout: timeout})
			var de *DialError
			if !errors.As(err, &de) {
				t.Fatalf("Dial(%s) = %v, want *DialError", tc.url, err)
			}
			if de.Kind != tc.kind || de.StatusCode != tc.status {
				t.Errorf("Dial(%s): kind %q status %d, want %q %d (%v)", tc.url, de.Kind, de.StatusCode, tc.kind, tc.status, err)
			}
			if got := Explain(err); len(got) < 20 || !strings.HasSuffix(got, ".") {
				t.Errorf("Explain = %q", got)
			}
			t.Logf("%v\n%s", err, Explain(err))
		})
	}
}

// TestConnectionOutlivesConnectTimeout: the timeout that bounds the
// WebSocket dial and the login does not bound the connection.
func TestConnectionOutlivesConnectTimeout(t *testing.T) {
	t.Parallel()
	b := newBroker(t)
	box := newInbox()
	const timeout = 2 * time.Second
	start := time.Now()
	c := dial(t, b.url, &Options{ConnectTimeout: timeout, OnMessage: box.on})
	time.Sleep(time.Until(start.Add(timeout + 200*time.Millisecond)))
	ctx := testCtx(t)
	if _, err := c.Subscribe(ctx, "later", 1); err != nil {
		t.Fatalf("Subscribe after ConnectTimeout has passed: %v", err)
	}
	if err := c.Publish(ctx, "later", []byte("x"), 1, false); err != nil {
		t.Fatalf("Publish after ConnectTimeout has passed: %v", err)
	}
	box.next(t)
	if got := c.State(); got != StateConnected {
		t.Errorf("State() = %q", got)
	}
}

func TestGoroutinesEndAfterClose(t *testing.T) {
	b := newBroker(t)
	p := newProxy(t, b.addr)
	pub := dial(t, b.url, nil)
	settle := func() int {
		// Goroutines of earlier work may still be ending: take the lowest count seen.
		n := runtime_NumGoroutine()
		for range 20 {
			time.Sleep(5 * time.Millisecond)
			n = min(n, runtime_NumGoroutine())
		}
		return n
	}
	before := settle()

	st := newStates()
	box := newInbox()
	c := dial(t, p.url, &Options{
		AutoReconnect: true, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
		OnState: st.on, OnMessage: box.on,
	})
	ctx := testCtx(t)
	if _, err := c.Subscribe(ctx, "leak", 1); err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(ctx, "leak", []byte("x"), 1, false); err != nil {
		t.Fatal(err)
	}
	box.next(t)
	p.setDown(true) // lose the connection, reconnect once
	st.waitState(t, StateReconnecting)
	p.setDown(false)
	st.waitState(t, StateConnected)
	if err := c.Publish(ctx, "leak", []byte("y"), 2, false); err != nil {
		t.Fatal(err)
	}
	box.next(t)
	c.Close()

	deadline := time.Now().Add(wait)
	for runtime_NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after Close, %d before Dial:\n%s", runtime_NumGoroutine(), before, allStacks())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
