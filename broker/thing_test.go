package broker

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// TestThingPost: thing-model posts are answered on …/reply (docs/PROTOCOL.md §9).
func TestThingPost(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	pre := "$sys/prod1/dev1/thing/"
	c := e.mustDial(t, "ws", "prod1", "dev1")
	c.sub(t, 1, pre+"property/post/reply", pre+"event/post/reply", pre+"property/desired/get/reply")

	c.pub(t, pre+"property/post", 1, `{"id":"123","version":"1.0","params":{"Power":{"value":"on","time":1524448722123},"Temp":{"value":21.5}}}`)
	m := c.expect(t, pre+"property/post/reply")
	if string(m.payload) != `{"id":"123","code":200,"msg":"success"}` {
		t.Errorf("reply %s", m.payload)
	}
	props := e.b.Properties("prod1", "dev1")
	if p := props["Power"]; string(p.Value) != `"on"` || p.At.UnixMilli() != 1524448722123 {
		t.Errorf("Power %s at %v", p.Value, p.At)
	}
	if p := props["Temp"]; string(p.Value) != `21.5` || !p.At.Equal(epoch) {
		t.Errorf("Temp %s at %v", p.Value, p.At)
	}

	// A bad payload: an error code and what is wrong; still connected.
	c.pub(t, pre+"property/post", 1, `{"id":"124","version":"1.0","params":{"Power":{"value":"on","time":1524448722}}}`)
	m = c.expect(t, pre+"property/post/reply")
	var r struct {
		ID   string `json:"id"`
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	}
	if err := json.Unmarshal(m.payload, &r); err != nil || r.ID != "124" || r.Code != 400 || !strings.Contains(r.Msg, "milliseconds") {
		t.Errorf("reply to a time in seconds: %s", m.payload)
	}

	c.pub(t, pre+"event/post", 0, `{"id":"125","version":"1.0","params":{"Alarm":{"value":{"level":1}}}}`)
	if m := c.expect(t, pre+"event/post/reply"); string(m.payload) != `{"id":"125","code":200,"msg":"success"}` {
		t.Errorf("event reply %s", m.payload)
	}

	// desired/get answers with the desired values the platform set.
	if _, err := e.b.SetDesired("prod1", "dev1", json.RawMessage(`{"Power":"off"}`)); err != nil {
		t.Fatal(err)
	}
	c.pub(t, pre+"property/desired/get", 1, `{"id":"126","version":"1.0","params":["Power","Other"]}`)
	m = c.expect(t, pre+"property/desired/get/reply")
	if string(m.payload) != `{"code":200,"data":{"Power":{"value":"off","version":1}},"id":"126","msg":"success"}` {
		t.Errorf("desired/get reply %s", m.payload)
	}
}

// thingDevice answers property/set and service invokes like a device.
func thingDevice(t testing.TB, c *client, pid, dev string) {
	t.Helper()
	pre := "$sys/" + pid + "/" + dev + "/thing/"
	handler := func(cl paho.Client, m paho.Message) {
		var req struct {
			ID     string          `json:"id"`
			Params json.RawMessage `json:"params"`
		}
		if json.Unmarshal(m.Payload(), &req) != nil {
			return
		}
		if strings.Contains(string(req.Params), "ignore") {
			return
		}
		reply, _ := json.Marshal(map[string]any{"id": req.ID, "code": 200, "msg": "success", "data": req.Params})
		go cl.Publish(m.Topic()+"_reply", 1, false, reply)
	}
	for _, f := range []string{pre + "property/set", pre + "service/+/invoke"} {
		if st := c.Subscribe(f, 0, handler); !st.WaitTimeout(wait) || st.Error() != nil {
			t.Fatalf("subscribe %s: %v", f, st.Error())
		}
	}
}

// TestThingCalls: SetProperty and InvokeService round trips (docs/PROTOCOL.md §9).
func TestThingCalls(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	c := e.mustDial(t, "tcp", "prod1", "dev1")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()

	if _, err := e.b.SetProperty(ctx, "prod1", "dev1", json.RawMessage(`{"Power":"on"}`)); !errors.Is(err, ErrNotSubscribed) {
		t.Fatalf("before subscribing: %v", err)
	}
	thingDevice(t, c, "prod1", "dev1")
	r, err := e.b.SetProperty(ctx, "prod1", "dev1", json.RawMessage(`{"Power":"on"}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.Code != 200 || r.Msg != "success" || string(r.Data) != `{"Power":"on"}` || r.ID == "" {
		t.Errorf("set reply %+v", r)
	}
	r2, err := e.b.SetProperty(ctx, "prod1", "dev1", json.RawMessage(`{"Power":"off"}`))
	if err != nil || r2.ID == r.ID {
		t.Errorf("second set: %+v, %v: want a new id", r2, err)
	}

	r, err = e.b.InvokeService(ctx, "prod1", "dev1", "reboot", json.RawMessage(`{"delay":5}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.Code != 200 || string(r.Data) != `{"delay":5}` {
		t.Errorf("invoke reply %+v", r)
	}

	short, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel2()
	if _, err := e.b.SetProperty(short, "prod1", "dev1", json.RawMessage(`{"x":"ignore"}`)); !errors.Is(err, ErrTimeout) {
		t.Errorf("unanswered set: %v", err)
	}
	if _, err := e.b.SetProperty(ctx, "prod1", "dev1", json.RawMessage(`[1]`)); err == nil {
		t.Error("params that are not an object: no error")
	}
	if _, err := e.b.InvokeService(ctx, "prod1", "dev1", "a/b", json.RawMessage(`{}`)); err == nil {
		t.Error("identifier with '/': no error")
	}
}
