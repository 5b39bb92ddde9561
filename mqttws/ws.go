//go:build !(js && mqttws_dialonly)

package mqttws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// The client's own WebSocket (github.com/coder/websocket), used unless
// Options.Dial is given. The page's build (GOOS=js, tag mqttws_dialonly)
// leaves this file out, and with it coder/websocket, net/http and
// crypto/tls: a third of the wasm module (docs/BENCHMARKS.md).

// open dials the WebSocket with the attempt's context actx; the net.Conn
// lives as long as connCtx. closeNow closes it at once.
func (d *dialer) open(actx, connCtx context.Context, u string) (nc net.Conn, closeNow func(), err error) {
	ws, resp, err := websocket.Dial(actx, u, d.opts)
	if err != nil {
		if actx.Err() != nil {
			return nil, nil, &DialError{URL: u, Kind: KindTimeout, Err: err}
		}
		return nil, nil, classifyDialError(u, resp, err)
	}
	if ws.Subprotocol() != "mqtt" {
		ws.CloseNow()
		return nil, nil, &DialError{URL: u, Kind: KindSubprotocol, Err: errors.New("the server selected subprotocol " + strconv.Quote(ws.Subprotocol()))}
	}
	return newWSConn(connCtx, ws), func() { ws.CloseNow() }, nil
}

// wsConn is a net.Conn over a WebSocket's binary messages, as
// websocket.NetConn is, but without its cancellable contexts: NetConn
// gives every read and write one, for which coder/websocket sets up and
// tears down a context.AfterFunc each time (a fifth of the relay's CPU,
// where the same was done; docs/BENCHMARKS.md). ctx ending closes it at
// once; a deadline closes it when it passes, as NetConn's do.
type wsConn struct {
	c    *websocket.Conn
	r    io.Reader // the message being read; Read's goroutine only
	stop func() bool

	mu       sync.Mutex
	deadline *time.Timer
}

func newWSConn(ctx context.Context, c *websocket.Conn) *wsConn {
	c.SetReadLimit(-1) // mqtt3 bounds packets itself
	return &wsConn{c: c, stop: context.AfterFunc(ctx, func() { c.CloseNow() })}
}

func (w *wsConn) Read(p []byte) (int, error) {
	for {
		if w.r == nil {
			typ, r, err := w.c.Reader(context.Background())
			if err != nil {
				switch websocket.CloseStatus(err) {
				case websocket.StatusNormalClosure, websocket.StatusGoingAway:
					return 0, io.EOF
				}
				return 0, err
			}
			if typ != websocket.MessageBinary {
				err := fmt.Errorf("unexpected frame type read (expected %v): %v", websocket.MessageBinary, typ)
				w.c.Close(websocket.StatusUnsupportedData, err.Error())
				return 0, err
			}
			w.r = r
		}
		n, err := w.r.Read(p)
		if err == io.EOF {
			w.r = nil
			if n == 0 {
				continue
			}
			err = nil
		}
		return n, err
	}
}

func (w *wsConn) Write(p []byte) (int, error) {
	if err := w.c.Write(context.Background(), websocket.MessageBinary, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (w *wsConn) Close() error {
	w.stop()
	w.SetDeadline(time.Time{})
	return w.c.Close(websocket.StatusNormalClosure, "")
}

type wsAddr struct{}

func (wsAddr) Network() string { return "websocket" }
func (wsAddr) String() string  { return "websocket/unknown-addr" }

func (w *wsConn) LocalAddr() net.Addr  { return wsAddr{} }
func (w *wsConn) RemoteAddr() net.Addr { return wsAddr{} }

func (w *wsConn) SetDeadline(t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.deadline != nil {
		w.deadline.Stop()
		w.deadline = nil
	}
	if !t.IsZero() {
		w.deadline = time.AfterFunc(time.Until(t), func() { w.c.CloseNow() })
	}
	return nil
}

func (w *wsConn) SetReadDeadline(t time.Time) error  { return w.SetDeadline(t) }
func (w *wsConn) SetWriteDeadline(t time.Time) error { return w.SetDeadline(t) }

// closeStatus is the WebSocket close code err carries, or -1.
func closeStatus(err error) int {
	if code := websocket.CloseStatus(err); code != -1 {
		return int(code)
	}
	return closeCodeOf(err)
}

// closeCodeOf reads a close code from an error of Options.Dial's
// connection (a method CloseCode() int), or -1.
func closeCodeOf(err error) int {
	var c interface{ CloseCode() int }
	if errors.As(err, &c) {
		return c.CloseCode()
	}
	return -1
}
