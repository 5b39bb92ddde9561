//go:build !js

package mqttws

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestOnMessages: batches hold every message, in order, and at least one.
func TestOnMessages(t *testing.T) {
	t.Parallel()
	b := newBroker(t)
	var (
		mu      sync.Mutex
		got     []string
		batches int
		empty   bool
	)
	done := make(chan struct{})
	const n = 2000
	// A queue that holds every message: on a loaded machine the handler
	// falls behind the 2,000 publishes, and a full queue's drops
	// (documented, counted by Dropped) would only make the count flaky.
	c := dial(t, b.url, &Options{QueueSize: n, OnMessages: func(ms []Message) {
		mu.Lock()
		defer mu.Unlock()
		batches++
		empty = empty || len(ms) == 0
		for _, m := range ms {
			got = append(got, string(m.Payload))
		}
		if len(got) == n {
			close(done)
		}
	}})
	ctx := testCtx(t)
	if _, err := c.Subscribe(ctx, "batches", 1); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := c.Publish(ctx, "batches", []byte(strconv.Itoa(i)), 0, false); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-ctx.Done():
		mu.Lock()
		t.Fatalf("received %d of %d (dropped %d)", len(got), n, c.Dropped())
	}
	mu.Lock()
	defer mu.Unlock()
	for i, p := range got {
		if p != strconv.Itoa(i) {
			t.Fatalf("message %d is %q: out of order", i, p)
		}
	}
	if empty {
		t.Error("an empty batch")
	}
	t.Logf("%d messages in %d batches", n, batches)
}

// TestDirectDelivery: with DirectDelivery, messages delivered on the
// reader's goroutine and through the queue (a handler that is sometimes
// slow makes them queue) still come one call at a time, all of them, in
// order, to OnMessages and to OnMessage.
func TestDirectDelivery(t *testing.T) {
	t.Parallel()
	b := newBroker(t)
	for _, batched := range []bool{true, false} {
		t.Run(map[bool]string{true: "OnMessages", false: "OnMessage"}[batched], func(t *testing.T) {
			var (
				mu       sync.Mutex
				got      []string
				inside   atomic.Int32
				overlaps atomic.Int32
				calls    int
			)
			done := make(chan struct{})
			const n = 3000
			handle := func(ms []Message) {
				if inside.Add(1) != 1 {
					overlaps.Add(1)
				}
				defer inside.Add(-1)
				mu.Lock()
				calls++
				if calls%50 == 0 {
					mu.Unlock()
					time.Sleep(2 * time.Millisecond) // let messages queue
					mu.Lock()
				}
				for _, m := range ms {
					got = append(got, string(m.Payload))
				}
				if len(got) == n {
					close(done)
				}
				mu.Unlock()
			}
			// A queue that holds every message: the handler's pauses (and
			// a loaded machine) make messages queue, which is the path under
			// test, and a full queue's drops (documented, counted by
			// Dropped) would only make the count flaky.
			o := &Options{DirectDelivery: true, QueueSize: n}
			if batched {
				o.OnMessages = handle
			} else {
				o.OnMessage = func(m Message) { handle([]Message{m}) }
			}
			c := dial(t, b.url, o)
			ctx := testCtx(t)
			topic := "direct/" + t.Name()
			if _, err := c.Subscribe(ctx, topic, 1); err != nil {
				t.Fatal(err)
			}
			for i := range n {
				qos := byte(i % 2)
				if err := c.Publish(ctx, topic, []byte(strconv.Itoa(i)), qos, false); err != nil {
					t.Fatal(err)
				}
			}
			select {
			case <-done:
			case <-ctx.Done():
				mu.Lock()
				t.Fatalf("received %d of %d (dropped %d)", len(got), n, c.Dropped())
			}
			mu.Lock()
			defer mu.Unlock()
			for i, p := range got {
				if p != strconv.Itoa(i) {
					t.Fatalf("message %d is %q: out of order", i, p)
				}
			}
			if k := overlaps.Load(); k > 0 {
				t.Errorf("the handler ran %d times while another call was running", k)
			}
		})
	}
}
