//go:build !js

package mqttws

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/coder/websocket"
)

// dialer opens WebSockets natively, with an HTTP client of its own (so no
// idle connection outlives the Client).
type dialer struct {
	opts *websocket.DialOptions
	tr   *http.Transport
}

func newDialer(*config) *dialer {
	tr := &http.Transport{
		Proxy:             http.ProxyFromEnvironment,
		DisableKeepAlives: true, // a refused upgrade must not leave a pooled connection behind
	}
	return &dialer{
		opts: &websocket.DialOptions{
			HTTPClient:   &http.Client{Transport: tr},
			Subprotocols: []string{"mqtt"},
		},
		tr: tr,
	}
}

func (d *dialer) close() { d.tr.CloseIdleConnections() }

func checkPlatformOptions(*Options) error { return nil }

// maxBatch bounds the bytes a batchConn holds before Write waits for the
// connection to take them.
const maxBatch = 1 << 20

// classifyDialError turns a failed websocket.Dial into a *DialError.
func classifyDialError(url string, resp *http.Response, err error) *DialError {
	e := &DialError{URL: url, Kind: KindNetwork, Err: err}
	var (
		dnsErr    *net.DNSError
		verifyErr *tls.CertificateVerificationError
		authErr   x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		certErr   x509.CertificateInvalidError
		recErr    tls.RecordHeaderError
		alertErr  tls.AlertError
		netErr    net.Error
	)
	switch {
	case resp != nil && resp.StatusCode != http.StatusSwitchingProtocols:
		e.Kind, e.StatusCode = KindHandshake, resp.StatusCode
	case resp != nil && otherSubprotocol(resp.Header.Get("Sec-WebSocket-Protocol")):
		// coder/websocket refuses a 101 that selects a subprotocol the
		// client did not offer with a plain error (its message only); the
		// response it returns says so by value.
		e.Kind = KindSubprotocol
	case errors.As(err, &verifyErr), errors.As(err, &authErr), errors.As(err, &hostErr),
		errors.As(err, &certErr), errors.As(err, &recErr), errors.As(err, &alertErr):
		e.Kind = KindTLS
	case errors.Is(err, syscall.ECONNREFUSED):
		e.Kind = KindRefused
	case errors.As(err, &dnsErr), errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.EHOSTDOWN):
		e.Kind = KindUnreachable
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		e.Kind = KindTimeout
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		strings.Contains(err.Error(), "server closed idle connection"):
		// net/http's errServerClosedIdle is unexported and has no type of
		// its own: its message is all there is to recognise it by.
		e.Kind = KindClosed
	}
	return e
}

// otherSubprotocol reports whether a server's Sec-WebSocket-Protocol names
// a subprotocol other than "mqtt", the only one the client offers (none
// selected is caught after the dial).
func otherSubprotocol(proto string) bool {
	return proto != "" && !strings.EqualFold(proto, "mqtt")
}
