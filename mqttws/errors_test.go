package mqttws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode"
)

func TestExplain(t *testing.T) {
	const u = "wss://iot.example:443/mqtt"
	lost := &ConnectionLostError{Err: io.EOF}
	for _, tc := range []struct {
		err  error
		want string // a substring of the sentence
	}{
		{&ConnectError{Code: 1}, "CONNACK 1"},
		{&ConnectError{Code: 2}, "device name"},
		{&ConnectError{Code: 3}, "unavailable"},
		{&ConnectError{Code: 4}, "login refused (CONNACK 4): bad user name or password — for OneNET, the token"},
		{&ConnectError{Code: 5}, "not authorized"},
		{&ConnectError{Code: 9}, "unknown return code"},
		{fmt.Errorf("connecting: %w", &ConnectError{Code: 4}), "CONNACK 4"},
		{&FieldError{Field: "url", Msg: "mqtt:// cannot be opened from a browser; use ws:// or wss://"}, "The url is not valid: mqtt://"},
		{&DialError{URL: u, Kind: KindUnreachable}, "iot.example:443 cannot be resolved"},
		{&DialError{URL: "ws://h:1/x", Kind: KindRefused}, "nothing is listening at h:1"},
		{&DialError{URL: u, Kind: KindHandshake, StatusCode: 404}, "HTTP 404 — wrong path?"},
		{&DialError{URL: u, Kind: KindHandshake, StatusCode: 403}, "HTTP 403"},
		{&DialError{URL: u, Kind: KindSubprotocol}, `"mqtt" subprotocol`},
		{&DialError{URL: u, Kind: KindTLS}, "not trusted"},
		{&DialError{URL: u, Kind: KindTimeout}, "in time"},
		{&DialError{URL: u, Kind: KindClosed, CloseCode: 1006},
			"the connection closed abnormally (1006): the server is unreachable, refused the WebSocket upgrade"},
		{&DialError{URL: u, Kind: KindClosed, CloseCode: 1015}, "TLS handshake failed (1015)"},
		{&DialError{URL: u, Kind: KindClosed}, "closed before the login"},
		{&DialError{URL: u, Kind: KindBlocked}, "https:// may only open wss://"},
		{&DialError{URL: u, Kind: KindProtocol}, "not an MQTT broker"},
		{&DialError{URL: u, Kind: KindNetwork}, "network error"},
		{&SubscribeError{Filter: "$sys/1/d/#", Code: 0x80}, `"$sys/1/d/#" refused (SUBACK 0x80)`},
		{lost, "same device logs in elsewhere"},
		{&ConnectionLostError{CloseCode: 1006}, "closed abnormally (1006): the network dropped"},
		{&ConnectionLostError{CloseCode: 1011}, "internal error (1011)"},
		{&ConnectionLostError{Err: errWebSocketClosed}, "the broker closed it or the network dropped"},
		{&ConnectionLostError{Err: errors.New("pingresp not received, disconnecting")}, "keepalive"},
		{&closedError{lost}, "; the client is closed"},
		{&PasswordError{Err: errors.New("key missing")}, "password to log in: key missing"},
		{ErrClosed, "client is closed"},
		{context.DeadlineExceeded, "timed out"},
		{fmt.Errorf("mqttws: publish: %w", context.Canceled), "cancelled"},
		{errors.New("mqttws: something else"), "Something else."},
	} {
		got := Explain(tc.err)
		if !strings.Contains(strings.ToLower(got), strings.ToLower(tc.want)) {
			t.Errorf("Explain(%v) = %q, want it to contain %q", tc.err, got, tc.want)
		}
		if r := []rune(got); !unicode.IsUpper(r[0]) || !strings.HasSuffix(got, ".") || strings.Count(got, ". ") > 0 {
			t.Errorf("Explain(%v) = %q: not one sentence", tc.err, got)
		}
		if msg := tc.err.Error(); strings.HasPrefix(msg, "mqttws: ") && strings.HasPrefix(msg, "mqttws: mqttws:") {
			t.Errorf("%q: doubled prefix", msg)
		}
	}
	if got := Explain(nil); got != "" {
		t.Errorf("Explain(nil) = %q", got)
	}
}

func TestErrorsUnwrap(t *testing.T) {
	lost := &ConnectionLostError{Err: io.EOF}
	closed := error(&closedError{lost})
	var le *ConnectionLostError
	if !errors.Is(closed, ErrClosed) || !errors.As(closed, &le) || !errors.Is(closed, io.EOF) {
		t.Errorf("closedError does not unwrap to ErrClosed, *ConnectionLostError and io.EOF")
	}
	if got := closed.Error(); got != "mqttws: client closed after connection lost: the broker closed the connection — "+
		"on OneNET this happens when the same device logs in elsewhere, or after a publish the platform forbids "+
		"(a topic outside the device's own, retain, QoS 2, or a payload over 256 KB) (EOF)" {
		t.Errorf("closedError.Error() = %q", got)
	}
	de := &DialError{URL: "ws://h:1/", Kind: KindTimeout, Err: context.DeadlineExceeded}
	if !errors.Is(de, context.DeadlineExceeded) {
		t.Errorf("DialError does not unwrap")
	}
	if got := de.Error(); got != "mqttws: ws://h:1/: timeout: h:1 did not complete the login in time — "+
		"the server may be unreachable, overloaded, or not an MQTT broker (context deadline exceeded)" {
		t.Errorf("DialError.Error() = %q", got)
	}
}
