package scenario

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"github.com/onenet-wasm/onenet-wasm/onenet"
)

// TestLimiter: the run-time pacing keeps every device within OneNET's
// rates (docs/PROTOCOL.md §5.6, §5.7) with a margin: a burst goes out at
// once up to the limit, the next message waits until the oldest of the
// window is a window (and the margin) old, and whatever the arrivals, no
// window ever holds more than the limit.
func TestLimiter(t *testing.T) {
	const margin = 50 * time.Millisecond
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	// MQTT kit: 100 QoS 1 messages per 5 s.
	kit := newLimiter(onenet.MaxQoS1PerWindow, onenet.RateWindow)
	for i := range onenet.MaxQoS1PerWindow {
		if w := kit.reserve(t0); w != 0 {
			t.Fatalf("kit: message %d of a burst waits %s, want none", i+1, w)
		}
	}
	if w := kit.reserve(t0); w != onenet.RateWindow+margin {
		t.Errorf("kit: the 101st message of a burst waits %s, want %s", w, onenet.RateWindow+margin)
	}
	if w := kit.reserve(t0.Add(time.Second)); w != onenet.RateWindow+margin-time.Second {
		t.Errorf("kit: the 102nd, 1 s later, waits %s, want %s", w, onenet.RateWindow+margin-time.Second)
	}
	// After a quiet window, a full burst goes out again at once.
	later := t0.Add(2*onenet.RateWindow + time.Second)
	for i := range onenet.MaxQoS1PerWindow {
		if w := kit.reserve(later); w != 0 {
			t.Fatalf("kit: after a quiet window, message %d waits %s", i+1, w)
		}
	}

	// OneNET Studio: 1 message a second.
	studio := newLimiter(onenet.StudioMaxUplinkPerSecond, time.Second)
	if w := studio.reserve(t0); w != 0 {
		t.Errorf("studio: the first message waits %s", w)
	}
	if w := studio.reserve(t0); w != time.Second+margin {
		t.Errorf("studio: the second at once waits %s, want %s", w, time.Second+margin)
	}
	if w := studio.reserve(t0.Add(300 * time.Millisecond)); w != 2*(time.Second+margin)-300*time.Millisecond {
		t.Errorf("studio: the third waits %s, want %s (after the second)", w, 2*(time.Second+margin)-300*time.Millisecond)
	}

	// Random arrivals, bursts and lulls: the send times (arrival + wait)
	// never put n+1 messages within a window, and a message waits only
	// when the window is full.
	for _, c := range []struct {
		name   string
		n      int
		window time.Duration
	}{{"kit", onenet.MaxQoS1PerWindow, onenet.RateWindow}, {"studio", onenet.StudioMaxUplinkPerSecond, time.Second}} {
		l := newLimiter(c.n, c.window)
		r := rand.New(rand.NewPCG(1, 2))
		now := t0
		var sent []time.Time
		for i := range 5000 {
			switch r.IntN(10) {
			case 0: // a lull
				now = now.Add(time.Duration(r.Int64N(int64(2 * c.window))))
			case 1, 2, 3: // a burst: same instant
			default:
				now = now.Add(time.Duration(r.Int64N(int64(c.window / time.Duration(c.n)))))
			}
			w := l.reserve(now)
			if w < 0 {
				t.Fatalf("%s: message %d: negative wait %s", c.name, i, w)
			}
			at := now.Add(w)
			if w > 0 && len(sent) >= c.n && sent[len(sent)-c.n].Add(c.window+margin).Before(now) {
				t.Fatalf("%s: message %d waits %s although the window before it holds fewer than %d", c.name, i, w, c.n)
			}
			sent = append(sent, at)
			if k := len(sent) - 1 - c.n; k >= 0 && sent[len(sent)-1].Sub(sent[k]) < c.window {
				t.Fatalf("%s: messages %d to %d sent within %s: more than %d in a window", c.name, k, len(sent)-1, sent[len(sent)-1].Sub(sent[k]), c.n)
			}
		}
	}
}

// TestPacingChosen: each device is paced by its product's rate (MQTT kit
// or Studio); "limits": "off" leaves it unpaced.
func TestPacingChosen(t *testing.T) {
	doc := `{"devices":[
	  {"product":"p","device":"kit","key":{"env":"K"},"publish":[{"every":1,"dp":{"t":{"constant":1}}}]},
	  {"product":"s","device":"studio","kind":"studio","key":{"env":"K"},"publish":[{"every":1,"properties":{"t":{"constant":1}}}]}]}`
	for _, limits := range []string{"", "off"} {
		d := doc
		if limits != "" {
			d = `{"limits":"off",` + doc[1:]
		}
		s, err := Parse("x", []byte(d), nil)
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewRunner(s, Options{
			Connect: func(context.Context, *Instance) (string, func(context.Context, string) (net.Conn, error), error) {
				return "", nil, errors.New("no network in this test")
			},
			Key:   func(context.Context, *Instance) (string, error) { return "", nil },
			Token: func(string, string, int64) (string, error) { return "", nil },
		})
		if err != nil {
			t.Fatal(err)
		}
		kit, studio := r.devs[0].lim, r.devs[1].lim
		if limits == "off" {
			if kit != nil || studio != nil {
				t.Error(`"limits": "off": devices are paced`)
			}
			continue
		}
		if kit == nil || len(kit.times) != onenet.MaxQoS1PerWindow || kit.window != onenet.RateWindow {
			t.Errorf("kit device's pacing: %+v, want %d per %s", kit, onenet.MaxQoS1PerWindow, onenet.RateWindow)
		}
		if studio == nil || len(studio.times) != onenet.StudioMaxUplinkPerSecond || studio.window != time.Second {
			t.Errorf("studio device's pacing: %+v, want %d per second", studio, onenet.StudioMaxUplinkPerSecond)
		}
	}
}
