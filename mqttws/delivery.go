package mqttws

import (
	"time"

	"github.com/onenet-wasm/onenet-wasm/mqttws/internal/mqtt3"
)

// enqueue hands a received message to the delivery goroutine, or drops it
// when the queue is full. It never blocks: the connection's reader calls it.
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
	select {
	case c.queue <- msg:
	default:
		c.dropped.Add(1)
	}
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
			if !c.discard.Load() {
				c.cfg.OnMessage(m)
			}
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
		if !c.discard.Load() {
			c.cfg.OnMessages(batch)
		}
		clear(batch) // don't keep the payloads
	}
}
