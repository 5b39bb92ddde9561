package broker

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/onenet-wasm/onenet-wasm/internal/logsafe"
	"github.com/onenet-wasm/onenet-wasm/onenet"
)

// Thing model (docs/PROTOCOL.md §9: OneNET Studio's OneJSON
// messages).

// The "code" of a reply to a request the platform refuses. OneNET documents
// only 200 (success); these are this broker's choice (docs/PROTOCOL.md §9, reply codes).
const (
	thingErrCode    = 400 // the request cannot be read (not OneJSON)
	thingErrUnknown = 404 // an identifier the product's thing model does not have
	thingErrValue   = 422 // a value that breaks the thing model's rule
)

// thingCodeFor is the reply code for a refused request.
func thingCodeFor(err error) int {
	var oe *onenet.Error
	if !errors.As(err, &oe) {
		return thingErrCode
	}
	switch {
	case oe.Code == "tm.identifier.unknown" || oe.Code == "tm.param.unknown":
		return thingErrUnknown
	case strings.HasPrefix(oe.Code, "tm."):
		return thingErrValue
	}
	return thingErrCode
}

// handleThingPost answers a device's thing-model request on its /reply
// topic and keeps what it posts: the latest properties (property/post,
// pack/post), their history (property/post, history/post), and it applies
// desired/get and desired/delete. With a thing model, the request is
// checked against it first.
func (b *Broker) handleThingPost(d *device, k onenet.Kind, payload []byte, out *replies) {
	reply := string(k) + "/reply"
	req, err := onenet.ParseThingRequest(k, payload)
	if err == nil && d.model != nil {
		err = d.model.CheckRequest(k, "", payload)
	}
	if err != nil {
		id := thingID(payload)
		if req != nil {
			id = req.ID
		}
		code := thingCodeFor(err)
		b.logf("thing request rejected: device %s, %s id %s: code %d: %s", d.key, k, logID(id), code, errCode(err))
		out.add(reply, onenet.ThingReplyJSON(id, code, errMsg(err)))
		return
	}
	switch k {
	case onenet.KindPropertyPost:
		b.storeProps(d, req.Params)
	case onenet.KindPackPost:
		b.storeEntries(d, req.Params, false)
	case onenet.KindHistoryPost:
		b.storeEntries(d, req.Params, true)
	case onenet.KindPropertyDesiredGet:
		var names []string
		_ = json.Unmarshal(req.Params, &names)
		data := map[string]any{}
		d.mu.Lock()
		for _, n := range names {
			if v, ok := d.desired[n]; ok {
				data[n] = map[string]any{"value": v.value, "version": v.version}
			}
		}
		d.mu.Unlock()
		msg, _ := json.Marshal(map[string]any{"id": req.ID, "code": onenet.ThingCodeSuccess, "msg": "success", "data": data})
		out.add(reply, msg)
		return
	case onenet.KindPropertyDesiredDelete:
		b.deleteDesired(d, req.Params)
	}
	out.add(reply, onenet.ThingReplyJSON(req.ID, onenet.ThingCodeSuccess, "success"))
}

// point is {"value":…,"time":ms}.
type point struct {
	Value json.RawMessage `json:"value"`
	Time  int64           `json:"time"`
}

// storeProps keeps the latest value of each property of
// {"Id":{"value":…,"time":ms}}, and adds it to the property's history.
func (b *Broker) storeProps(d *device, params json.RawMessage) {
	var props map[string]point
	if json.Unmarshal(params, &props) != nil {
		return
	}
	now := b.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, id := range sortedKeys(props) {
		p := props[id]
		if p.Value == nil {
			continue
		}
		sp := StoredPoint{At: pointTime(p.Time, now), Value: compact(p.Value)}
		if _, ok := d.props[id]; !ok && len(d.props) >= b.opts.MaxStreams {
			continue
		}
		d.props[id] = sp
		b.addHistory(d, id, sp)
	}
}

func pointTime(ms int64, now time.Time) time.Time {
	if ms > 0 {
		return time.UnixMilli(ms)
	}
	return now
}

// addHistory adds a point to a property's history. The caller holds d.mu.
func (b *Broker) addHistory(d *device, id string, sp StoredPoint) {
	r := d.history[id]
	if r == nil {
		if len(d.history) >= b.opts.MaxStreams {
			return
		}
		r = &ring{}
		d.history[id] = r
	}
	b.addPoint(d, r, sp)
}

// storeEntries keeps the properties of pack/post or history/post entries
// that are the device's own (without "identity", or naming the device
// itself) or, from a gateway, of a sub-device bound to it (docs/PROTOCOL.md
// §12.4); others are logged and left. Events are acknowledged, not kept.
func (b *Broker) storeEntries(d *device, params json.RawMessage, history bool) {
	type entry struct {
		Identity *struct {
			ProductID  string `json:"productID"`
			DeviceName string `json:"deviceName"`
		} `json:"identity"`
		Properties json.RawMessage `json:"properties"`
	}
	var entries []entry
	if len(params) > 0 && params[0] == '{' {
		var e entry
		if json.Unmarshal(params, &e) != nil {
			return
		}
		entries = []entry{e}
	} else if json.Unmarshal(params, &entries) != nil {
		return
	}
	gw := d
	for _, e := range entries {
		d := gw
		if e.Identity != nil && (e.Identity.ProductID != d.pid || e.Identity.DeviceName != d.name) {
			// A gateway's entry for a sub-device bound to it (subdev.go).
			if d = b.packTarget(gw, e.Identity.ProductID, e.Identity.DeviceName); d == nil {
				b.logf("thing entry not kept: device %s posted for another device, not a sub-device bound to it", gw.key)
				continue
			}
		}
		if e.Properties == nil {
			continue
		}
		if !history {
			b.storeProps(d, e.Properties)
			continue
		}
		var props map[string][]point
		if json.Unmarshal(e.Properties, &props) != nil {
			continue
		}
		now := b.now()
		d.mu.Lock()
		for _, id := range sortedKeys(props) {
			for _, p := range props[id] {
				if p.Value != nil {
					b.addHistory(d, id, StoredPoint{At: pointTime(p.Time, now), Value: compact(p.Value)})
				}
			}
		}
		d.mu.Unlock()
	}
}

// PropertyHistory returns the stored points of a thing-model property,
// oldest first: what property/post, pack/post and history/post posted.
func (b *Broker) PropertyHistory(pid, dev, id string) []StoredPoint {
	d := b.devices[pid+"/"+dev]
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if r := d.history[id]; r != nil {
		return r.slice()
	}
	return nil
}

// SetDesired sets desired values of a device's properties, as OneNET's
// set-device-desired-property does: params is {"Id":value,…}; each
// property's version becomes 1 when first set and one more at each set
// (OneNET's desired.md). With a thing model, each identifier must be a
// property and each value valid. It returns the new versions.
func (b *Broker) SetDesired(pid, dev string, params json.RawMessage) (map[string]int64, error) {
	d, err := b.device(pid, dev)
	if err != nil {
		return nil, err
	}
	var values map[string]json.RawMessage
	if err := json.Unmarshal(params, &values); err != nil || values == nil {
		return nil, fmt.Errorf("broker: desired values: params must be an object such as {\"power\":true}")
	}
	if d.model != nil {
		for _, id := range sortedKeys(values) {
			p := d.model.Property(id)
			if p == nil {
				return nil, fmt.Errorf("broker: desired values: %q is not a property of the thing model", id)
			}
			if err := p.DataType.CheckValue(id, values[id]); err != nil {
				return nil, fmt.Errorf("broker: desired values: %w", err)
			}
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	added := 0
	for id := range values {
		if _, ok := d.desired[id]; !ok {
			added++
		}
	}
	if len(d.desired)+added > b.opts.MaxStreams {
		return nil, fmt.Errorf("broker: desired values: the device would have more than %d (a limit of this local broker)", b.opts.MaxStreams)
	}
	out := map[string]int64{}
	for id, v := range values {
		cur := d.desired[id]
		cur.value, cur.version = compact(v), cur.version+1
		d.desired[id] = cur
		out[id] = cur.version
	}
	b.logf("desired values set: device %s, %d properties", d.key, len(values))
	return out, nil
}

// Desired returns a device's desired values: {"Id":{"value":…,"version":N}}.
func (b *Broker) Desired(pid, dev string) (map[string]any, error) {
	d, err := b.device(pid, dev)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[string]any{}
	for id, v := range d.desired {
		out[id] = map[string]any{"value": v.value, "version": v.version}
	}
	return out, nil
}

// deleteDesired applies desired/delete's {"Id":{"version":N},"Id2":{}}: a
// value goes when no version is given or the version is the current one;
// otherwise the request is ignored for it (OneNET's desired.md).
func (b *Broker) deleteDesired(d *device, params json.RawMessage) {
	var del map[string]struct {
		Version *json.Number `json:"version"`
	}
	if json.Unmarshal(params, &del) != nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for id, v := range del {
		cur, ok := d.desired[id]
		if !ok {
			continue
		}
		if v.Version != nil {
			if n, err := strconv.ParseInt(string(*v.Version), 10, 64); err != nil || n != cur.version {
				b.logf("desired value kept: device %s: version %s is not the current %d", d.key, logVersion(*v.Version), cur.version)
				continue
			}
		}
		delete(d.desired, id)
	}
}

func logVersion(n json.Number) string {
	if len(n) > 20 {
		return "(long)"
	}
	return string(n)
}

// thingID reads the "id" of a request that failed to parse, for its reply.
func thingID(payload []byte) string {
	var v struct {
		ID any `json:"id"`
	}
	_ = json.Unmarshal(payload, &v)
	switch id := v.ID.(type) {
	case string:
		return id
	case float64:
		return strconv.FormatFloat(id, 'f', -1, 64)
	}
	return ""
}

// logID is a thing-model id for the log: 1 to 13 digits, or a placeholder
// (anything else may be part of a payload).
func logID(id string) string {
	if id == "" || len(id) > 13 || strings.Trim(id, "0123456789") != "" {
		return "(none)"
	}
	return id
}

// handleThingReply passes a device's set_reply, get_reply or invoke_reply
// to the platform call waiting for it. With a thing model, a reply whose
// data does not match it is logged, and passed on.
func (b *Broker) handleThingReply(d *device, suffix string, payload []byte) {
	r, err := onenet.ParseThingReply(payload)
	if err != nil {
		b.logf("thing reply ignored: device %s, %s: %s", d.key, logsafe.Q(suffix), errCode(err))
		return
	}
	if d.model != nil {
		if info, perr := onenet.ParseTopic(d.prefix + suffix); perr == nil {
			if err := d.model.CheckReply(info.Kind, info.Identifier, payload); err != nil {
				b.logf("thing reply does not match the thing model: device %s, %s id %s: %s", d.key, logsafe.Q(suffix), logID(r.ID), errCode(err))
			}
		}
	}
	if !b.pend.deliver(pendKey{d.key, suffix, r.ID}, result{reply: r}) {
		b.logf("thing reply ignored: device %s, %s id %s: no request waits for it", d.key, logsafe.Q(suffix), logID(r.ID))
	}
}
