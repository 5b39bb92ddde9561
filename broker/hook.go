package broker

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/onenet-wasm/onenet-wasm/internal/logsafe"
	"github.com/onenet-wasm/onenet-wasm/onenet"
	"github.com/onenet-wasm/onenet-wasm/token"
)

// hook is the mochi hook that makes the broker behave like OneNET: it logs
// devices in (notes §3), enforces the access rules and rate limits (§5),
// maps the $sys namespace around mochi's $SYS filter, and answers what
// devices publish (§4).
type hook struct {
	mqtt.HookBase
	b        *Broker
	sessions sync.Map // *mqtt.Client -> *session, for logged-in clients
}

// session is one logged-in connection of a device.
type session struct {
	dev    *device
	reason string  // why the broker ends the connection, once it decides to
	how    string  // which key signed the token
	out    replies // the replies to the publish being processed
}

func (h *hook) ID() string { return "onenet" }

func (h *hook) Provides(b byte) bool {
	switch b {
	case mqtt.OnConnect, mqtt.OnConnectAuthenticate, mqtt.OnACLCheck,
		mqtt.OnSessionEstablish, mqtt.OnSessionEstablished, mqtt.OnDisconnect,
		mqtt.OnPacketRead, mqtt.OnPacketEncode, mqtt.OnPublish, mqtt.OnPublished:
		return true
	}
	return false
}

func (h *hook) session(cl *mqtt.Client) *session {
	if s, ok := h.sessions.Load(cl); ok {
		return s.(*session)
	}
	return nil
}

// CONNACK return codes of MQTT 3.1.1 (§3.2.2.3).
const (
	connackBadProtocol = 1
	connackUnavailable = 3
	connackBadLogin    = 4
	connackNotAllowed  = 5
)

var errRefused = errors.New("login refused")

// OnConnect checks a CONNECT the way OneNET does (notes §3) and, when it
// refuses, sends the CONNACK itself: mochi would map "bad username or
// password" to the MQTT 3.1.1 code 5, where OneNET answers 4. Codes:
//
//   - 1 (unacceptable protocol version): not MQTT 3.1.1;
//   - 5 (not authorized): keepalive outside [10, 1800] s, a will, or
//     clean session 0, which OneNET does not allow;
//   - 4 (bad user name or password): any credential problem, logged with
//     OneNET's reason code (1101, 1103, 1104, 1106, 1107, 1110, 1111, 1114);
//   - 3 (server unavailable): the device is banned for exceeding a rate
//     limit, or this login exceeds one.
func (h *hook) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
	b := h.b
	c := &pk.Connect
	now := b.now()
	who := fmt.Sprintf("client id %s, username %s, from %s via %s", logsafe.Q(c.ClientIdentifier), logsafe.B(c.Username), cl.Net.Remote, cl.Net.Listener)
	refuse := func(code byte, format string, args ...any) error {
		if b.throttleFailure(cl.Net.Remote, now, code) {
			code = connackUnavailable // blocked: said once, when the block began
		} else {
			b.logf("login refused: %s: %s (CONNACK %d)", who, fmt.Sprintf(format, args...), code)
		}
		if pk.ProtocolVersion == 5 {
			code = map[byte]byte{connackBadProtocol: 0x84, connackUnavailable: 0x88, connackBadLogin: 0x86, connackNotAllowed: 0x87}[code]
		}
		_ = cl.WritePacket(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connack}, ReasonCode: code})
		return errRefused
	}
	if pk.ProtocolVersion != onenet.ProtocolLevel {
		return refuse(connackBadProtocol, "MQTT protocol level %d: OneNET speaks only MQTT 3.1.1, level 4 (notes §3)", pk.ProtocolVersion)
	}
	if ka := c.Keepalive; ka < onenet.MinKeepAlive || ka > onenet.MaxKeepAlive {
		return refuse(connackNotAllowed, "keepalive %d s is outside [%d, %d] (notes §3)", ka, onenet.MinKeepAlive, onenet.MaxKeepAlive)
	}
	if c.WillFlag {
		return refuse(connackNotAllowed, "a will message: OneNET allows none (notes §3)")
	}
	if !c.Clean {
		return refuse(connackNotAllowed, "clean session 0: OneNET requires clean session 1 (notes §3)")
	}
	if c.ClientIdentifier == "" || len(c.Username) == 0 || len(c.Password) == 0 {
		var empty []string
		for _, f := range []struct {
			name string
			n    int
		}{{"client id", len(c.ClientIdentifier)}, {"username", len(c.Username)}, {"password", len(c.Password)}} {
			if f.n == 0 {
				empty = append(empty, f.name)
			}
		}
		return refuse(connackBadLogin, "1101 empty %s (give the device name, the product id and a token)", strings.Join(empty, ", "))
	}
	pid, name := string(c.Username), c.ClientIdentifier
	d := b.devices[pid+"/"+name]
	if d == nil {
		if b.products[pid] == nil {
			return refuse(connackBadLogin, "1107 device not found: no product %s", logsafe.Q(pid))
		}
		return refuse(connackBadLogin, "1107 device not found: product %s has no device %s", logsafe.Q(pid), logsafe.Q(name))
	}
	// Only a login with valid credentials counts toward the device's rate
	// limit: see limits.go.
	how, code, why := b.verifyLogin(d, string(c.Password), now)
	if code != 0 {
		return refuse(connackBadLogin, "%d %s", code, why)
	}
	d.mu.Lock()
	why = d.count(now, &b.opts.Limits, countConnect)
	d.mu.Unlock()
	if why != "" {
		return refuse(connackUnavailable, "%s", why)
	}
	cl.ID = d.key // unique across products, so take-over is per device
	h.sessions.Store(cl, &session{dev: d, how: how})
	return nil
}

// verifyLogin checks a device's token (notes §1, §3): res
// products/{pid}/devices/{name} signed with the device key or the product
// key, or res products/{pid} signed with the product key. It returns which
// key signed it, or OneNET's reason code and what is wrong; never the token.
func (b *Broker) verifyLogin(d *device, tok string, now time.Time) (how string, code int, why string) {
	t, err := token.Parse(tok)
	if err != nil {
		return "", reasonCode(err), describeTokenErr(err)
	}
	if t.Version != token.Version2018 {
		return "", token.ErrVersion.Code, fmt.Sprintf("%s: version %s is for the HTTP API; MQTT logins use %s (notes §1)", token.ErrVersion.Text, t.Version, token.Version2018)
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
	return "", token.ErrResourceMismatch.Code, fmt.Sprintf("%s: the token's res is %q; client id %q and username %q need %q or %q",
		token.ErrResourceMismatch.Text, t.Res, d.name, d.pid, devRes, prodRes)
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
func (h *hook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	return h.session(cl) != nil
}

// OnSessionEstablish marks the device online, just before mochi takes over
// an older session of the same device (same client id) and sends the
// CONNACK.
func (h *hook) OnSessionEstablish(cl *mqtt.Client, pk packets.Packet) {
	s := h.session(cl)
	if s == nil {
		return
	}
	d := s.dev
	d.mu.Lock()
	old, oldRemote := d.cl, d.remote
	d.cl, d.remote, d.lastSeen = cl, cl.Net.Remote, h.b.now()
	d.mu.Unlock()
	if old != nil {
		h.b.logf("take-over: device %s: a new login from %s disconnects the session from %s (notes §3)", d.key, cl.Net.Remote, oldRemote)
	}
}

// OnSessionEstablished logs the login, after its CONNACK.
func (h *hook) OnSessionEstablished(cl *mqtt.Client, pk packets.Packet) {
	if s := h.session(cl); s != nil {
		h.b.logf("login accepted: device %s from %s via %s (token signed with the %s, keepalive %d s)", s.dev.key, cl.Net.Remote, cl.Net.Listener, s.how, pk.Connect.Keepalive)
	}
}

// OnDisconnect marks the device offline unless a newer session took over.
func (h *hook) OnDisconnect(cl *mqtt.Client, err error, expire bool) {
	v, ok := h.sessions.LoadAndDelete(cl)
	if !ok {
		return
	}
	s := v.(*session)
	d := s.dev
	d.mu.Lock()
	if d.cl == cl {
		d.cl, d.remote = nil, ""
	}
	d.lastSeen = h.b.now()
	d.mu.Unlock()
	why := s.reason
	if why == "" {
		why = stopReason(cl, err)
	}
	h.b.logf("disconnected: device %s from %s: %s", d.key, cl.Net.Remote, why)
}

func stopReason(cl *mqtt.Client, err error) string {
	cause := cl.StopCause()
	switch {
	case errors.Is(cause, packets.ErrSessionTakenOver):
		return "taken over by a new login of the same device (notes §3)"
	case errors.Is(cause, packets.ErrServerShuttingDown):
		return "the broker is shutting down"
	case errors.Is(cause, packets.CodeDisconnect) || (err == nil && cause == nil):
		return "the client disconnected"
	case errors.Is(err, packets.ErrPacketTooLarge):
		return fmt.Sprintf("a packet larger than %d bytes: the payload limit is %d (notes §5)", maxPacket, onenet.MaxPayload)
	case err != nil:
		if isTimeout(err) {
			return "no packet for 1.5 × keepalive (notes §3)"
		}
		return "connection closed: " + err.Error()
	}
	return "closed: " + cause.Error()
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// reject ends a client's connection from OnPacketRead: mochi closes the
// connection when a hook's OnPacketRead returns packets.ErrRejectPacket.
func (h *hook) reject(s *session, format string, args ...any) error {
	why := fmt.Sprintf(format, args...)
	if s != nil {
		s.reason = why
	}
	return fmt.Errorf("%w: %s", packets.ErrRejectPacket, why)
}

// OnPacketRead enforces OneNET's access rules (notes §5) on each packet a
// device sends, before mochi validates it, and maps "$sys/" to
// internalPrefix in PUBLISH topics and SUBSCRIBE/UNSUBSCRIBE filters.
func (h *hook) OnPacketRead(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	switch pk.FixedHeader.Type {
	case packets.Connect:
		return pk, nil
	case packets.Publish:
		s := h.session(cl)
		if s == nil {
			return pk, h.reject(nil, "publish before login")
		}
		if err := h.checkPublish(s, &pk); err != nil {
			return pk, err
		}
		pk.TopicName = internalPrefix + pk.TopicName[len(onenet.SysPrefix):]
	case packets.Subscribe:
		s := h.session(cl)
		if s == nil {
			return pk, h.reject(nil, "subscribe before login")
		}
		h.mapFilters(s, &pk)
	case packets.Unsubscribe:
		for i := range pk.Filters {
			if f := pk.Filters[i].Filter; strings.HasPrefix(f, onenet.SysPrefix) {
				pk.Filters[i].Filter = internalPrefix + f[len(onenet.SysPrefix):]
			}
		}
	case packets.Puback:
		// The broker sends devices QoS 0 only, so any PUBACK is for a
		// packet it never sent (notes §5: "unknown PUBACK: disconnect").
		if _, ok := cl.State.Inflight.Get(pk.PacketID); !ok {
			return pk, h.reject(h.session(cl), "PUBACK for unknown packet id %d (notes §5)", pk.PacketID)
		}
	case packets.Pubrec, packets.Pubrel, packets.Pubcomp:
		return pk, h.reject(h.session(cl), "QoS 2 flow packet (notes §5: no QoS 2)")
	}
	return pk, nil
}

// checkPublish applies notes §5 to a device's PUBLISH.
func (h *hook) checkPublish(s *session, pk *packets.Packet) error {
	d := s.dev
	fh := pk.FixedHeader
	switch {
	case fh.Qos == 2:
		return h.reject(s, "QoS 2 publish to %q (notes §5)", pk.TopicName)
	case fh.Retain:
		return h.reject(s, "retained publish to %q (notes §5)", pk.TopicName)
	case fh.Dup && fh.Qos == 0:
		return h.reject(s, "DUP flag on a QoS 0 publish to %q (notes §5)", pk.TopicName)
	case len(pk.Payload) > onenet.MaxPayload:
		return h.reject(s, "payload of %d bytes to %q; the limit is %d (notes §5)", len(pk.Payload), pk.TopicName, onenet.MaxPayload)
	}
	if !strings.HasPrefix(pk.TopicName, d.prefix) {
		return h.reject(s, "publish to %q, outside the device's own %s… (notes §5)", pk.TopicName, d.prefix)
	}
	if err := onenet.CheckPublishTopic(pk.TopicName, d.pid, d.name); err != nil {
		return h.reject(s, "publish: %s (notes §5)", errText(err))
	}
	which := countQoS0
	if fh.Qos == 1 {
		which = countQoS1
	}
	now := h.b.now()
	d.mu.Lock()
	why := d.count(now, &h.b.opts.Limits, which)
	d.lastSeen = now
	d.mu.Unlock()
	if why != "" {
		return h.reject(s, "%s", why)
	}
	return nil
}

// invalidFilter is a filter mochi refuses (a '#' that is not last), so that
// its SUBACK carries 0x80 for a filter OneNET refuses.
const invalidFilter = "#refused"

// mapFilters maps a SUBSCRIBE's filters to internal names, replaces those
// OneNET refuses (notes §5) by invalidFilter, and grants at most QoS 1.
func (h *hook) mapFilters(s *session, pk *packets.Packet) {
	d := s.dev
	tooMany := len(pk.Filters) > onenet.MaxFiltersPerSubscribe
	if tooMany {
		h.b.logf("subscribe refused: device %s: %d filters in one SUBSCRIBE; the limit is %d (notes §5)", d.key, len(pk.Filters), onenet.MaxFiltersPerSubscribe)
	}
	for i := range pk.Filters {
		f := &pk.Filters[i]
		if tooMany {
			f.Filter = invalidFilter
			continue
		}
		if strings.HasPrefix(f.Filter, onenet.SubdevPrefix) {
			h.b.logf("subscribe refused: device %s: %q: sub-device topics are not served yet (SUBACK 0x80)", d.key, f.Filter)
			f.Filter = invalidFilter
			continue
		}
		if err := onenet.CheckFilter(f.Filter, d.pid, d.name); err != nil {
			h.b.logf("subscribe refused: device %s: %s (SUBACK 0x80, notes §5)", d.key, errText(err))
			f.Filter = invalidFilter
			continue
		}
		f.Filter = internalPrefix + f.Filter[len(onenet.SysPrefix):]
		f.Qos = min(f.Qos, 1)
	}
}

// OnPacketEncode maps internal topic names back to "$sys/" in the PUBLISH
// packets the broker sends.
func (h *hook) OnPacketEncode(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	if pk.FixedHeader.Type == packets.Publish && strings.HasPrefix(pk.TopicName, internalPrefix) {
		pk.TopicName = onenet.SysPrefix + pk.TopicName[len(internalPrefix):]
	}
	return pk
}

// OnACLCheck lets a device receive only its own topics. Its publishes and
// filters were checked in OnPacketRead.
func (h *hook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	s := h.session(cl)
	return s != nil && strings.HasPrefix(topic, s.dev.iprefix)
}

// OnPublish processes a device's publish before mochi acknowledges it, and
// keeps it from being forwarded: the platform consumes it, as OneNET does.
// The broker's own (inline) publishes pass.
func (h *hook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if cl.Net.Inline {
		return pk, nil
	}
	if s := h.session(cl); s != nil && strings.HasPrefix(pk.TopicName, s.dev.iprefix) {
		s.out = h.b.handle(s.dev, pk.TopicName[len(s.dev.iprefix):], pk.Payload)
	}
	return pk, packets.CodeSuccessIgnore
}

// OnPublished sends the replies to a device's publish, after its PUBACK.
// (OnPublish and OnPublished run on the device's connection goroutine.)
func (h *hook) OnPublished(cl *mqtt.Client, pk packets.Packet) {
	if cl.Net.Inline {
		return
	}
	s := h.session(cl)
	if s == nil {
		return
	}
	out := s.out
	s.out = nil
	if cl.State.Subscriptions.Len() == 0 {
		// The replies go to the device's own topics, which only the device
		// may subscribe to: with no subscription, nobody would get them.
		// Publishing them anyway cost a twelfth of the broker's time under
		// a datapoint flood (docs/BENCHMARKS.md).
		return
	}
	for _, r := range out {
		_ = h.b.publish(s.dev, r.suffix, r.payload)
	}
}

// errText is an error's message without its package prefix.
func errText(err error) string {
	var oe *onenet.Error
	if errors.As(err, &oe) {
		return oe.Field + ": " + oe.Msg
	}
	return err.Error()
}

// publish sends payload to a device's topic suffix (after
// "$sys/{pid}/{device}/") at QoS 0; mochi delivers it only if the device
// has subscribed.
func (b *Broker) publish(d *device, suffix string, payload []byte) error {
	if payload == nil {
		payload = []byte{}
	}
	return b.srv.Publish(d.iprefix+suffix, payload, false, 0)
}
