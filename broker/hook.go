package broker

import (
	"errors"
	"fmt"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/onenet-wasm/onenet-wasm/internal/logsafe"
	"github.com/onenet-wasm/onenet-wasm/onenet"
)

// The broker is mochi with one hook, onenetHook, which hands each event to
// five concerns in this order (a CONNECT or packet refused by one is not
// seen by the next):
//
//   - accessHook (hook_access.go): the rules a CONNECT, PUBLISH, SUBSCRIBE
//     or acknowledgement must follow, and which topics a device may receive;
//   - loginHook (hook_login.go): who the device is (its token), its session,
//     take-over and disconnection;
//   - limitsHook (hook_limits.go): the per-device rate limits and bans,
//     which count only logged-in devices (failed logins are throttled per
//     address instead: limits.go);
//   - sysHook (hook_sys.go): the "$sys/" namespace mapped around mochi's
//     $SYS filter;
//   - platformHook (hook_platform.go): what the platform does with a
//     device's publish and the replies it sends.
//
// They share the session of a logged-in client, which its connection
// carries (conn, broker.go). One hook
// rather than five: mochi asks every hook whether it provides an event, at
// every event, and hands each OnPacketRead the packet by value; a packet's
// session is looked up once for the three concerns that read it
// (docs/BENCHMARKS.md).
func (b *Broker) hooks() []mqtt.Hook {
	return []mqtt.Hook{&onenetHook{
		b:        b,
		access:   accessHook{b: b},
		login:    loginHook{b: b},
		limits:   limitsHook{b: b},
		platform: platformHook{b: b},
	}}
}

// onenetHook is the broker's one mochi hook: it calls the concerns above.
type onenetHook struct {
	mqtt.HookBase
	b        *Broker
	access   accessHook
	login    loginHook
	limits   limitsHook
	sys      sysHook
	platform platformHook
}

func (h *onenetHook) ID() string { return "onenet" }

// provided holds a bit for each mochi event onenetHook handles.
const provided = 1<<mqtt.OnConnect | 1<<mqtt.OnConnectAuthenticate |
	1<<mqtt.OnSessionEstablish | 1<<mqtt.OnSessionEstablished | 1<<mqtt.OnDisconnect |
	1<<mqtt.OnPacketRead | 1<<mqtt.OnACLCheck | 1<<mqtt.OnPacketEncode |
	1<<mqtt.OnPublish | 1<<mqtt.OnPublished

func (h *onenetHook) Provides(b byte) bool { return b < 64 && provided&(uint64(1)<<b) != 0 }

// OnConnect: accessHook's rules, loginHook's login, limitsHook's count.
func (h *onenetHook) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
	if err := h.access.OnConnect(cl, pk); err != nil {
		return err
	}
	if err := h.login.OnConnect(cl, pk); err != nil {
		return err
	}
	return h.limits.OnConnect(cl, pk)
}

func (h *onenetHook) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	return h.login.OnConnectAuthenticate(cl, pk)
}

func (h *onenetHook) OnSessionEstablish(cl *mqtt.Client, pk packets.Packet) {
	h.login.OnSessionEstablish(cl, pk)
}

func (h *onenetHook) OnSessionEstablished(cl *mqtt.Client, pk packets.Packet) {
	h.login.OnSessionEstablished(cl, pk)
}

func (h *onenetHook) OnDisconnect(cl *mqtt.Client, err error, expire bool) {
	h.login.OnDisconnect(cl, err, expire)
}

// OnPacketRead: accessHook's checks, limitsHook's counts, then sysHook's
// mapping, on the packet in place, with the client's session (nil before
// login) looked up once. A packet refused by one (packets.ErrRejectPacket)
// ends the connection.
func (h *onenetHook) OnPacketRead(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	s := h.b.session(cl)
	if err := h.access.OnPacketRead(cl, s, &pk); err != nil {
		return pk, err
	}
	if err := h.limits.OnPacketRead(cl, s, &pk); err != nil {
		return pk, err
	}
	h.sys.OnPacketRead(s, &pk)
	return pk, nil
}

func (h *onenetHook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	return h.access.OnACLCheck(cl, topic, write)
}

func (h *onenetHook) OnPacketEncode(cl *mqtt.Client, pk packets.Packet) packets.Packet {
	h.sys.OnPacketEncode(&pk)
	return pk
}

func (h *onenetHook) OnPublish(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	h.platform.OnPublish(cl, &pk)
	return pk, nil
}

func (h *onenetHook) OnPublished(cl *mqtt.Client, pk packets.Packet) {
	h.platform.OnPublished(cl)
}

// session is one logged-in connection of a device.
type session struct {
	dev    *device
	reason string  // why the broker ends the connection, once it decides to
	how    string  // which key signed the token
	out    replies // the replies to the publish being processed

	// The last topic the connection published to that passed checkPublish,
	// and what onenet.ParseTopic found in it. A device publishes to a few
	// topics, most often the same one: the next publish to it is not
	// checked and parsed again, neither in checkPublish nor in handle.
	// Only the connection's goroutine reads and writes them (mochi calls
	// OnPacketRead and OnPublish there). internal is the topic's internal
	// name (sysHook), not made again for each publish.
	topic    string
	info     onenet.TopicInfo
	internal string
}

// parsed returns what onenet.ParseTopic finds in the device's topic
// "$sys/{pid}/{device}/"+suffix if it is the session's last checked
// topic, or nil.
func (s *session) parsed(suffix string) *onenet.TopicInfo {
	p := s.dev.prefix
	if s.topic != "" && len(s.topic) == len(p)+len(suffix) && s.topic[len(p):] == suffix && s.topic[:len(p)] == p {
		return &s.info
	}
	return nil
}

// session returns the session of a logged-in client, or nil.
func (b *Broker) session(cl *mqtt.Client) *session {
	if c, ok := cl.Net.Conn.(*conn); ok {
		return c.sess.Load()
	}
	return nil
}

// setSession sets or (s nil) clears the session of a client, and returns
// the one it replaces. A client that is not on one of the broker's
// connections has none.
func (b *Broker) setSession(cl *mqtt.Client, s *session) *session {
	if c, ok := cl.Net.Conn.(*conn); ok {
		return c.sess.Swap(s)
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

// refuseConnect logs why a CONNECT is refused and sends the CONNACK itself:
// mochi would map "bad username or password" to the MQTT 3.1.1 code 5,
// where OneNET answers 4. A refusal counts toward its address's failed
// logins (limits.go); from a blocked address it is answered with CONNACK 3,
// unlogged. It returns the error a hook's OnConnect returns.
func (b *Broker) refuseConnect(cl *mqtt.Client, pk packets.Packet, code byte, format string, args ...any) error {
	c := &pk.Connect
	if b.throttleFailure(cl.Net.Remote, b.now(), code) {
		code = connackUnavailable // blocked: said once, when the block began
	} else {
		b.logf("login refused: client id %s, username %s, from %s via %s: %s (CONNACK %d)",
			logsafe.Q(c.ClientIdentifier), logsafe.B(c.Username), cl.Net.Remote, cl.Net.Listener, fmt.Sprintf(format, args...), code)
	}
	if pk.ProtocolVersion == 5 {
		code = map[byte]byte{connackBadProtocol: 0x84, connackUnavailable: 0x88, connackBadLogin: 0x86, connackNotAllowed: 0x87}[code]
	}
	_ = cl.WritePacket(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connack}, ReasonCode: code})
	return errRefused
}

// closeConnect logs why a CONNECT is refused and closes the connection
// without a CONNACK: what OneNET's limits page says it does ("断开连接")
// for a keepalive out of range, a will, clean session 0 or a missing field
// (docs/PROTOCOL.md §3.7). A client sees a connection closed during its
// login. The refusal counts toward its address's failed logins, as
// refuseConnect's do.
func (b *Broker) closeConnect(cl *mqtt.Client, pk packets.Packet, format string, args ...any) error {
	c := &pk.Connect
	if !b.throttleFailure(cl.Net.Remote, b.now(), connackBadLogin) {
		b.logf("login refused: client id %s, username %s, from %s via %s: %s (connection closed without a CONNACK)",
			logsafe.Q(c.ClientIdentifier), logsafe.B(c.Username), cl.Net.Remote, cl.Net.Listener, fmt.Sprintf(format, args...))
	}
	return errRefused
}

// reject ends a client's connection from OnPacketRead: mochi closes the
// connection when a hook's OnPacketRead returns packets.ErrRejectPacket.
// The reason is logged when the client is disconnected.
func reject(s *session, format string, args ...any) error {
	why := fmt.Sprintf(format, args...)
	if s != nil {
		s.reason = why
	}
	return fmt.Errorf("%w: %s", packets.ErrRejectPacket, why)
}

// rule names a rule in a log line as the page names it in its warning: its
// code and its section of docs/PROTOCOL.md, e.g. "(filter.levels,
// docs/PROTOCOL.md §5.2)".
func rule(code string) string {
	if sec := onenet.Section(code); sec != "" {
		return "(" + code + ", docs/PROTOCOL.md " + sec + ")"
	}
	return "(" + code + ")"
}

// ruleErr is errText followed by the rule of an onenet error.
func ruleErr(err error) string {
	var oe *onenet.Error
	if errors.As(err, &oe) {
		return errText(err) + " " + rule(oe.Code)
	}
	return errText(err)
}

// errText is an error's message without its package prefix.
func errText(err error) string {
	var oe *onenet.Error
	if errors.As(err, &oe) {
		return logsafe.Cut(oe.Field+": "+oe.Msg, 256) // the message may quote the topic
	}
	return logsafe.Cut(err.Error(), 256)
}
