package mqttws

import (
	"errors"
	"net"
	"sync/atomic"
)

// conn is the net.Conn mqtt3 uses. A WebSocket closed without a known
// close code reads and writes net.ErrClosed, whoever closed it (in a
// browser, coder/websocket and wasm/mqtt's socket both do). conn reports
// net.ErrClosed as errWebSocketClosed unless it was closed itself, so that
// a loss is explained as one, not taken for the client's own closing. It
// must be the outermost net.Conn, the one mqtt3 closes.
type conn struct {
	net.Conn
	closed atomic.Bool
}

// errWebSocketClosed is a WebSocket closed by the other side, or by the
// network, when the close code is not known.
var errWebSocketClosed = errors.New("the WebSocket closed")

func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	return n, c.mapErr(err)
}

func (c *conn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	return n, c.mapErr(err)
}

func (c *conn) Close() error {
	c.closed.Store(true)
	return c.Conn.Close()
}

func (c *conn) mapErr(err error) error {
	if err != nil && !c.closed.Load() && errors.Is(err, net.ErrClosed) {
		return errWebSocketClosed
	}
	return err
}
