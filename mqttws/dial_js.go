//go:build js && !mqttws_dialonly

package mqttws

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/coder/websocket"
)

// dialer opens WebSockets with the browser's WebSocket API, which takes
// only the URL and the subprotocols.
type dialer struct {
	opts *websocket.DialOptions
}

func newDialer(*config) *dialer {
	return &dialer{opts: &websocket.DialOptions{Subprotocols: []string{"mqtt"}}}
}

func (d *dialer) close() {}

// maxBatch bounds the bytes a batchConn holds before Write waits for the
// connection to take them. A browser's WebSocket takes everything at once
// (it buffers what the network has not taken yet), so waiting would only
// cost goroutine switches.
const maxBatch = 1 << 30

func checkPlatformOptions(*Options) error { return nil }

// classifyDialError turns a failed websocket.Dial into a *DialError. The
// browser tells a page nothing about why a WebSocket failed to open: the
// socket just closes with code 1006, which coder/websocket reports as
// net.ErrClosed.
func classifyDialError(url string, _ *http.Response, err error) *DialError {
	e := &DialError{URL: url, Kind: KindNetwork, Err: err}
	msg := err.Error()
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		e.Kind = KindTimeout
	case errors.Is(err, net.ErrClosed):
		e.Kind, e.CloseCode = KindClosed, int(websocket.StatusAbnormalClosure)
	case strings.Contains(msg, "SecurityError") || strings.Contains(msg, "insecure"):
		e.Kind = KindBlocked
	default:
		if code := websocket.CloseStatus(err); code > 0 {
			e.Kind, e.CloseCode = KindClosed, int(code)
		}
	}
	return e
}
