//go:build !(js && mqttws_dialonly)

package mqttws

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"strconv"

	"github.com/coder/websocket"
)

// The client's own WebSocket (github.com/coder/websocket), used unless
// Options.Dial is given. The page's build (GOOS=js, tag mqttws_dialonly)
// leaves this file out, and with it coder/websocket, net/http and
// crypto/tls: a third of the wasm module (docs/BENCHMARKS.md).

// The types of Options.HTTPHeader and Options.TLSConfig.
type (
	httpHeader = http.Header
	tlsConfig  = tls.Config
)

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
	return websocket.NetConn(connCtx, ws, websocket.MessageBinary), func() { ws.CloseNow() }, nil
}

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
