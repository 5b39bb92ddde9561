package broker

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	paho "github.com/eclipse/paho.mqtt.golang"
)

var (
	keyGW  = key(40)
	keyGW1 = key(41)
	keySP  = key(42)
	keyS1  = key(43)
)

// gatewayRegistry adds to testRegistry a gateway product gwp (devices gw1,
// gw2) and a sub-device product subp of gateway product gwp (s1 with a
// device key, s2 without).
func gatewayRegistry(o *Options) {
	r := testRegistry()
	r.Products = append(r.Products,
		Product{ID: "gwp", Key: keyGW, Devices: []Device{{Name: "gw1", Key: keyGW1}, {Name: "gw2"}}},
		Product{ID: "subp", Key: keySP, Gateway: "gwp", Devices: []Device{{Name: "s1", Key: keyS1}, {Name: "s2"}}},
	)
	o.Registry = r
}

// dialGW logs a gateway device in.
func (e *env) dialGW(t testing.TB, via, dev string) *client {
	t.Helper()
	pw := tok(t, "products/gwp", keyGW)
	c, code, err := e.dial(t, via, "gwp", dev, pw)
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
	pre := "$sys/gwp/" + gw + "/thing/sub/"
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

// TestSubStudioTopology: docs/PROTOCOL.md "Gateways and sub-devices": a
// Studio gateway binds a sub-device with its token (topo/add), lists
// (topo/get) and unbinds (topo/delete) it; only sub-devices of its gateway
// product, with a valid token; login needs the binding, over TCP and
// WebSocket.
func TestSubStudioTopology(t *testing.T) {
	t.Parallel()
	for _, via := range []string{"tcp", "ws"} {
		t.Run(via, func(t *testing.T) {
			e := newEnv(t, noLimits, gatewayRegistry)
			c := e.dialGW(t, via, "gw1")
			c.sub(t, 0, "$sys/gwp/gw1/thing/sub/#")
			s1 := func(extra string) string {
				return `{"productID":"subp","deviceName":"s1"` + extra + `}`
			}
			good := `,"sasToken":"` + devTok(t, "subp", "s1", keyS1) + `"`

			if code, msg, _ := subReq(t, c, "gw1", "login", "1", s1("")); code == 200 || !strings.Contains(msg, "not bound") {
				t.Errorf("login before topo/add: %d %q", code, msg)
			}
			if code, msg, _ := subReq(t, c, "gw1", "topo/add", "2", s1(`,"sasToken":"`+devTok(t, "subp", "s1", keyNone)+`"`)); code == 200 || !strings.Contains(msg, "sasToken") {
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
			if code, msg, _ := subReq(t, c, "gw1", "topo/add", "6", `{"productID":"subp","deviceName":"s2","sasToken":"`+tok(t, "products/subp", keySP)+`"}`); code != 200 {
				t.Fatalf("topo/add s2 with a product token: %d %q", code, msg)
			}
			if code, _, data := subReq(t, c, "gw1", "topo/get", "7", ""); code != 200 || string(data) != `[{"productID":"subp","deviceName":"s1"},{"productID":"subp","deviceName":"s2"}]` {
				t.Errorf("topo/get: %d %s", code, data)
			}
			// The gateway answers the topology it got; the platform logs it.
			n := e.log.mark()
			c.pub(t, "$sys/gwp/gw1/thing/sub/topo/get/result", 1, `{"id":"7","code":200}`)
			e.log.waitAfter(t, n, "gateway gwp/gw1: thing/sub/topo/get/result id 7, code 200")

			if code, msg, _ := subReq(t, c, "gw1", "topo/delete", "8", `{"productID":"subp","deviceName":"s2","sasToken":"`+tok(t, "products/subp", keySP)+`"}`); code != 200 {
				t.Errorf("topo/delete: %d %q", code, msg)
			}
			if code, _, data := subReq(t, c, "gw1", "topo/get", "9", ""); code != 200 || string(data) != `[{"productID":"subp","deviceName":"s1"}]` {
				t.Errorf("topo/get after delete: %d %s", code, data)
			}
			// A malformed request gets its reply with the problem.
			if code, msg, _ := subReq(t, c, "gw1", "login", "10", `{"productID":"subp"}`); code == 200 || !strings.Contains(msg, "deviceName") {
				t.Errorf("login without deviceName: %d %q", code, msg)
			}
		})
	}
}

// studioSub answers, as a gateway, the platform's thing/sub/ calls for its
// sub-devices: the reply's data echoes the request's params.
func studioSub(t testing.TB, c *client, gw string) {
	t.Helper()
	pre := "$sys/gwp/" + gw + "/thing/sub/"
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

// TestSubStudioCalls: docs/PROTOCOL.md "Gateways and sub-devices": the
// platform's property set and service call for a logged-in Studio
// sub-device go to its gateway on thing/sub/property/set and
// thing/sub/service/invoke, with the sub-device named in params; the
// sub-device is online while logged in and its gateway connected.
func TestSubStudioCalls(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits, gatewayRegistry)
	c := e.dialGW(t, "tcp", "gw1")
	c.sub(t, 0, "$sys/gwp/gw1/thing/sub/+/reply", "$sys/gwp/gw1/thing/sub/topo/+/reply")
	studioSub(t, c, "gw1")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()

	if code, msg, _ := subReq(t, c, "gw1", "topo/add", "1", `{"productID":"subp","deviceName":"s1","sasToken":"`+devTok(t, "subp", "s1", keyS1)+`"}`); code != 200 {
		t.Fatalf("topo/add: %d %q", code, msg)
	}
	if _, err := e.b.SetProperty(ctx, "subp", "s1", json.RawMessage(`{"t":1}`)); !errors.Is(err, ErrOffline) {
		t.Fatalf("set before login: %v", err)
	}
	if code, msg, _ := subReq(t, c, "gw1", "login", "2", `{"productID":"subp","deviceName":"s1"}`); code != 200 {
		t.Fatalf("login: %d %q", code, msg)
	}
	if st := e.b.Devices("subp"); !st[0].Online || st[1].Online {
		t.Errorf("Devices(subp) after login: %+v", st)
	}
	r, err := e.b.SetProperty(ctx, "subp", "s1", json.RawMessage(`{"t":30.5}`))
	if err != nil || r.Code != 200 || string(r.Data) != `{"deviceName":"s1","params":{"t":30.5},"productID":"subp"}` {
		t.Fatalf("SetProperty(sub-device) = %+v, %v", r, err)
	}
	r, err = e.b.InvokeService(ctx, "subp", "s1", "reboot", json.RawMessage(`{"delay":1}`))
	if err != nil || r.Code != 200 || string(r.Data) != `{"deviceName":"s1","identifier":"reboot","input":{"delay":1},"productID":"subp"}` {
		t.Fatalf("InvokeService(sub-device) = %+v, %v", r, err)
	}
	if subs, _ := e.b.SubDevices("gwp", "gw1"); len(subs) != 1 || !subs[0].Online || !subs[0].Bound || subs[0].Kit {
		t.Errorf("SubDevices = %+v", subs)
	}

	// Another gateway of the product cannot log in a sub-device bound to
	// gw1: one gateway at a time.
	c2 := e.dialGW(t, "ws", "gw2")
	c2.sub(t, 0, "$sys/gwp/gw2/thing/sub/+/reply")
	if code, msg, _ := subReq(t, c2, "gw2", "login", "3", `{"productID":"subp","deviceName":"s1"}`); code == 200 || !strings.Contains(msg, "not bound to this gateway") {
		t.Errorf("login by a second gateway: %d %q", code, msg)
	}
	if code, msg, _ := subReq(t, c2, "gw2", "logout", "4", `{"productID":"subp","deviceName":"s1"}`); code == 200 {
		t.Errorf("logout by a second gateway: %d %q", code, msg)
	}

	if code, msg, _ := subReq(t, c, "gw1", "logout", "5", `{"productID":"subp","deviceName":"s1"}`); code != 200 {
		t.Fatalf("logout: %d %q", code, msg)
	}
	if _, err := e.b.SetProperty(ctx, "subp", "s1", json.RawMessage(`{"t":1}`)); !errors.Is(err, ErrOffline) {
		t.Errorf("set after logout: %v", err)
	}
	// Logged in again, then the gateway goes: the sub-device is offline.
	if code, msg, _ := subReq(t, c, "gw1", "login", "6", `{"productID":"subp","deviceName":"s1"}`); code != 200 {
		t.Fatalf("login again: %d %q", code, msg)
	}
	c.Disconnect(0)
	e.log.waitFor(t, "disconnected: device gwp/gw1")
	if st := e.b.Devices("subp"); st[0].Online {
		t.Errorf("sub-device online after its gateway left: %+v", st)
	}
}

// TestSubNotAGateway: docs/PROTOCOL.md "Gateways and sub-devices": a
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
