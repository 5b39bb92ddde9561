package onenet

import (
	"encoding/json"
	"testing"
)

// Studio messages OneNET accepts (docs/PROTOCOL.md §9).
func TestParseThingRequest(t *testing.T) {
	for _, tc := range []struct {
		kind    Kind
		in      string
		id, ver string
	}{
		// docs/PROTOCOL.md §9, the documented example.
		{KindPropertyPost, `{"id":"123","version":"1.0","params":{"Power":{"value":"on","time":1524448722123}}}`, "123", "1.0"},
		{KindPropertyPost, `{"id":"1234567890123","params":{"Power":{"value":{"a":1}},"T":{"value":1.5,"time":100000000000}}}`, "1234567890123", ""},
		{KindPropertyPost, `{"id":"0","params":{}}`, "0", ""},
		{KindEventPost, `{"id":"7","version":"1.0","params":{"Alarm":{"value":{"level":1},"time":1524448722123}}}`, "7", "1.0"},
		{KindPropertyGet, `{"id":"7","version":"1.0","params":[]}`, "7", "1.0"},
		{KindPropertyDesiredGet, `{"id":"7","params":["Power","WF"]}`, "7", ""},
		{KindPropertySet, `{"id":"7","params":{"Power":"on"}}`, "7", ""},
		{KindServiceInvoke, `{"id":"7","params":{}}`, "7", ""},
		{KindPackPost, `{"id":"7","params":[]}`, "7", ""},
		{KindHistoryPost, `{"id":"7","params":{}}`, "7", ""},
		{KindPropertyDesiredDelete, `{"id":"7","params":{"Power":{}}}`, "7", ""},
	} {
		req, err := ParseThingRequest(tc.kind, []byte(tc.in))
		if err != nil || req.ID != tc.id || req.Version != tc.ver || !json.Valid(req.Params) {
			t.Errorf("ParseThingRequest(%s, %s) = %+v, %v", tc.kind, tc.in, req, err)
		}
	}
}

func TestParseThingReply(t *testing.T) {
	// docs/PROTOCOL.md §9: {"id":"123","code":200,"msg":"success"}.
	r, err := ParseThingReply([]byte(`{"id":"123","code":200,"msg":"success"}`))
	if err != nil || r.ID != "123" || r.Code != 200 || r.Msg != "success" || r.Data != nil {
		t.Errorf("ParseThingReply = %+v, %v", r, err)
	}
	r, err = ParseThingReply([]byte(`{"id":"1","code":-1,"data":{"Power":"on"}}`))
	if err != nil || r.Code != -1 || r.Msg != "" || string(r.Data) != `{"Power":"on"}` {
		t.Errorf("ParseThingReply with data = %+v, %v", r, err)
	}
	for _, tc := range []struct {
		id, msg string
		code    int
		want    string
	}{
		{"123", "success", 200, `{"id":"123","code":200,"msg":"success"}`},
		{"9", "bad \"value\"", 400, `{"id":"9","code":400,"msg":"bad \"value\""}`},
	} {
		got := ThingReplyJSON(tc.id, tc.code, tc.msg)
		if string(got) != tc.want {
			t.Errorf("ThingReplyJSON = %s, want %s", got, tc.want)
		}
		if r, err := ParseThingReply(got); err != nil || r.ID != tc.id || r.Code != tc.code || r.Msg != tc.msg {
			t.Errorf("ParseThingReply(ThingReplyJSON) = %+v, %v", r, err)
		}
	}
}
