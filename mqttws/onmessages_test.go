//go:build !js

package mqttws

import (
	"strconv"
	"sync"
	"testing"
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
	c := dial(t, b.url, &Options{OnMessages: func(ms []Message) {
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
		t.Fatalf("received %d of %d", len(got), n)
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
