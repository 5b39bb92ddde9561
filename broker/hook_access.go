package broker

import (
	"strings"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/onenet-wasm/onenet-wasm/internal/logsafe"
	"github.com/onenet-wasm/onenet-wasm/onenet"
)

// accessHook enforces OneNET's rules on the packets a client sends (docs/PROTOCOL.md
// §3, §4, §5): the CONNECT's protocol and flags, where and how a device may
// publish and subscribe, and the acknowledgements it may send. It sees
// topics and filters as the device wrote them ("$sys/…"), before sysHook
// maps them. Its OnACLCheck lets a device receive only its own topics.
// onenetHook calls it (hook.go).
type accessHook struct {
	b *Broker
}

// OnConnect refuses a CONNECT OneNET does not allow, whoever sends it
// (docs/PROTOCOL.md §3.7):
//
//   - not MQTT 3.1.1: CONNACK 1 (unacceptable protocol version), as MQTT
//     3.1.1 §3.1.2.2 asks; OneNET documents no code;
//   - keepalive outside [10, 1800] s, a will, clean session 0, an empty
//     client id, username or password: the connection is closed without a
//     CONNACK, as OneNET's limits page says ("断开连接", no return code).
func (h *accessHook) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
	b := h.b
	c := &pk.Connect
	if pk.ProtocolVersion != onenet.ProtocolLevel {
		return b.refuseConnect(cl, pk, connackBadProtocol, "MQTT protocol level %d: OneNET speaks only MQTT 3.1.1, level 4 %s", pk.ProtocolVersion, rule("connect.protocol"))
	}
	if ka := c.Keepalive; ka < onenet.MinKeepAlive || ka > onenet.MaxKeepAlive {
		return b.closeConnect(cl, pk, "keepalive %d s is outside [%d, %d] %s", ka, onenet.MinKeepAlive, onenet.MaxKeepAlive, rule("connect.keepAlive"))
	}
	if c.WillFlag {
		return b.closeConnect(cl, pk, "a will message: OneNET allows none %s", rule("connect.will"))
	}
	if !c.Clean {
		return b.closeConnect(cl, pk, "clean session 0: OneNET requires clean session 1 %s", rule("connect.cleanSession"))
	}
	for _, f := range []struct {
		name, code string
		n          int
	}{{"client id", "connect.clientId", len(c.ClientIdentifier)}, {"username", "connect.username", len(c.Username)}, {"password", "connect.password", len(c.Password)}} {
		if f.n == 0 {
			return b.closeConnect(cl, pk, "1101 empty %s: give the device name, the product id and a token %s", f.name, rule(f.code))
		}
	}
	return nil
}

// OnPacketRead checks each packet a client sends after its CONNECT, before
// mochi validates it, in place; s is the client's session, nil before
// login. A packet that breaks a rule disconnects the client.
func (h *accessHook) OnPacketRead(cl *mqtt.Client, s *session, pk *packets.Packet) error {
	if pk.FixedHeader.Type == packets.Publish {
		return h.publishRead(s, pk)
	}
	return h.packetRead(cl, s, pk)
}

// publishRead and packetRead are OnPacketRead for a PUBLISH and the
// others: what a goroutine's stack holds on the way of every publish is
// smaller (docs/BENCHMARKS.md).
func (h *accessHook) publishRead(s *session, pk *packets.Packet) error {
	if s == nil {
		return reject(nil, "publish before login")
	}
	if err := checkPublish(s, pk); err != nil {
		return err
	}
	if strings.HasPrefix(pk.TopicName, onenet.SubdevPrefix) {
		return h.b.checkSubdevPublish(s, pk.TopicName)
	}
	return nil
}

func (h *accessHook) packetRead(cl *mqtt.Client, s *session, pk *packets.Packet) error {
	switch pk.FixedHeader.Type {
	case packets.Connect:
		return h.b.checkProtocolLevel(cl, pk)
	case packets.Subscribe:
		if s == nil {
			return reject(nil, "subscribe before login")
		}
		if err := h.checkSubscribe(s, pk); err != nil {
			return err
		}
	case packets.Unsubscribe:
		if s == nil {
			return reject(nil, "unsubscribe before login")
		}
		if err := checkUnsubscribe(s, pk); err != nil {
			return err
		}
	case packets.Puback:
		// The broker sends devices QoS 0 only, so any PUBACK is for a
		// packet it never sent (docs/PROTOCOL.md §5.5: "unknown PUBACK: disconnect").
		if _, ok := cl.State.Inflight.Get(pk.PacketID); !ok {
			return reject(s, "PUBACK for unknown packet id %d %s", pk.PacketID, rule("puback.unknown"))
		}
	case packets.Pubrec, packets.Pubrel, packets.Pubcomp:
		return reject(s, "QoS 2 flow packet %s", rule("qos2.flow"))
	}
	return nil
}

// checkPublish applies docs/PROTOCOL.md §4 and §5.1 to a device's PUBLISH:
// anything else than QoS 0 or 1 without retain, at most 256 KB, to one of
// the documented topics a device publishes inside its own tree, disconnects
// it.
func checkPublish(s *session, pk *packets.Packet) error {
	fh := pk.FixedHeader
	if fh.Qos == 2 || fh.Retain || fh.Dup && fh.Qos == 0 || len(pk.Payload) > onenet.MaxPayload {
		return refusePublish(s, pk)
	}
	if strings.HasPrefix(pk.TopicName, onenet.SubdevPrefix) {
		return nil // a gateway's sub-devices: checkSubdevPublish (subdev.go)
	}
	if s.topic != "" && pk.TopicName == s.topic {
		return nil // checked at the last publish (session.topic)
	}
	return checkPublishTopic(s, pk)
}

// refusePublish says why checkPublish refuses a publish's flags or size.
// It and checkPublishTopic are out of line: what a goroutine's stack must
// hold on the way of every publish is smaller (docs/BENCHMARKS.md).
//
//go:noinline
func refusePublish(s *session, pk *packets.Packet) error {
	fh := pk.FixedHeader
	switch {
	case fh.Qos == 2:
		return reject(s, "QoS 2 publish to %s %s", logsafe.Q(pk.TopicName), rule("publish.qos"))
	case fh.Retain:
		return reject(s, "retained publish to %s %s", logsafe.Q(pk.TopicName), rule("publish.retain"))
	case fh.Dup && fh.Qos == 0:
		return reject(s, "DUP flag on a QoS 0 publish to %s %s", logsafe.Q(pk.TopicName), rule("publish.dup"))
	case len(pk.Payload) > onenet.MaxPayload:
		return reject(s, "payload of %d bytes to %s; the limit is %d %s", len(pk.Payload), logsafe.Q(pk.TopicName), onenet.MaxPayload, rule("publish.size"))
	}
	return nil
}

// checkPublishTopic checks a topic of the device's own tree, and keeps it
// as the session's last checked topic if it passes.
//
//go:noinline
func checkPublishTopic(s *session, pk *packets.Packet) error {
	d := s.dev
	if err := onenet.CheckPublishTopic(pk.TopicName, d.pid, d.name); err != nil {
		return reject(s, "publish: %s", ruleErr(err))
	}
	info, err := onenet.ParseTopic(pk.TopicName)
	if err != nil {
		return reject(s, "publish: %s: OneNET disconnects a device that publishes to a topic that is not a system topic", ruleErr(err))
	}
	if info.Kind.Direction() != "up" {
		return reject(s, "publish to %s: %s is a topic the platform publishes, not the device %s", logsafe.Q(pk.TopicName), info.Kind, rule("publish.downlink"))
	}
	s.topic, s.info, s.internal = pk.TopicName, info, toInternal(pk.TopicName)
	return nil
}

// invalidFilter is a filter mochi refuses (a '#' that is not last), so that
// its SUBACK carries 0x80 for a filter OneNET refuses.
const invalidFilter = "#refused"

// checkSubscribe applies docs/PROTOCOL.md §4.4, §4.5, §4.7 and §5.2 to a
// SUBSCRIBE: more than 8 filters, or a filter over the limits of §5.2,
// disconnect; a filter outside the device's tree or with a wildcard before
// the 4th level is replaced by invalidFilter (SUBACK 0x80); every granted
// QoS is 0.
func (h *accessHook) checkSubscribe(s *session, pk *packets.Packet) error {
	d := s.dev
	if n := len(pk.Filters); n > onenet.MaxFiltersPerSubscribe {
		return reject(s, "SUBSCRIBE with %d filters; the limit is %d %s", n, onenet.MaxFiltersPerSubscribe, rule("subscribe.count"))
	}
	for i := range pk.Filters {
		f := &pk.Filters[i]
		f.Qos = 0
		err := onenet.CheckFilter(f.Filter, d.pid, d.name)
		if onenet.SubscribeDisconnects(err) {
			return reject(s, "subscribe: %s", ruleErr(err))
		}
		if strings.HasPrefix(f.Filter, onenet.SubdevPrefix) { // a gateway's sub-devices (subdev.go)
			if why := h.b.subdevFilter(d, f.Filter); why != "" {
				h.b.logf("subscribe refused: device %s: %s (SUBACK 0x80, docs/PROTOCOL.md §12)", d.key, why)
				f.Filter = invalidFilter
			}
			continue
		}
		if err != nil {
			h.b.logf("subscribe refused: device %s: %s (SUBACK 0x80)", d.key, ruleErr(err))
			f.Filter = invalidFilter
		}
	}
	return nil
}

// checkUnsubscribe applies docs/PROTOCOL.md §5.3 to an UNSUBSCRIBE: more
// than 8 filters, or a filter over the limits, disconnect.
func checkUnsubscribe(s *session, pk *packets.Packet) error {
	if n := len(pk.Filters); n > onenet.MaxFiltersPerUnsubscribe {
		return reject(s, "UNSUBSCRIBE with %d filters; the limit is %d %s", n, onenet.MaxFiltersPerUnsubscribe, rule("unsubscribe.count"))
	}
	for _, f := range pk.Filters {
		if err := onenet.CheckUnsubscribeFilter(f.Filter); err != nil {
			return reject(s, "unsubscribe: %s", ruleErr(err))
		}
	}
	return nil
}

// OnACLCheck lets a device receive only its own topics. Its publishes and
// filters were checked in OnPacketRead.
func (h *accessHook) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	s := h.b.session(cl)
	return s != nil && (strings.HasPrefix(topic, s.dev.iprefix) || h.b.subdevACL(s.dev, topic))
}
