package broker

import (
	"strings"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/onenet-wasm/onenet-wasm/onenet"
)

// platformHook is the platform's side of a device's publish (docs/PROTOCOL.md §7–§12): it
// consumes the message (OneNET forwards nothing a device publishes to other
// subscribers), processes it (handlers.go) and sends the replies.
// onenetHook calls it (hook.go).
type platformHook struct {
	b *Broker
}

// OnPublish processes a device's publish before mochi acknowledges it, and
// keeps it from being forwarded: the platform consumes it, as OneNET does.
// The broker's own (inline) publishes pass.
func (h *platformHook) OnPublish(cl *mqtt.Client, pk *packets.Packet) {
	if cl.Net.Inline {
		return
	}
	if s := h.b.session(cl); s != nil && strings.HasPrefix(pk.TopicName, s.dev.iprefix) {
		suffix := pk.TopicName[len(s.dev.iprefix):]
		info := s.parsed(suffix)
		if info != nil && info.Kind == onenet.KindDPPost {
			// The most frequent upload, straight to its handler, as
			// handle would (handleGateway takes no dp/post/json).
			out := s.out[:0]
			h.b.handleDP(s.dev, pk.Payload, &out)
			s.out = out
		} else {
			s.out = h.b.handle(s.dev, suffix, info, pk.Payload, s.out[:0])
		}
	} else if s != nil && strings.HasPrefix(pk.TopicName, internalSubdev) {
		s.out = h.b.handleSubdev(s.dev, pk.TopicName[len(internalSubdev):], pk.Payload) // subdev.go
	}
	// Ignore: mochi acknowledges the publish but neither forwards nor
	// retains it. (It is what mochi sets for a hook's CodeSuccessIgnore,
	// whose error costs two allocations per publish in mochi's errors.Is.)
	pk.Ignore = true
}

// OnPublished sends the replies to a device's publish, after its PUBACK.
// (OnPublish and OnPublished run on the device's connection goroutine.)
func (h *platformHook) OnPublished(cl *mqtt.Client) {
	if cl.Net.Inline {
		return
	}
	s := h.b.session(cl)
	if s == nil {
		return
	}
	out := s.out
	defer func() { clear(out); s.out = out[:0] }() // kept for the next publish's replies, without their payloads
	if cl.State.Subscriptions.Len() == 0 {
		// The replies go to the device's own topics, which only the device
		// may subscribe to: with no subscription, nobody would get them.
		// Publishing them anyway cost a twelfth of the broker's time under
		// a datapoint flood (docs/BENCHMARKS.md).
		return
	}
	for i := range out {
		_ = h.b.publish(s.dev, out[i].suffix, out[i].body())
	}
}

// publish sends payload to a device's topic suffix (after
// "$sys/{pid}/{device}/") at QoS 0; mochi delivers it only if the device
// has subscribed.
func (b *Broker) publish(d *device, suffix string, payload []byte) error {
	if payload == nil {
		payload = []byte{}
	}
	topic, _, only := b.route(d, suffix) // a sub-device's may go through its gateway (subdev.go)
	if only != nil {
		return b.sendTo(only, topic, payload)
	}
	return b.srv.Publish(topic, payload, false, 0)
}
