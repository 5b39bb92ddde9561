//go:build !js

package mqttws

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"

	"github.com/coder/websocket"
)

// TestDialOption: Options.Dial opens the connection; what it returns
// carries MQTT; its errors become *DialErrors; killing the session closes
// its connection.
func TestDialOption(t *testing.T) {
	t.Parallel()
	b := newBroker(t)
	var dials atomic.Int32
	var last atomic.Pointer[net.Conn]
	dialFn := func(ctx context.Context, url string) (net.Conn, error) {
		dials.Add(1)
		ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"mqtt"}})
		if err != nil {
			return nil, err
		}
		nc := websocket.NetConn(context.Background(), ws, websocket.MessageBinary)
		last.Store(&nc)
		return nc, nil
	}
	box := newInbox()
	st := newStates()
	c := dial(t, b.url, &Options{Dial: dialFn, OnMessage: box.on, OnState: st.on, AutoReconnect: true, MinBackoff: 10e6})
	ctx := testCtx(t)
	if _, err := c.Subscribe(ctx, "dialopt", 1); err != nil {
		t.Fatal(err)
	}
	if err := c.Publish(ctx, "dialopt", []byte("x"), 1, false); err != nil {
		t.Fatal(err)
	}
	if m := box.next(t); string(m.Payload) != "x" {
		t.Errorf("received %q", m.Payload)
	}
	// The connection Dial returned breaks: the client reconnects with Dial.
	(*last.Load()).Close()
	st.waitState(t, StateReconnecting)
	st.waitState(t, StateConnected)
	if n := dials.Load(); n != 2 {
		t.Errorf("Dial called %d times, want 2", n)
	}

	// Errors: a *DialError is returned as it is, anything else is wrapped.
	want := &DialError{URL: b.url, Kind: KindBlocked}
	_, err := Dial(ctx, b.url, &Options{Dial: func(context.Context, string) (net.Conn, error) { return nil, want }})
	var de *DialError
	if !errors.As(err, &de) || de != want {
		t.Errorf("Dial with a failing Options.Dial = %v, want the *DialError it returned", err)
	}
	_, err = Dial(ctx, b.url, &Options{Dial: func(context.Context, string) (net.Conn, error) { return nil, errors.New("no") }})
	if !errors.As(err, &de) || de.Kind != KindNetwork {
		t.Errorf("Dial with Options.Dial failing = %v, want a *DialError of kind %q", err, KindNetwork)
	}
}
