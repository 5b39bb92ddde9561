package broker

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/onenet-wasm/onenet-wasm/internal/logsafe"
	"github.com/onenet-wasm/onenet-wasm/onenet"
)

// Gateways and sub-devices (docs/PROTOCOL.md §12).
//
// The registry says which products are sub-device products and of which
// gateway product (Product.Gateway); any device of that gateway product may
// act for them:
//
//   - MQTT kit: the gateway logs a sub-device in and out on
//     $subdev/{pid}/{device}/login and logout (empty payloads), then
//     uploads datapoints and answers commands on the sub-device's $subdev
//     topics;
//   - OneNET Studio: the gateway binds the sub-device (thing/sub/topo/add,
//     with the sub-device's token), logs it in (thing/sub/login) and
//     answers, for it, the platform's property sets and gets and service
//     calls on thing/sub/property/… and thing/sub/service/….
//
// A sub-device is logged in by one gateway at a time: the last login wins.

// subState is a device's part in a gateway relation, guarded by the
// device's mu.
type subState struct {
	boundTo *device      // Studio: the gateway this sub-device is bound to (topo/add)
	via     *device      // the gateway that logged it in; nil when not logged in
	viaCl   *mqtt.Client // that gateway's session at the login
	kit     bool         // logged in on $subdev topics (MQTT kit)
}

// online reports whether a gateway session has the device logged in. The
// caller holds the device's mu.
func (s *subState) online() bool { return s.viaCl != nil && !s.viaCl.Closed() }

// internalSubdev replaces "$subdev/" inside mochi, as internalPrefix does
// "$sys/".
const internalSubdev = "onenet:subdev/"

// checkGateways checks the registry's gateway links: a sub-device product
// names an existing product, not itself, that is not a sub-device product.
func (r *Registry) checkGateways() error {
	ids := map[string]*Product{}
	for i := range r.Products {
		ids[r.Products[i].ID] = &r.Products[i]
	}
	for i, p := range r.Products {
		if p.Gateway == "" {
			continue
		}
		at := fmt.Sprintf("products[%d].gateway", i)
		g := ids[p.Gateway]
		switch {
		case p.Gateway == p.ID:
			return fmt.Errorf("%s: product %q names itself: give the id of its gateway product", at, p.ID)
		case g == nil:
			return fmt.Errorf("%s: no product %q in the registry: give the id of the gateway product", at, p.Gateway)
		case g.Gateway != "":
			return fmt.Errorf("%s: product %q is itself a sub-device product (of %q); a gateway product cannot be one", at, p.Gateway, g.Gateway)
		case kindOf(&p) != kindOf(g):
			return fmt.Errorf("%s: product %q is a %s product and its gateway %q a %s one: a sub-device product is of its gateway's kind", at, p.ID, kindOf(&p), p.Gateway, kindOf(g))
		}
	}
	return nil
}

// kindOf is a product's kind, KindKit when not given.
func kindOf(p *Product) string {
	if p.Kind == "" {
		return KindKit
	}
	return p.Kind
}

// gatewayOf returns the gateway product of a sub-device, "" for a device
// that is not a sub-device.
func (b *Broker) gatewayOf(d *device) string { return b.products[d.pid].Gateway }

// isGateway reports whether some product names d's product as its gateway.
func (b *Broker) isGateway(d *device) bool {
	for _, p := range b.products {
		if p.Gateway == d.pid {
			return true
		}
	}
	return false
}

// route returns the internal topic a message for a device's suffix goes
// to, the mochi client id that must be subscribed to it, and, when the
// message must go to one client only, that client: for a sub-device its
// gateway logged in on $subdev topics, the gateway's session. A suffix
// that is already an internal $subdev topic (a reply of handleSubdev to
// gateway d) goes to d's session.
func (b *Broker) route(d *device, suffix string) (topic, client string, only *mqtt.Client) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if strings.HasPrefix(suffix, internalSubdev) {
		return suffix, d.key, d.cl
	}
	if !d.online0() && d.sub.kit && d.sub.online() {
		return internalSubdev + d.pid + "/" + d.name + "/" + suffix, d.sub.via.key, d.sub.viaCl
	}
	return d.iprefix + suffix, d.key, nil
}

// sendTo sends payload on an internal topic to one client at QoS 0, if one
// of its subscriptions matches: a sub-device's $subdev messages go to the
// gateway that acts for it, not to every gateway of the product.
func (b *Broker) sendTo(cl *mqtt.Client, topic string, payload []byte) error {
	if cl == nil || cl.Closed() {
		return nil
	}
	for f := range cl.State.Subscriptions.GetAll() {
		if onenet.MatchFilter(f, topic) {
			return cl.WritePacket(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish}, TopicName: topic, Payload: payload})
		}
	}
	return nil
}

// online0 reports whether the device itself is connected. The caller holds
// d.mu.
func (d *device) online0() bool { return d.cl != nil && !d.cl.Closed() }

// handleGateway processes the OTA and gateway topics a device publishes
// under its own tree; it reports whether k was one of them.
func (b *Broker) handleGateway(d *device, k onenet.Kind, payload []byte, out *replies) bool {
	switch k {
	case onenet.KindOTAInformReply:
		b.handleOTAReply(d, payload)
	case onenet.KindSubLogin, onenet.KindSubLogout, onenet.KindSubTopoAdd, onenet.KindSubTopoDelete, onenet.KindSubTopoGet:
		b.handleSubRequest(d, k, payload, out)
	case onenet.KindSubTopoGetResult:
		r, err := onenet.ParseThingReply(payload)
		if err != nil {
			b.logf("gateway %s: %s ignored: %s", d.key, k, errCode(err))
			return true
		}
		b.logf("gateway %s: %s id %s, code %d", d.key, k, logID(r.ID), r.Code)
	case onenet.KindSubPropertyGetReply, onenet.KindSubPropertySetReply, onenet.KindSubServiceInvokeReply, onenet.KindSubTopoChangeReply:
		b.handleThingReply(d, string(k), payload)
	default:
		return false
	}
	return true
}

// subErr is a thing/sub/ request the platform refuses: the reply's code
// (docs/PROTOCOL.md: OneNET documents 200 only; the others are this
// broker's) and msg.
type subErr struct {
	code int
	msg  string
}

// handleSubRequest answers a gateway's thing/sub/login, logout, topo/add,
// topo/delete and topo/get on the topic's /reply.
func (b *Broker) handleSubRequest(gw *device, k onenet.Kind, payload []byte, out *replies) {
	reply := string(k) + "/reply"
	req, err := onenet.ParseThingRequest(k, payload)
	if err != nil {
		id := thingID(payload)
		b.logf("gateway request rejected: device %s, %s id %s: %s", gw.key, k, logID(id), errCode(err))
		out.add(reply, onenet.ThingReplyJSON(id, thingErrCode, errMsg(err)))
		return
	}
	if k == onenet.KindSubTopoGet {
		list := []onenet.SubDevice{}
		for _, sub := range b.devicesSorted() {
			sub.mu.Lock()
			if sub.sub.boundTo == gw {
				list = append(list, onenet.SubDevice{ProductID: sub.pid, DeviceName: sub.name})
			}
			sub.mu.Unlock()
		}
		msg, _ := json.Marshal(map[string]any{"id": req.ID, "code": onenet.ThingCodeSuccess, "msg": "success", "data": list})
		out.add(reply, msg)
		return
	}
	sd, _ := onenet.SubDeviceOf(req)
	var e *subErr
	sub := b.devices[sd.ProductID+"/"+sd.DeviceName]
	switch {
	case !b.isGateway(gw):
		e = &subErr{thingErrCode, fmt.Sprintf("product %s is not a gateway product: no product of the registry names it as its gateway", gw.pid)}
	case kindOf(b.products[gw.pid]) != KindStudio:
		e = &subErr{thingErrCode, "an MQTT-kit gateway logs its sub-devices in on $subdev/{pid}/{device}/login (docs/PROTOCOL.md §12.1); thing/sub/ is OneNET Studio's"}
	case sub == nil:
		e = &subErr{thingErrCode, fmt.Sprintf("no sub-device %s/%s", sd.ProductID, sd.DeviceName)}
	case b.gatewayOf(sub) != gw.pid:
		e = &subErr{thingErrCode, fmt.Sprintf("%s is not a sub-device of gateway product %s", sub.key, gw.pid)}
	default:
		e = b.subRequest(gw, sub, k, req)
	}
	if e != nil {
		b.logf("gateway request refused: gateway %s, %s id %s, sub-device %s: %s", gw.key, k, logID(req.ID), logsafe.Q(sd.ProductID+"/"+sd.DeviceName), logsafe.Line(e.msg))
		out.add(reply, onenet.ThingReplyJSON(req.ID, e.code, e.msg))
		return
	}
	b.logf("gateway %s: %s %s", gw.key, k, sub.key)
	out.add(reply, onenet.ThingReplyJSON(req.ID, onenet.ThingCodeSuccess, "success"))
}

// subRequest applies a gateway's request about one of its sub-devices.
func (b *Broker) subRequest(gw, sub *device, k onenet.Kind, req *onenet.ThingRequest) *subErr {
	switch k {
	case onenet.KindSubTopoAdd, onenet.KindSubTopoDelete:
		var p struct {
			SASToken string `json:"sasToken"`
		}
		_ = json.Unmarshal(req.Params, &p)
		if _, code, why := b.verifyLogin(sub, p.SASToken, b.now()); code != 0 {
			return &subErr{thingErrCode, fmt.Sprintf("sasToken: %d %s", code, why)}
		}
	}
	if k == onenet.KindSubTopoAdd && b.countSubs(func(s *subState) bool { return s.boundTo == gw }) >= onenet.MaxTopoPerGateway {
		return &subErr{thingErrCode, fmt.Sprintf("the gateway has %d sub-devices bound, OneNET's limit", onenet.MaxTopoPerGateway)}
	}
	gw.mu.Lock()
	gwCl := gw.cl
	gw.mu.Unlock()
	sub.mu.Lock()
	defer sub.mu.Unlock()
	s := &sub.sub
	switch k {
	case onenet.KindSubTopoAdd:
		if s.boundTo != nil && s.boundTo != gw {
			return &subErr{thingErrCode, fmt.Sprintf("already bound to gateway %s: unbind it there first", s.boundTo.key)}
		}
		s.boundTo = gw
	case onenet.KindSubTopoDelete:
		if s.boundTo != gw {
			return &subErr{thingErrCode, "not bound to this gateway"}
		}
		s.boundTo = nil
		if s.via == gw {
			*s = subState{}
		}
	case onenet.KindSubLogin:
		if s.boundTo != gw {
			return &subErr{thingErrCode, "not bound to this gateway: bind it first with thing/sub/topo/add"}
		}
		s.via, s.viaCl, s.kit = gw, gwCl, false
		sub.lastSeen = b.now()
	case onenet.KindSubLogout:
		if s.via != gw || !s.online() {
			return &subErr{thingErrCode, "not logged in through this gateway"}
		}
		s.via, s.viaCl = nil, nil
		sub.lastSeen = b.now()
	}
	return nil
}

// countSubs counts the devices whose subState satisfies f.
func (b *Broker) countSubs(f func(*subState) bool) int {
	n := 0
	for _, d := range b.devices {
		d.mu.Lock()
		if f(&d.sub) {
			n++
		}
		d.mu.Unlock()
	}
	return n
}

// devicesSorted returns every device, ordered by key.
func (b *Broker) devicesSorted() []*device {
	out := make([]*device, 0, len(b.devices))
	for _, k := range sortedKeys(b.devices) {
		out = append(out, b.devices[k])
	}
	return out
}

// studioGateway returns the gateway that logged a Studio sub-device in, or
// nil.
func (b *Broker) studioGateway(d *device) *device {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.online0() || d.sub.kit || !d.sub.online() {
		return nil
	}
	return d.sub.via
}

// subCall sends the platform's property set or get or service call for a
// Studio sub-device to the gateway that logged it in, on thing/sub/…, and
// returns the gateway's reply (docs/PROTOCOL.md §12.4). reqSuffix is the
// call's topic for a directly connected device.
func (b *Broker) subCall(ctx context.Context, sub, gw *device, reqSuffix string, params json.RawMessage) (*onenet.ThingReply, error) {
	var (
		kind  onenet.Kind
		inner map[string]any
	)
	id := onenet.SubDevice{ProductID: sub.pid, DeviceName: sub.name}
	switch {
	case reqSuffix == string(onenet.KindPropertySet):
		kind, inner = onenet.KindSubPropertySet, map[string]any{"params": params}
	case reqSuffix == string(onenet.KindPropertyGet):
		kind, inner = onenet.KindSubPropertyGet, map[string]any{"params": params}
	case strings.HasPrefix(reqSuffix, "thing/service/") && strings.HasSuffix(reqSuffix, "/invoke"):
		ident := strings.TrimSuffix(strings.TrimPrefix(reqSuffix, "thing/service/"), "/invoke")
		kind, inner = onenet.KindSubServiceInvoke, map[string]any{"identifier": ident, "input": params}
	default:
		return nil, fmt.Errorf("broker: %s: not available for a sub-device", reqSuffix)
	}
	inner["productID"], inner["deviceName"] = id.ProductID, id.DeviceName
	wrapped, err := json.Marshal(inner)
	if err != nil {
		return nil, fmt.Errorf("broker: params: %w", err)
	}
	// OneNET waits 5 s for a sub-device's answer (subdevice-data.md).
	ctx, cancel := context.WithTimeout(ctx, subCallTimeout)
	defer cancel()
	return b.request(ctx, gw, kind, string(kind), string(kind.Replies()[0]), wrapped, nil)
}

// subCallTimeout bounds the wait for a gateway's answer for a sub-device.
const subCallTimeout = 5 * time.Second

// packTarget returns the device a gateway's thing/pack/post or
// thing/history/post entry with "identity" {pid, name} is for: a
// sub-device bound to the gateway (docs/PROTOCOL.md §12.4; logging it in
// is optional, subdevice-loginout.md), or nil.
func (b *Broker) packTarget(gw *device, pid, name string) *device {
	sub := b.devices[pid+"/"+name]
	if sub == nil {
		return nil
	}
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if sub.sub.boundTo != gw {
		return nil
	}
	return sub
}

// SubDevices returns the sub-devices a gateway has bound (Studio) or
// logged in (either), sorted, with whether each is logged in now.
func (b *Broker) SubDevices(pid, dev string) ([]SubDeviceStatus, error) {
	gw, err := b.device(pid, dev)
	if err != nil {
		return nil, err
	}
	var out []SubDeviceStatus
	for _, d := range b.devicesSorted() {
		d.mu.Lock()
		s := d.sub
		if s.boundTo == gw || s.via == gw {
			out = append(out, SubDeviceStatus{ProductID: d.pid, DeviceName: d.name, Bound: s.boundTo == gw, Online: s.via == gw && s.online(), Kit: s.kit})
		}
		d.mu.Unlock()
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].ProductID+"/"+out[i].DeviceName < out[j].ProductID+"/"+out[j].DeviceName
	})
	return out, nil
}

// A SubDeviceStatus is one sub-device of a gateway.
type SubDeviceStatus struct {
	ProductID, DeviceName string
	Bound                 bool // Studio: bound by thing/sub/topo/add
	Online                bool // logged in through this gateway now
	Kit                   bool // logged in on the MQTT kit's $subdev topics
}

// MQTT kit sub-devices: the $subdev topics (docs/PROTOCOL.md §12).

// subdevIDs splits "{pid}/{device}/{suffix}" (a $subdev topic without its
// prefix) and returns the sub-device, if it is one of gw's product.
func (b *Broker) subdevIDs(gw *device, rest string) (sub *device, suffix string, why string) {
	pid, r, _ := strings.Cut(rest, "/")
	name, suffix, _ := strings.Cut(r, "/")
	sub = b.devices[pid+"/"+name]
	switch {
	case sub == nil:
		return nil, suffix, fmt.Sprintf("no sub-device %s", logsafe.Q(pid+"/"+name))
	case b.gatewayOf(sub) != gw.pid:
		return nil, suffix, fmt.Sprintf("%s is not a sub-device of gateway product %s", sub.key, gw.pid)
	}
	return sub, suffix, ""
}

// subdevACL lets a gateway publish, subscribe and receive under the
// $subdev topics of its gateway product's sub-devices (internal names).
func (b *Broker) subdevACL(gw *device, topic string) bool {
	rest, ok := strings.CutPrefix(topic, internalSubdev)
	if !ok {
		return false
	}
	pid, _, ok := strings.Cut(rest, "/")
	p := b.products[pid]
	return ok && p != nil && p.Gateway == gw.pid
}

// subdevFilter says why a gateway may not subscribe to a $subdev filter,
// or returns "".
func (b *Broker) subdevFilter(gw *device, filter string) string {
	if err := onenet.CheckFilter(filter, gw.pid, gw.name); err != nil {
		return errText(err)
	}
	if kindOf(b.products[gw.pid]) == KindStudio {
		return "a OneNET Studio gateway speaks for its sub-devices on thing/sub/ topics, not $subdev/ (docs/PROTOCOL.md §12.3)"
	}
	if _, _, why := b.subdevIDs(gw, filter[len(onenet.SubdevPrefix):]); why != "" {
		return why
	}
	return ""
}

// checkSubdevPublish checks a gateway's publish to a $subdev topic: a
// documented topic a gateway publishes, of a sub-device of its product,
// logged in through it unless the topic is login or logout. Anything else
// disconnects the gateway, as a publish to an illegal topic does (MQTTS
// design note §3.1.4).
func (b *Broker) checkSubdevPublish(s *session, topic string) error {
	gw := s.dev
	if err := onenet.CheckPublishTopic(topic, gw.pid, gw.name); err != nil {
		return reject(s, "publish: %s (docs/PROTOCOL.md §12)", errText(err))
	}
	if kindOf(b.products[gw.pid]) == KindStudio {
		return reject(s, "publish to %s: a OneNET Studio gateway speaks for its sub-devices on thing/sub/ topics, not $subdev/ (docs/PROTOCOL.md §12.3)", logsafe.Q(topic))
	}
	info, err := onenet.ParseTopic(topic)
	if err != nil || info.Kind.Direction() != "up" {
		return reject(s, "publish to %s: not a sub-device topic a gateway publishes (docs/PROTOCOL.md §12)", logsafe.Q(topic))
	}
	sub, _, why := b.subdevIDs(gw, topic[len(onenet.SubdevPrefix):])
	if why != "" {
		return reject(s, "publish to %s: %s (docs/PROTOCOL.md §12)", logsafe.Q(topic), why)
	}
	if info.Kind == onenet.KindSubdevLogin || info.Kind == onenet.KindSubdevLogout {
		return nil
	}
	sub.mu.Lock()
	in := sub.sub.via == gw && sub.sub.kit && sub.sub.online()
	sub.mu.Unlock()
	if !in {
		return reject(s, "publish to %s: sub-device %s is not logged in through this gateway (docs/PROTOCOL.md §12)", logsafe.Q(topic), sub.key)
	}
	return nil
}

// subdevRejected is the payload of login/rejected and logout/rejected:
// OneNET's illegal-data error (docs/PROTOCOL.md: the reason goes to the
// log).
var subdevRejected = []byte(`{"err_code":98,"err_msg":"illegal data"}`)

// handleSubdev processes a gateway's publish to "$subdev/"+rest (checked
// by checkSubdevPublish) and returns the replies, on the sub-device's
// $subdev topics.
func (b *Broker) handleSubdev(gw *device, rest string, payload []byte) replies {
	sub, suffix, why := b.subdevIDs(gw, rest)
	if why != "" {
		return nil
	}
	base := internalSubdev + sub.pid + "/" + sub.name + "/"
	var out replies
	switch {
	case suffix == "login" || suffix == "logout":
		ok, why := b.subdevLogin(gw, sub, suffix == "login", payload)
		if !ok {
			b.logf("sub-device %s refused: gateway %s, %s: %s", suffix, gw.key, sub.key, why)
			out.add(base+suffix+"/rejected", subdevRejected)
			return out
		}
		b.logf("sub-device %s: %s through gateway %s", suffix, sub.key, gw.key)
		out.add(base+suffix+"/accepted", nil)
	case suffix == "dp/post/json":
		b.handleDP(sub, payload, &out)
	case strings.HasPrefix(suffix, "cmd/response/"):
		b.handleCmdResponse(sub, strings.TrimPrefix(suffix, "cmd/response/"), payload, &out)
	}
	for i := range out {
		if !strings.HasPrefix(out[i].suffix, internalSubdev) {
			out[i].suffix = base + out[i].suffix
		}
	}
	return out
}

// subdevLogin logs a sub-device in or out through a gateway's $subdev
// topics (the limits page): no payload; one gateway at a time, the last
// login wins and the previous gateway gets logout/notify; a second login
// by the same gateway is a protocol error that ends the sub-device's
// session; at most MaxSubdevsPerGateway per gateway.
func (b *Broker) subdevLogin(gw, sub *device, login bool, payload []byte) (ok bool, why string) {
	if len(payload) != 0 {
		return false, fmt.Sprintf("a payload of %d bytes: a sub-device login or logout has none", len(payload))
	}
	gw.mu.Lock()
	gwCl := gw.cl
	gw.mu.Unlock()
	if !login {
		sub.mu.Lock()
		defer sub.mu.Unlock()
		if sub.sub.via != gw || !sub.sub.kit || !sub.sub.online() {
			return false, "not logged in through this gateway"
		}
		sub.sub = subState{boundTo: sub.sub.boundTo}
		sub.lastSeen = b.now()
		return true, ""
	}
	n := b.countSubs(func(s *subState) bool { return s.via == gw && s.kit && s.online() })
	sub.mu.Lock()
	prev, prevCl, prevKit, prevOn := sub.sub.via, sub.sub.viaCl, sub.sub.kit, sub.sub.online()
	if prev == gw && prevKit && prevOn {
		sub.sub = subState{boundTo: sub.sub.boundTo}
		sub.mu.Unlock()
		return false, "already logged in through this gateway: a repeated login is a protocol error; the sub-device's session is cleared"
	}
	if n >= onenet.MaxSubdevsPerGateway {
		sub.mu.Unlock()
		return false, fmt.Sprintf("the gateway has %d sub-devices logged in, OneNET's limit", onenet.MaxSubdevsPerGateway)
	}
	sub.sub.via, sub.sub.viaCl, sub.sub.kit = gw, gwCl, true
	sub.lastSeen = b.now()
	sub.mu.Unlock()
	if prev != nil && prev != gw && prevKit && prevOn {
		b.logf("sub-device %s: logged in by gateway %s, so gateway %s loses it (logout/notify)", sub.key, gw.key, prev.key)
		_ = b.sendTo(prevCl, internalSubdev+sub.pid+"/"+sub.name+"/logout/notify", []byte{})
	}
	return true, ""
}

// SetTopology sets the sub-devices bound to a Studio gateway, as OneNET's
// console does, and tells the gateway on thing/sub/topo/change with the
// whole list ({"subList":[{"productID","deviceName"},…]}), returning its
// topo/change_reply (docs/PROTOCOL.md §12.3). Each sub-device must be of a
// sub-device product of the gateway's product; one bound to another
// gateway moves to this one; one left out is unbound (and logged out). The
// topology is set even when the gateway cannot be told (ErrOffline,
// ErrNotSubscribed) or does not answer (ErrTimeout).
func (b *Broker) SetTopology(ctx context.Context, pid, dev string, subs []onenet.SubDevice) (*onenet.ThingReply, error) {
	gw, err := b.device(pid, dev)
	if err != nil {
		return nil, err
	}
	if !b.isGateway(gw) || kindOf(b.products[gw.pid]) != KindStudio {
		return nil, fmt.Errorf("broker: %s is not a OneNET Studio gateway: no Studio product names product %s as its gateway", gw.key, gw.pid)
	}
	if len(subs) > onenet.MaxTopoPerGateway {
		return nil, fmt.Errorf("broker: %d sub-devices: a gateway has at most %d: %w", len(subs), onenet.MaxTopoPerGateway, ErrTooLarge)
	}
	want := map[*device]bool{}
	for _, sd := range subs {
		sub := b.devices[sd.ProductID+"/"+sd.DeviceName]
		switch {
		case sub == nil:
			return nil, fmt.Errorf("broker: subList: no device %s/%s: %w", sd.ProductID, sd.DeviceName, ErrUnknownDevice)
		case b.gatewayOf(sub) != gw.pid:
			return nil, fmt.Errorf("broker: subList: %s is not a sub-device of gateway product %s", sub.key, gw.pid)
		}
		want[sub] = true
	}
	list := []onenet.SubDevice{}
	for _, d := range b.devicesSorted() {
		d.mu.Lock()
		switch {
		case want[d]:
			if d.sub.boundTo != gw && d.sub.via != nil {
				d.sub = subState{} // moved: its old gateway no longer acts for it
			}
			d.sub.boundTo = gw
			list = append(list, onenet.SubDevice{ProductID: d.pid, DeviceName: d.name})
		case d.sub.boundTo == gw:
			d.sub = subState{}
		}
		d.mu.Unlock()
	}
	b.logf("gateway %s: topology set by the platform: %d sub-devices", gw.key, len(list))
	params, _ := json.Marshal(map[string]any{"subList": list})
	k := onenet.KindSubTopoChange
	return b.request(ctx, gw, k, string(k), string(onenet.KindSubTopoChangeReply), params, nil)
}

// The gateway route of the platform API (APIHandler).
func init() {
	routes["/gateway/topo"] = route{"POST", (*api).setTopology}
}

// setTopology: POST /gateway/topo {"product_id","device_name",
// "params":{"subList":[{"productID","deviceName"},…]}[,"timeout":S]} sets
// a Studio gateway's sub-devices and answers with its topo/change_reply
// (this local API, not one of OneNET's: OneNET's console does it).
func (a *api) setTopology(r *http.Request) (any, *apiError) {
	return a.thingCall(r, func(ctx context.Context, tb *thingBody) (*onenet.ThingReply, error) {
		var p struct {
			SubList []onenet.SubDevice `json:"subList"`
		}
		if err := json.Unmarshal(tb.Params, &p); err != nil || p.SubList == nil {
			return nil, fmt.Errorf(`"params" must be {"subList":[{"productID":…,"deviceName":…},…]}`)
		}
		return a.b.SetTopology(ctx, tb.ProductID, tb.DeviceName, p.SubList)
	})
}

// subdevSessionLimit applies the limits page's subscription limits of a
// sub-device to a gateway's new filter for it (internal name): they count in
// the sub-device's session, not the gateway's: at most
// onenet.MaxSubscriptions topics besides its login and logout ones, and at
// most onenet.MaxSubdevLoginTopics login and as many logout topics
// (docs/PROTOCOL.md §12.2). added holds the filters of the same SUBSCRIBE
// already taken. It returns why the filter is refused, or "".
func subdevSessionLimit(cl *mqtt.Client, internal string, added []string) string {
	pid, rest, _ := strings.Cut(internal[len(internalSubdev):], "/")
	name, suffix, _ := strings.Cut(rest, "/")
	prefix := internalSubdev + pid + "/" + name + "/"
	class := func(suffix string) string {
		switch first, _, _ := strings.Cut(suffix, "/"); first {
		case "login", "logout":
			return first
		}
		return "business"
	}
	c := class(suffix)
	n := 0
	count := func(f string) {
		if strings.HasPrefix(f, prefix) && class(f[len(prefix):]) == c {
			n++
		}
	}
	for f := range cl.State.Subscriptions.GetAll() {
		count(f)
	}
	for _, f := range added {
		count(f)
	}
	limit := onenet.MaxSubscriptions
	if c != "business" {
		limit = onenet.MaxSubdevLoginTopics
	}
	if n >= limit {
		return fmt.Sprintf("sub-device %s already has %d %s topics; the limit is %d", logsafe.Q(pid+"/"+name), n, c, limit)
	}
	return ""
}
