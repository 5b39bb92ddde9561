//go:build js

package mqttws

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

// TestBrowser runs in a JavaScript WebSocket implementation (Node's, started
// by TestWasm in wasm_run_test.go) against a native broker whose URLs come in
// the environment.
func TestBrowser(t *testing.T) {
	broker := os.Getenv("MQTTWS_BROKER")
	if broker == "" {
		t.Skip("MQTTWS_BROKER not set; run TestWasm natively with MQTTWS_WASM_TEST=1")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	t.Run("round trip", func(t *testing.T) {
		got := make(chan Message, 10)
		c, err := Dial(ctx, broker, &Options{ClientID: "wasm", Username: "u", Password: "p", OnMessage: func(m Message) { got <- m }})
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		defer c.Close()
		if _, err := c.Subscribe(ctx, "wasm/#", 1); err != nil {
			t.Fatal(err)
		}
		payload := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KB
		for _, qos := range []byte{0, 1, 2} {
			if err := c.Publish(ctx, "wasm/x", payload, qos, false); err != nil {
				t.Fatalf("Publish QoS %d: %v", qos, err)
			}
			select {
			case m := <-got:
				if m.Topic != "wasm/x" || !bytes.Equal(m.Payload, payload) {
					t.Errorf("QoS %d: got %s with %d bytes", qos, m.Topic, len(m.Payload))
				}
			case <-ctx.Done():
				t.Fatalf("QoS %d: no message", qos)
			}
		}
	})
	t.Run("login refused", func(t *testing.T) {
		_, err := Dial(ctx, broker, &Options{Username: "u", Password: "bad"})
		var ce *ConnectError
		if !errors.As(err, &ce) {
			t.Errorf("Dial with a bad password = %v, want *ConnectError", err)
		}
	})
	// Browsers fire "error" then "close" (1006) when a WebSocket fails to
	// open, and coder/websocket returns net.ErrClosed: a *DialError of
	// KindClosed, CloseCode 1006. Node 20's WebSocket never fires "close"
	// then, so there the attempt can only time out.
	for _, env := range []string{"MQTTWS_REFUSED", "MQTTWS_NOTFOUND", "MQTTWS_NOSUBPROTOCOL"} {
		t.Run(env, func(t *testing.T) {
			_, err := Dial(ctx, os.Getenv(env), &Options{ConnectTimeout: 2 * time.Second})
			var de *DialError
			if !errors.As(err, &de) || !(de.Kind == KindClosed && de.CloseCode == 1006 || de.Kind == KindTimeout) {
				t.Fatalf("Dial = %v, want a *DialError of kind closed (1006) or timeout", err)
			}
			t.Logf("%v\n%s", err, Explain(err))
		})
	}
	// A WebSocket that opens and then drops without a close frame.
	t.Run("MQTTWS_HANGUP", func(t *testing.T) {
		_, err := Dial(ctx, os.Getenv("MQTTWS_HANGUP"), &Options{ConnectTimeout: 5 * time.Second})
		var de *DialError
		if !errors.As(err, &de) || de.Kind != KindClosed {
			t.Fatalf("Dial = %v, want a *DialError of kind closed", err)
		}
		t.Logf("%v\n%s", err, Explain(err))
	})
	// The broker drops the connection when the client publishes to "cut":
	// the loss must be noticed at once, not after a keepalive ping times out.
	t.Run("connection lost", func(t *testing.T) {
		states := make(chan StateEvent, 100)
		c, err := Dial(ctx, broker, &Options{
			ClientID: "wasm-drop", AutoReconnect: true, MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
			OnState: func(ev StateEvent) { states <- ev },
		})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Publish(ctx, "cut", nil, 0, false); err != nil {
			t.Fatal(err)
		}
		timeout := time.After(10 * time.Second) // well under KeepAlive (60s)
		for _, want := range []State{StateReconnecting, StateConnected} {
			for {
				var ev StateEvent
				select {
				case ev = <-states:
				case <-timeout:
					t.Fatalf("no %s event: the lost connection went unnoticed", want)
				}
				if ev.State == want && (want != StateConnected || ev.Reason != "connected to "+broker) {
					t.Logf("%s: %s", ev.State, ev.Reason)
					break
				}
			}
		}
		if err := c.Publish(ctx, "wasm/after", []byte("x"), 1, false); err != nil {
			t.Errorf("Publish after reconnecting: %v", err)
		}
	})
}
