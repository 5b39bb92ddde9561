package broker

import (
	"bytes"
	"context"
	"errors"
	"net"
	"runtime"
	"testing"

	"github.com/onenet-wasm/onenet-wasm/onenet"
)

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestDeviceThatStopsReading: a device subscribed to its commands stops
// reading while the platform sends it 100 MB of commands (of OneNET's
// largest, docs/PROTOCOL.md §8).
// What the broker keeps for it stays bounded (its pending writes, then
// drops), and another device keeps publishing and getting its replies.
func TestDeviceThatStopsReading(t *testing.T) {
	// Two log lines a command would grow the heap measured below.
	e := newEnv(t, noLimits, func(o *Options) { o.Logf = func(string, ...any) {} })
	stalled := rawLogin(t, e.tcp, "prod1", "dev1", devTok(t, "prod1", "dev1", keyD1))
	stalled.(*net.TCPConn).SetReadBuffer(4096)
	if _, err := stalled.Write(subscribePacket(1, "$sys/prod1/dev1/cmd/request/+", 0)); err != nil {
		t.Fatal(err)
	}
	suback := make([]byte, 5)
	if _, err := stalled.Read(suback); err != nil || suback[0] != 0x90 {
		t.Fatalf("SUBACK: % x %v", suback, err)
	}
	other := e.mustDial(t, "tcp", "prod1", "dev2")
	const dp = "$sys/prod1/dev2/dp/post/json"
	other.sub(t, 0, dp+"/accepted")

	before := heapInUse()
	cmd := bytes.Repeat([]byte("c"), onenet.MaxCmdRequest)
	done, cancel := context.WithCancel(context.Background())
	cancel() // send, and do not wait for an answer
	for i := range 100 << 20 / len(cmd) {
		// Sent, and not answered: a refusal (too large, not subscribed)
		// would send nothing.
		if _, err := e.b.SendCommand(done, "prod1", "dev1", cmd); !errors.Is(err, ErrTimeout) {
			t.Fatalf("command %d: %v, want it sent and not answered (%v)", i, err, ErrTimeout)
		}
		if i%5000 == 0 {
			other.pub(t, dp, 1, `{"id":1,"dp":{"x":[{"v":1}]}}`)
			other.expect(t, dp+"/accepted")
		}
	}
	grown := int64(heapInUse()) - int64(before)
	t.Logf("heap in use grew by %d MB for 100 MB of commands to a device that reads nothing", grown>>20)
	if grown > 64<<20 {
		t.Errorf("heap grew by %d MB, want a bounded amount", grown>>20)
	}
	other.pub(t, dp, 1, `{"id":2,"dp":{"x":[{"v":2}]}}`)
	other.expect(t, dp+"/accepted")
}
