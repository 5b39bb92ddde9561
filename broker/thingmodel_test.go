package broker

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// withStudio adds a Studio product "studio1" with the page's sample thing
// model and one device "dev1" (key keyD1).
func withStudio(t testing.TB) func(*Options) {
	model, err := os.ReadFile("../web/thingmodel-sample.json")
	if err != nil {
		t.Fatal(err)
	}
	return func(o *Options) {
		o.Registry.Products = append(o.Registry.Products, Product{
			ID: "studio1", Key: keyP2, Kind: KindStudio, ThingModel: model,
			Devices: []Device{{Name: "dev1", Key: keyD1}},
		})
	}
}

func dialStudio(t testing.TB, e *env, via string) *client {
	t.Helper()
	c, code, err := e.dial(t, via, "studio1", "dev1", devTok(t, "studio1", "dev1", keyD1))
	if err != nil || code != 0 {
		t.Fatalf("login studio1/dev1: CONNACK %d, %v", code, err)
	}
	return c
}

type tmReply struct {
	ID   string          `json:"id"`
	Code int             `json:"code"`
	Msg  string          `json:"msg"`
	Data json.RawMessage `json:"data"`
}

func decodeReply(t testing.TB, m message) tmReply {
	t.Helper()
	var r tmReply
	if err := json.Unmarshal(m.payload, &r); err != nil {
		t.Fatalf("%s: %s: %v", m.topic, m.payload, err)
	}
	return r
}

// TestThingModelPosts: with a thing model in the registry, posts are checked
// against it: a valid post is answered 200 and kept; an unknown identifier
// 404, a bad value 422, each naming the identifier (docs/PROTOCOL.md §9, reply codes). Over TCP and WebSocket.
func TestThingModelPosts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits, withStudio(t))
	pre := "$sys/studio1/dev1/thing/"
	for _, via := range []string{"tcp", "ws"} {
		c := dialStudio(t, e, via)
		c.sub(t, 0, pre+"property/post/reply", pre+"event/post/reply", pre+"pack/post/reply", pre+"history/post/reply")
		for _, tc := range []struct {
			kind, payload string
			code          int
			msg           string
		}{
			{"property/post", `{"id":"1","params":{"temperature":{"value":21.5,"time":1700000000123},"mode":{"value":2},"location":{"value":{"lng":116.4,"lat":39.9}}}}`, 200, "success"},
			{"property/post", `{"id":"2","params":{"humidity":{"value":40}}}`, 404, `"humidity" is not a property`},
			{"property/post", `{"id":"3","params":{"brightness":{"value":101}}}`, 422, "params.brightness.value: 101 is outside 0 to 100"},
			{"property/post", `{"id":"4","params":{"power":{"value":"on"}}}`, 422, "params.power.value"},
			{"property/post", `{"id":"5","params":{"label":{"value":"` + strings.Repeat("x", 33) + `"}}}`, 422, "at most 32"},
			{"property/post", `{"id":"6","params":{"temperature":{"value":1,"time":1700000000}}}`, 400, "milliseconds"},
			{"event/post", `{"id":"7","params":{"overheat":{"value":{"temperature":90.5,"level":2}}}}`, 200, "success"},
			{"event/post", `{"id":"8","params":{"overheat":{"value":{"level":3}}}}`, 422, "params.overheat.value.level"},
			{"event/post", `{"id":"9","params":{"fire":{"value":{}}}}`, 404, `"fire" is not a event`},
			{"event/post", `{"id":"10","params":{"overheat":{"value":{"smoke":1}}}}`, 404, `"smoke" is not a parameter of overheat`},
			{"pack/post", `{"id":"11","params":[{"properties":{"brightness":{"value":70,"time":1700000001000}},"events":{"overheat":{"value":{"level":1}}}}]}`, 200, "success"},
			{"pack/post", `{"id":"12","params":[{"properties":{"mode":{"value":7}}}]}`, 422, "params[0].properties.mode.value"},
			{"pack/post", `{"id":"13","params":[{},{},{},{},{},{},{},{},{},{},{}]}`, 400, "at most 10 devices"},
			{"history/post", `{"id":"14","params":[{"properties":{"brightness":[{"value":10,"time":1600000000000},{"value":20,"time":1600000001000}]}}]}`, 200, "success"},
			{"history/post", `{"id":"15","params":[{"properties":{"brightness":[{"value":10},{"value":-1}]}}]}`, 422, "params[0].properties.brightness[1].value"},
		} {
			c.pub(t, pre+tc.kind, 1, tc.payload)
			m := c.expect(t, pre+tc.kind+"/reply")
			r := decodeReply(t, m)
			if r.Code != tc.code || !strings.Contains(r.Msg, tc.msg) || r.ID != thingID([]byte(tc.payload)) {
				t.Errorf("%s %s %.70s:\n got %s\nwant code %d, msg with %q", via, tc.kind, tc.payload, m.payload, tc.code, tc.msg)
			}
		}
		c.Disconnect(0)
	}
	props := e.b.Properties("studio1", "dev1")
	if string(props["temperature"].Value) != "21.5" || string(props["brightness"].Value) != "70" || string(props["location"].Value) != `{"lng":116.4,"lat":39.9}` {
		t.Errorf("kept properties %v", props)
	}
	if _, ok := props["humidity"]; ok {
		t.Error("the refused humidity was kept")
	}
	// history/post is stored as history, in the order it arrives: the
	// pack/post point (70), then the two history points, on each transport.
	h := e.b.PropertyHistory("studio1", "dev1", "brightness")
	if len(h) != 6 || string(h[0].Value) != "70" || string(h[1].Value) != "10" || h[1].At.UnixMilli() != 1600000000000 || string(h[2].Value) != "20" {
		t.Errorf("brightness history %v", h)
	}
	e.log.waitFor(t, "thing request rejected", "code 404")

	// The history through the API, the newest last.
	auth := tok(t, "products/studio1", keyP2)
	res := e.call(t, "GET", "/api/thingmodel/query-device-property-history?product_id=studio1&device_name=dev1&identifier=brightness&limit=2", auth, "")
	if res.Code != 0 || string(res.Data) != `[{"time":1600000000000,"value":10},{"time":1600000001000,"value":20}]` {
		t.Errorf("query-device-property-history: %+v %s", res, res.Data)
	}
	res = e.call(t, "GET", "/api/thingmodel/query-device-property-history?product_id=studio1&device_name=dev1", auth, "")
	if res.Status != 400 || !strings.Contains(res.Msg, "identifier") {
		t.Errorf("without an identifier: %+v", res)
	}
}

// TestThingModelOff: a Studio product without a model, and a kit product,
// keep today's behaviour: any identifier is accepted (docs/PROTOCOL.md
// §9.5).
func TestThingModelOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits, func(o *Options) {
		o.Registry.Products = append(o.Registry.Products, Product{ID: "studio1", Key: keyP2, Kind: KindStudio, Devices: []Device{{Name: "dev1", Key: keyD1}}})
	})
	c := dialStudio(t, e, "tcp")
	pre := "$sys/studio1/dev1/thing/"
	c.sub(t, 0, pre+"property/post/reply")
	c.pub(t, pre+"property/post", 1, `{"id":"1","params":{"anything":{"value":"x"}}}`)
	if r := decodeReply(t, c.expect(t, pre+"property/post/reply")); r.Code != 200 {
		t.Errorf("without a model: %+v", r)
	}
}

// TestThingModelDesired: desired/get answers {"Id":{"value","version"}}
// with a version per property; desired/delete applies only when the
// version matches or none is given (docs/PROTOCOL.md §9.4). Over TCP and
// WebSocket.
func TestThingModelDesired(t *testing.T) {
	t.Parallel()
	for _, via := range vias {
		t.Run(via, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, noLimits, withStudio(t))
			pre := "$sys/studio1/dev1/thing/property/desired/"
			c := dialStudio(t, e, via)
			c.sub(t, 0, pre+"get/reply", pre+"delete/reply")

			if _, err := e.b.SetDesired("studio1", "dev1", json.RawMessage(`{"power":true,"mode":1}`)); err != nil {
				t.Fatal(err)
			}
			if v, err := e.b.SetDesired("studio1", "dev1", json.RawMessage(`{"mode":2}`)); err != nil || v["mode"] != 2 {
				t.Fatalf("second set: %v, %v", v, err)
			}
			if _, err := e.b.SetDesired("studio1", "dev1", json.RawMessage(`{"mode":9}`)); err == nil || !strings.Contains(err.Error(), "mode") {
				t.Errorf("a bad desired value: %v", err)
			}
			if _, err := e.b.SetDesired("studio1", "dev1", json.RawMessage(`{"nope":1}`)); err == nil {
				t.Error("an unknown desired property: no error")
			}
			get := func() string {
				t.Helper()
				c.pub(t, pre+"get", 1, `{"id":"1","params":["power","mode","brightness"]}`)
				r := decodeReply(t, c.expect(t, pre+"get/reply"))
				if r.Code != 200 {
					t.Fatalf("desired/get: %+v", r)
				}
				return string(r.Data)
			}
			if got := get(); got != `{"mode":{"value":2,"version":2},"power":{"value":true,"version":1}}` {
				t.Errorf("desired/get data %s", got)
			}
			// A stale version: ignored; no version: deleted; the current one: deleted.
			c.pub(t, pre+"delete", 1, `{"id":"2","params":{"mode":{"version":1}}}`)
			if r := decodeReply(t, c.expect(t, pre+"delete/reply")); r.Code != 200 {
				t.Errorf("delete reply %+v", r)
			}
			if got := get(); got != `{"mode":{"value":2,"version":2},"power":{"value":true,"version":1}}` {
				t.Errorf("after a stale delete: %s", got)
			}
			c.pub(t, pre+"delete", 1, `{"id":"3","params":{"mode":{"version":2},"power":{}}}`)
			c.expect(t, pre+"delete/reply")
			if got := get(); got != `{}` {
				t.Errorf("after deleting: %s", got)
			}
			// Set again after a delete: the version starts again at 1.
			if v, _ := e.b.SetDesired("studio1", "dev1", json.RawMessage(`{"mode":0}`)); v["mode"] != 1 {
				t.Errorf("version after a delete: %v", v)
			}
			c.pub(t, pre+"get", 1, `{"id":"4","params":["volume"]}`)
			if r := decodeReply(t, c.expect(t, pre+"get/reply")); r.Code != 404 {
				t.Errorf("desired/get of an unknown property: %+v", r)
			}
		})
	}
}

// modelDevice answers property/set, property/get and service invokes as a
// device of the sample model does.
func modelDevice(t testing.TB, c *client) {
	t.Helper()
	pre := "$sys/studio1/dev1/thing/"
	handler := func(cl paho.Client, m paho.Message) {
		var req struct {
			ID     string          `json:"id"`
			Params json.RawMessage `json:"params"`
		}
		if json.Unmarshal(m.Payload(), &req) != nil {
			return
		}
		data := json.RawMessage(`{}`)
		switch {
		case strings.HasSuffix(m.Topic(), "/property/get"):
			data = json.RawMessage(`{"temperature":22.5,"power":true}`)
		case strings.HasSuffix(m.Topic(), "/invoke"):
			data = json.RawMessage(`{"ok":true}`)
			if strings.Contains(string(req.Params), "13") {
				data = json.RawMessage(`{"ok":"yes"}`) // breaks the model
			}
		}
		reply, _ := json.Marshal(map[string]any{"id": req.ID, "code": 200, "msg": "success", "data": data})
		go cl.Publish(m.Topic()+"_reply", 1, false, reply)
	}
	for _, f := range []string{pre + "property/set", pre + "property/get", pre + "service/+/invoke"} {
		if st := c.Subscribe(f, 0, handler); !st.WaitTimeout(wait) || st.Error() != nil {
			t.Fatalf("subscribe %s: %v", f, st.Error())
		}
	}
}

// TestThingModelCalls: the platform's property/set, property/get and
// service invoke are checked against the model before they are sent; the
// device's replies come back (and a reply that breaks the model is logged)
// (docs/PROTOCOL.md §9.3, §9.4).
func TestThingModelCalls(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits, withStudio(t))
	c := dialStudio(t, e, "ws")
	modelDevice(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()

	if r, err := e.b.SetProperty(ctx, "studio1", "dev1", json.RawMessage(`{"power":false,"brightness":40}`)); err != nil || r.Code != 200 {
		t.Errorf("set: %+v, %v", r, err)
	}
	for _, tc := range []struct{ params, want string }{
		{`{"temperature":20}`, "read-only"},
		{`{"brightness":40.5}`, "params.brightness"},
		{`{"volume":1}`, `"volume" is not a property`},
	} {
		if _, err := e.b.SetProperty(ctx, "studio1", "dev1", json.RawMessage(tc.params)); !errors.Is(err, ErrThingModel) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("set %s: %v, want %q", tc.params, err, tc.want)
		}
	}
	r, err := e.b.GetProperty(ctx, "studio1", "dev1", []string{"temperature", "power"})
	if err != nil || r.Code != 200 || string(r.Data) != `{"temperature":22.5,"power":true}` {
		t.Errorf("get: %+v, %v", r, err)
	}
	if _, err := e.b.GetProperty(ctx, "studio1", "dev1", []string{"nope"}); !errors.Is(err, ErrThingModel) {
		t.Errorf("get of an unknown property: %v", err)
	}
	r, err = e.b.InvokeService(ctx, "studio1", "dev1", "reboot", json.RawMessage(`{"delay":5}`))
	if err != nil || r.Code != 200 || string(r.Data) != `{"ok":true}` {
		t.Errorf("invoke: %+v, %v", r, err)
	}
	if _, err := e.b.InvokeService(ctx, "studio1", "dev1", "reboot", json.RawMessage(`{"delay":61}`)); !errors.Is(err, ErrThingModel) || !strings.Contains(err.Error(), "delay") {
		t.Errorf("invoke with a bad input: %v", err)
	}
	if _, err := e.b.InvokeService(ctx, "studio1", "dev1", "reset", json.RawMessage(`{}`)); !errors.Is(err, ErrThingModel) {
		t.Errorf("invoke of an unknown service: %v", err)
	}
	if r, err := e.b.InvokeService(ctx, "studio1", "dev1", "reboot", json.RawMessage(`{"delay":13}`)); err != nil || r.Code != 200 {
		t.Errorf("invoke answered off the model: %+v, %v", r, err)
	}
	e.log.waitFor(t, "thing reply does not match the thing model", "tm.value.type")

	// The same through the API: property/get's reply is shown.
	body := `{"product_id":"studio1","device_name":"dev1","params":["temperature"]}`
	auth := tok(t, "products/studio1", keyP2)
	res := e.call(t, "POST", "/api/thingmodel/get-device-property", auth, body)
	if res.Code != 0 || !strings.Contains(string(res.Data), `"temperature":22.5`) {
		t.Errorf("get-device-property: %+v %s", res, res.Data)
	}
	res = e.call(t, "POST", "/api/thingmodel/get-device-property", auth, `{"product_id":"studio1","device_name":"dev1","params":["x"]}`)
	if res.Status != 400 || !strings.Contains(res.Msg, `"x" is not a property`) {
		t.Errorf("get-device-property of an unknown property: %+v", res)
	}
	res = e.call(t, "POST", "/api/thingmodel/set-device-desired-property", auth, `{"product_id":"studio1","device_name":"dev1","params":{"mode":1}}`)
	if res.Code != 0 || string(res.Data) != `{"mode":1}` {
		t.Errorf("set-device-desired-property: %+v %s", res, res.Data)
	}
	res = e.call(t, "GET", "/api/thingmodel/query-device-desired-property?product_id=studio1&device_name=dev1", auth, "")
	if res.Code != 0 || string(res.Data) != `{"mode":{"value":1,"version":1}}` {
		t.Errorf("query-device-desired-property: %+v %s", res, res.Data)
	}
}
