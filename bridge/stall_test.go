package bridge

import (
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// waitStable polls n until it has not changed for a second (or a minute
// has passed) and returns it.
func waitStable(n *atomic.Int64) int64 {
	last, since := n.Load(), time.Now()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if v := n.Load(); v != last {
			last, since = v, time.Now()
		} else if time.Since(since) > time.Second {
			break
		}
	}
	return last
}

// TestPageThatStopsReading: a page that stops reading while its target
// sends without end. The relay buffers a bounded amount (its 1 MB batch,
// the sockets' buffers), then stops reading the target, whose writes
// block; another page's connection through the same relay works
// meanwhile; closing the stalled page ends its relayed connection.
func TestPageThatStopsReading(t *testing.T) {
	var sent atomic.Int64
	chunk := make([]byte, 64<<10)
	flood := startServer(t, nil, func(c net.Conn) {
		for sent.Load() < 512<<20 {
			n, err := c.Write(chunk)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	echoAddr := startEcho(t)
	b := startBridge(t, Options{Allow: []Target{{Addr: flood}, {Addr: echoAddr}}})
	stalled := b.dial(t, flood) // never read
	held := waitStable(&sent)
	t.Logf("the target could send %d KB to a page that reads nothing", held>>10)
	if held >= 64<<20 {
		t.Fatalf("the relay took %d MB for a page that reads nothing, want a bounded amount", held>>20)
	}
	other := b.dial(t, echoAddr)
	echo(t, other, "while another page is stalled")
	stalled.CloseNow()
	b.log.waitFor(t, "-> "+flood+" closed after")
}
