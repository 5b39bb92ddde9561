package broker

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

type apiResult struct {
	Status    int
	Code      int             `json:"code"`
	Msg       string          `json:"msg"`
	RequestID string          `json:"request_id"`
	Data      json.RawMessage `json:"data"`
}

// call makes an API request with the given authorization (none if empty).
func (e *env) call(t testing.TB, method, path, auth, body string) apiResult {
	t.Helper()
	req, err := http.NewRequest(method, e.http.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("authorization", auth)
	}
	resp, err := e.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var r apiResult
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("%s %s: HTTP %d, body %q is not JSON: %v", method, path, resp.StatusCode, data, err)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: Content-Type %q", method, path, ct)
	}
	r.Status = resp.StatusCode
	return r
}

func (r apiResult) check(t testing.TB, status, code int, msgPart string) {
	t.Helper()
	if r.Status != status || r.Code != code || !strings.Contains(r.Msg, msgPart) || r.RequestID == "" {
		t.Errorf("got HTTP %d code %d msg %q request_id %q; want HTTP %d code %d msg with %q", r.Status, r.Code, r.Msg, r.RequestID, status, code, msgPart)
	}
}

func TestAPIAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	good := tok(t, "products/prod1", keyP1)
	e.call(t, "GET", "/api/devices?product_id=prod1", "", "").check(t, 401, 401, "missing authorization")
	e.call(t, "GET", "/api/devices?product_id=prod1", tok(t, "products/prod1", keyP2), "").check(t, 401, 401, "sign")
	e.call(t, "GET", "/api/devices?product_id=prod1", "garbage", "").check(t, 401, 401, "token")
	e.call(t, "GET", "/api/devices?product_id=prod1", tok(t, "products/prod2", keyP2), "").check(t, 401, 401, `"products/prod2"`)
	e.call(t, "GET", "/api/devices?product_id=prod1", tokAt(t, "products/prod1", keyP1, epoch.Unix()-1, ""), "").check(t, 401, 401, "expired")
	e.call(t, "GET", "/api/devices?product_id=nope", good, "").check(t, 401, 401, "no product")
	// A device token: for its own device only.
	dt := devTok(t, "prod1", "dev1", keyD1)
	e.call(t, "GET", "/api/datapoint/current-datapoints?product_id=prod1&device_name=dev1", dt, "").check(t, 200, 0, "succ")
	e.call(t, "GET", "/api/datapoint/current-datapoints?product_id=prod1&device_name=dev2", dt, "").check(t, 401, 401, "res")
	e.call(t, "GET", "/api/devices?product_id=prod1", dt, "").check(t, 401, 401, "res")

	e.call(t, "GET", "/api/devices", good, "").check(t, 400, 400, "product_id is missing")
	e.call(t, "POST", "/api/devices?product_id=prod1", good, "").check(t, 405, 405, "use GET")
	e.call(t, "GET", "/api/datapoint/synccmds?product_id=prod1&device_name=dev1", good, "").check(t, 405, 405, "use POST")
	e.call(t, "GET", "/api/nothing", good, "").check(t, 404, 404, "no API")
	e.call(t, "GET", "/api/datapoint/current-datapoints?product_id=prod1&device_name=ghost", good, "").check(t, 404, 404, "ghost")
	e.call(t, "GET", "/api/devices?product_id=prod1", "version=2018-10-31&sign", "").check(t, 401, 401, "sign")

	for _, line := range e.log.all() {
		if strings.Contains(line, "sign=") || strings.Contains(line, "&sign") || strings.Contains(line, keyP1) {
			t.Errorf("log line holds a token: %s", line)
		}
	}
	e.log.waitFor(t, "api: GET /devices: 401")
}

func TestAPIDevicesAndDatapoints(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	auth := tok(t, "products/prod1", keyP1)
	c := e.mustDial(t, "tcp", "prod1", "dev1")

	r := e.call(t, "GET", "/api/devices?product_id=prod1", auth, "")
	r.check(t, 200, 0, "succ")
	var list struct {
		Total int `json:"total"`
		List  []struct {
			Name     string  `json:"name"`
			Online   bool    `json:"online"`
			LastTime *string `json:"last_time"`
		} `json:"list"`
	}
	if err := json.Unmarshal(r.Data, &list); err != nil {
		t.Fatal(err)
	}
	if list.Total != 3 || list.List[0].Name != "dev1" || !list.List[0].Online || list.List[0].LastTime == nil ||
		list.List[1].Online || list.List[1].LastTime != nil {
		t.Errorf("devices %s", r.Data)
	}
	if *list.List[0].LastTime != "2023-11-15 06:13:20.000" { // epoch in CST
		t.Errorf("last_time %q", *list.List[0].LastTime)
	}

	c.sub(t, 0, "$sys/prod1/dev1/dp/post/json/accepted")
	c.pub(t, "$sys/prod1/dev1/dp/post/json", 1, `{"id":1,"dp":{"temp":[{"v":1,"t":1700000001},{"v":2,"t":1700000002},{"v":3,"t":1700000003}],"hum":[{"v":"wet"}]}}`)
	c.expect(t, "$sys/prod1/dev1/dp/post/json/accepted")

	r = e.call(t, "GET", "/api/datapoint/current-datapoints?product_id=prod1&device_name=dev1", auth, "")
	r.check(t, 200, 0, "succ")
	want := `{"devices":[{"datastreams":[{"id":"hum","at":"2023-11-15 06:13:20.000","value":"wet"},{"id":"temp","at":"2023-11-15 06:13:23.000","value":3}],"title":"dev1"}]}`
	if string(r.Data) != want {
		t.Errorf("current:\n got %s\nwant %s", r.Data, want)
	}

	q := url.Values{"product_id": {"prod1"}, "device_name": {"dev1"}, "datastream_id": {"temp"}, "limit": {"2"}, "sort": {"DESC"}}
	r = e.call(t, "GET", "/api/datapoint/history-datapoints?"+q.Encode(), auth, "")
	r.check(t, 200, 0, "succ")
	want = `{"count":2,"datastreams":[{"id":"temp","datapoints":[{"at":"2023-11-15 06:13:23.000","value":3},{"at":"2023-11-15 06:13:22.000","value":2}]}]}`
	if string(r.Data) != want {
		t.Errorf("history:\n got %s\nwant %s", r.Data, want)
	}
	q.Set("start", "2023-11-15T06:13:22")
	q.Del("sort")
	q.Del("limit")
	r = e.call(t, "GET", "/api/datapoint/history-datapoints?"+q.Encode(), auth, "")
	if !strings.Contains(string(r.Data), `"count":2`) || !strings.Contains(string(r.Data), `[{"at":"2023-11-15 06:13:22.000","value":2},`) {
		t.Errorf("history from start: %s", r.Data)
	}
	q.Set("limit", "0")
	e.call(t, "GET", "/api/datapoint/history-datapoints?"+q.Encode(), auth, "").check(t, 400, 400, "limit")
}

// TestAPICommandsAndThings: the platform API's commands (at most 1023
// bytes, docs/PROTOCOL.md §8.3) and thing-model calls (§6, §9.4).
func TestAPICommandsAndThings(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	auth := tok(t, "products/prod1", keyP1)

	e.call(t, "POST", "/api/datapoint/synccmds?product_id=prod1&device_name=dev1&timeout=5", auth, "ping").check(t, 200, 10500, "not online")
	c := e.mustDial(t, "ws", "prod1", "dev1")
	e.call(t, "POST", "/api/datapoint/synccmds?product_id=prod1&device_name=dev1&timeout=5", auth, "ping").check(t, 200, 10500, "not subscribed")
	responder(t, c, "prod1", "dev1")
	r := e.call(t, "POST", "/stripped/datapoint/synccmds?product_id=prod1&device_name=dev1&timeout=5", auth, "ping")
	r.check(t, 200, 0, "succ")
	var cmd struct {
		UUID string `json:"cmd_uuid"`
		Resp string `json:"cmd_resp"`
	}
	if err := json.Unmarshal(r.Data, &cmd); err != nil {
		t.Fatal(err)
	}
	if resp, _ := base64.StdEncoding.DecodeString(cmd.Resp); string(resp) != "re:ping" || len(cmd.UUID) != 36 {
		t.Errorf("synccmds data %s", r.Data)
	}
	e.call(t, "POST", "/api/datapoint/synccmds?product_id=prod1&device_name=dev1&timeout=1", auth, "ignore").check(t, 200, 10501, "did not answer")
	e.call(t, "POST", "/api/datapoint/synccmds?product_id=prod1&device_name=dev1&timeout=99", auth, "x").check(t, 400, 400, "timeout")
	e.call(t, "POST", "/api/datapoint/synccmds?product_id=prod1&device_name=dev1", auth, strings.Repeat("x", 20*1024+1)).check(t, 413, 413, "too large")

	thingDevice(t, c, "prod1", "dev1")
	r = e.call(t, "POST", "/api/thingmodel/set-device-property", auth, `{"product_id":"prod1","device_name":"dev1","params":{"Power":"on"}}`)
	r.check(t, 200, 0, "succ")
	var reply struct {
		ID   string          `json:"id"`
		Code int             `json:"code"`
		Msg  string          `json:"msg"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(r.Data, &reply); err != nil || reply.Code != 200 || reply.ID == "" || string(reply.Data) != `{"Power":"on"}` {
		t.Errorf("set-device-property data %s", r.Data)
	}
	r = e.call(t, "POST", "/api/thingmodel/call-service", auth, `{"product_id":"prod1","device_name":"dev1","identifier":"reboot","params":{"delay":1}}`)
	r.check(t, 200, 0, "succ")
	if !strings.Contains(string(r.Data), `"data":{"delay":1}`) {
		t.Errorf("call-service data %s", r.Data)
	}

	e.call(t, "POST", "/api/thingmodel/set-device-property", auth, `{"product_id":"prod1",`).check(t, 400, 400, "line 1, column 23")
	e.call(t, "POST", "/api/thingmodel/set-device-property", auth, `{"product_id":7}`).check(t, 400, 400, `"product_id" must be a string`)
	e.call(t, "POST", "/api/thingmodel/set-device-property", auth, `{"product_id":"prod1","device_name":"dev1"}`).check(t, 400, 400, `"params" is missing`)
	e.call(t, "POST", "/api/thingmodel/call-service", auth, `{"product_id":"prod1","device_name":"dev1","params":{}}`).check(t, 400, 400, `"identifier" is missing`)
	e.call(t, "POST", "/api/thingmodel/set-device-property", "", `{"product_id":"prod1","device_name":"dev1","params":{}}`).check(t, 401, 401, "missing authorization")

	// Properties the device posted.
	c.sub(t, 0, "$sys/prod1/dev1/thing/property/post/reply")
	c.pub(t, "$sys/prod1/dev1/thing/property/post", 1, `{"id":"1","version":"1.0","params":{"Power":{"value":"on","time":1700000000123}}}`)
	c.expect(t, "$sys/prod1/dev1/thing/property/post/reply")
	r = e.call(t, "GET", "/api/thingmodel/query-device-property?product_id=prod1&device_name=dev1", auth, "")
	if string(r.Data) != `[{"identifier":"Power","time":1700000000123,"value":"on"}]` {
		t.Errorf("query-device-property %s", r.Data)
	}
}
