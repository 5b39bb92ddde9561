package mqttws

import (
	"net"
	"runtime"
	"sync"
	"time"
)


// batchConn coalesces writes: the MQTT packets written while the previous
// batch is being sent, or by goroutines that run before the flusher does,
// go out together as one WebSocket message. MQTT over WebSocket lets a
// message hold several packets (MQTT 3.1.1 §6); brokers read a stream.
//
// In a browser every WebSocket message is a call into JavaScript and an
// IPC to the network process, so a burst of publishes (or of PUBACKs for
// received QoS 1 messages) costs one send instead of one each.
//
// Write copies p and returns at once unless maxBatch bytes are waiting; an
// error of the connection is returned by the Writes that follow it. Close
// has the flusher send what is waiting (for at most closeFlush), then
// closes the connection. Only the flusher writes to the connection.
type batchConn struct {
	net.Conn

	mu      sync.Mutex
	cond    sync.Cond // signalled when the flusher took a batch or failed
	buf     []byte    // waiting to be sent
	spare   []byte    // the last batch's buffer, for reuse
	err     error     // the connection's write error, or net.ErrClosed after Close
	closed  bool
	pending bool // the flusher has been woken and has not yet taken buf

	wake chan struct{}
	quit chan struct{} // closed by Close
	done chan struct{} // closed when the flusher has returned
}

// closeFlush bounds how long Close waits for the last batch to be written.
const closeFlush = disconnectQuiesce

// maxSpare is the largest batch buffer kept for the next batch: a burst of
// large messages would otherwise grow a new one (copying it as it grows)
// every time.
const maxSpare = 1 << 20

func newBatchConn(c net.Conn) *batchConn {
	b := &batchConn{Conn: c, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	b.cond.L = &b.mu
	go b.flusher()
	return b
}

func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	for b.err == nil && len(b.buf) > 0 && len(b.buf)+len(p) > maxBatch {
		b.cond.Wait()
	}
	if b.err != nil {
		err := b.err
		b.mu.Unlock()
		return 0, err
	}
	b.buf = append(b.buf, p...)
	wake := !b.pending
	b.pending = true
	b.mu.Unlock()
	if wake {
		select {
		case b.wake <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

func (b *batchConn) flusher() {
	defer close(b.done)
	for {
		select {
		case <-b.wake:
		case <-b.quit:
		}
		// Let the goroutines that are ready to write (other publishers,
		// the reader's acknowledgements) run first.
		runtime.Gosched()
		b.mu.Lock()
		batch, closed := b.buf, b.closed
		b.buf, b.spare = b.spare[:0], nil
		b.pending = false
		b.cond.Broadcast()
		b.mu.Unlock()
		if len(batch) > 0 {
			if _, err := b.Conn.Write(batch); err != nil {
				b.mu.Lock()
				if b.err == nil || b.err == net.ErrClosed {
					b.err = err
				}
				b.cond.Broadcast()
				b.mu.Unlock()
				b.Conn.Close()
				return
			}
			if cap(batch) <= maxSpare {
				b.mu.Lock()
				b.spare = batch[:0]
				b.mu.Unlock()
			}
		}
		if closed {
			return
		}
	}
}

// Close sends what is waiting and closes the connection.
func (b *batchConn) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return b.Conn.Close()
	}
	b.closed = true
	if b.err == nil {
		b.err = net.ErrClosed
	}
	b.cond.Broadcast()
	b.mu.Unlock()
	close(b.quit)
	t := time.NewTimer(closeFlush)
	select {
	case <-b.done:
	case <-t.C:
	}
	t.Stop()
	return b.Conn.Close()
}
