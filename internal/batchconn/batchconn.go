// Package batchconn coalesces writes: what is written while the last batch
// is being sent, or by goroutines that run before the flusher does, goes
// out together in one write.
//
// MQTT is a stream: over WebSocket a message may hold several packets
// (MQTT 3.1.1 §6), and over TCP the segments are the kernel's business. A
// write is a system call natively, and in a browser a call into JavaScript
// and an IPC to the network process; a burst of small packets then costs
// one instead of one each. mqttws uses it for its connection, the relay
// for both directions.
package batchconn

import (
	"errors"
	"io"
	"runtime"
	"sync"
	"time"
)

// Options configure a Writer.
type Options struct {
	// MaxBatch is the most bytes held before Write waits for the flusher
	// to take them. Zero: no limit.
	MaxBatch int
	// MaxWrite cuts a batch into writes of at most this many bytes
	// (e.g. WebSocket messages). Zero: no limit.
	MaxWrite int
	// CloseFlush bounds how long Close waits for the last batch to be
	// written.
	CloseFlush time.Duration
	// MaxSpare is the largest batch buffer kept for the next batch (default
	// 1 MB): a burst of large messages would otherwise grow a new one,
	// copying it as it grows, every time.
	MaxSpare int
}

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("batchconn: closed")

// A Writer coalesces writes to w. Write copies p and returns at once
// (unless MaxBatch bytes are waiting); an error of w is returned by the
// Writes that follow it, after which w is closed. Close has the flusher
// write what is waiting, then closes w. Only the flusher writes to w.
type Writer struct {
	w     io.Writer
	close func() error
	o     Options

	mu      sync.Mutex
	cond    sync.Cond // signalled when the flusher took a batch or failed
	buf     []byte    // waiting to be written
	spare   []byte    // the last batch's buffer, for reuse
	err     error     // w's write error, or ErrClosed after Close
	closed  bool
	pending bool // the flusher has been woken and has not yet taken buf

	wake chan struct{}
	quit chan struct{} // closed by Close
	done chan struct{} // closed when the flusher has returned
}

// New starts a Writer that writes to w and closes with closeFn (which
// may be nil).
func New(w io.Writer, closeFn func() error, o Options) *Writer {
	if o.MaxSpare == 0 {
		o.MaxSpare = 1 << 20
	}
	b := &Writer{w: w, close: closeFn, o: o, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	b.cond.L = &b.mu
	go b.flusher()
	return b
}

// Write copies p into the waiting batch and wakes the flusher. It returns
// at once, unless p would take the waiting bytes past MaxBatch: then it
// first waits for the flusher to take them. It returns the error of an
// earlier write to w, or ErrClosed after Close, and writes nothing then.
func (b *Writer) Write(p []byte) (int, error) {
	b.mu.Lock()
	for b.err == nil && b.o.MaxBatch > 0 && len(b.buf) > 0 && len(b.buf)+len(p) > b.o.MaxBatch {
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

func (b *Writer) flusher() {
	defer close(b.done)
	for {
		select {
		case <-b.wake:
		case <-b.quit:
		}
		// Let the goroutines that are ready to write run first.
		runtime.Gosched()
		b.mu.Lock()
		batch, closed := b.buf, b.closed
		b.buf, b.spare = b.spare[:0], nil
		b.pending = false
		b.cond.Broadcast()
		b.mu.Unlock()
		if err := b.writeAll(batch); err != nil {
			b.mu.Lock()
			if b.err == nil || b.err == ErrClosed {
				b.err = err
			}
			b.cond.Broadcast()
			b.mu.Unlock()
			b.closeW()
			return
		}
		if cap(batch) <= b.o.MaxSpare {
			b.mu.Lock()
			b.spare = batch[:0]
			b.mu.Unlock()
		}
		if closed {
			return
		}
	}
}

func (b *Writer) writeAll(p []byte) error {
	for len(p) > 0 {
		n := len(p)
		if b.o.MaxWrite > 0 {
			n = min(n, b.o.MaxWrite)
		}
		if _, err := b.w.Write(p[:n]); err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

func (b *Writer) closeW() error {
	if b.close == nil {
		return nil
	}
	return b.close()
}

// Close writes what is waiting (for at most CloseFlush) and closes w.
func (b *Writer) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return b.closeW()
	}
	b.closed = true
	if b.err == nil {
		b.err = ErrClosed
	}
	b.cond.Broadcast()
	b.mu.Unlock()
	close(b.quit)
	t := time.NewTimer(b.o.CloseFlush)
	select {
	case <-b.done:
	case <-t.C:
	}
	t.Stop()
	return b.closeW()
}
