package mqttws

import (
	"net"

	"github.com/onenet-wasm/onenet-wasm/internal/batchconn"
)

// batchConn coalesces the client's writes (see internal/batchconn): the
// MQTT packets written while the previous batch is being sent go out
// together as one WebSocket message. In a browser every message is a call
// into JavaScript and an IPC to the network process, so a burst of
// publishes, or of PUBACKs for received QoS 1 messages, costs one send
// instead of one each. Close sends what is waiting (for at most
// disconnectQuiesce), then closes the connection.
type batchConn struct {
	net.Conn
	w *batchconn.Writer
}

func newBatchConn(c net.Conn) *batchConn {
	return &batchConn{Conn: c, w: batchconn.New(c, c.Close, batchconn.Options{MaxBatch: maxBatch, CloseFlush: disconnectQuiesce})}
}

func (b *batchConn) Write(p []byte) (int, error) {
	n, err := b.w.Write(p)
	if err == batchconn.ErrClosed {
		err = net.ErrClosed
	}
	return n, err
}

func (b *batchConn) Close() error { return b.w.Close() }
