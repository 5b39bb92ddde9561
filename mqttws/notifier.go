package mqttws

import (
	"sync"
)

// notifier calls OnState from one goroutine, in order, without ever
// blocking the code that reports a change.
type notifier struct {
	fn     func(StateEvent)
	mu     sync.Mutex
	q      []StateEvent
	closed bool
	wake   chan struct{}
}

func newNotifier(fn func(StateEvent), wg *sync.WaitGroup) *notifier {
	n := &notifier{fn: fn, wake: make(chan struct{}, 1)}
	if fn != nil {
		wg.Add(1)
		go n.loop(wg)
	}
	return n
}

func (n *notifier) push(ev StateEvent) {
	if n.fn == nil {
		return
	}
	n.mu.Lock()
	if !n.closed {
		n.q = append(n.q, ev)
	}
	n.mu.Unlock()
	n.signal()
}

func (n *notifier) close() {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	n.signal()
}

func (n *notifier) signal() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

func (n *notifier) loop(wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		n.mu.Lock()
		q, closed := n.q, n.closed
		n.q = nil
		n.mu.Unlock()
		for _, ev := range q {
			n.fn(ev)
		}
		if closed && len(q) == 0 {
			return
		}
		if !closed {
			<-n.wake
		}
	}
}
