package broker

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"

	"github.com/onenet-wasm/onenet-wasm/onenet"
)

// device is the platform's state of one registered device.
type device struct {
	pid, name string
	key       string // "pid/name": also the mochi client id of its session
	devKey    string // may be empty: product-key login only
	prodKey   string
	prefix    string // "$sys/pid/name/"
	iprefix   string // the same under internalPrefix

	mu       sync.Mutex
	cl       *mqtt.Client    // the current session; nil when offline
	ended    <-chan struct{} // closed when mochi has dropped the last session's connection
	remote   string
	lastSeen time.Time

	// rate limits (docs/PROTOCOL.md §5.2–§5.6): one fixed window for every counter
	winStart    time.Time
	counts      [nCounts]int
	bannedUntil time.Time

	streams map[string]*ring
	stored  int64  // bytes the streams hold (store.go)
	seq     uint64 // numbers the stored points in arrival order
	props   map[string]StoredPoint
	shadow  shadowDoc

	studio studioState // OneNET Studio's pacing (studio.go)

	ota *OTARecord // the last firmware announcement (ota.go)
	sub subState   // gateway and sub-device links (subdev.go)

	// The thing model (docs/PROTOCOL.md §9): the product's
	// model (nil: none), the desired values the platform set, and the
	// points of history/post.
	model   *onenet.ThingModel
	desired map[string]desiredProp
	history map[string]*ring
}

// desiredProp is a property's desired value and its version: 1 when first
// set, one more at each set, 1 again after a delete (OneNET's desired.md).
type desiredProp struct {
	value   json.RawMessage
	version int64
}

func newDevice(p *Product, d Device) *device {
	return &device{
		pid:     p.ID,
		name:    d.Name,
		key:     p.ID + "/" + d.Name,
		devKey:  d.Key,
		prodKey: p.Key,
		prefix:  "$sys/" + p.ID + "/" + d.Name + "/",
		iprefix: internalPrefix + p.ID + "/" + d.Name + "/",
		streams: map[string]*ring{},
		props:   map[string]StoredPoint{},
		model:   p.model,
		desired: map[string]desiredProp{},
		history: map[string]*ring{},
	}
}

// online reports whether the device has a live session. The caller holds
// d.mu.
// A sub-device is online while the gateway that logged it in is.
func (d *device) online() bool { return d.cl != nil && !d.cl.Closed() || d.sub.online() }

// The counters of a rate-limit window.
const (
	countConnect = iota
	countQoS0
	countQoS1
	countSubscribe
	countUnsubscribe
	countPing
	nCounts
)

var countNames = [nCounts]string{"logins", "QoS 0 publishes", "QoS 1 publishes", "subscribed topics", "UNSUBSCRIBE packets", "PINGREQ packets"}

// countCodes are the rule codes of the counters (onenet.Section).
var countCodes = [nCounts]string{"rate.login", "rate.qos0", "rate.qos1", "subscribe.rate", "unsubscribe.rate", "ping.rate"}

// count counts n events of kind which at now. It returns "" when they are
// allowed, else why not; exceeding a limit bans the device for lim.Ban
// (docs/PROTOCOL.md §5.2–§5.6). The caller holds d.mu.
func (d *device) count(now time.Time, lim *RateLimits, which, n int) string {
	if lim.Disabled {
		return ""
	}
	if now.Before(d.bannedUntil) {
		return fmt.Sprintf("banned for exceeding a rate limit until %s %s", d.bannedUntil.UTC().Format(time.RFC3339), rule("connect.banned"))
	}
	if now.Sub(d.winStart) >= lim.Window || now.Before(d.winStart) {
		d.winStart = now
		d.counts = [nCounts]int{}
	}
	d.counts[which] += n
	limit := [nCounts]int{lim.Connects, lim.QoS0, lim.QoS1, lim.Subscribes, lim.Unsubscribes, lim.Pings}[which]
	if d.counts[which] > limit {
		d.bannedUntil = now.Add(lim.Ban)
		d.winStart, d.counts = time.Time{}, [nCounts]int{} // counting starts afresh after the ban
		return fmt.Sprintf("more than %d %s in %s: banned for %s %s", limit, countNames[which], lim.Window, lim.Ban, rule(countCodes[which]))
	}
	return ""
}
