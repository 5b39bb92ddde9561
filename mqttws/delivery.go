package mqttws

import (
	"time"

	"github.com/onenet-wasm/onenet-wasm/mqttws/internal/mqtt3"
)

// enqueue hands a received message to the delivery goroutine, or drops it
// when the queue is full; with DirectDelivery, when nothing is queued and
// no other message was read with it, it delivers it itself. It never blocks on the queue: the connection's
// reader calls it.
func (c *Client) enqueue(m mqtt3.Message) {
	if c.queue == nil {
		return
	}
	msg := Message{
		Topic:      m.Topic,
		Payload:    m.Payload,
		QoS:        m.QoS,
		Retained:   m.Retained,
		Duplicate:  m.Duplicate,
		ReceivedAt: time.Now(),
	}
	c.qmu.RLock()
	defer c.qmu.RUnlock()
	if c.qclosed {
		return
	}
	// Direct only for the last message of what was read: those read
	// together go to the queue, and its goroutine delivers them together.
	if c.cfg.DirectDelivery && !m.More && c.pending.Load() == 0 && c.deliverDirect(msg) {
		return
	}
	c.pending.Add(1)
	select {
	case c.queue <- msg:
	default:
		c.pending.Add(-1)
		c.dropped.Add(1)
	}
}

// deliverDirect delivers m on the reader's goroutine when every message
// queued before it has been delivered; c.qmu is read-locked (so Close
// waits for it). The reader is the only one to add to pending, and the
// delivery goroutine takes it down only after delivering, under deliverMu:
// pending 0 under deliverMu means nothing is queued or being delivered.
func (c *Client) deliverDirect(m Message) bool {
	c.deliverMu.Lock()
	defer c.deliverMu.Unlock()
	if c.pending.Load() != 0 {
		return false
	}
	if c.discard.Load() {
		return true
	}
	if c.cfg.OnMessages == nil {
		c.cfg.OnMessage(m)
		return true
	}
	c.one[0] = m
	c.cfg.OnMessages(c.one[:])
	c.one[0] = Message{} // don't keep the payload
	return true
}

// maxDeliverBatch bounds the messages of one OnMessages call.
const maxDeliverBatch = 4096

// deliver calls OnMessage for each queued message, or OnMessages for the
// messages queued at each moment.
func (c *Client) deliver() {
	defer c.wg.Done()
	var batch []Message
	for m := range c.queue {
		if c.cfg.OnMessages == nil {
			c.deliverMu.Lock()
			if !c.discard.Load() {
				c.cfg.OnMessage(m)
			}
			c.deliverMu.Unlock()
			c.pending.Add(-1)
			continue
		}
		batch = append(batch[:0], m)
	more:
		for len(batch) < maxDeliverBatch {
			select {
			case m, ok := <-c.queue:
				if !ok {
					break more
				}
				batch = append(batch, m)
			default:
				break more
			}
		}
		c.deliverMu.Lock()
		if !c.discard.Load() {
			c.cfg.OnMessages(batch)
		}
		c.deliverMu.Unlock()
		c.pending.Add(-int64(len(batch)))
		clear(batch) // don't keep the payloads
	}
}
