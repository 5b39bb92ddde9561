package broker

import (
	"slices"
	"strings"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/onenet-wasm/onenet-wasm/internal/logsafe"
	"github.com/onenet-wasm/onenet-wasm/onenet"
)

// limitsHook applies the per-device rate limits (docs/PROTOCOL.md §5.6, RateLimits):
// logins and publishes counted in a window, and the ban that follows one
// too many. It runs after accessHook and loginHook, so only logins with
// valid credentials and packets that follow the rules are counted: nobody
// without a device's key can have it banned (failed logins are throttled
// per source address instead, limits.go).
type limitsHook struct {
	mqtt.HookBase
	b *Broker
}

func (h *limitsHook) ID() string { return "onenet-limits" }

func (h *limitsHook) Provides(b byte) bool {
	return b == mqtt.OnConnect || b == mqtt.OnPacketRead
}

// OnConnect counts a login that loginHook accepted and refuses it with
// CONNACK 3 (server unavailable) while the device is banned or when this
// login exceeds the limit.
func (h *limitsHook) OnConnect(cl *mqtt.Client, pk packets.Packet) error {
	b := h.b
	s := b.session(cl)
	if s == nil {
		return nil
	}
	d := s.dev
	d.mu.Lock()
	why := d.count(b.now(), &b.opts.Limits, countConnect, 1)
	d.mu.Unlock()
	if why != "" {
		b.sessions.Delete(cl)
		return b.refuseConnect(cl, pk, connackUnavailable, "%s", why)
	}
	return nil
}

// OnPacketRead counts a device's publishes, subscribed topics,
// UNSUBSCRIBE and PINGREQ packets; one too many disconnects and bans it. It
// also keeps a device within its session's subscription limit
// (docs/PROTOCOL.md §5.2).
func (h *limitsHook) OnPacketRead(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	var which, n int
	switch pk.FixedHeader.Type {
	case packets.Publish:
		which, n = countQoS0, 1
		if pk.FixedHeader.Qos == 1 {
			which = countQoS1
		}
	case packets.Subscribe:
		which, n = countSubscribe, len(pk.Filters) // refused filters count too
	case packets.Unsubscribe:
		which, n = countUnsubscribe, 1
	case packets.Pingreq:
		which, n = countPing, 1
	default:
		return pk, nil
	}
	s := h.b.session(cl)
	if s == nil {
		return pk, nil // accessHook refused it
	}
	d := s.dev
	now := h.b.now()
	d.mu.Lock()
	why := d.count(now, &h.b.opts.Limits, which, n)
	d.lastSeen = now
	d.mu.Unlock()
	if why != "" {
		return pk, reject(s, "%s", why)
	}
	if pk.FixedHeader.Type == packets.Subscribe {
		h.sessionLimit(cl, s, &pk)
	}
	return pk, nil
}

// sessionLimit refuses (SUBACK 0x80) the filters of a SUBSCRIBE that would
// take the session beyond onenet.MaxSubscriptions topics
// (docs/PROTOCOL.md §5.2: "超过session中最大topic订阅数后会订阅失败"). A filter
// the session already holds does not count again.
func (h *limitsHook) sessionLimit(cl *mqtt.Client, s *session, pk *packets.Packet) {
	limit := onenet.MaxSubscriptions
	have := 0
	for f := range cl.State.Subscriptions.GetAll() {
		if !strings.HasPrefix(f, internalSubdev) { // a sub-device's count in its own session (subdev.go)
			have++
		}
	}
	var added, addedSub []string
	for i := range pk.Filters {
		f := &pk.Filters[i]
		if f.Filter == invalidFilter {
			continue
		}
		internal := toInternal(f.Filter)
		if _, ok := cl.State.Subscriptions.Get(internal); ok || slices.Contains(added, internal) || slices.Contains(addedSub, internal) {
			continue
		}
		if strings.HasPrefix(internal, internalSubdev) {
			if why := subdevSessionLimit(cl, internal, addedSub); why != "" {
				h.b.logf("subscribe refused: device %s: %s: %s (SUBACK 0x80, docs/PROTOCOL.md §12.2)", s.dev.key, logsafe.Q(f.Filter), why)
				f.Filter = invalidFilter
				continue
			}
			addedSub = append(addedSub, internal)
			continue
		}
		if have+len(added) >= limit {
			h.b.logf("subscribe refused: device %s: %s: the session already holds %d topics; the limit is %d (SUBACK 0x80) %s",
				s.dev.key, logsafe.Q(f.Filter), have+len(added), limit, rule("subscribe.session"))
			f.Filter = invalidFilter
			continue
		}
		added = append(added, internal)
	}
}
