package broker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/onenet-wasm/onenet-wasm/internal/logsafe"
	"github.com/onenet-wasm/onenet-wasm/onenet"
)

// A reply is a message for a device: a topic suffix after
// "$sys/{pid}/{device}/" and a payload.
type reply struct {
	suffix  string
	payload []byte
	// An accepted upload's reply, onenet.DPAccepted(id), is made only
	// when it is sent: most devices do not subscribe to it
	// (platformHook.OnPublished), and it cost two allocations per upload.
	accepted bool
	id       int64
}

type replies []reply

func (r *replies) add(suffix string, payload []byte) {
	*r = append(*r, reply{suffix: suffix, payload: payload})
}

// addAccepted adds the reply to an accepted upload (docs/PROTOCOL.md §7).
func (r *replies) addAccepted(id int64) {
	*r = append(*r, reply{suffix: string(onenet.KindDPAccepted), accepted: true, id: id})
}

// body is the reply's payload.
func (r *reply) body() []byte {
	if r.accepted {
		return onenet.DPAccepted(r.id)
	}
	return r.payload
}

// handle processes what a device published to "$sys/{pid}/{device}/"+suffix
// (docs/PROTOCOL.md §4) and returns the platform's replies. It runs on the device's
// connection goroutine before mochi acknowledges the publish, so that what
// a QoS 1 PUBACK confirms is already stored; the replies are sent after the
// PUBACK.
// info is what onenet.ParseTopic finds in the topic, when the caller has
// it already (session.parsed); nil to parse it here. The replies are
// appended to buf.
func (b *Broker) handle(d *device, suffix string, info *onenet.TopicInfo, payload []byte, buf replies) (out replies) {
	out = buf
	if info == nil {
		ti, err := onenet.ParseTopic(d.prefix + suffix)
		if err != nil {
			b.logf("ignored: device %s published to an undocumented topic %s", d.key, logsafe.Q(d.prefix+suffix))
			return nil
		}
		info = &ti
	}
	if b.handleGateway(d, info.Kind, payload, &out) { // OTA, gateways (subdev.go)
		return out
	}
	switch k := info.Kind; k {
	case onenet.KindDPPost:
		b.handleDP(d, payload, &out)
	case onenet.KindCmdResponse:
		b.handleCmdResponse(d, info.CmdID, payload, &out)
	case onenet.KindImageUpdate:
		b.handleShadowUpdate(d, payload, &out)
	case onenet.KindImageGet:
		b.handleShadowGet(d, &out)
	case onenet.KindPropertyPost, onenet.KindEventPost, onenet.KindPropertyDesiredGet,
		onenet.KindPropertyDesiredDelete, onenet.KindPackPost, onenet.KindHistoryPost:
		b.handleThingPost(d, k, payload, &out)
	case onenet.KindPropertySetReply, onenet.KindPropertyGetReply, onenet.KindServiceInvokeReply:
		b.handleThingReply(d, suffix, payload)
	default:
		b.logf("ignored: device %s published to %s, a topic the platform sends, not the device (docs/PROTOCOL.md §4.6)", d.key, logsafe.Q(d.prefix+suffix))
	}
	return out
}

// dpIllegal is the err_msg of every dp/post/json/rejected: OneNET's own
// text, exactly (docs/PROTOCOL.md §7.3). Why the upload was refused goes to
// the log; the page finds it with onenet.ParseDPPost before sending.
const dpIllegal = "Illegal Data"

// handleDP stores a datapoint upload and answers on dp/post/json/accepted
// or /rejected with err_code 98 (docs/PROTOCOL.md §7); the connection stays open.
//
// A well-formed upload is read by onenet.ScanDPPost in one pass, into a
// reused DPScan; anything else goes to onenet.ParseDPPost, which decides
// and explains a refusal (the scanner accepts only what it accepts, with
// the same values).
func (b *Broker) handleDP(d *device, payload []byte, out *replies) {
	sc := dpScans.Get().(*onenet.DPScan)
	defer putDPScan(sc)
	var (
		id     int64
		points []onenet.ScannedPoint
	)
	if onenet.ScanDPPost(payload, sc) {
		id, points = sc.ID, sc.Points
	} else if id, points = b.parseDP(d, payload, out); points == nil {
		return
	}
	now := b.now()
	d.mu.Lock()
	// The datastreams the upload adds: counted only when all of its
	// datastreams being new would take the device past MaxStreams.
	newStreams := 0
	for i, p := range points {
		if i == 0 || string(p.Stream) != string(points[i-1].Stream) {
			newStreams++
		}
	}
	if len(d.streams)+newStreams > b.opts.MaxStreams {
		newStreams = 0
		for i, p := range points {
			if (i == 0 || string(p.Stream) != string(points[i-1].Stream)) && d.streams[string(p.Stream)] == nil {
				newStreams++
			}
		}
	}
	if len(d.streams)+newStreams > b.opts.MaxStreams {
		n := len(d.streams)
		d.mu.Unlock()
		b.refuseDP(d, id, n, newStreams, "", out)
		return
	}
	why := b.storeDP(d, points, now)
	d.mu.Unlock()
	if why != "" {
		b.refuseDP(d, id, 0, 0, why, out)
		return
	}
	out.addAccepted(id)
}

// The uncommon ways of handleDP are functions of their own, kept out of
// line: what a goroutine's stack must hold on the way of every upload is
// smaller, and grows less often after the collector has shrunk it
// (docs/BENCHMARKS.md).

// parseDP reads an upload onenet.ScanDPPost left to onenet.ParseDPPost. A
// refused upload is logged and answered, and points is nil.
//
//go:noinline
func (b *Broker) parseDP(d *device, payload []byte, out *replies) (id int64, points []onenet.ScannedPoint) {
	post, err := onenet.ParseDPPost(payload)
	if err != nil {
		id := dpID(payload)
		b.logf("dp rejected: device %s, id %d: %s: %s %s", d.key, id, errCode(err), errMsg(err), rule("dp.rejected"))
		out.add(string(onenet.KindDPRejected), onenet.DPRejected(id, onenet.DPErrIllegalData, dpIllegal))
		return 0, nil
	}
	return post.ID, dpPoints(post)
}

// refuseDP logs why an upload was refused and answers it on
// dp/post/json/rejected: the store's why (storeDP), or else the device's n
// datastreams and the upload's added ones beyond Options.MaxStreams.
//
//go:noinline
func (b *Broker) refuseDP(d *device, id int64, n, added int, why string, out *replies) {
	if why != "" {
		b.logf("dp rejected: device %s, id %d: %s", d.key, id, why)
		out.add(string(onenet.KindDPRejected), onenet.DPRejected(id, onenet.DPErrIllegalData, "Illegal Data: "+why))
		return
	}
	b.logf("dp rejected: device %s, id %d: more than %d datastreams (a limit of this local broker)", d.key, id, b.opts.MaxStreams)
	b.logf("dp rejected: device %s, id %d: the device has %d datastreams and this upload adds %d", d.key, id, n, added)
	out.add(string(onenet.KindDPRejected), onenet.DPRejected(id, onenet.DPErrIllegalData, dpIllegal))
}

// dpScans are handleDP's DPScans, reused across uploads and connections.
var dpScans = sync.Pool{New: func() any { return new(onenet.DPScan) }}

// putDPScan returns sc to dpScans without the payload it points into, and
// without a large slice an unusual upload grew.
func putDPScan(sc *onenet.DPScan) {
	clear(sc.Points)
	sc.Points = sc.Points[:0]
	if cap(sc.Points) > 64 {
		sc.Points = nil
	}
	dpScans.Put(sc)
}

// dpPoints lists an upload's points as ScanDPPost would: in payload order,
// a datastream's points adjacent.
func dpPoints(post *onenet.DPPost) []onenet.ScannedPoint {
	var pts []onenet.ScannedPoint
	for _, name := range post.Order {
		for _, p := range post.Streams[name] {
			pts = append(pts, onenet.ScannedPoint{Stream: []byte(name), V: p.V, T: p.T})
		}
	}
	return pts
}

// storedValue copies a datapoint's value for the store, as compact JSON: a
// number or a string is compact as written (the upload was checked), only
// an object may hold white space.
func storedValue(v []byte) json.RawMessage {
	if len(v) > 0 && v[0] == '{' {
		return compact(v)
	}
	return json.RawMessage(bytes.Clone(v))
}

// dpID reads the "id" of an upload that failed to parse, or -1 (docs/PROTOCOL.md §7).
func dpID(payload []byte) int64 {
	var v struct{ ID json.RawMessage }
	if json.Unmarshal(payload, &v) != nil {
		return -1
	}
	n, err := strconv.ParseInt(string(v.ID), 10, 64)
	if err != nil || n < 1 || n > onenet.MaxDPID {
		return -1
	}
	return n
}

// compact returns a compact copy of a JSON value.
func compact(v []byte) json.RawMessage {
	var buf bytes.Buffer
	if json.Compact(&buf, v) != nil {
		return json.RawMessage(bytes.Clone(v))
	}
	return json.RawMessage(buf.Bytes())
}

// errMsg is an onenet error's English message, or err's text.
func errMsg(err error) string {
	var oe *onenet.Error
	if errors.As(err, &oe) {
		return oe.Msg
	}
	return err.Error()
}

// errCode is what the log says of a payload error: its stable code and
// position, never the payload (the message may quote it).
func errCode(err error) string {
	var oe *onenet.Error
	if !errors.As(err, &oe) {
		return "invalid payload"
	}
	s := oe.Field + ": " + oe.Code
	if l, c := oe.Params["line"], oe.Params["column"]; l != "" {
		s += " at line " + l + ", column " + c
	}
	return s
}

// Commands (docs/PROTOCOL.md §8: cmd/request/{cmdid}, cmd/response/{cmdid}).

// Error codes of cmd/response/{cmdid}/rejected, with OneNET's err_msg for
// each, exactly (docs/PROTOCOL.md §8.2): 99 for a response of 1 KB or
// more, 112 for a response to a command that timed out, 113 for an unknown
// or repeated command id. (100, "internal error", has no cause here.)
const (
	cmdErrTooLarge = 99
	cmdErrExpired  = 112
	cmdErrUnknown  = 113
)

var cmdErrMsg = map[int]string{
	cmdErrTooLarge: "maximum payload size exceeded",
	cmdErrExpired:  "cmd response timeout",
	cmdErrUnknown:  "cmd id not found",
}

var cmdErrRule = map[int]string{
	cmdErrTooLarge: "cmd.response.size",
	cmdErrExpired:  "cmd.response.late",
	cmdErrUnknown:  "cmd.response.unknown",
}

func (b *Broker) handleCmdResponse(d *device, cmdID string, payload []byte, out *replies) {
	suffix := "cmd/response/" + cmdID
	key := pendKey{d.key, suffix, ""}
	reject := func(code int, why string) {
		b.logf("command response rejected: device %s, command %s: %s (err_code %d %q) %s", d.key, logsafe.Q(cmdID), why, code, cmdErrMsg[code], rule(cmdErrRule[code]))
		rej, _ := json.Marshal(map[string]any{"err_code": code, "err_msg": cmdErrMsg[code]})
		out.add(suffix+"/rejected", rej)
	}
	if len(payload) > onenet.MaxCmdResponse {
		msg := fmt.Sprintf("response of %d bytes; the limit is %d", len(payload), onenet.MaxCmdResponse)
		if b.pend.deliver(key, result{err: fmt.Errorf("broker: command %s: the device's %w", cmdID, tooLarge(msg))}) {
			reject(cmdErrTooLarge, msg)
			return
		}
	}
	if b.pend.deliver(key, result{payload: bytes.Clone(payload)}) {
		b.logf("command answered: device %s, command %s", d.key, logsafe.Q(cmdID))
		out.add(suffix+"/accepted", nil)
		return
	}
	if b.pend.expired(key) {
		reject(cmdErrExpired, "the command timed out before this response")
		return
	}
	reject(cmdErrUnknown, "no such command")
}

func tooLarge(msg string) error { return fmt.Errorf("%w: %s", ErrTooLarge, msg) }
