package onenet

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Uploads OneNET accepts (docs/PROTOCOL.md §7).
func TestParseDPPost(t *testing.T) {
	for _, tc := range []struct {
		in   string
		id   int64
		want map[string][]DataPoint
	}{
		// docs/PROTOCOL.md §7, the documented example.
		{`{"id":123,"dp":{"temp":[{"v":30,"t":1552289676}]}}`, 123,
			map[string][]DataPoint{"temp": {{V: json.RawMessage(`30`), T: 1552289676}}}},
		// The seed's payload with the trailing commas removed, white space kept.
		{"{\n \"id\": 123,\n \"dp\": {\"temperatrue\": [{\"v\": 30}],\n \"power\": [{\"v\": 4.5}]}}", 123,
			map[string][]DataPoint{"temperatrue": {{V: json.RawMessage(`30`)}}, "power": {{V: json.RawMessage(`4.5`)}}}},
		// Values: string, object within the depth limit (arrays inside count), several points.
		{`{"id":2147483647,"dp":{"$sys.x_1":[{"v":"on"},{"v":{"a":{"b":{"c":{"d":[1]}}}},"t":1}]}}`, 2147483647,
			map[string][]DataPoint{"$sys.x_1": {{V: json.RawMessage(`"on"`)}, {V: json.RawMessage(`{"a":{"b":{"c":{"d":[1]}}}}`), T: 1}}}},
		// 30 bytes of name, unknown members ignored, the last "id" wins (as in encoding/json).
		{`{"id":5,"id":6,"extra":true,"dp":{"` + strings.Repeat("a", 30) + `":[{"v":-1.5e3,"q":1}]}}`, 6,
			map[string][]DataPoint{strings.Repeat("a", 30): {{V: json.RawMessage(`-1.5e3`)}}}},
	} {
		post, err := ParseDPPost([]byte(tc.in))
		if err != nil {
			t.Errorf("ParseDPPost(%q) = %v", tc.in, err)
			continue
		}
		if post.ID != tc.id || !reflect.DeepEqual(post.Streams, tc.want) || len(post.Order) != len(tc.want) {
			t.Errorf("ParseDPPost(%q) = %+v, want id %d, %+v", tc.in, post, tc.id, tc.want)
		}
	}
}

func TestDPReplies(t *testing.T) {
	// docs/PROTOCOL.md §7: {"id":123} and {"id":123,"err_code":98,"err_msg":"Illegal Data"}.
	if got := string(DPAccepted(123)); got != `{"id":123}` {
		t.Errorf("DPAccepted = %s", got)
	}
	if got := string(DPRejected(123, 98, "Illegal Data")); got != `{"id":123,"err_code":98,"err_msg":"Illegal Data"}` {
		t.Errorf("DPRejected = %s", got)
	}
	if got := string(DPRejected(-1, 98, "a \"q\"\n<&>\x01\u2028")); got != `{"id":-1,"err_code":98,"err_msg":"a \"q\"\n<&>\u0001\u2028"}` {
		t.Errorf("DPRejected escaping = %s", got)
	}
	for _, tc := range []struct {
		in, kind, reply string
	}{
		{`{"id":9,"dp":{"t":[{"v":1}]}}`, "dp/post/json/accepted", `{"id":9}`},
		{`{"id":9,"dp":{"t":[{"v":1},]}}`, "dp/post/json/rejected", `{"id":-1,"err_code":98,"err_msg":"Illegal Data"}`},
		{`{"id":9,"dp":{}}`, "dp/post/json/rejected", `{"id":9,"err_code":98,"err_msg":"Illegal Data"}`},
		{`{"id":0,"dp":{}}`, "dp/post/json/rejected", `{"id":-1,"err_code":98,"err_msg":"Illegal Data"}`},
		{seedPayload, "dp/post/json/rejected", `{"id":-1,"err_code":98,"err_msg":"Illegal Data"}`},
	} {
		kind, reply, err := DPReply([]byte(tc.in))
		if string(kind) != tc.kind || string(reply) != tc.reply || (err == nil) != (kind == KindDPAccepted) {
			t.Errorf("DPReply(%q) = %s, %s, %v; want %s, %s", tc.in, kind, reply, err, tc.kind, tc.reply)
		}
		if !json.Valid(reply) {
			t.Errorf("DPReply(%q) reply is not JSON: %s", tc.in, reply)
		}
	}
}

func TestBuildDPPost(t *testing.T) {
	for _, tc := range []struct {
		rows []Row
		want string
	}{
		{[]Row{{Stream: "temperatrue", Value: "30"}, {Stream: "power", Value: "4.5"}}, // the seed's payload, as meant
			`{"id":123,"dp":{"temperatrue":[{"v":30}],"power":[{"v":4.5}]}}`},
		{[]Row{{Stream: "temp", Value: " 30 ", T: 1552289676}, {Stream: "temp", Value: "31"}}, // docs/PROTOCOL.md §7
			`{"id":123,"dp":{"temp":[{"v":30,"t":1552289676},{"v":31}]}}`},
		{[]Row{{Stream: "s", Value: "on"}, {Stream: "s", Value: `"30"`}, {Stream: "s", Value: "true"}, {Stream: "s", Value: "null"},
			{Stream: "s", Value: "say \"hi\"\n"}, {Stream: "s", Value: "1e3"}, {Stream: "s", Value: "-"}, {Stream: "s", Value: "0x10"}},
			`{"id":123,"dp":{"s":[{"v":"on"},{"v":"30"},{"v":"true"},{"v":"null"},{"v":"say \"hi\"\n"},{"v":1e3},{"v":"-"},{"v":"0x10"}]}}`},
		{[]Row{{Stream: "$gps", Value: "{ \"lon\" : 116.3,\n \"s\": \"a b\\\" c\" }"}},
			`{"id":123,"dp":{"$gps":[{"v":{"lon":116.3,"s":"a b\" c"}}]}}`},
	} {
		got, err := BuildDPPost(123, tc.rows)
		if err != nil || string(got) != tc.want {
			t.Errorf("BuildDPPost(%+v)\n got %s, %v\nwant %s", tc.rows, got, err, tc.want)
			continue
		}
		if _, err := ParseDPPost(got); err != nil {
			t.Errorf("BuildDPPost output %s fails ParseDPPost: %v", got, err)
		}
		var v any
		if err := json.Unmarshal(got, &v); err != nil {
			t.Errorf("BuildDPPost output %s is not JSON: %v", got, err)
		}
	}
	_, err := BuildDPPost(1, []Row{{Stream: "a", Value: "1"}, {Stream: "b", Value: "{"}})
	var e *Error
	if !errors.As(err, &e) || e.Params["row"] != "2" || e.Field != "value" {
		t.Errorf("BuildDPPost with a bad second row = %v", err)
	}
}

// DataPoint values are copies: changing the input later does not change them.
func TestDPPostCopies(t *testing.T) {
	in := []byte(`{"id":1,"dp":{"a":[{"v":"x"}]}}`)
	post, err := ParseDPPost(in)
	if err != nil {
		t.Fatal(err)
	}
	copy(in[bytes.IndexByte(in, 'x'):], "y")
	if string(post.Streams["a"][0].V) != `"x"` {
		t.Errorf("V changed with the input: %s", post.Streams["a"][0].V)
	}
}
