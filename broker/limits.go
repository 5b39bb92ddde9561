package broker

import (
	"fmt"
	"net"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// Failed logins are throttled per source address, not per device: a device
// is banned only for what it does with valid credentials (docs/PROTOCOL.md §5.6), so that
// nobody without its key can have it banned (docs/RELIABILITY.md, "Logins").
//
// An address that fails more than RateLimits.FailedLogins logins within a
// Window is blocked for AddressBlock: its failed logins are then answered
// with CONNACK 3 without saying why and without a log line each (one line
// when the block starts). A valid login from a blocked address is still
// accepted, so that devices behind the same address (a NAT, a reverse proxy)
// are never locked out by someone else's failures.

// maxTrackedAddrs bounds the addresses the throttle remembers; beyond it,
// the entries whose window and block are over are forgotten first, then
// arbitrary ones.
const maxTrackedAddrs = 4096

type addrState struct {
	winStart     time.Time
	fails        int
	blockedUntil time.Time
}

type loginThrottle struct {
	mu    sync.Mutex
	addrs map[string]*addrState
}

// addrKey is the host part of a remote address ("127.0.0.1:5000" →
// "127.0.0.1"); for IPv6 its /64 network, which one client usually holds
// whole ("[2001:db8::1]:5000" → "2001:db8::/64").
func addrKey(remote string) string {
	h, _, err := net.SplitHostPort(remote)
	if err != nil {
		h = remote
	}
	if ip := net.ParseIP(h); ip != nil && ip.To4() == nil {
		return (&net.IPNet{IP: ip.Mask(net.CIDRMask(64, 128)), Mask: net.CIDRMask(64, 128)}).String()
	}
	return h
}

// blocked reports whether remote is blocked at now.
func (t *loginThrottle) blocked(remote string, now time.Time, lim *RateLimits) bool {
	if lim.Disabled {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.addrs[addrKey(remote)]
	return s != nil && now.Before(s.blockedUntil)
}

// fail counts a failed login from remote at now. It returns a log line's
// text when this failure starts a block, else "".
func (t *loginThrottle) fail(remote string, now time.Time, lim *RateLimits) string {
	if lim.Disabled {
		return ""
	}
	key := addrKey(remote)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.addrs == nil {
		t.addrs = map[string]*addrState{}
	}
	s := t.addrs[key]
	if s == nil {
		t.prune(now, lim)
		s = &addrState{}
		t.addrs[key] = s
	}
	if now.Before(s.blockedUntil) {
		return ""
	}
	if now.Sub(s.winStart) >= lim.Window || now.Before(s.winStart) {
		s.winStart, s.fails = now, 0
	}
	s.fails++
	if s.fails > lim.FailedLogins {
		s.blockedUntil = now.Add(lim.AddressBlock)
		s.winStart, s.fails = time.Time{}, 0
		return fmt.Sprintf("more than %d failed logins from %s in %s: its failed logins get CONNACK 3, unlogged, for %s (valid logins still pass)",
			lim.FailedLogins, key, lim.Window, lim.AddressBlock)
	}
	return ""
}

// prune makes room for one more address. The caller holds t.mu.
func (t *loginThrottle) prune(now time.Time, lim *RateLimits) {
	if len(t.addrs) < maxTrackedAddrs {
		return
	}
	for k, s := range t.addrs {
		if !now.Before(s.blockedUntil) && now.Sub(s.winStart) >= lim.Window {
			delete(t.addrs, k)
		}
	}
	// Still full: forget an eighth, arbitrary ones, so that the next
	// addresses do not each scan the whole table.
	for k := range t.addrs {
		if len(t.addrs) < maxTrackedAddrs-maxTrackedAddrs/8 {
			break
		}
		delete(t.addrs, k)
	}
}

// throttleFailure counts a refused login from remote, unless code is 3
// (the device's own ban, or its rate limit with valid credentials). It
// reports whether remote is blocked, in which case the refusal is not
// logged.
func (b *Broker) throttleFailure(remote string, now time.Time, code byte) bool {
	if code == connackUnavailable {
		return false
	}
	lim := &b.opts.Limits
	if b.logins.blocked(remote, now, lim) {
		return true
	}
	if msg := b.logins.fail(remote, now, lim); msg != "" {
		b.logf("login throttled: %s", msg)
	}
	return false
}

// checkProtocolLevel refuses a CONNECT named "MQTT" whose level is neither
// 4 (3.1.1) nor 5 with return code 1, as MQTT 3.1.1 §3.1.2.2 requires,
// before mochi answers it with 0x82, a code MQTT 3.1.1 does not have.
// (Levels 3 "MQIsdp" and 5 reach OnConnect, which refuses them.)
func (b *Broker) checkProtocolLevel(cl *mqtt.Client, pk *packets.Packet) error {
	if string(pk.Connect.ProtocolName) != "MQTT" || pk.ProtocolVersion == 4 || pk.ProtocolVersion == 5 {
		return nil
	}
	err := b.refuseConnect(cl, *pk, connackBadProtocol, "protocol \"MQTT\" level %d: OneNET speaks only MQTT 3.1.1, level 4 (docs/PROTOCOL.md §3)", pk.ProtocolVersion)
	return fmt.Errorf("%w: %w", packets.ErrRejectPacket, err) // mochi stops only for ErrRejectPacket
}
