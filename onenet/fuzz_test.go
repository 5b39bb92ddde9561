package onenet

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkError fails t unless err is nil or a complete *Error whose code doc.go
// lists.
func checkError(t *testing.T, codes map[string]bool, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) || e.Field == "" || e.Msg == "" || !codes[e.Code] {
		t.Fatalf("%s: error %#v is not a complete *Error with a documented code", what, err)
	}
}

func FuzzParseTopic(f *testing.F) {
	for _, row := range append(append(kindTable, otaKindTable...), subKindTable...) {
		f.Add(row.topic)
	}
	for _, tc := range codeCases {
		if e, ok := tc.run().(*Error); ok && (e.Field == "topic" || e.Field == "filter") && len(e.Params["topic"]+e.Params["filter"]) < 200 {
			f.Add(e.Params["topic"] + e.Params["filter"])
		}
	}
	f.Add("$sys/469948/Chic_D/dp/post/json/+")
	f.Add("$sys//d/cmd/request/x")
	codes := docCodes(f)
	f.Fuzz(func(t *testing.T, topic string) {
		info, err := ParseTopic(topic)
		checkError(t, codes, "ParseTopic", err)
		if err == nil {
			// What parses is rebuilt by Topic, byte for byte, and is a topic
			// its device may publish to and subscribe to.
			again, err := Topic(info.Kind, TopicArgs{ProductID: info.ProductID, DeviceName: info.DeviceName, CmdID: info.CmdID, Identifier: info.Identifier})
			if err != nil || again != topic {
				t.Fatalf("ParseTopic(%q) = %+v, but Topic gives %q, %v", topic, info, again, err)
			}
			// ParseTopic recognises a topic's shape (placeholders such as
			// {cmdid} are ordinary text to it); the character set is
			// CheckPublishTopic's rule alone (docs/PROTOCOL.md §4.2).
			err = CheckPublishTopic(topic, info.ProductID, info.DeviceName)
			if i, _ := badChar(topic, false); i < 0 && err != nil {
				t.Fatalf("ParseTopic(%q) ok, but CheckPublishTopic: %v", topic, err)
			} else if i >= 0 && (err == nil || err.(*Error).Code != "topic.chars") {
				t.Fatalf("ParseTopic(%q) ok; CheckPublishTopic = %v, want topic.chars", topic, err)
			}
		}
		if errors.As(err, new(*Error)) && err.(*Error).Code == "topic.unknown" && (info.ProductID == "" || info.DeviceName == "") {
			t.Fatalf("ParseTopic(%q): topic.unknown without product and device", topic)
		}
		// The other topic functions must not panic either, and agree.
		pubErr := CheckPublishTopic(topic, "469948", "Chic_D")
		checkError(t, codes, "CheckPublishTopic", pubErr)
		filterErr := CheckFilter(topic, "469948", "Chic_D")
		checkError(t, codes, "CheckFilter", filterErr)
		if pubErr == nil && len(topic) <= MaxFilterLen && filterErr != nil {
			t.Fatalf("%q is a valid topic to publish to but not to subscribe to: %v", topic, filterErr)
		}
		if pubErr == nil && !MatchFilter(topic, topic) {
			t.Fatalf("MatchFilter(%q, itself) = false", topic)
		}
		for _, w := range CheckPublish(PublishPlan{Topic: topic, ProductID: "469948", DeviceName: "Chic_D", QoS: 1, PayloadLen: 10}) {
			if !codes[w.Code] {
				t.Fatalf("CheckPublish(%q): undocumented warning code %q", topic, w.Code)
			}
		}
	})
}

func FuzzCheckPayload(f *testing.F) {
	kinds := Kinds()
	for _, tc := range jsonCases {
		if len(tc.in) < 2000 {
			f.Add(uint8(0), tc.in)
		}
	}
	for i, k := range kinds {
		if ex := k.Example(); ex != nil {
			f.Add(uint8(i), string(ex))
		}
	}
	f.Add(uint8(0), `{"id":1,"dp":{"a":[{"v":{"b":[{"c":1}]},"t":1}]}}`)
	f.Add(uint8(14), `{"id":"1","params":{"P":{"value":1,"time":1524448722}}}`)
	codes := docCodes(f)
	f.Fuzz(func(t *testing.T, k uint8, payload string) {
		b := []byte(payload)
		kind := Kind("other")
		if int(k) < len(kinds) {
			kind = kinds[k]
		}
		err := CheckPayload(kind, b)
		checkError(t, codes, "CheckPayload", err)

		jsonErr := CheckJSON(b)
		checkError(t, codes, "CheckJSON", jsonErr)
		var se *SyntaxError
		if errors.As(jsonErr, &se) {
			if se.Offset < 0 || se.Offset > len(b) || se.Line < 1 || se.Column < 1 {
				t.Fatalf("CheckJSON(%q): bad position %+v", payload, se)
			}
			if line, col := position(b, se.Offset); line != se.Line || col != se.Column {
				t.Fatalf("CheckJSON(%q): %+v, but the offset is at %d:%d", payload, se, line, col)
			}
		}
		// CheckJSON agrees with encoding/json, except that it also requires
		// UTF-8 in strings and bounds the nesting.
		std := json.Valid(b)
		if jsonErr == nil && !std {
			t.Fatalf("CheckJSON(%q) = nil, but json.Valid = false", payload)
		}
		if jsonErr != nil && std && utf8.Valid(b) && !strings.Contains(jsonErr.Error(), "nested more than") {
			t.Fatalf("CheckJSON(%q) = %v, but json.Valid = true", payload, jsonErr)
		}

		if post, err := ParseDPPost(b); err == nil {
			rebuilt := rebuildDP(post)
			if _, err := ParseDPPost(rebuilt); err != nil {
				t.Fatalf("ParseDPPost(%q) ok, but not its re-encoding %s: %v", payload, rebuilt, err)
			}
		} else {
			checkError(t, codes, "ParseDPPost", err)
		}
		_, reply, _ := DPReply(b)
		if !json.Valid(reply) {
			t.Fatalf("DPReply(%q) = %q, not JSON", payload, reply)
		}
		_, err = ParseThingReply(b)
		checkError(t, codes, "ParseThingReply", err)
		_, err = ParseThingRequest(kind, b)
		checkError(t, codes, "ParseThingRequest", err)
		_, err = BuildDPPost(1, []Row{{Stream: "s", Value: payload}})
		checkError(t, codes, "BuildDPPost", err)
		if out, err := BuildDPPost(1, []Row{{Stream: "s", Value: payload}}); err == nil {
			if _, err := ParseDPPost(out); err != nil {
				t.Fatalf("BuildDPPost(value %q) = %s, which fails ParseDPPost: %v", payload, out, err)
			}
		}
	})
}

// rebuildDP encodes a parsed upload again.
func rebuildDP(p *DPPost) []byte {
	b := []byte(`{"id":` + itoa(int(p.ID)) + `,"dp":{`)
	for i, name := range p.Order {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, name)
		b = append(b, ":["...)
		for j, dp := range p.Streams[name] {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"v":`...)
			b = append(b, dp.V...)
			if dp.T != 0 {
				b = append(b, `,"t":`...)
				b = append(b, itoa(int(dp.T))...)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, "}}"...)
}
