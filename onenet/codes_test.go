package onenet

import (
	"errors"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

const (
	pid = "469948" // the seed's product id
	dev = "Chic_D" // the seed's device name
)

// codeCase is one input that fails with one documented code.
type codeCase struct {
	code, field string
	msg         string // a substring of Msg
	run         func() error
}

func topicErr(topic string) func() error {
	return func() error { return CheckPublishTopic(topic, pid, dev) }
}

func filterErr(filter string) func() error {
	return func() error { return CheckFilter(filter, pid, dev) }
}

func dpErr(payload string) func() error {
	return func() error { _, err := ParseDPPost([]byte(payload)); return err }
}

func thingErr(kind Kind, payload string) func() error {
	return func() error { _, err := ParseThingRequest(kind, []byte(payload)); return err }
}

func replyErr(payload string) func() error {
	return func() error { _, err := ParseThingReply([]byte(payload)); return err }
}

func buildErr(id int64, rows ...Row) func() error {
	return func() error { _, err := BuildDPPost(id, rows); return err }
}

func payloadErr(kind Kind, payload string) func() error {
	return func() error { return CheckPayload(kind, []byte(payload)) }
}

// codeCases has, for every error code in doc.go, inputs that fail with it.
var codeCases = []codeCase{
	// Kinds, docs/PROTOCOL.md §4.
	{"kind.unknown", "kind", "not a documented", func() error { _, err := Topic("dp/post/xml", TopicArgs{ProductID: pid, DeviceName: dev}); return err }},
	{"kind.mismatch", "kind", "not a thing-model request", thingErr(KindDPPost, `{}`)},
	{"kind.mismatch", "kind", "not a thing-model request", thingErr(KindPropertyPostReply, `{}`)},

	// Names inside a topic, docs/PROTOCOL.md §4: one level each.
	{"name.empty", "productId", "empty", func() error { _, err := Topic(KindDPPost, TopicArgs{DeviceName: dev}); return err }},
	{"name.empty", "deviceName", "empty", func() error { _, err := Topic(KindDPPost, TopicArgs{ProductID: pid}); return err }},
	{"name.empty", "identifier", "empty", func() error {
		_, err := Topic(KindServiceInvoke, TopicArgs{ProductID: pid, DeviceName: dev})
		return err
	}},
	{"name.empty", "deviceName", "empty", func() error { return CheckPublishTopic("$sys/1/d/dp/post/json", "1", "") }},
	{"name.utf8", "deviceName", "UTF-8", func() error { _, err := Topic(KindDPPost, TopicArgs{ProductID: pid, DeviceName: "a\xff"}); return err }},
	{"name.char", "deviceName", "'/'", func() error { _, err := Topic(KindDPPost, TopicArgs{ProductID: pid, DeviceName: "a/b"}); return err }},
	{"name.char", "cmdId", "wildcard", func() error {
		_, err := Topic(KindCmdRequest, TopicArgs{ProductID: pid, DeviceName: dev, CmdID: "+"})
		return err
	}},
	{"name.char", "productId", "control character U+0000", func() error { _, err := Topic(KindDPPost, TopicArgs{ProductID: "1\x00", DeviceName: dev}); return err }},

	// Topic names, docs/PROTOCOL.md §5 and MQTT 3.1.1 §4.7.
	{"topic.empty", "topic", "empty", topicErr("")},
	{"topic.length", "topic", "65536 bytes", topicErr(strings.Repeat("a", 65536))},
	{"topic.utf8", "topic", "UTF-8", topicErr("$sys/469948/Chic_D/\xc3")},
	{"topic.nul", "topic", "NUL", topicErr("$sys/469948/Chic_D/dp\x00")},
	{"topic.control", "topic", "U+0001 at byte 19", topicErr("$sys/469948/Chic_D/\x01")},
	{"topic.control", "topic", "U+0085", topicErr("$sys/469948/Chic_D/\u0085")},
	{"topic.wildcard", "topic", `wildcard "+" at byte 32`, topicErr("$sys/469948/Chic_D/dp/post/json/+")}, // the seed's SUB_TOPIC is a filter
	{"topic.wildcard", "topic", `"#"`, topicErr("$sys/469948/Chic_D/#")},
	{"topic.levels", "topic", "9 levels", topicErr("$sys/469948/Chic_D/a/b/c/d/e/f")},
	{"topic.level.empty", "topic", "empty level 4", topicErr("$sys/469948/Chic_D//dp")},
	{"topic.level.empty", "topic", "empty level 1", topicErr("/$sys/469948/Chic_D/dp")},
	{"topic.chars", "topic", `"温" at byte 19`, topicErr("$sys/469948/Chic_D/温度")},
	{"topic.chars", "topic", `"." at byte 21`, topicErr("$sys/469948/Chic_D/dp.post")},
	{"topic.foreign", "topic", "outside the device's own tree", topicErr("$sys/469948/Other/dp/post/json")},
	{"topic.foreign", "topic", "outside", topicErr("devices/Chic_D/data")},
	{"topic.foreign", "topic", "outside", topicErr("$sys/469948/Chic_D")},
	{"topic.prefix", "topic", "must start with $sys/{pid}/{device}/", func() error { _, err := ParseTopic("sys/469948/Chic_D/dp/post/json"); return err }},
	{"topic.prefix", "topic", "must start", func() error { _, err := ParseTopic("$sys/469948"); return err }},
	{"topic.unknown", "topic", `is "dp/post/xml"`, func() error { _, err := ParseTopic("$sys/469948/Chic_D/dp/post/xml"); return err }},
	{"topic.unknown", "topic", "not a documented", func() error { _, err := ParseTopic("$sys/469948/Chic_D"); return err }},
	{"topic.wildcard", "topic", "wildcard", func() error { _, err := ParseTopic("$sys/469948/Chic_D/cmd/request/+"); return err }},

	// Filters, docs/PROTOCOL.md §5.2.
	{"filter.empty", "filter", "empty", filterErr("")},
	{"filter.length", "filter", "513 bytes", filterErr("$sys/469948/Chic_D/" + strings.Repeat("a", 513-19))},
	{"filter.utf8", "filter", "UTF-8", filterErr("$sys/469948/Chic_D/\xff")},
	{"filter.nul", "filter", "NUL", filterErr("$sys/469948/Chic_D/\x00")},
	{"filter.control", "filter", "U+007F", filterErr("$sys/469948/Chic_D/\x7f")},
	{"filter.chars", "filter", `" " at byte 21`, filterErr("$sys/469948/Chic_D/dp post/#")},
	{"filter.syntax", "filter", "whole level", filterErr("$sys/469948/Chic_D/dp/post/json+")},
	{"filter.syntax", "filter", "whole level", filterErr("$sys/469948/Chic_D/cmd/a#")},
	{"filter.syntax", "filter", "not the last level", filterErr("$sys/469948/Chic_D/#/x")},
	{"filter.levels", "filter", "9 levels", filterErr("$sys/469948/Chic_D/+/+/+/+/+/+")},
	{"filter.wildcard", "filter", "level 1", filterErr("#")},                 // docs/PROTOCOL.md §4.5: "#" is refused
	{"filter.wildcard", "filter", "level 3", filterErr("$sys/469948/#")},     // docs/PROTOCOL.md §4.5: "$sys/{pid}/#" is refused
	{"filter.wildcard", "filter", "level 2", filterErr("$sys/+/Chic_D/#")},   // another product's devices
	{"filter.wildcard", "filter", "level 1", filterErr("+/469948/Chic_D/#")}, // "$" topics need a literal first level
	{"filter.level.empty", "filter", "empty level 4", filterErr("$sys/469948/Chic_D//#")},
	{"filter.foreign", "filter", "outside", filterErr("$sys/469948/Other/#")},
	{"filter.foreign", "filter", "outside", filterErr("$SYS/469948/Chic_D/#")},

	// Payloads, docs/PROTOCOL.md §4 and §5.
	{"payload.empty", "payload", "empty", dpErr("")},
	{"payload.empty", "payload", "only white space", dpErr(" \n")},
	{"payload.syntax", "payload", "line 1, column 39: trailing comma before ']'", dpErr(`{"id":1,"dp":{"temp":[{"v":30}],"x":[1,]}}`)},
	{"payload.type", "payload", "is an array", dpErr(`[{"id":1}]`)},
	{"payload.type", "payload", "is a string", thingErr(KindPropertyPost, `"x"`)},
	{"payload.type", "payload", "is a number", replyErr(`200`)},
	{"payload.type", "payload", "is null", payloadErr(KindImageUpdate, `null`)},
	{"payload.size", "payload", "262145 bytes", payloadErr(KindCmdRequest, strings.Repeat("x", MaxPayload+1))},
	{"payload.size", "payload", "under 1 KB", payloadErr(KindCmdRequest, strings.Repeat("x", MaxCmdRequest+1))}, // docs/PROTOCOL.md §8.3
	{"payload.size", "payload", "under 1 KB", payloadErr(KindCmdResponse, strings.Repeat("x", 1024))},

	// Datapoint uploads, docs/PROTOCOL.md §7.
	{"dp.id.missing", "payload", `"id" is missing`, dpErr(`{"dp":{"temp":[{"v":30}]}}`)},
	{"dp.id.type", "payload", "without quotes", dpErr(`{"id":"123","dp":{"temp":[{"v":30}]}}`)},
	{"dp.id.type", "payload", "not an integer", dpErr(`{"id":1.5,"dp":{"temp":[{"v":30}]}}`)},
	{"dp.id.type", "payload", "not an integer", dpErr(`{"id":1e3,"dp":{"temp":[{"v":30}]}}`)},
	{"dp.id.range", "payload", "0 is out of range", dpErr(`{"id":0,"dp":{"temp":[{"v":30}]}}`)},
	{"dp.id.range", "payload", "-5 is out of range", dpErr(`{"id":-5,"dp":{"temp":[{"v":30}]}}`)},
	{"dp.id.range", "payload", "2147483648 is out", dpErr(`{"id":2147483648,"dp":{"temp":[{"v":30}]}}`)},
	{"dp.id.range", "payload", "out of range", dpErr(`{"id":99999999999999999999,"dp":{"temp":[{"v":30}]}}`)},
	{"dp.missing", "payload", `"dp" is missing`, dpErr(`{"id":1}`)},
	{"dp.type", "payload", "is an array", dpErr(`{"id":1,"dp":[{"temp":30}]}`)},
	{"dp.empty", "payload", "no datastreams", dpErr(`{"id":1,"dp":{}}`)},
	{"dp.stream.name", "payload", `contains "-"`, dpErr(`{"id":1,"dp":{"temp-1":[{"v":30}]}}`)},
	{"dp.stream.name", "payload", `contains "温"`, dpErr(`{"id":1,"dp":{"温度":[{"v":30}]}}`)},
	{"dp.stream.name", "payload", "empty", dpErr(`{"id":1,"dp":{"":[{"v":30}]}}`)},
	{"dp.stream.name", "payload", "empty", dpErr(`{"id":1,"dp":{"$":[{"v":30}]}}`)},
	{"dp.stream.name", "payload", `contains "$"`, dpErr(`{"id":1,"dp":{"a$":[{"v":30}]}}`)},
	{"dp.stream.length", "payload", "31 bytes", dpErr(`{"id":1,"dp":{"` + strings.Repeat("a", 31) + `":[{"v":30}]}}`)},
	{"dp.stream.duplicate", "payload", "twice", dpErr(`{"id":1,"dp":{"temp":[{"v":30}],"temp":[{"v":31}]}}`)},
	{"dp.stream.type", "payload", "is an object", dpErr(`{"id":1,"dp":{"temp":{"v":30}}}`)},
	{"dp.stream.type", "payload", "is a number", dpErr(`{"id":1,"dp":{"temp":30}}`)},
	{"dp.stream.empty", "payload", "no datapoints", dpErr(`{"id":1,"dp":{"temp":[]}}`)},
	{"dp.point.type", "payload", "dp.temp[1]: is a number", dpErr(`{"id":1,"dp":{"temp":[{"v":1},30]}}`)},
	{"dp.v.missing", "payload", `dp.temp[0]: "v" is missing`, dpErr(`{"id":1,"dp":{"temp":[{"value":30}]}}`)},
	{"dp.v.type", "payload", "is an array", dpErr(`{"id":1,"dp":{"temp":[{"v":[1,2]}]}}`)},
	{"dp.v.type", "payload", "is null", dpErr(`{"id":1,"dp":{"temp":[{"v":null}]}}`)},
	{"dp.v.type", "payload", "is a boolean", dpErr(`{"id":1,"dp":{"temp":[{"v":false}]}}`)},
	{"dp.v.depth", "payload", "6 levels deep", dpErr(`{"id":1,"dp":{"o":[{"v":{"a":{"b":{"c":{"d":{"e":{}}}}}}}]}}`)},
	{"dp.v.depth", "payload", "6 levels deep", dpErr(`{"id":1,"dp":{"o":[{"v":{"a":[[[[[1]]]]]}}]}}`)},
	{"dp.t.type", "payload", `the string "1552289676"`, dpErr(`{"id":1,"dp":{"temp":[{"v":30,"t":"1552289676"}]}}`)},
	{"dp.t.type", "payload", "1552289676.5", dpErr(`{"id":1,"dp":{"temp":[{"v":30,"t":1552289676.5}]}}`)},
	{"dp.t.ms", "payload", "dp.temp[0].t: 1552289676000 looks like milliseconds", dpErr(`{"id":1,"dp":{"temp":[{"v":30,"t":1552289676000}]}}`)},
	{"dp.t.range", "payload", "-1 is not a Unix time", dpErr(`{"id":1,"dp":{"temp":[{"v":30,"t":-1}]}}`)},
	{"dp.t.range", "payload", "out of range", dpErr(`{"id":1,"dp":{"temp":[{"v":30,"t":99999999999999999999}]}}`)},

	// OneNET Studio, docs/PROTOCOL.md §9.
	{"thing.id.missing", "payload", `"id" is missing`, thingErr(KindPropertyPost, `{"version":"1.0","params":{}}`)},
	{"thing.id.type", "payload", `must be a string: "123"`, thingErr(KindPropertyPost, `{"id":123,"params":{}}`)},
	{"thing.id.type", "payload", "is null", replyErr(`{"id":null,"code":200}`)},
	{"thing.id.format", "payload", `"12345678901234" is not 1 to 13 digits`, thingErr(KindPropertyPost, `{"id":"12345678901234","params":{}}`)},
	{"thing.id.format", "payload", `"abc"`, thingErr(KindEventPost, `{"id":"abc","params":{}}`)},
	{"thing.id.format", "payload", `""`, replyErr(`{"id":"","code":200}`)},
	{"thing.version.type", "payload", "1", thingErr(KindPropertyPost, `{"id":"1","version":1,"params":{}}`)},
	{"thing.params.missing", "payload", `"params" is missing`, thingErr(KindPropertySet, `{"id":"1","version":"1.0"}`)},
	{"thing.params.type", "payload", "array of identifiers", thingErr(KindPropertyGet, `{"id":"1","params":{"Power":1}}`)},
	{"thing.params.type", "payload", "params[1]", thingErr(KindPropertyDesiredGet, `{"id":"1","params":["Power",2]}`)},
	{"thing.params.type", "payload", "is an array", thingErr(KindPropertyPost, `{"id":"1","params":[]}`)},
	{"thing.params.type", "payload", "object or an array", thingErr(KindPackPost, `{"id":"1","params":"x"}`)},
	{"thing.params.type", "payload", "is a string", thingErr(KindServiceInvoke, `{"id":"1","params":"x"}`)},
	{"thing.property.type", "payload", "params.Power: is the string", thingErr(KindPropertyPost, `{"id":"1","params":{"Power":"on"}}`)},
	{"thing.value.missing", "payload", `params.Power: "value" is missing`, thingErr(KindPropertyPost, `{"id":"1","params":{"Power":{"v":"on"}}}`)},
	{"thing.time.type", "payload", "Unix milliseconds", thingErr(KindEventPost, `{"id":"1","params":{"Alarm":{"value":{},"time":"now"}}}`)},
	{"thing.time.seconds", "payload", "looks like seconds", thingErr(KindPropertyPost, `{"id":"1","params":{"Power":{"value":"on","time":1524448722}}}`)},
	{"thing.time.range", "payload", "-1 is not", thingErr(KindPropertyPost, `{"id":"1","params":{"Power":{"value":"on","time":-1}}}`)},
	{"thing.time.range", "payload", "not a Unix time", thingErr(KindPropertyPost, `{"id":"1","params":{"Power":{"value":"on","time":1524448722123000}}}`)},
	{"thing.code.missing", "payload", `"code" is missing`, replyErr(`{"id":"1","msg":"success"}`)},
	{"thing.code.type", "payload", `the string "200"`, replyErr(`{"id":"1","code":"200"}`)},
	{"thing.code.type", "payload", "200.5", replyErr(`{"id":"1","code":200.5}`)},
	{"thing.msg.type", "payload", "is 0", replyErr(`{"id":"1","code":200,"msg":0}`)},

	// Device shadow, docs/PROTOCOL.md §10.
	{"image.state.missing", "payload", `"state" is missing`, payloadErr(KindImageUpdate, `{"reported":{"temp":30}}`)},
	{"image.state.type", "payload", "state: is an array", payloadErr(KindImageUpdate, `{"state":[]}`)},
	{"image.state.type", "payload", "state.reported: is a number", payloadErr(KindImageUpdate, `{"state":{"reported":30}}`)},

	// The datapoint builder.
	{"dp.id.range", "id", "0 is out of range", buildErr(0, Row{Stream: "temp", Value: "1"})},
	{"dp.empty", "stream", "no datapoints", buildErr(1)},
	{"dp.stream.name", "stream", "row 2: the datastream id", buildErr(1, Row{Stream: "temp", Value: "1"}, Row{Stream: "a b", Value: "1"})},
	{"dp.stream.length", "stream", "row 1", buildErr(1, Row{Stream: strings.Repeat("x", 31), Value: "1"})},
	{"dp.t.ms", "t", "row 1", buildErr(1, Row{Stream: "temp", Value: "1", T: 1552289676000})},
	{"dp.t.range", "t", "row 1", buildErr(1, Row{Stream: "temp", Value: "1", T: -3})},
	{"value.empty", "value", "row 1: the value is empty", buildErr(1, Row{Stream: "temp", Value: "  "})},
	{"value.syntax", "value", "not valid JSON", buildErr(1, Row{Stream: "temp", Value: `{"a":1,}`})},
	{"value.syntax", "value", "not valid JSON", buildErr(1, Row{Stream: "temp", Value: `"unterminated`})},
	{"dp.v.type", "value", "array", buildErr(1, Row{Stream: "temp", Value: `[1,2]`})},
	{"dp.v.depth", "value", "6 levels", buildErr(1, Row{Stream: "temp", Value: `{"a":{"b":{"c":{"d":{"e":{}}}}}}`})},
}

func TestCodes(t *testing.T) {
	for i, tc := range codeCases {
		err := tc.run()
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("case %d (%s): error %v; want an *Error", i, tc.code, err)
			continue
		}
		if e.Code != tc.code || e.Field != tc.field || !strings.Contains(e.Msg, tc.msg) {
			t.Errorf("case %d: got field %s, code %s, %q; want field %s, code %s, text %q", i, e.Field, e.Code, e.Msg, tc.field, tc.code, tc.msg)
		}
		if want := "onenet: " + e.Field + ": " + e.Msg; err.Error() != want {
			t.Errorf("case %d: Error() = %q, want %q", i, err.Error(), want)
		}
		for k, v := range e.Params {
			if k == "detail" || k == "suffix" || k == "prefix" || k == "name" || k == "char" || k == "offset" || k == "syntax" || k == "value" && strings.ContainsAny(v, "\x00\"") {
				continue
			}
			if !strings.Contains(e.Msg, v) {
				t.Errorf("case %d: Params[%s] = %q does not appear in %q", i, k, v, e.Msg)
			}
		}
	}
}

var docCode = regexp.MustCompile(`(?m)^//\t([a-z]+(?:\.[a-zA-Z0-9]+)+)\s`)

// docCodes returns the codes listed in doc.go.
func docCodes(t testing.TB) map[string]bool {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]bool{}
	for _, m := range docCode.FindAllStringSubmatch(string(src), -1) {
		codes[m[1]] = true
	}
	if len(codes) < 50 {
		t.Fatalf("found only %d codes in doc.go", len(codes))
	}
	return codes
}

// TestDocListsCodes checks that doc.go lists exactly the codes the tests
// produce: every documented code has a case, every produced code is listed.
func TestDocListsCodes(t *testing.T) {
	doc := docCodes(t)
	seen := map[string]bool{}
	for _, tc := range codeCases {
		seen[tc.code] = true
	}
	for _, tc := range warningCases {
		for _, c := range tc.codes {
			seen[c] = true
		}
	}
	var missing, undocumented []string
	for c := range doc {
		if !seen[c] {
			missing = append(missing, c)
		}
	}
	for c := range seen {
		if !doc[c] {
			undocumented = append(undocumented, c)
		}
	}
	sort.Strings(missing)
	sort.Strings(undocumented)
	if len(missing) > 0 {
		t.Errorf("codes in doc.go without a test case: %v", missing)
	}
	if len(undocumented) > 0 {
		t.Errorf("codes produced but not in doc.go: %v", undocumented)
	}
}
