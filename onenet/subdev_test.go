package onenet

import (
	"errors"
	"strings"
	"testing"
)

// otaKindTable is docs/PROTOCOL.md §11: the SDK's ota/inform and
// ota/inform_reply (OneNET_AIO_c onenet/tm/tm_api.c:56-58).
var otaKindTable = []kindRow{
	{KindOTAInform, "$sys/469948/Chic_D/ota/inform", "down", ""},
	{KindOTAInformReply, "$sys/469948/Chic_D/ota/inform_reply", "up", KindOTAInform},
}

// subKindTable is docs/PROTOCOL.md §12: Studio's
// gateway topics (MQTT/topic.md; OneNET_AIO_c onenet/tm/tm_subdev.c:27-46)
// and the MQTT kit's $subdev topics (the limits page and the MQTTS design
// note, §2.3.1).
var subKindTable = []kindRow{
	{KindSubLogin, "$sys/469948/Chic_D/thing/sub/login", "up", ""},
	{KindSubLoginReply, "$sys/469948/Chic_D/thing/sub/login/reply", "down", KindSubLogin},
	{KindSubLogout, "$sys/469948/Chic_D/thing/sub/logout", "up", ""},
	{KindSubLogoutReply, "$sys/469948/Chic_D/thing/sub/logout/reply", "down", KindSubLogout},
	{KindSubTopoAdd, "$sys/469948/Chic_D/thing/sub/topo/add", "up", ""},
	{KindSubTopoAddReply, "$sys/469948/Chic_D/thing/sub/topo/add/reply", "down", KindSubTopoAdd},
	{KindSubTopoDelete, "$sys/469948/Chic_D/thing/sub/topo/delete", "up", ""},
	{KindSubTopoDeleteReply, "$sys/469948/Chic_D/thing/sub/topo/delete/reply", "down", KindSubTopoDelete},
	{KindSubTopoGet, "$sys/469948/Chic_D/thing/sub/topo/get", "up", ""},
	{KindSubTopoGetReply, "$sys/469948/Chic_D/thing/sub/topo/get/reply", "down", KindSubTopoGet},
	{KindSubTopoGetResult, "$sys/469948/Chic_D/thing/sub/topo/get/result", "up", KindSubTopoGetReply},
	{KindSubTopoChange, "$sys/469948/Chic_D/thing/sub/topo/change", "down", ""},
	{KindSubTopoChangeReply, "$sys/469948/Chic_D/thing/sub/topo/change_reply", "up", KindSubTopoChange},
	{KindSubPropertyGet, "$sys/469948/Chic_D/thing/sub/property/get", "down", ""},
	{KindSubPropertyGetReply, "$sys/469948/Chic_D/thing/sub/property/get_reply", "up", KindSubPropertyGet},
	{KindSubPropertySet, "$sys/469948/Chic_D/thing/sub/property/set", "down", ""},
	{KindSubPropertySetReply, "$sys/469948/Chic_D/thing/sub/property/set_reply", "up", KindSubPropertySet},
	{KindSubServiceInvoke, "$sys/469948/Chic_D/thing/sub/service/invoke", "down", ""},
	{KindSubServiceInvokeReply, "$sys/469948/Chic_D/thing/sub/service/invoke_reply", "up", KindSubServiceInvoke},

	{KindSubdevLogin, "$subdev/469948/Chic_D/login", "up", ""},
	{KindSubdevLoginAccepted, "$subdev/469948/Chic_D/login/accepted", "down", KindSubdevLogin},
	{KindSubdevLoginRejected, "$subdev/469948/Chic_D/login/rejected", "down", KindSubdevLogin},
	{KindSubdevLogout, "$subdev/469948/Chic_D/logout", "up", ""},
	{KindSubdevLogoutAccepted, "$subdev/469948/Chic_D/logout/accepted", "down", KindSubdevLogout},
	{KindSubdevLogoutRejected, "$subdev/469948/Chic_D/logout/rejected", "down", KindSubdevLogout},
	{KindSubdevLogoutNotify, "$subdev/469948/Chic_D/logout/notify", "down", ""},
	{KindSubdevDPPost, "$subdev/469948/Chic_D/dp/post/json", "up", ""},
	{KindSubdevDPAccepted, "$subdev/469948/Chic_D/dp/post/json/accepted", "down", KindSubdevDPPost},
	{KindSubdevDPRejected, "$subdev/469948/Chic_D/dp/post/json/rejected", "down", KindSubdevDPPost},
	{KindSubdevCmdRequest, "$subdev/469948/Chic_D/cmd/request/8b3c", "down", ""},
	{KindSubdevCmdResponse, "$subdev/469948/Chic_D/cmd/response/8b3c", "up", KindSubdevCmdRequest},
	{KindSubdevCmdResponseAccepted, "$subdev/469948/Chic_D/cmd/response/8b3c/accepted", "down", KindSubdevCmdResponse},
	{KindSubdevCmdResponseRejected, "$subdev/469948/Chic_D/cmd/response/8b3c/rejected", "down", KindSubdevCmdResponse},
}

func errCodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err != nil {
		return "?" + err.Error()
	}
	return ""
}

// TestSubdevLoginNoPayload: docs/PROTOCOL.md §12:
// a $subdev login or logout carries no payload (limits page, 其他限制 3).
func TestSubdevLoginNoPayload(t *testing.T) {
	for _, tc := range []struct {
		kind Kind
		b    string
		code string
	}{
		{KindSubdevLogin, "", ""},
		{KindSubdevLogout, "", ""},
		{KindSubdevLogin, "{}", "subdev.payload"},
		{KindSubdevLogout, " ", "subdev.payload"},
		{KindSubdevDPPost, `{"id":1,"dp":{"t":[{"v":1}]}}`, ""},
		{KindSubdevDPPost, `{"dp":{"t":[{"v":1}]}}`, "dp.id.missing"},
		{KindSubdevCmdResponse, strings.Repeat("x", MaxCmdResponse+1), "payload.size"},
		{KindSubdevLoginAccepted, "", ""},
	} {
		if got := errCodeOf(CheckPayload(tc.kind, []byte(tc.b))); got != tc.code {
			t.Errorf("CheckPayload(%s, %.20q) = %q, want %q", tc.kind, tc.b, got, tc.code)
		}
	}
}

// TestSubdevTopics: docs/PROTOCOL.md §12: a gateway
// publishes and subscribes under $subdev/{pid}/{device}/ for its
// sub-devices; the names follow the rules of a topic level.
func TestSubdevTopics(t *testing.T) {
	for _, tc := range []struct {
		topic, code string
	}{
		{"$subdev/p1/s1/login", ""},
		{"$subdev/p1/s1/dp/post/json", ""},
		{"$subdev/p1/s1/cmd/response/abc", ""},
		{"$subdev/p1", "topic.foreign"},
		{"$subdev/p1/s1", "topic.foreign"},
		{"$subdev/p1/s+1/login", "topic.wildcard"},
	} {
		if got := errCodeOf(CheckPublishTopic(tc.topic, pid, dev)); got != tc.code {
			t.Errorf("CheckPublishTopic(%q) = %q, want %q", tc.topic, got, tc.code)
		}
	}
	for _, tc := range []struct {
		filter, code string
	}{
		{"$subdev/p1/s1/#", ""},
		{"$subdev/p1/s1/login/+", ""},
		{"$subdev/p1/s1/cmd/request/+", ""},
		{"$subdev/+/s1/#", "filter.wildcard"},
		{"$subdev/p1/#", "filter.wildcard"},
		{"$subdev/p1", "filter.foreign"},
	} {
		if got := errCodeOf(CheckFilter(tc.filter, pid, dev)); got != tc.code {
			t.Errorf("CheckFilter(%q) = %q, want %q", tc.filter, got, tc.code)
		}
	}
	info, err := ParseTopic("$subdev/p1/s1/login/extra")
	if errCodeOf(err) != "topic.unknown" || info.ProductID != "p1" || info.DeviceName != "s1" {
		t.Errorf("ParseTopic(undocumented $subdev topic) = %+v, %v", info, err)
	}
	// $sys topics never match a $subdev kind, nor the reverse.
	if info, _ := ParseTopic("$sys/p1/s1/login"); info.Kind != "" {
		t.Errorf("$sys/p1/s1/login parsed as %s", info.Kind)
	}
	if info, _ := ParseTopic("$subdev/p1/s1/thing/sub/login"); info.Kind != "" {
		t.Errorf("$subdev/p1/s1/thing/sub/login parsed as %s", info.Kind)
	}
	if !KindSubdevLogin.IsSubdev() || KindSubLogin.IsSubdev() || KindSubdevLogin.Studio() || !KindSubLogin.Studio() {
		t.Errorf("IsSubdev/Studio disagree with the kinds' families")
	}
	// A command response of a sub-device over 1 KB is warned about, as a
	// device's own (docs/PROTOCOL.md "Commands").
	w := CheckPublish(PublishPlan{Topic: "$subdev/p1/s1/cmd/response/x", ProductID: pid, DeviceName: dev, PayloadLen: MaxCmdResponse + 1})
	if len(w) != 1 || w[0].Code != "cmd.response.size" { // docs/PROTOCOL.md §8.2
		t.Errorf("CheckPublish(big sub-device command response) = %v", w)
	}
}

// TestSubRequests: docs/PROTOCOL.md §12: the
// payloads of the gateway topics (OneJSON subdevice-loginout.md,
// topy-manager.md, subdevice-data.md).
func TestSubRequests(t *testing.T) {
	const id = `"id":"7","version":"1.0"`
	for _, tc := range []struct {
		kind Kind
		b    string
		code string
	}{
		{KindSubLogin, `{` + id + `,"params":{"productID":"p1","deviceName":"s1"}}`, ""},
		{KindSubLogin, `{` + id + `,"params":{"productID":"p1"}}`, "thing.sub.identity"},
		{KindSubLogout, `{` + id + `,"params":{"productID":"p1","deviceName":"a/b"}}`, "thing.sub.identity"},
		{KindSubLogout, `{` + id + `,"params":["p1"]}`, "thing.params.type"},
		{KindSubTopoAdd, `{` + id + `,"params":{"productID":"p1","deviceName":"s1","sasToken":"version=2018-10-31"}}`, ""},
		{KindSubTopoAdd, `{` + id + `,"params":{"productID":"p1","deviceName":"s1"}}`, "thing.sub.token"},
		{KindSubTopoDelete, `{` + id + `,"params":{"productID":"p1","deviceName":"s1","sasToken":""}}`, "thing.sub.token"},
		{KindSubTopoGet, `{` + id + `}`, ""},
		{KindSubTopoGet, `{"version":"1.0"}`, "thing.id.missing"},
		{KindSubTopoChange, `{` + id + `,"params":{"subList":[{"productID":"p1","deviceName":"s1"}]}}`, ""},
		{KindSubTopoChange, `{` + id + `,"params":{"subList":[{"productID":"p1"}]}}`, "thing.sub.identity"},
		{KindSubTopoChange, `{` + id + `,"params":{}}`, "thing.sub.list"},
		{KindSubPropertyGet, `{` + id + `,"params":{"productID":"p1","deviceName":"s1","params":["t","h"]}}`, ""},
		{KindSubPropertyGet, `{` + id + `,"params":{"productID":"p1","deviceName":"s1","params":{"t":1}}}`, "thing.params.type"},
		{KindSubPropertyGet, `{` + id + `,"params":{"productID":"p1","deviceName":"s1","params":[` + strings.Repeat(`"t",`, MaxSubProperties) + `"t"]}}`, "thing.sub.count"},
		{KindSubPropertySet, `{` + id + `,"params":{"productID":"p1","deviceName":"s1","params":{"t":30.5}}}`, ""},
		{KindSubPropertySet, `{` + id + `,"params":{"productID":"p1","deviceName":"s1","params":["t"]}}`, "thing.params.type"},
		{KindSubServiceInvoke, `{` + id + `,"params":{"productID":"p1","deviceName":"s1","identifier":"reboot","input":{"a":1}}}`, ""},
		{KindSubServiceInvoke, `{` + id + `,"params":{"productID":"p1","deviceName":"s1","input":{}}}`, "thing.sub.identifier"},
		{KindSubServiceInvoke, `{` + id + `,"params":{"productID":"p1","deviceName":"s1","identifier":"x","input":[1]}}`, "thing.params.type"},
		// Replies are OneJSON replies.
		{KindSubLoginReply, `{"id":"7","code":200,"msg":"success"}`, ""},
		{KindSubTopoGetReply, `{"id":"7","code":200,"data":[{"productID":"p1","deviceName":"s1"}]}`, ""},
		{KindSubTopoGetResult, `{"id":"7"}`, "thing.code.missing"},
		{KindSubServiceInvokeReply, `{"id":"7","code":"200"}`, "thing.code.type"},
	} {
		if got := errCodeOf(CheckPayload(tc.kind, []byte(tc.b))); got != tc.code {
			t.Errorf("CheckPayload(%s, %s) = %q, want %q", tc.kind, tc.b, got, tc.code)
		}
	}
	req, err := ParseThingRequest(KindSubLogin, []byte(`{"id":"1","params":{"productID":"p1","deviceName":"s1"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if sd, ok := SubDeviceOf(req); !ok || sd != (SubDevice{"p1", "s1"}) {
		t.Errorf("SubDeviceOf = %+v, %v", sd, ok)
	}
	req, _ = ParseThingRequest(KindSubTopoGet, []byte(`{"id":"1"}`))
	if sd, ok := SubDeviceOf(req); ok {
		t.Errorf("SubDeviceOf(topo/get) = %+v, true", sd)
	}
}

// TestOTAInform: docs/PROTOCOL.md §11: ota/inform is a OneJSON request
// whose params is an object; ota/inform_reply a OneJSON reply (200 or 100).
func TestOTAInform(t *testing.T) {
	for _, tc := range []struct {
		kind Kind
		b    string
		code string
	}{
		{KindOTAInform, `{"id":"1","version":"1.0","params":{"targetVersion":"1.2.0"}}`, ""},
		{KindOTAInform, `{"id":"1","version":"1.0"}`, "thing.params.missing"},
		{KindOTAInform, `{"id":"1","params":["1.2.0"]}`, "thing.params.type"},
		{KindOTAInform, `{"id":1,"params":{}}`, "thing.id.type"},
		{KindOTAInformReply, `{"id":"1","code":200}`, ""},
		{KindOTAInformReply, `{"id":"1","code":100,"msg":"busy"}`, ""},
		{KindOTAInformReply, `{"id":"1"}`, "thing.code.missing"},
		{KindOTAInformReply, `ok`, "payload.syntax"},
	} {
		if got := errCodeOf(CheckPayload(tc.kind, []byte(tc.b))); got != tc.code {
			t.Errorf("CheckPayload(%s, %s) = %q, want %q", tc.kind, tc.b, got, tc.code)
		}
	}
	w := CheckPublish(PublishPlan{Topic: "$sys/469948/Chic_D/ota/inform", ProductID: pid, DeviceName: dev})
	if len(w) != 1 || w[0].Code != "publish.downlink" {
		t.Errorf("CheckPublish(ota/inform) = %v, want publish.downlink", w)
	}
}

// The codes of sub-device payloads, in TestDocListsCodes's table.
func init() {
	const id = `"id":"7","version":"1.0"`
	codeCases = append(codeCases,
		codeCase{"thing.sub.identity", "payload", `"deviceName" must be`, thingErr(KindSubLogin, `{`+id+`,"params":{"productID":"p1"}}`)},
		codeCase{"thing.sub.token", "payload", `"sasToken" must be`, thingErr(KindSubTopoAdd, `{`+id+`,"params":{"productID":"p1","deviceName":"s1"}}`)},
		codeCase{"thing.sub.list", "payload", `"subList" must be`, thingErr(KindSubTopoChange, `{`+id+`,"params":{"subList":{}}}`)},
		codeCase{"thing.sub.count", "payload", "at most 50", thingErr(KindSubPropertySet, `{`+id+`,"params":{"productID":"p1","deviceName":"s1","params":{`+strings.Repeat(`"a":1,`, 50)+`"b":2}}}`)},
		codeCase{"thing.sub.identifier", "payload", `"identifier" must`, thingErr(KindSubServiceInvoke, `{`+id+`,"params":{"productID":"p1","deviceName":"s1"}}`)},
		codeCase{"subdev.payload", "payload", "must have an empty payload", func() error { return CheckPayload(KindSubdevLogin, []byte("{}")) }},
	)
}
