package broker

import (
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
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
	why := d.count(b.now(), &b.opts.Limits, countConnect)
	d.mu.Unlock()
	if why != "" {
		b.sessions.Delete(cl)
		return b.refuseConnect(cl, pk, connackUnavailable, "%s", why)
	}
	return nil
}

// OnPacketRead counts a device's publishes; one too many disconnects it.
func (h *limitsHook) OnPacketRead(cl *mqtt.Client, pk packets.Packet) (packets.Packet, error) {
	if pk.FixedHeader.Type != packets.Publish {
		return pk, nil
	}
	s := h.b.session(cl)
	if s == nil {
		return pk, nil // accessHook refused it
	}
	which := countQoS0
	if pk.FixedHeader.Qos == 1 {
		which = countQoS1
	}
	d := s.dev
	now := h.b.now()
	d.mu.Lock()
	why := d.count(now, &h.b.opts.Limits, which)
	d.lastSeen = now
	d.mu.Unlock()
	if why != "" {
		return pk, reject(s, "%s", why)
	}
	return pk, nil
}
