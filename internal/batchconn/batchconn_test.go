package batchconn

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// recorder records each write it gets.
type recorder struct {
	mu      sync.Mutex
	writes  [][]byte
	fail    error
	block   chan struct{} // if set, each write waits for it…
	entered chan struct{} // …after saying so here
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.block != nil {
		r.entered <- struct{}{}
		<-r.block
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return 0, r.fail
	}
	r.writes = append(r.writes, bytes.Clone(p))
	return len(p), nil
}

func (r *recorder) all() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Join(r.writes, nil)
}

// Writes keep their order, nothing is lost, and Close writes what waits.
func TestOrderAndClose(t *testing.T) {
	rec := &recorder{}
	closed := false
	w := New(rec, func() error { closed = true; return nil }, Options{MaxBatch: 64, CloseFlush: time.Second})
	var want bytes.Buffer
	for i := range 1000 {
		p := fmt.Appendf(nil, "%d,", i)
		want.Write(p)
		if _, err := w.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := rec.all(); !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("wrote %q…, want %q…", got[:min(40, len(got))], want.Bytes()[:40])
	}
	if !closed {
		t.Error("Close did not close the writer")
	}
	if len(rec.writes) >= 1000 {
		t.Errorf("%d writes for 1000: nothing was coalesced", len(rec.writes))
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
}

// Writes that wait for the flusher while a write is slow go out together.
func TestCoalesce(t *testing.T) {
	rec := &recorder{block: make(chan struct{}), entered: make(chan struct{}, 10)}
	w := New(rec, nil, Options{CloseFlush: time.Second})
	w.Write([]byte("a"))
	<-rec.entered // the flusher took "a" and waits in Write
	for range 10 {
		w.Write([]byte("b"))
	}
	close(rec.block)
	w.Close()
	if len(rec.writes) != 2 || string(rec.writes[1]) != "bbbbbbbbbb" {
		t.Errorf("writes %q, want [a bbbbbbbbbb]", rec.writes)
	}
}

func TestMaxWrite(t *testing.T) {
	rec := &recorder{}
	w := New(rec, nil, Options{MaxWrite: 3, CloseFlush: time.Second})
	w.Write([]byte("abcdefgh"))
	w.Close()
	for _, p := range rec.writes {
		if len(p) > 3 {
			t.Errorf("a write of %d bytes, MaxWrite 3", len(p))
		}
	}
	if got := rec.all(); string(got) != "abcdefgh" {
		t.Errorf("wrote %q", got)
	}
}

// A failed write closes the writer and is returned by the next Write.
func TestWriteError(t *testing.T) {
	boom := errors.New("boom")
	rec := &recorder{fail: boom}
	closed := make(chan struct{})
	w := New(rec, func() error { close(closed); return nil }, Options{CloseFlush: time.Second})
	w.Write([]byte("x"))
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("not closed after a failed write")
	}
	if _, err := w.Write([]byte("y")); !errors.Is(err, boom) {
		t.Errorf("Write after a failed write: %v, want %v", err, boom)
	}
}
