package broker

import (
	"errors"
	"fmt"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/onenet-wasm/onenet-wasm/internal/logsafe"
	"github.com/onenet-wasm/onenet-wasm/onenet"
	"github.com/onenet-wasm/onenet-wasm/token"
)

// loginHook logs devices in (docs/PROTOCOL.md §3): it finds the device a CONNECT names,
// verifies its token, keeps its session (Broker.setSession) and marks it
// online and offline. A new login of a device takes the old one over.
// onenetHook calls it (hook.go).
type loginHook struct {
	b *Broker
}

// OnConnect logs a device in: client id = device name, username = product
// id, password = a token. Any credential problem is refused with CONNACK 4
// (bad user name or password), logged with OneNET's reason code (1103,
// 1104, 1106, 1107, 1110, 1111, 1114).
func (h *loginHook) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
	b := h.b
	c := &pk.Connect
	pid, name := string(c.Username), c.ClientIdentifier
	d := b.devices[pid+"/"+name]
	if d == nil {
		if b.products[pid] == nil {
			return b.refuseConnect(cl, pk, connackBadLogin, "1107 device not found: no product %s", logsafe.Q(pid))
		}
		return b.refuseConnect(cl, pk, connackBadLogin, "1107 device not found: product %s has no device %s", logsafe.Q(pid), logsafe.Q(name))
	}
	how, code, why := b.verifyLogin(d, string(c.Password), b.now())
	if code != 0 {
		return b.refuseConnect(cl, pk, connackBadLogin, "%d %s", code, why)
	}
	cl.ID = d.key // unique across products, so take-over is per device
	b.setSession(cl, &session{dev: d, how: how})
	return nil
}

// verifyLogin checks a device's token (docs/PROTOCOL.md §1, §3): res
// products/{pid}/devices/{name} signed with the device key or the product
// key, or res products/{pid} signed with the product key. It returns which
// key signed it, or OneNET's reason code and what is wrong; never the token.
func (b *Broker) verifyLogin(d *device, tok string, now time.Time) (how string, code int, why string) {
	t, err := token.Parse(tok)
	if err != nil {
		return "", reasonCode(err), describeTokenErr(err)
	}
	if t.Version != token.Version2018 {
		return "", token.ErrVersion.Code, fmt.Sprintf("%s: version %s is for the HTTP API; MQTT logins use %s (docs/PROTOCOL.md §1)", token.ErrVersion.Text, logsafe.Q(t.Version), token.Version2018)
	}
	devRes, prodRes := "products/"+d.pid+"/devices/"+d.name, "products/"+d.pid
	opts := token.VerifyOptions{Now: now, Res: t.Res}
	switch t.Res {
	case devRes:
		if d.devKey != "" {
			_, err = token.Verify(tok, d.devKey, opts)
			if err == nil {
				return "device key", 0, ""
			}
			if token.CodeOf(err) != token.ErrSignMismatch.Code {
				return "", reasonCode(err), describeTokenErr(err)
			}
		}
		_, err = token.Verify(tok, d.prodKey, opts)
		if err == nil {
			return "product key", 0, ""
		}
		if token.CodeOf(err) == token.ErrSignMismatch.Code {
			if d.devKey != "" {
				return "", token.ErrSignMismatch.Code, token.ErrSignMismatch.Text + ": neither the device key nor the product key signed this token"
			}
			return "", token.ErrSignMismatch.Code, token.ErrSignMismatch.Text + ": the product key did not sign this token (the device has no device key here)"
		}
		return "", reasonCode(err), describeTokenErr(err)
	case prodRes:
		_, err = token.Verify(tok, d.prodKey, opts)
		if err == nil {
			return "product key", 0, ""
		}
		if token.CodeOf(err) == token.ErrSignMismatch.Code {
			return "", token.ErrSignMismatch.Code, token.ErrSignMismatch.Text + ": the product key did not sign this token"
		}
		return "", reasonCode(err), describeTokenErr(err)
	}
	return "", token.ErrResourceMismatch.Code, fmt.Sprintf("%s: the token's res is %s; client id %q and username %q need %q or %q",
		token.ErrResourceMismatch.Text, logsafe.Q(t.Res), d.name, d.pid, devRes, prodRes)
}

func reasonCode(err error) int {
	if c := token.CodeOf(err); c != 0 {
		return c
	}
	return token.ErrInvalid.Code
}

// describeTokenErr says what is wrong with a token without quoting it: the
// token's own messages may quote parts of it.
func describeTokenErr(err error) string {
	var te *token.Error
	if !errors.As(err, &te) {
		return token.ErrInvalid.Text
	}
	text := token.ErrInvalid.Text
	if te.Reason != nil {
		text = te.Reason.Text
	}
	switch te.Field {
	case "et":
		if te.Reason == token.ErrExpired {
			return text + " (" + te.Msg + ")" // "expired at <time>": no secret
		}
	case "res":
		return text + " (" + te.Msg + ")" // resources are not secret
	}
	return text + " (field " + te.Field + ")"
}

// OnConnectAuthenticate accepts the clients OnConnect let through.
func (h *loginHook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	return h.b.session(cl) != nil
}

// sessionEndWait bounds how long a login waits for the device's previous
// connection to end.
const sessionEndWait = 5 * time.Second

// OnSessionEstablish marks the device online, just before mochi takes over
// an older session of the same device (same client id) and sends the
// CONNACK.
func (h *loginHook) OnSessionEstablish(cl *mqtt.Client, pk packets.Packet) {
	s := h.b.session(cl)
	if s == nil {
		return
	}
	d := s.dev
	d.mu.Lock()
	old, oldRemote, ended := d.cl, d.remote, d.ended
	d.mu.Unlock()
	// Every session of a device has the client id d.key, and mochi drops a
	// closed session's subscriptions and entry by that id after its
	// OnDisconnect. A new login that overtook that clean-up would lose its
	// own subscriptions to it, so it waits until the previous connection is
	// gone, ending it first if it is still open (the take-over).
	if ended != nil {
		if old != nil {
			old.Stop(packets.ErrSessionTakenOver)
		}
		select {
		case <-ended:
		case <-h.b.done:
		case <-time.After(sessionEndWait):
			h.b.logf("take-over: device %s: the previous connection did not end in %s", d.key, sessionEndWait)
		}
	}
	d.mu.Lock()
	d.cl, d.remote, d.lastSeen, d.ended = cl, cl.Net.Remote, h.b.now(), h.b.ended(cl.Net.Conn)
	d.mu.Unlock()
	if old != nil {
		h.b.logf("take-over: device %s: a new login from %s disconnects the session from %s (docs/PROTOCOL.md §3)", d.key, cl.Net.Remote, oldRemote)
	}
}

// OnSessionEstablished logs the login, after its CONNACK.
func (h *loginHook) OnSessionEstablished(cl *mqtt.Client, pk packets.Packet) {
	if s := h.b.session(cl); s != nil {
		h.b.logf("login accepted: device %s from %s via %s (token signed with the %s, keepalive %d s)", s.dev.key, cl.Net.Remote, cl.Net.Listener, s.how, pk.Connect.Keepalive)
	}
}

// OnDisconnect marks the device offline unless a newer session took over.
func (h *loginHook) OnDisconnect(cl *mqtt.Client, err error, expire bool) {
	s := h.b.setSession(cl, nil)
	if s == nil {
		return
	}
	d := s.dev
	d.mu.Lock()
	if d.cl == cl {
		d.cl, d.remote = nil, ""
	}
	d.lastSeen = h.b.now()
	d.mu.Unlock()
	why := s.reason
	if why == "" {
		why = stopReason(cl, err, h.b.closing())
	}
	h.b.logf("disconnected: device %s from %s: %s", d.key, cl.Net.Remote, why)
}

// stopReason says why a connection ended; closing reports whether the
// broker is closing (its listeners close the connections: listener.go).
func stopReason(cl *mqtt.Client, err error, closing bool) string {
	cause := cl.StopCause()
	switch {
	case errors.Is(cause, packets.ErrSessionTakenOver):
		return "taken over by a new login of the same device (docs/PROTOCOL.md §3)"
	case errors.Is(cause, packets.CodeDisconnect) || (err == nil && cause == nil):
		return "the client disconnected"
	case closing || errors.Is(cause, packets.ErrServerShuttingDown):
		return "the broker is shutting down"
	case errors.Is(err, packets.ErrPacketTooLarge):
		return fmt.Sprintf("a packet larger than %d bytes: the payload limit is %d (docs/PROTOCOL.md §5.1)", maxPacket, onenet.MaxPayload)
	case err != nil:
		if isTimeout(err) {
			return "no packet for 1.5 × keepalive (docs/PROTOCOL.md §3)"
		}
		return "connection closed: " + err.Error()
	}
	return "closed: " + cause.Error()
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
