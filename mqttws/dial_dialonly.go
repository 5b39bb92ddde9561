//go:build js && mqttws_dialonly

package mqttws

import (
	"context"
	"errors"
	"net"
)

// The page's build: no WebSocket of the client's own (see ws.go);
// Options.Dial opens the connection.

type dialer struct{}

func newDialer(*config) *dialer { return &dialer{} }

func (d *dialer) close() {}

// maxBatch: see dial_js.go.
const maxBatch = 1 << 30

func checkPlatformOptions(o *Options) error {
	if o.Dial == nil {
		return fieldErr("dial", "this build (tag mqttws_dialonly) has no WebSocket of its own: give Options.Dial")
	}
	return nil
}

func (d *dialer) open(_, _ context.Context, u string) (net.Conn, func(), error) {
	return nil, nil, &DialError{URL: u, Kind: KindNetwork, Err: errors.New("no Options.Dial")}
}

// closeStatus is the close code an error of Options.Dial's connection
// carries (a method CloseCode() int), or -1.
func closeStatus(err error) int {
	var c interface{ CloseCode() int }
	if errors.As(err, &c) {
		return c.CloseCode()
	}
	return -1
}
