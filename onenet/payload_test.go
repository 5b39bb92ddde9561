package onenet

import (
	"strings"
	"testing"
)

// Payloads CheckPayload accepts, by kind (docs/PROTOCOL.md §4).
func TestCheckPayloadOK(t *testing.T) {
	for _, tc := range []struct {
		kind Kind
		in   string
	}{
		{KindCmdRequest, "\x00\xff binary"}, // opaque
		{KindCmdRequest, strings.Repeat("x", MaxCmdRequest)},
		{KindCmdResponse, strings.Repeat("x", MaxCmdResponse)},
		{KindCmdResponse, ""},
		{KindCmdResponseAccepted, ""},
		{KindCmdResponseRejected, `{"err_code":100,"err_msg":"x"}`},
		{KindImageGet, ""},
		{KindImageGetAccepted, `{"state":{"desired":{},"reported":{}}}`},
		{KindImageUpdate, `{"state":{"desired":{},"reported":{}}}`},
		{KindImageUpdate, `{"state":{"desired":null,"reported":{"a":1}},"version":3}`},
		{KindDPAccepted, `{"id":123}`},
		{KindPropertySetReply, `{"id":"1","code":200}`},
		{"", `[1]`},
		{"foo/bar", `{}`},
	} {
		if err := CheckPayload(tc.kind, []byte(tc.in)); err != nil {
			t.Errorf("CheckPayload(%s, %.40q) = %v", tc.kind, tc.in, err)
		}
	}
	// Any kind: more than 256 KB is refused (docs/PROTOCOL.md §5.1), exactly 256 KB passes the size check.
	big := []byte(`{"id":1,"dp":{"a":[{"v":"` + strings.Repeat("x", MaxPayload-30) + `"}]}}`)
	if len(big) != MaxPayload {
		t.Fatalf("len(big) = %d", len(big))
	}
	if err := CheckPayload(KindDPPost, big); err != nil {
		t.Errorf("CheckPayload(256 KB) = %v", err)
	}
	for _, k := range Kinds() {
		if err := CheckPayload(k, append(big, ' ')); err == nil || err.(*Error).Code != "payload.size" {
			t.Errorf("CheckPayload(%s, 256 KB + 1) = %v", k, err)
		}
	}
	// Errors of the parsers come through.
	if err := CheckPayload(KindDPPost, []byte(seedPayload)); err == nil || err.(*Error).Params["line"] != "5" {
		t.Errorf("CheckPayload(seed) = %v", err)
	}
	if err := CheckPayload(KindPropertyPostReply, []byte(`{"id":"1"}`)); err == nil || err.(*Error).Code != "thing.code.missing" {
		t.Errorf("CheckPayload(reply without code) = %v", err)
	}
	if err := CheckPayload(KindDPAccepted, nil); err == nil || err.(*Error).Code != "payload.empty" {
		t.Errorf("CheckPayload(dp accepted, empty) = %v", err)
	}
}
