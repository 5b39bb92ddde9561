package mqttws

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrClosed is returned by methods called after Close, or after the
// connection was lost for good (AutoReconnect off). Test with errors.Is; when
// the connection was lost, the error also wraps the *ConnectionLostError.
var ErrClosed = errors.New("mqttws: client closed")

// A FieldError is a bad option, URL or argument. Field names the input at
// fault, so a form can point at the right box: "url", "clientID",
// "username", "keepAlive", "connectTimeout", "minBackoff", "maxBackoff",
// "maxInflight", "queueSize", "dial" (options and URL) or
// "topic", "filter", "qos" (method arguments).
type FieldError struct {
	Field string // the option or argument at fault
	Msg   string // what is wrong and, where it helps, what to do
	Err   error  // the underlying error, if any
}

// Error returns "mqttws: field: msg".
func (e *FieldError) Error() string { return "mqttws: " + e.Field + ": " + e.Msg }

// Unwrap returns the underlying error, if any.
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field, msg string) *FieldError { return &FieldError{Field: field, Msg: msg} }

// A ConnectError is a login the broker refused: its CONNACK carried a
// non-zero return code (MQTT 3.1.1 §3.2.2.3).
type ConnectError struct {
	Code byte // the CONNACK return code: 1 to 5, or another value a broker invented
}

// Error names the return code and what it means.
func (e *ConnectError) Error() string { return "mqttws: " + e.text() }

func (e *ConnectError) text() string {
	return "login refused (CONNACK " + strconv.Itoa(int(e.Code)) + "): " + connackText(e.Code)
}

// connackText explains a CONNACK return code; OneNET's meanings come from
// docs/PROTOCOL.md §3.
func connackText(code byte) string {
	switch code {
	case 1:
		return "the broker does not accept MQTT 3.1.1 (unacceptable protocol version)"
	case 2:
		return "the client ID was rejected — for OneNET, the client ID must be the device name"
	case 3:
		return "the MQTT service is unavailable — try again later"
	case 4:
		return "bad user name or password — for OneNET, the token (password) is invalid or expired, " +
			"or the user name is not the product ID"
	case 5:
		return "not authorized — the broker does not let this client log in; check the user name and password " +
			"(some brokers send 5 rather than 4 for bad credentials)"
	default:
		return "the broker refused the login with an unknown return code"
	}
}

// A DialErrorKind says why a connection could not be opened.
type DialErrorKind string

// The kinds of DialError.
const (
	// KindUnreachable: the host name does not resolve or there is no route to it.
	KindUnreachable DialErrorKind = "unreachable"
	// KindRefused: nothing accepts connections at the host and port.
	KindRefused DialErrorKind = "refused"
	// KindHandshake: the server answered the WebSocket upgrade with an HTTP
	// status other than 101 (StatusCode), e.g. 404 for a wrong path.
	KindHandshake DialErrorKind = "handshake"
	// KindSubprotocol: the server accepted the WebSocket but not the "mqtt"
	// subprotocol — it is probably not an MQTT broker.
	KindSubprotocol DialErrorKind = "subprotocol"
	// KindTLS: the TLS handshake of a wss:// URL failed, usually because the
	// certificate is not trusted or does not match the host.
	KindTLS DialErrorKind = "tls"
	// KindTimeout: no answer within Options.ConnectTimeout or the context's deadline.
	KindTimeout DialErrorKind = "timeout"
	// KindClosed: the WebSocket closed before the login completed. In a
	// browser this is how every failure to connect looks (CloseCode 1006):
	// browsers do not tell pages why.
	KindClosed DialErrorKind = "closed"
	// KindBlocked: the browser refused to open the WebSocket at all, e.g. a
	// ws:// URL from an https:// page (mixed content).
	KindBlocked DialErrorKind = "blocked"
	// KindProtocol: the server answered the MQTT CONNECT with something other
	// than a CONNACK — it is probably not an MQTT broker.
	KindProtocol DialErrorKind = "protocol"
	// KindNetwork: any other network failure; Err says what.
	KindNetwork DialErrorKind = "network"
)

// A DialError is a connection that could not be opened: the WebSocket did
// not open, or it opened but the broker never answered the MQTT CONNECT.
type DialError struct {
	URL        string        // the URL dialled
	Kind       DialErrorKind // why
	StatusCode int           // KindHandshake: the server's HTTP status (0 in browsers, which hide it)
	CloseCode  int           // the WebSocket close code, when one is known (browsers: 1006 for any failure)
	Err        error         // the underlying error
}

// Error names the URL and why the connection did not open.
func (e *DialError) Error() string {
	s := "mqttws: " + e.URL + ": " + e.text()
	if e.Err != nil && e.Kind != KindNetwork {
		s += " (" + e.Err.Error() + ")"
	}
	return s
}

// Unwrap returns the underlying error.
func (e *DialError) Unwrap() error { return e.Err }

func (e *DialError) text() string {
	host := hostOf(e.URL)
	switch e.Kind {
	case KindUnreachable:
		return "host unreachable: " + host + " cannot be resolved or reached — check the host name and the network"
	case KindRefused:
		return "connection refused: nothing is listening at " + host + " — check the host and port, and that the broker or relay is running"
	case KindHandshake:
		s := "the server refused the WebSocket upgrade"
		if e.StatusCode != 0 {
			s += " with HTTP " + strconv.Itoa(e.StatusCode)
		}
		if e.StatusCode == 404 {
			s += " — wrong path? The URL's path must be the broker's WebSocket endpoint (often /mqtt)"
		} else {
			s += " — check the URL's path and that the server speaks MQTT over WebSocket"
		}
		return s
	case KindSubprotocol:
		return "the server opened a WebSocket but did not accept the \"mqtt\" subprotocol — it is probably not an MQTT broker"
	case KindTLS:
		return "TLS failure: the certificate of " + host + " is not trusted or does not match the host name"
	case KindTimeout:
		return "timeout: " + host + " did not complete the login in time — the server may be unreachable, overloaded, or not an MQTT broker"
	case KindClosed:
		if e.CloseCode != 0 {
			return closeText(e.CloseCode, true)
		}
		return "the connection closed before the login completed"
	case KindBlocked:
		return "the browser refused to open the WebSocket — a page served over https:// may only open wss:// URLs"
	case KindProtocol:
		return "the server did not answer the MQTT CONNECT with a CONNACK — it is probably not an MQTT broker"
	default:
		if e.Err != nil {
			return "network error while connecting: " + e.Err.Error()
		}
		return "network error while connecting"
	}
}

// A SubscribeError is a subscription the broker refused: SUBACK return code 0x80.
type SubscribeError struct {
	Filter string
	Code   byte // the SUBACK return code, 0x80
}

// Error names the filter and the return code.
func (e *SubscribeError) Error() string { return "mqttws: " + e.text() }

func (e *SubscribeError) text() string {
	return fmt.Sprintf("subscription to %q refused (SUBACK 0x%02X): the broker does not allow this filter for this client — "+
		"for OneNET, a device may only subscribe within its own $sys/{product}/{device}/ topics, with wildcards from the 4th level on",
		e.Filter, e.Code)
}

// A ConnectionLostError is an established connection that broke.
type ConnectionLostError struct {
	CloseCode int   // the WebSocket close code, when one is known
	Err       error // the underlying error
}

// Error says how the connection broke.
func (e *ConnectionLostError) Error() string {
	s := "mqttws: " + e.text()
	if e.Err != nil && e.Err != errWebSocketClosed {
		s += " (" + e.Err.Error() + ")"
	}
	return s
}

// Unwrap returns the underlying error.
func (e *ConnectionLostError) Unwrap() error { return e.Err }

func (e *ConnectionLostError) text() string {
	if e.Err != nil && strings.Contains(e.Err.Error(), "pingresp not received") {
		return "connection lost: the broker did not answer a keepalive ping in time — the network may be down"
	}
	if e.CloseCode > 0 && e.CloseCode != 1000 && e.CloseCode != 1001 {
		return "connection lost: " + closeText(e.CloseCode, false)
	}
	if errors.Is(e.Err, errWebSocketClosed) {
		// In a browser, which does not say who closed it or why.
		return "connection lost: the WebSocket closed — the broker closed it or the network dropped; on OneNET this happens when " +
			"the same device logs in elsewhere, or after a publish the platform forbids (a topic outside the device's own, " +
			"retain, QoS 2, or a payload over 256 KB)"
	}
	return "connection lost: the broker closed the connection — on OneNET this happens when the same device logs in elsewhere, " +
		"or after a publish the platform forbids (a topic outside the device's own, retain, QoS 2, or a payload over 256 KB)"
}

// A PasswordError is an error returned by Options.PasswordFunc.
type PasswordError struct {
	Err error
}

// Error returns "mqttws: password: " and PasswordFunc's error.
func (e *PasswordError) Error() string { return "mqttws: password: " + e.Err.Error() }

// Unwrap returns PasswordFunc's error.
func (e *PasswordError) Unwrap() error { return e.Err }

// closeText explains a WebSocket close code (RFC 6455 §7.4.1). dialing is
// true when the connection had not opened yet.
func closeText(code int, dialing bool) string {
	c := " (" + strconv.Itoa(code) + ")"
	switch code {
	case 1000:
		return "the server closed the connection normally" + c
	case 1001:
		return "the server is going away" + c + ", for example restarting"
	case 1002:
		return "the server closed the connection for a WebSocket protocol error" + c
	case 1003:
		return "the server does not accept this kind of data" + c + " — it may not be an MQTT broker"
	case 1005:
		return "the connection closed without a status" + c
	case 1006:
		if dialing {
			return "the connection closed abnormally" + c + ": the server is unreachable, refused the WebSocket upgrade " +
				"(wrong path, or the \"mqtt\" subprotocol not accepted), or a wss:// certificate is not trusted"
		}
		return "the connection closed abnormally" + c + ": the network dropped or the server went away without closing properly"
	case 1007:
		return "the server closed the connection for invalid data" + c
	case 1008:
		return "the server closed the connection for a policy violation" + c
	case 1009:
		return "the server closed the connection because a message was too big" + c
	case 1011:
		return "the server hit an internal error" + c
	case 1012:
		return "the server is restarting" + c
	case 1013:
		return "the server is overloaded; try again later" + c
	case 1014:
		return "a gateway in front of the server failed" + c
	case 1015:
		return "the TLS handshake failed" + c + ": the wss:// certificate is not trusted or does not match the host"
	default:
		return "the connection closed with code " + strconv.Itoa(code)
	}
}

// Explain returns one human sentence about err, for showing to a user: what
// went wrong and, where it helps, what to do. It understands every error
// this package returns, including those wrapped with %w; for other errors it
// returns err.Error() as a sentence. Explain(nil) is "".
func Explain(err error) string {
	if err == nil {
		return ""
	}
	var (
		fe *FieldError
		ce *ConnectError
		de *DialError
		se *SubscribeError
		le *ConnectionLostError
		pe *PasswordError
	)
	var s string
	switch {
	case errors.As(err, &fe):
		s = "The " + fe.Field + " is not valid: " + fe.Msg
	case errors.As(err, &ce):
		s = ce.text()
	case errors.As(err, &se):
		s = se.text()
	case errors.As(err, &de):
		s = de.text()
	case errors.As(err, &pe):
		s = "Could not get a password to log in: " + pe.Err.Error()
	case errors.As(err, &le):
		s = le.text()
		if errors.Is(err, ErrClosed) {
			s += "; the client is closed"
		}
	case errors.Is(err, ErrClosed):
		s = "the client is closed; connect again"
	case errors.Is(err, context.DeadlineExceeded):
		s = "the operation timed out before the broker answered"
	case errors.Is(err, context.Canceled):
		s = "the operation was cancelled"
	default:
		s = strings.TrimPrefix(err.Error(), "mqttws: ")
	}
	return sentence(s)
}

// sentence capitalises s and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	s = string(unicode.ToUpper(r)) + s[n:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// hostOf returns the host:port of a ws:// or wss:// URL, or the URL itself.
func hostOf(u string) string {
	s := u
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndex(s, "@"); i >= 0 {
		s = s[i+1:]
	}
	if s == "" {
		return u
	}
	return s
}
