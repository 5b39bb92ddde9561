package broker

import (
	"slices"
	"strings"
	"time"

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
// per source address instead, limits.go). onenetHook calls it (hook.go).
type limitsHook struct {
	b *Broker
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
	var why string
	switch {
	case b.opts.Limits.Disabled:
	case b.studio(d):
		why = d.studio.login(b.now()) // docs/PROTOCOL.md §5.7
	default:
		why = d.count(b.now(), &b.opts.Limits, countConnect, 1)
	}
	d.mu.Unlock()
	if why != "" {
		b.setSession(cl, nil)
		return b.refuseConnect(cl, pk, connackUnavailable, "%s", why)
	}
	return nil
}

// OnPacketRead counts a device's publishes, subscribed topics,
// UNSUBSCRIBE and PINGREQ packets; one too many disconnects and bans it. It
// also keeps a device within its session's subscription limit
// (docs/PROTOCOL.md §5.2). s is the client's session, nil before login.
func (h *limitsHook) OnPacketRead(cl *mqtt.Client, s *session, pk *packets.Packet) error {
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
		return nil
	}
	if s == nil {
		return nil // accessHook refused it
	}
	if h.b.studio(s.dev) {
		h.studioPacket(cl, s, pk)
		return nil
	}
	d := s.dev
	now := h.b.now()
	d.mu.Lock()
	why := d.count(now, &h.b.opts.Limits, which, n)
	d.lastSeen = now
	d.mu.Unlock()
	if why != "" {
		return reject(s, "%s", why)
	}
	if pk.FixedHeader.Type == packets.Subscribe {
		h.sessionLimit(cl, s, pk)
	}
	return nil
}

// sessionLimit refuses (SUBACK 0x80) the filters of a SUBSCRIBE that would
// take the session beyond onenet.MaxSubscriptions topics
// (docs/PROTOCOL.md §5.2: "超过session中最大topic订阅数后会订阅失败"). A filter
// the session already holds does not count again.
func (h *limitsHook) sessionLimit(cl *mqtt.Client, s *session, pk *packets.Packet) {
	limit, code := onenet.MaxSubscriptions, "subscribe.session"
	if h.b.studio(s.dev) {
		limit, code = onenet.StudioMaxSubscriptions, "studio.session" // docs/PROTOCOL.md §5.7
	}
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
				s.dev.key, logsafe.Q(f.Filter), have+len(added), limit, rule(code))
			f.Filter = invalidFilter
			continue
		}
		added = append(added, internal)
	}
}

// studioPacket applies OneNET Studio's limits (docs/PROTOCOL.md §5.7) to a
// packet of a Studio device: publishes, unsubscribed topics and PINGREQs
// beyond their rate wait (the connection's packets are delayed, as OneNET
// delays them); topics subscribed beyond 10 a second, or beyond 10 in the
// session, fail in the SUBACK.
func (h *limitsHook) studioPacket(cl *mqtt.Client, s *session, pk *packets.Packet) {
	d := s.dev
	now := h.b.now()
	var wait time.Duration
	var code string
	d.mu.Lock()
	d.lastSeen = now
	if !h.b.opts.Limits.Disabled {
		switch pk.FixedHeader.Type {
		case packets.Publish:
			wait, code = d.studio.pace(now, paceUplink, 1), studioPaceCode[paceUplink]
			if w := d.studio.pace(now, paceBytes, len(pk.TopicName)+len(pk.Payload)); w > wait {
				wait, code = w, studioPaceCode[paceBytes]
			}
		case packets.Unsubscribe:
			wait, code = d.studio.pace(now, paceUnsub, len(pk.Filters)), studioPaceCode[paceUnsub]
		case packets.Pingreq:
			wait, code = d.studio.pace(now, pacePing, 1), studioPaceCode[pacePing]
		case packets.Subscribe:
			fit := d.studio.subscribeTopics(now, len(pk.Filters))
			for i := fit; i < len(pk.Filters); i++ {
				if pk.Filters[i].Filter != invalidFilter {
					h.b.logf("subscribe refused: device %s: %s: more than %d topics subscribed in a second (SUBACK 0x80) %s",
						d.key, logsafe.Q(pk.Filters[i].Filter), studioSubsPerSec, rule("studio.subscribe"))
					pk.Filters[i].Filter = invalidFilter
				}
			}
		}
	}
	d.mu.Unlock()
	if pk.FixedHeader.Type == packets.Subscribe {
		h.sessionLimit(cl, s, pk)
	}
	if wait > 0 {
		h.b.logf("delayed: device %s: a packet waits %s %s", d.key, wait.Round(time.Millisecond), rule(code))
		h.b.pause(wait)
	}
}
