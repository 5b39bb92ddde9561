package broker

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/onenet-wasm/onenet-wasm/onenet"
)

var (
	keyGW  = key(40)
	keyGW1 = key(41)
	keySP  = key(42)
	keyS1  = key(43)
)

// gatewayRegistry adds to testRegistry an MQTT-kit gateway product gwp
// (devices gw1, gw2) with its sub-device product subp (s1 with a device key,
// s2 without), and the same in OneNET Studio: gws and subs.
func gatewayRegistry(o *Options) {
	r := testRegistry()
	r.Products = append(r.Products,
		Product{ID: "gwp", Key: keyGW, Devices: []Device{{Name: "gw1", Key: keyGW1}, {Name: "gw2"}}},
		Product{ID: "subp", Key: keySP, Gateway: "gwp", Devices: []Device{{Name: "s1", Key: keyS1}, {Name: "s2"}}},
		Product{ID: "gws", Key: keyGW, Kind: KindStudio, Devices: []Device{{Name: "gw1", Key: keyGW1}, {Name: "gw2"}}},
		Product{ID: "subs", Key: keySP, Kind: KindStudio, Gateway: "gws", Devices: []Device{{Name: "s1", Key: keyS1}, {Name: "s2"}}},
	)
	o.Registry = r
}

// dialGW logs a gateway device of product pid in.
func (e *env) dialGW(t testing.TB, via, pid, dev string) *client {
	t.Helper()
	pw := tok(t, "products/"+pid, keyGW)
	c, code, err := e.dial(t, via, pid, dev, pw)
	if err != nil || code != 0 {
		t.Fatalf("gateway %s: CONNACK %d, %v", dev, code, err)
	}
	return c
}

// thingReply reads a OneJSON reply.
func thingReply(t testing.TB, m message) (id string, code int, msg string, data json.RawMessage) {
	t.Helper()
	var r struct {
		ID   string          `json:"id"`
		Code int             `json:"code"`
		Msg  string          `json:"msg"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(m.payload, &r); err != nil {
		t.Fatalf("%s: %s: %v", m.topic, m.payload, err)
	}
	return r.ID, r.Code, r.Msg, r.Data
}

// subReq publishes a gateway request and returns its reply's code and msg.
func subReq(t testing.TB, c *client, gw, kind, id, params string) (int, string, json.RawMessage) {
	t.Helper()
	pre := "$sys/gws/" + gw + "/thing/sub/"
	body := `{"id":"` + id + `","version":"1.0"`
	if params != "" {
		body += `,"params":` + params
	}
	c.pub(t, pre+kind, 1, body+"}")
	m := c.expect(t, pre+kind+"/reply")
	rid, code, msg, data := thingReply(t, m)
	if rid != id {
		t.Errorf("%s reply id %q, want %q", kind, rid, id)
	}
	return code, msg, data
}

// TestSubStudioTopology: docs/PROTOCOL.md §12: a
// Studio gateway binds a sub-device with its token (topo/add), lists
// (topo/get) and unbinds (topo/delete) it; only sub-devices of its gateway
// product, with a valid token; login needs the binding, over TCP and
// WebSocket.
func TestSubStudioTopology(t *testing.T) {
	t.Parallel()
	for _, via := range []string{"tcp", "ws"} {
		t.Run(via, func(t *testing.T) {
			e := newEnv(t, noLimits, gatewayRegistry)
			c := e.dialGW(t, via, "gws", "gw1")
			c.sub(t, 0, "$sys/gws/gw1/thing/sub/#")
			s1 := func(extra string) string {
				return `{"productID":"subs","deviceName":"s1"` + extra + `}`
			}
			good := `,"sasToken":"` + devTok(t, "subs", "s1", keyS1) + `"`

			if code, msg, _ := subReq(t, c, "gw1", "login", "1", s1("")); code == 200 || !strings.Contains(msg, "not bound") {
				t.Errorf("login before topo/add: %d %q", code, msg)
			}
			if code, msg, _ := subReq(t, c, "gw1", "topo/add", "2", s1(`,"sasToken":"`+devTok(t, "subs", "s1", keyNone)+`"`)); code == 200 || !strings.Contains(msg, "sasToken") {
				t.Errorf("topo/add with a wrong token: %d %q", code, msg)
			}
			if code, msg, _ := subReq(t, c, "gw1", "topo/add", "3", `{"productID":"prod1","deviceName":"dev1","sasToken":"x"}`); code == 200 || !strings.Contains(msg, "not a sub-device") {
				t.Errorf("topo/add of a device that is no sub-device: %d %q", code, msg)
			}
			if code, msg, _ := subReq(t, c, "gw1", "topo/add", "4", s1("")); code == 200 || !strings.Contains(msg, "sasToken") {
				t.Errorf("topo/add without a token: %d %q", code, msg)
			}
			if code, msg, _ := subReq(t, c, "gw1", "topo/add", "5", s1(good)); code != 200 {
				t.Fatalf("topo/add: %d %q", code, msg)
			}
			// The product key signs a sub-device token too.
			if code, msg, _ := subReq(t, c, "gw1", "topo/add", "6", `{"productID":"subs","deviceName":"s2","sasToken":"`+tok(t, "products/subs", keySP)+`"}`); code != 200 {
				t.Fatalf("topo/add s2 with a product token: %d %q", code, msg)
			}
			if code, _, data := subReq(t, c, "gw1", "topo/get", "7", ""); code != 200 || string(data) != `[{"productID":"subs","deviceName":"s1"},{"productID":"subs","deviceName":"s2"}]` {
				t.Errorf("topo/get: %d %s", code, data)
			}
			// The gateway answers the topology it got; the platform logs it.
			n := e.log.mark()
			c.pub(t, "$sys/gws/gw1/thing/sub/topo/get/result", 1, `{"id":"7","code":200}`)
			e.log.waitAfter(t, n, "gateway gws/gw1: thing/sub/topo/get/result id 7, code 200")

			if code, msg, _ := subReq(t, c, "gw1", "topo/delete", "8", `{"productID":"subs","deviceName":"s2","sasToken":"`+tok(t, "products/subs", keySP)+`"}`); code != 200 {
				t.Errorf("topo/delete: %d %q", code, msg)
			}
			if code, _, data := subReq(t, c, "gw1", "topo/get", "9", ""); code != 200 || string(data) != `[{"productID":"subs","deviceName":"s1"}]` {
				t.Errorf("topo/get after delete: %d %s", code, data)
			}
			// A malformed request gets its reply with the problem.
			if code, msg, _ := subReq(t, c, "gw1", "login", "10", `{"productID":"subs"}`); code == 200 || !strings.Contains(msg, "deviceName") {
				t.Errorf("login without deviceName: %d %q", code, msg)
			}
		})
	}
}

// studioSub answers, as a gateway, the platform's thing/sub/ calls for its
// sub-devices: the reply's data echoes the request's params.
func studioSub(t testing.TB, c *client, gw string) {
	t.Helper()
	pre := "$sys/gws/" + gw + "/thing/sub/"
	handler := func(cl paho.Client, m paho.Message) {
		var req struct {
			ID     string          `json:"id"`
			Params json.RawMessage `json:"params"`
		}
		if json.Unmarshal(m.Payload(), &req) != nil {
			return
		}
		reply, _ := json.Marshal(map[string]any{"id": req.ID, "code": 200, "msg": "success", "data": req.Params})
		go cl.Publish(m.Topic()+"_reply", 1, false, reply)
	}
	for _, f := range []string{pre + "property/set", pre + "property/get", pre + "service/invoke"} {
		if st := c.Subscribe(f, 0, handler); !st.WaitTimeout(wait) || st.Error() != nil {
			t.Fatalf("subscribe %s: %v", f, st.Error())
		}
	}
}

// TestSubStudioCalls: docs/PROTOCOL.md §12: the
// platform's property set and service call for a logged-in Studio
// sub-device go to its gateway on thing/sub/property/set and
// thing/sub/service/invoke, with the sub-device named in params; the
// sub-device is online while logged in and its gateway connected.
func TestSubStudioCalls(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits, gatewayRegistry)
	c := e.dialGW(t, "tcp", "gws", "gw1")
	c.sub(t, 0, "$sys/gws/gw1/thing/sub/+/reply", "$sys/gws/gw1/thing/sub/topo/+/reply")
	studioSub(t, c, "gw1")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()

	if code, msg, _ := subReq(t, c, "gw1", "topo/add", "1", `{"productID":"subs","deviceName":"s1","sasToken":"`+devTok(t, "subs", "s1", keyS1)+`"}`); code != 200 {
		t.Fatalf("topo/add: %d %q", code, msg)
	}
	if _, err := e.b.SetProperty(ctx, "subs", "s1", json.RawMessage(`{"t":1}`)); !errors.Is(err, ErrOffline) {
		t.Fatalf("set before login: %v", err)
	}
	if code, msg, _ := subReq(t, c, "gw1", "login", "2", `{"productID":"subs","deviceName":"s1"}`); code != 200 {
		t.Fatalf("login: %d %q", code, msg)
	}
	if st := e.b.Devices("subs"); !st[0].Online || st[1].Online {
		t.Errorf("Devices(subs) after login: %+v", st)
	}
	r, err := e.b.SetProperty(ctx, "subs", "s1", json.RawMessage(`{"t":30.5}`))
	if err != nil || r.Code != 200 || string(r.Data) != `{"deviceName":"s1","params":{"t":30.5},"productID":"subs"}` {
		t.Fatalf("SetProperty(sub-device) = %+v, %v", r, err)
	}
	r, err = e.b.InvokeService(ctx, "subs", "s1", "reboot", json.RawMessage(`{"delay":1}`))
	if err != nil || r.Code != 200 || string(r.Data) != `{"deviceName":"s1","identifier":"reboot","input":{"delay":1},"productID":"subs"}` {
		t.Fatalf("InvokeService(sub-device) = %+v, %v", r, err)
	}
	if subs, _ := e.b.SubDevices("gws", "gw1"); len(subs) != 1 || !subs[0].Online || !subs[0].Bound || subs[0].Kit {
		t.Errorf("SubDevices = %+v", subs)
	}

	// Another gateway of the product cannot log in a sub-device bound to
	// gw1: one gateway at a time.
	c2 := e.dialGW(t, "ws", "gws", "gw2")
	c2.sub(t, 0, "$sys/gws/gw2/thing/sub/+/reply")
	if code, msg, _ := subReq(t, c2, "gw2", "login", "3", `{"productID":"subs","deviceName":"s1"}`); code == 200 || !strings.Contains(msg, "not bound to this gateway") {
		t.Errorf("login by a second gateway: %d %q", code, msg)
	}
	if code, msg, _ := subReq(t, c2, "gw2", "logout", "4", `{"productID":"subs","deviceName":"s1"}`); code == 200 {
		t.Errorf("logout by a second gateway: %d %q", code, msg)
	}

	if code, msg, _ := subReq(t, c, "gw1", "logout", "5", `{"productID":"subs","deviceName":"s1"}`); code != 200 {
		t.Fatalf("logout: %d %q", code, msg)
	}
	if _, err := e.b.SetProperty(ctx, "subs", "s1", json.RawMessage(`{"t":1}`)); !errors.Is(err, ErrOffline) {
		t.Errorf("set after logout: %v", err)
	}
	// Logged in again, then the gateway goes: the sub-device is offline.
	if code, msg, _ := subReq(t, c, "gw1", "login", "6", `{"productID":"subs","deviceName":"s1"}`); code != 200 {
		t.Fatalf("login again: %d %q", code, msg)
	}
	c.Disconnect(0)
	e.log.waitFor(t, "disconnected: device gws/gw1")
	if st := e.b.Devices("subs"); st[0].Online {
		t.Errorf("sub-device online after its gateway left: %+v", st)
	}
}

// TestSubNotAGateway: docs/PROTOCOL.md §12: a
// device of a product that no product names as its gateway gets an error
// reply to thing/sub/ requests; the registry refuses broken gateway links.
func TestSubNotAGateway(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits, gatewayRegistry)
	c := e.mustDial(t, "tcp", "prod1", "dev1")
	c.sub(t, 0, "$sys/prod1/dev1/thing/sub/login/reply")
	c.pub(t, "$sys/prod1/dev1/thing/sub/login", 1, `{"id":"1","params":{"productID":"subp","deviceName":"s1"}}`)
	_, code, msg, _ := thingReply(t, c.expect(t, "$sys/prod1/dev1/thing/sub/login/reply"))
	if code == 200 || !strings.Contains(msg, "not a gateway product") {
		t.Errorf("thing/sub/login from a plain device: %d %q", code, msg)
	}
	for _, tc := range []struct {
		gateway, want string
	}{
		{"p", "names itself"},
		{"nope", `no product "nope"`},
		{"s", "is itself a sub-device product"},
	} {
		r := &Registry{Products: []Product{
			{ID: "g", Key: keyGW},
			{ID: "s", Key: keySP, Gateway: "g"},
			{ID: "p", Key: keyP1, Gateway: tc.gateway},
		}}
		if err := r.check(); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "products[2].gateway") {
			t.Errorf("gateway %q: %v, want %q", tc.gateway, err, tc.want)
		}
	}
}

// TestSubdevLoginNoPayload: docs/PROTOCOL.md §12: an
// MQTT-kit gateway logs a sub-device in and out on $subdev/{pid}/{device}/
// login and logout with an empty payload (login/accepted, logout/accepted);
// a payload is rejected (limits page, 其他限制 3); a second login by the
// same gateway is a protocol error that clears the sub-device's session
// (其他限制 2); over TCP and WebSocket.
func TestSubdevLoginNoPayload(t *testing.T) {
	t.Parallel()
	for _, via := range []string{"tcp", "ws"} {
		t.Run(via, func(t *testing.T) {
			e := newEnv(t, noLimits, gatewayRegistry)
			c := e.dialGW(t, via, "gwp", "gw1")
			if got := c.sub(t, 0, "$subdev/subp/s1/#", "$subdev/prod1/dev1/#"); got[0] == 0x80 || got[1] != 0x80 {
				t.Fatalf("SUBACK %v: want the sub-device's filter granted, another device's refused", got)
			}
			const pre = "$subdev/subp/s1/"
			c.pub(t, pre+"login", 1, "{}")
			if m := c.expect(t, pre+"login/rejected"); string(m.payload) != `{"err_code":98,"err_msg":"illegal data"}` {
				t.Errorf("login/rejected payload %s", m.payload)
			}
			if st := e.b.Devices("subp"); st[0].Online {
				t.Fatal("online after a rejected login")
			}
			c.pub(t, pre+"login", 1, "")
			if m := c.expect(t, pre+"login/accepted"); len(m.payload) != 0 {
				t.Errorf("login/accepted payload %q", m.payload)
			}
			if st := e.b.Devices("subp"); !st[0].Online || st[1].Online {
				t.Fatalf("Devices(subp) after login: %+v", st)
			}
			// The sub-device's own topics, through the gateway.
			c.pub(t, pre+"dp/post/json", 1, `{"id":5,"dp":{"temp":[{"v":21}]}}`)
			if m := c.expect(t, pre+"dp/post/json/accepted"); string(m.payload) != `{"id":5}` {
				t.Errorf("dp accepted %s", m.payload)
			}
			if pts := e.b.Datapoints("subp", "s1")["temp"]; len(pts) != 1 || string(pts[0].Value) != "21" {
				t.Errorf("sub-device datapoints %+v", pts)
			}
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			done := make(chan []byte, 1)
			go func() {
				resp, err := e.b.SendCommand(ctx, "subp", "s1", []byte("on"))
				if err != nil {
					t.Errorf("SendCommand(sub-device): %v", err)
				}
				done <- resp
			}()
			m := c.next(t)
			id, ok := strings.CutPrefix(m.topic, pre+"cmd/request/")
			if !ok || string(m.payload) != "on" {
				t.Fatalf("command arrived as %s %q", m.topic, m.payload)
			}
			c.pub(t, pre+"cmd/response/"+id, 1, "done")
			if resp := <-done; string(resp) != "done" {
				t.Errorf("command response %q", resp)
			}
			c.expect(t, pre+"cmd/response/"+id+"/accepted")

			// A repeated login: rejected, and the sub-device is logged out.
			c.pub(t, pre+"login", 1, "")
			c.expect(t, pre+"login/rejected")
			if st := e.b.Devices("subp"); st[0].Online {
				t.Error("online after a repeated login")
			}
			c.pub(t, pre+"login", 1, "")
			c.expect(t, pre+"login/accepted")
			c.pub(t, pre+"logout", 1, "x")
			c.expect(t, pre+"logout/rejected")
			c.pub(t, pre+"logout", 1, "")
			c.expect(t, pre+"logout/accepted")
			if st := e.b.Devices("subp"); st[0].Online {
				t.Error("online after logout")
			}
			c.pub(t, pre+"logout", 1, "")
			c.expect(t, pre+"logout/rejected")
		})
	}
}

// TestSubdevOneGateway: docs/PROTOCOL.md §12: a
// sub-device is logged in by one gateway at a time; the last login wins and
// the other gateway gets logout/notify (limits page, 其他限制 1); a gateway
// that publishes for a sub-device it has not logged in is disconnected.
func TestSubdevOneGateway(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits, gatewayRegistry)
	const pre = "$subdev/subp/s1/"
	g1 := e.dialGW(t, "tcp", "gwp", "gw1")
	g2 := e.dialGW(t, "ws", "gwp", "gw2")
	g1.sub(t, 0, pre+"#")
	g2.sub(t, 0, pre+"login/+")
	g1.pub(t, pre+"login", 1, "")
	g1.expect(t, pre+"login/accepted")
	g2.pub(t, pre+"login", 1, "")
	g2.expect(t, pre+"login/accepted")
	if m := g1.expect(t, pre+"logout/notify"); len(m.payload) != 0 {
		t.Errorf("logout/notify payload %q", m.payload)
	}
	if subs, _ := e.b.SubDevices("gwp", "gw2"); len(subs) != 1 || !subs[0].Online || !subs[0].Kit {
		t.Errorf("SubDevices(gw2) = %+v", subs)
	}
	// gw1 no longer acts for s1: publishing for it ends its connection.
	g1.Publish(pre+"dp/post/json", 0, false, `{"id":1,"dp":{"t":[{"v":1}]}}`)
	g1.waitLost(t, "publish for a sub-device logged in by another gateway")
	e.log.waitFor(t, "sub-device subp/s1 is not logged in through this gateway")
}

// TestSubdevForeign: docs/PROTOCOL.md §12: a
// $subdev topic of a device that is not a sub-device of the gateway's
// product, or one a gateway does not publish, disconnects the gateway.
func TestSubdevForeign(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ pid, dev, topic, log string }{
		{"gwp", "gw1", "$subdev/prod1/dev1/login", "prod1/dev1 is not a sub-device of gateway product gwp"},
		{"gwp", "gw1", "$subdev/subp/nosuch/login", `no sub-device "subp/nosuch"`},
		{"gwp", "gw1", "$subdev/subp/s1/login/accepted", "not a sub-device topic a gateway publishes"},
		{"gwp", "gw1", "$subdev/subp/s1/image/update", "not a sub-device topic a gateway publishes"},
		{"prod1", "dev1", "$subdev/subp/s1/login", "subp/s1 is not a sub-device of gateway product prod1"},
	} {
		e := newEnv(t, noLimits, gatewayRegistry)
		var c *client
		if tc.pid == "gwp" {
			c = e.dialGW(t, "tcp", tc.pid, tc.dev)
		} else {
			c = e.mustDial(t, "tcp", tc.pid, tc.dev)
		}
		c.Publish(tc.topic, 0, false, "")
		c.waitLost(t, tc.topic)
		e.log.waitFor(t, tc.log)
	}
}

// TestSubdevLimit: docs/PROTOCOL.md §12: one gateway
// logs in at most 50 sub-devices at a time (MQTTS design note §2.1). Over
// TCP and WebSocket.
func TestSubdevLimit(t *testing.T) {
	t.Parallel()
	for _, via := range vias {
		t.Run(via, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, noLimits, func(o *Options) {
				gatewayRegistry(o)
				many := Product{ID: "many", Key: keySP, Gateway: "gwp"}
				for i := 0; i <= onenet.MaxSubdevsPerGateway; i++ {
					many.Devices = append(many.Devices, Device{Name: "m" + strconv.Itoa(i)})
				}
				o.Registry.Products = append(o.Registry.Products, many)
			})
			c := e.dialGW(t, via, "gwp", "gw1")
			for i := 0; i < onenet.MaxSubdevsPerGateway; i++ {
				c.pub(t, "$subdev/many/m"+strconv.Itoa(i)+"/login", 1, "")
			}
			n := e.log.mark()
			c.pub(t, "$subdev/many/m50/login", 1, "")
			e.log.waitAfter(t, n, "the gateway has 50 sub-devices logged in")
			online := 0
			for _, s := range e.b.Devices("many") {
				if s.Online {
					online++
				}
			}
			if online != onenet.MaxSubdevsPerGateway {
				t.Errorf("%d sub-devices online, want %d", online, onenet.MaxSubdevsPerGateway)
			}
		})
	}
}

// TestSubProductKinds: docs/PROTOCOL.md §12: an MQTT-kit gateway uses the
// $subdev topics, a OneNET Studio gateway thing/sub/; each is refused the
// other's (an error reply; a disconnection for a publish to $subdev), and a
// sub-device product is of its gateway's kind.
func TestSubProductKinds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits, gatewayRegistry)
	kit := e.dialGW(t, "tcp", "gwp", "gw1")
	kit.sub(t, 0, "$sys/gwp/gw1/thing/sub/login/reply")
	kit.pub(t, "$sys/gwp/gw1/thing/sub/login", 1, `{"id":"1","params":{"productID":"subp","deviceName":"s1"}}`)
	if _, code, msg, _ := thingReply(t, kit.expect(t, "$sys/gwp/gw1/thing/sub/login/reply")); code == 200 || !strings.Contains(msg, "$subdev") {
		t.Errorf("thing/sub/login from a kit gateway: %d %q", code, msg)
	}
	studio := e.dialGW(t, "ws", "gws", "gw1")
	if got := studio.sub(t, 0, "$subdev/subs/s1/#"); got[0] != 0x80 {
		t.Errorf("a Studio gateway's $subdev filter: SUBACK %v", got)
	}
	studio.Publish("$subdev/subs/s1/login", 0, false, "")
	studio.waitLost(t, "a Studio gateway publishing to $subdev")
	e.log.waitFor(t, "a OneNET Studio gateway speaks for its sub-devices on thing/sub/ topics")

	r := &Registry{Products: []Product{
		{ID: "g", Key: keyGW, Kind: KindStudio},
		{ID: "s", Key: keySP, Gateway: "g"},
	}}
	if err := r.check(); err == nil || !strings.Contains(err.Error(), "a sub-device product is of its gateway's kind") {
		t.Errorf("kit sub-device of a Studio gateway: %v", err)
	}
}

// TestSubPackPost: docs/PROTOCOL.md §12.4: a Studio gateway's
// thing/pack/post entries with the "identity" of a sub-device bound to it
// are that sub-device's properties; an entry for a device that is not
// bound is not kept. A gateway that never answers a call for its
// sub-device makes it time out after OneNET's 5 s. Over TCP and WebSocket.
func TestSubPackPost(t *testing.T) {
	t.Parallel()
	for _, via := range vias {
		t.Run(via, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, noLimits, gatewayRegistry)
			c := e.dialGW(t, via, "gws", "gw1")
			c.sub(t, 0, "$sys/gws/gw1/thing/sub/+/reply", "$sys/gws/gw1/thing/sub/topo/+/reply", "$sys/gws/gw1/thing/pack/post/reply", "$sys/gws/gw1/thing/sub/property/set")
			if code, msg, _ := subReq(t, c, "gw1", "topo/add", "1", `{"productID":"subs","deviceName":"s1","sasToken":"`+devTok(t, "subs", "s1", keyS1)+`"}`); code != 200 {
				t.Fatalf("topo/add: %d %q", code, msg)
			}
			n := e.log.mark()
			c.pub(t, "$sys/gws/gw1/thing/pack/post", 1, `{"id":"2","version":"1.0","params":[`+
				`{"identity":{"productID":"subs","deviceName":"s1"},"properties":{"temp":{"value":21.5,"time":1700000000000}},"events":{}},`+
				`{"identity":{"productID":"subs","deviceName":"s2"},"properties":{"temp":{"value":99,"time":1700000000000}},"events":{}}]}`)
			if _, code, msg, _ := thingReply(t, c.expect(t, "$sys/gws/gw1/thing/pack/post/reply")); code != 200 {
				t.Fatalf("pack/post: %d %q", code, msg)
			}
			e.log.waitAfter(t, n, "thing entry not kept: device gws/gw1 posted for another device, not a sub-device bound to it")
			if p := e.b.Properties("subs", "s1"); string(p["temp"].Value) != "21.5" {
				t.Errorf("s1's properties %+v", p)
			}
			if p := e.b.Properties("subs", "s2"); len(p) != 0 {
				t.Errorf("s2 (not bound) has properties %+v", p)
			}

			// The gateway subscribes to property/set but never answers.
			if code, msg, _ := subReq(t, c, "gw1", "login", "3", `{"productID":"subs","deviceName":"s1"}`); code != 200 {
				t.Fatalf("login: %d %q", code, msg)
			}
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			if _, err := e.b.SetProperty(ctx, "subs", "s1", json.RawMessage(`{"temp":1}`)); !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("unanswered sub-device call: %v, want ErrTimeout after OneNET's 5 s", err)
			}
			if ctx.Err() != nil {
				t.Error("the call waited for the caller's deadline, not OneNET's 5 s")
			}
		})
	}
}

// TestSubTopoChange: docs/PROTOCOL.md §12.3: when the platform changes a
// Studio gateway's topology it sends thing/sub/topo/change with the whole
// list and gets topo/change_reply; a sub-device left out is unbound and
// logged out (POST /api/gateway/topo, the local platform's console). Over
// TCP and WebSocket.
func TestSubTopoChange(t *testing.T) {
	t.Parallel()
	for _, via := range vias {
		t.Run(via, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, noLimits, gatewayRegistry)
			c := e.dialGW(t, via, "gws", "gw1")
			c.sub(t, 0, "$sys/gws/gw1/thing/sub/+/reply", "$sys/gws/gw1/thing/sub/topo/+/reply")
			got := make(chan string, 4)
			st := c.Subscribe("$sys/gws/gw1/thing/sub/topo/change", 0, func(cl paho.Client, m paho.Message) {
				var req struct {
					ID     string          `json:"id"`
					Params json.RawMessage `json:"params"`
				}
				_ = json.Unmarshal(m.Payload(), &req)
				got <- string(req.Params)
				go cl.Publish("$sys/gws/gw1/thing/sub/topo/change_reply", 1, false, `{"id":"`+req.ID+`","code":200}`)
			})
			if !st.WaitTimeout(wait) || st.Error() != nil {
				t.Fatal(st.Error())
			}
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			r, err := e.b.SetTopology(ctx, "gws", "gw1", []onenet.SubDevice{{ProductID: "subs", DeviceName: "s2"}, {ProductID: "subs", DeviceName: "s1"}})
			if err != nil || r.Code != 200 {
				t.Fatalf("SetTopology = %+v, %v", r, err)
			}
			if p := <-got; p != `{"subList":[{"productID":"subs","deviceName":"s1"},{"productID":"subs","deviceName":"s2"}]}` {
				t.Errorf("topo/change params %s", p)
			}
			if code, msg, _ := subReq(t, c, "gw1", "login", "1", `{"productID":"subs","deviceName":"s1"}`); code != 200 {
				t.Fatalf("login after the platform bound s1: %d %q", code, msg)
			}
			// Through the API: s1 is left out, so it is unbound and logged out.
			req, _ := http.NewRequest("POST", e.http.URL+"/api/gateway/topo", strings.NewReader(`{"product_id":"gws","device_name":"gw1","params":{"subList":[{"productID":"subs","deviceName":"s2"}]}}`))
			req.Header.Set("Authorization", tok(t, "products/gws", keyGW))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var out struct {
				Code int
				Data struct{ Code int }
			}
			_ = json.NewDecoder(resp.Body).Decode(&out)
			resp.Body.Close()
			if out.Code != 0 || out.Data.Code != 200 {
				t.Fatalf("POST gateway/topo: %+v", out)
			}
			if p := <-got; p != `{"subList":[{"productID":"subs","deviceName":"s2"}]}` {
				t.Errorf("second topo/change params %s", p)
			}
			if st := e.b.Devices("subs"); st[0].Online {
				t.Error("s1 still online after the platform unbound it")
			}
			if _, err := e.b.SetTopology(ctx, "gws", "gw1", []onenet.SubDevice{{ProductID: "prod1", DeviceName: "dev1"}}); err == nil || !strings.Contains(err.Error(), "not a sub-device") {
				t.Errorf("SetTopology with a device that is no sub-device: %v", err)
			}
			if _, err := e.b.SetTopology(ctx, "gwp", "gw1", nil); err == nil {
				t.Error("SetTopology of a kit gateway: no error")
			}
		})
	}
}

// TestDemoGateways: docs/PROTOCOL.md §12.5: the demo registry has a
// sub-device product for each demo product, so that the demo devices can
// be demoed as gateways.
func TestDemoGateways(t *testing.T) {
	r, err := DemoRegistry(strings.NewReader(strings.Repeat("\x07\xc8\x03", 100)))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Products) != 4 {
		t.Fatalf("%d products", len(r.Products))
	}
	kit, studio := r.Products[2], r.Products[3]
	if kit.Gateway != r.Products[0].ID || kindOf(&kit) != KindKit || studio.Gateway != r.Products[1].ID || studio.Kind != KindStudio ||
		kit.Devices[0].Name != "sensor1" || studio.Devices[0].Name != "sensor1" {
		t.Errorf("sub-device products %+v, %+v", kit, studio)
	}
}

// TestSubdevSubscribeLimits: docs/PROTOCOL.md §12.2: a gateway's
// subscriptions for a sub-device count in the sub-device's session, not
// the gateway's (limits page, "subscribe限制"): 15 topics per sub-device
// besides 4 login and 4 logout ones; more fail in the SUBACK. Over TCP and
// WebSocket.
func TestSubdevSubscribeLimits(t *testing.T) {
	t.Parallel()
	for _, via := range vias {
		t.Run(via, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, noLimits, gatewayRegistry)
			c := e.dialGW(t, via, "gwp", "gw1")
			var business []string
			for i := 0; i < onenet.MaxSubscriptions; i++ {
				business = append(business, "$subdev/subp/s1/cmd/request/r"+strconv.Itoa(i))
			}
			for _, part := range [][]string{business[:8], business[8:]} {
				for i, g := range c.sub(t, 0, part...) {
					if g == 0x80 {
						t.Fatalf("%s refused", part[i])
					}
				}
			}
			if g := c.sub(t, 0, "$subdev/subp/s1/dp/post/json/accepted"); g[0] != 0x80 {
				t.Errorf("a 16th topic for s1: SUBACK %v, want 0x80", g)
			}
			// The login topics have their own count, and s2 and the gateway's own
			// topics theirs: none is full.
			login := []string{"$subdev/subp/s1/login/+", "$subdev/subp/s1/login/#", "$subdev/subp/s1/login/accepted", "$subdev/subp/s1/login/rejected"}
			for i, g := range c.sub(t, 0, login...) {
				if g == 0x80 {
					t.Errorf("%s refused", login[i])
				}
			}
			if g := c.sub(t, 0, "$subdev/subp/s1/login"); g[0] != 0x80 {
				t.Errorf("a 5th login topic for s1: SUBACK %v, want 0x80", g)
			}
			if g := c.sub(t, 0, "$subdev/subp/s1/logout/+", "$subdev/subp/s2/#", "$sys/gwp/gw1/#"); g[0] == 0x80 || g[1] == 0x80 || g[2] == 0x80 {
				t.Errorf("logout, another sub-device and the gateway's own: SUBACK %v", g)
			}
			e.log.waitFor(t, `sub-device "subp/s1" already has 15 business topics; the limit is 15`)
		})
	}
}
