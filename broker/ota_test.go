package broker

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// TestOTAInformReply: docs/PROTOCOL.md §11: the platform announces an
// upgrade on ota/inform, a OneJSON request, and gets the device's
// ota/inform_reply (200 takes it, 100 declines), over TCP and WebSocket; a
// late reply is still recorded.
func TestOTAInformReply(t *testing.T) {
	t.Parallel()
	for _, via := range []string{"tcp", "ws"} {
		t.Run(via, func(t *testing.T) {
			e := newEnv(t, noLimits)
			c := e.mustDial(t, via, "prod1", "dev1")
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			if _, err := e.b.InformOTA(ctx, "prod1", "dev1", json.RawMessage(`{"targetVersion":"1.2.0"}`)); !errors.Is(err, ErrNotSubscribed) {
				t.Fatalf("before subscribing: %v", err)
			}
			c.sub(t, 0, "$sys/prod1/dev1/ota/inform")

			// The device answers in a goroutine; the platform call waits.
			done := make(chan struct{})
			go func() {
				defer close(done)
				var m message
				select {
				case m = <-c.msgs:
				case <-time.After(wait):
					t.Errorf("no ota/inform in %s", wait)
					return
				}
				var req struct {
					ID      string          `json:"id"`
					Version string          `json:"version"`
					Params  json.RawMessage `json:"params"`
				}
				if err := json.Unmarshal(m.payload, &req); err != nil || req.ID == "" || req.Version != "1.0" || string(req.Params) != `{"targetVersion":"1.2.0"}` {
					t.Errorf("ota/inform payload %s (%v)", m.payload, err)
				}
				c.Publish("$sys/prod1/dev1/ota/inform_reply", 1, false, `{"id":"`+req.ID+`","code":200}`)
			}()
			r, err := e.b.InformOTA(ctx, "prod1", "dev1", json.RawMessage(`{"targetVersion":"1.2.0"}`))
			<-done
			if err != nil || r.Code != 200 {
				t.Fatalf("InformOTA = %+v, %v", r, err)
			}
			rec, _ := e.b.OTA("prod1", "dev1")
			if rec == nil || rec.ID != r.ID || rec.Reply == nil || rec.Reply.Code != 200 {
				t.Errorf("OTA record %+v", rec)
			}

			// No answer in time: ErrTimeout; the late answer is recorded.
			short, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel2()
			if _, err := e.b.InformOTA(short, "prod1", "dev1", json.RawMessage(`{"targetVersion":"2.0"}`)); !errors.Is(err, ErrTimeout) {
				t.Fatalf("unanswered: %v", err)
			}
			m := c.expect(t, "$sys/prod1/dev1/ota/inform")
			var req struct{ ID string }
			_ = json.Unmarshal(m.payload, &req)
			n := e.log.mark()
			c.pub(t, "$sys/prod1/dev1/ota/inform_reply", 1, `{"id":"`+req.ID+`","code":100,"msg":"busy"}`)
			e.log.waitAfter(t, n, "ota reply: device prod1/dev1, id "+req.ID+", code 100")
			rec, _ = e.b.OTA("prod1", "dev1")
			if rec == nil || string(rec.Params) != `{"targetVersion":"2.0"}` || rec.Reply == nil || rec.Reply.Code != 100 || rec.Reply.Msg != "busy" {
				t.Errorf("late reply: record %+v", rec)
			}

			// Params must be an object.
			if _, err := e.b.InformOTA(ctx, "prod1", "dev1", json.RawMessage(`"2.0"`)); err == nil || !strings.Contains(err.Error(), "params") {
				t.Errorf("params not an object: %v", err)
			}
		})
	}
}

// TestOTAAPI: docs/PROTOCOL.md §11: POST /api/ota/inform returns the
// device's reply and GET /api/ota/status the record.
func TestOTAAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	c := e.mustDial(t, "tcp", "prod1", "dev1")
	st := c.Subscribe("$sys/prod1/dev1/ota/inform", 0, func(cl paho.Client, m paho.Message) {
		var req struct{ ID string }
		_ = json.Unmarshal(m.Payload(), &req)
		go cl.Publish("$sys/prod1/dev1/ota/inform_reply", 0, false, `{"id":"`+req.ID+`","code":200,"msg":"ok"}`)
	})
	if !st.WaitTimeout(wait) || st.Error() != nil {
		t.Fatal(st.Error())
	}
	auth := tok(t, "products/prod1", keyP1)
	call := func(method, path, body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, e.http.URL+"/api/"+path, strings.NewReader(body))
		req.Header.Set("Authorization", auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var out map[string]any
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: %s", method, path, b)
		}
		return out
	}
	if got := call("GET", "ota/status?product_id=prod1&device_name=dev1", ""); got["code"] != 0.0 || got["data"] != nil {
		t.Errorf("status before any announcement: %v", got)
	}
	got := call("POST", "ota/inform", `{"product_id":"prod1","device_name":"dev1","params":{"targetVersion":"1.1"}}`)
	data, _ := got["data"].(map[string]any)
	if got["code"] != 0.0 || data["code"] != 200.0 || data["msg"] != "ok" {
		t.Fatalf("POST ota/inform: %v", got)
	}
	got = call("GET", "ota/status?product_id=prod1&device_name=dev1", "")
	data, _ = got["data"].(map[string]any)
	reply, _ := data["reply"].(map[string]any)
	if data["id"] != reply["id"] || reply["code"] != 200.0 || data["params"].(map[string]any)["targetVersion"] != "1.1" {
		t.Errorf("GET ota/status: %v", got)
	}
	if got := call("POST", "ota/inform", `{"product_id":"prod1","device_name":"dev1","params":[1]}`); got["code"] != 400.0 {
		t.Errorf("params not an object: %v", got)
	}
	if got := call("POST", "ota/inform", `{"product_id":"prod1","device_name":"dev2","params":{}}`); got["code"] != 10500.0 {
		t.Errorf("offline device: %v", got)
	}
}
