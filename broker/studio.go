package broker

import (
	"errors"
	"fmt"
	"time"
)

// OneNET Studio's limits (docs/PROTOCOL.md §5.7, SL) differ from the MQTT
// kit's: fewer logins, no ban, and an uplink that is delayed rather than
// refused. They apply to the devices of products of kind "studio"; the
// kit's (RateLimits) to the others. Like RateLimits, they are off when
// RateLimits.Disabled is set.
const (
	studioLogins       = 3                // logins per studioLoginWindow; more are refused
	studioLoginWindow  = 5 * time.Second  //
	studioUplinkPerSec = 1                // PUBLISH packets a second; later ones wait
	studioBytesPerSec  = 512 * 1024       // uplink bytes a second; beyond, packets wait
	studioSubsPerSec   = 10               // topics subscribed a second; more fail
	studioUnsubsPerSec = 10               // topics unsubscribed a second; later ones wait
	studioPingsPerSec  = 1                // PINGREQ a second; later ones wait
	studioPropSetEvery = time.Second      // at most one property set a second; more fail
	studioMaxDelay     = 30 * time.Second // bound of one wait, whatever the backlog
)

// ErrRateLimited is what a platform call returns when OneNET would refuse
// it for its rate (a Studio property set more than once a second,
// docs/PROTOCOL.md §5.7).
var ErrRateLimited = errors.New("rate limited")

// studioState is a Studio device's pacing (docs/PROTOCOL.md §5.7). The
// caller holds d.mu.
type studioState struct {
	loginStart time.Time
	logins     int
	next       [nPace]time.Time // when the next unit of each pace is free
	subStart   time.Time
	subs       int
	lastSet    time.Time
}

// The paced quantities of a Studio connection.
const (
	paceUplink = iota
	paceBytes
	paceUnsub
	pacePing
	nPace
)

var paceRate = [nPace]int{studioUplinkPerSec, studioBytesPerSec, studioUnsubsPerSec, studioPingsPerSec}

// studio reports whether d is a device of a OneNET Studio product.
func (b *Broker) studio(d *device) bool { return kindOf(b.products[d.pid]) == KindStudio }

// studioLogin counts a login at now: "" when allowed, else why not.
func (s *studioState) login(now time.Time) string {
	if now.Sub(s.loginStart) >= studioLoginWindow || now.Before(s.loginStart) {
		s.loginStart, s.logins = now, 0
	}
	s.logins++
	if s.logins > studioLogins {
		return fmt.Sprintf("more than %d logins in %s (OneNET Studio; no ban) %s", studioLogins, studioLoginWindow, rule("studio.login"))
	}
	return ""
}

// pace reserves n units of a paced quantity at now and returns how long
// the packet must wait: a rate of r a second gives each unit 1/r s.
func (s *studioState) pace(now time.Time, which, n int) time.Duration {
	per := time.Second / time.Duration(paceRate[which])
	if s.next[which].Before(now) {
		s.next[which] = now
	}
	wait := s.next[which].Sub(now)
	// The first rate's worth in a second goes at once.
	wait -= time.Second - per
	if wait < 0 {
		wait = 0
	}
	// n/r s, multiplied before dividing: r units in one packet take
	// exactly a second, so the next unit waits.
	s.next[which] = s.next[which].Add(time.Duration(n) * time.Second / time.Duration(paceRate[which]))
	return min(wait, studioMaxDelay)
}

// subscribeTopics counts n topics subscribed at now and returns how many
// of them fit in this second's 10.
func (s *studioState) subscribeTopics(now time.Time, n int) int {
	if now.Sub(s.subStart) >= time.Second || now.Before(s.subStart) {
		s.subStart, s.subs = now, 0
	}
	room := max(studioSubsPerSec-s.subs, 0)
	s.subs += n
	return min(room, n)
}

// propertySet records a property set at now: "" when allowed, else why
// not.
func (s *studioState) propertySet(now time.Time) string {
	if !s.lastSet.IsZero() && now.Sub(s.lastSet) < studioPropSetEvery && !now.Before(s.lastSet) {
		return fmt.Sprintf("more than one property set a second (OneNET Studio) %s", rule("studio.propset"))
	}
	s.lastSet = now
	return ""
}

// pause waits d, or until the broker closes.
func (b *Broker) pause(d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-b.done:
	}
}

// studioPaceCode is the rule code of each pace, for the log.
var studioPaceCode = [nPace]string{"studio.uplink", "studio.bytes", "studio.unsubscribe", "studio.ping"}
