package broker

import (
	"strings"

	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/onenet-wasm/onenet-wasm/onenet"
)

// sysHook maps the "$sys/" namespace around mochi, which drops every client
// PUBLISH whose topic begins with "$SYS" in any case: "$sys/" becomes
// internalPrefix in the PUBLISH topics and SUBSCRIBE/UNSUBSCRIBE filters a
// client sends, and back in the PUBLISH packets it receives. mochi's topic
// tree only ever sees internal names. It runs after the hooks that check
// what a device sends, which see "$sys/" names. onenetHook calls it
// (hook.go), on the packet in place.
type sysHook struct{}

// OnPacketRead maps "$sys/" to internalPrefix in what a client sends. s is
// the client's session, nil before login: a publish to its last checked
// topic takes the internal name kept with it (session.internal).
func (sysHook) OnPacketRead(s *session, pk *packets.Packet) {
	switch pk.FixedHeader.Type {
	case packets.Publish:
		if s != nil && s.topic != "" && pk.TopicName == s.topic {
			pk.TopicName = s.internal
			return
		}
		pk.TopicName = toInternal(pk.TopicName)
	case packets.Subscribe, packets.Unsubscribe:
		for i := range pk.Filters {
			pk.Filters[i].Filter = toInternal(pk.Filters[i].Filter)
		}
	}
}

// OnPacketEncode maps internal topic names back to "$sys/" in the PUBLISH
// packets the broker sends.
func (sysHook) OnPacketEncode(pk *packets.Packet) {
	if pk.FixedHeader.Type == packets.Publish && strings.HasPrefix(pk.TopicName, internalPrefix) {
		pk.TopicName = onenet.SysPrefix + pk.TopicName[len(internalPrefix):]
	} else if pk.FixedHeader.Type == packets.Publish && strings.HasPrefix(pk.TopicName, internalSubdev) {
		pk.TopicName = onenet.SubdevPrefix + pk.TopicName[len(internalSubdev):]
	}
}

// toInternal maps a "$sys/" topic or filter to its internal name; others
// are left as they are.
func toInternal(topic string) string {
	if strings.HasPrefix(topic, onenet.SysPrefix) {
		return internalPrefix + topic[len(onenet.SysPrefix):]
	}
	if strings.HasPrefix(topic, onenet.SubdevPrefix) {
		return internalSubdev + topic[len(onenet.SubdevPrefix):] // a gateway's sub-devices (subdev.go)
	}
	return topic
}
