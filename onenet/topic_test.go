package onenet

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

type kindRow struct {
	kind      Kind
	topic     string // for pid 469948, device Chic_D, cmdid 8b3c, identifier reboot
	direction string
	replyTo   Kind
}

// kindTable is docs/PROTOCOL.md §4, row by row: the topic, who
// publishes it and what it answers.
var kindTable = []kindRow{
	// MQTT IoT kit.
	{KindDPPost, "$sys/469948/Chic_D/dp/post/json", "up", ""},
	{KindDPAccepted, "$sys/469948/Chic_D/dp/post/json/accepted", "down", KindDPPost},
	{KindDPRejected, "$sys/469948/Chic_D/dp/post/json/rejected", "down", KindDPPost},
	{KindCmdRequest, "$sys/469948/Chic_D/cmd/request/8b3c", "down", ""},
	{KindCmdResponse, "$sys/469948/Chic_D/cmd/response/8b3c", "up", KindCmdRequest},
	{KindCmdResponseAccepted, "$sys/469948/Chic_D/cmd/response/8b3c/accepted", "down", KindCmdResponse},
	{KindCmdResponseRejected, "$sys/469948/Chic_D/cmd/response/8b3c/rejected", "down", KindCmdResponse},
	{KindImageUpdate, "$sys/469948/Chic_D/image/update", "up", ""},
	{KindImageUpdateAccepted, "$sys/469948/Chic_D/image/update/accepted", "down", KindImageUpdate},
	{KindImageUpdateRejected, "$sys/469948/Chic_D/image/update/rejected", "down", KindImageUpdate},
	{KindImageGet, "$sys/469948/Chic_D/image/get", "up", ""},
	{KindImageGetAccepted, "$sys/469948/Chic_D/image/get/accepted", "down", KindImageGet},
	{KindImageGetRejected, "$sys/469948/Chic_D/image/get/rejected", "down", KindImageGet},
	{KindImageUpdateDelta, "$sys/469948/Chic_D/image/update/delta", "down", ""},
	// OneNET Studio: the device publishes the posts and gets, each answered on
	// the same topic + /reply; it receives set, get and invoke and answers
	// on _reply.
	{KindPropertyPost, "$sys/469948/Chic_D/thing/property/post", "up", ""},
	{KindPropertyPostReply, "$sys/469948/Chic_D/thing/property/post/reply", "down", KindPropertyPost},
	{KindEventPost, "$sys/469948/Chic_D/thing/event/post", "up", ""},
	{KindEventPostReply, "$sys/469948/Chic_D/thing/event/post/reply", "down", KindEventPost},
	{KindPropertyDesiredGet, "$sys/469948/Chic_D/thing/property/desired/get", "up", ""},
	{KindPropertyDesiredGetReply, "$sys/469948/Chic_D/thing/property/desired/get/reply", "down", KindPropertyDesiredGet},
	{KindPropertyDesiredDelete, "$sys/469948/Chic_D/thing/property/desired/delete", "up", ""},
	{KindPropertyDesiredDeleteReply, "$sys/469948/Chic_D/thing/property/desired/delete/reply", "down", KindPropertyDesiredDelete},
	{KindPackPost, "$sys/469948/Chic_D/thing/pack/post", "up", ""},
	{KindPackPostReply, "$sys/469948/Chic_D/thing/pack/post/reply", "down", KindPackPost},
	{KindHistoryPost, "$sys/469948/Chic_D/thing/history/post", "up", ""},
	{KindHistoryPostReply, "$sys/469948/Chic_D/thing/history/post/reply", "down", KindHistoryPost},
	{KindPropertySet, "$sys/469948/Chic_D/thing/property/set", "down", ""},
	{KindPropertySetReply, "$sys/469948/Chic_D/thing/property/set_reply", "up", KindPropertySet},
	{KindPropertyGet, "$sys/469948/Chic_D/thing/property/get", "down", ""},
	{KindPropertyGetReply, "$sys/469948/Chic_D/thing/property/get_reply", "up", KindPropertyGet},
	{KindServiceInvoke, "$sys/469948/Chic_D/thing/service/reboot/invoke", "down", ""},
	{KindServiceInvokeReply, "$sys/469948/Chic_D/thing/service/reboot/invoke_reply", "up", KindServiceInvoke},
}

var args = TopicArgs{ProductID: pid, DeviceName: dev, CmdID: "8b3c", Identifier: "reboot"}

func TestKinds(t *testing.T) {
	rows := append(append([]kindRow(nil), kindTable...), otaKindTable...)
	rows = append(rows, subKindTable...)
	var want []Kind
	for _, row := range rows {
		want = append(want, row.kind)
	}
	if got := Kinds(); !reflect.DeepEqual(got, want) {
		t.Errorf("Kinds() = %q\nwant %q", got, want)
	}
	for _, row := range rows {
		k := row.kind
		got, err := Topic(k, args)
		if err != nil || got != row.topic {
			t.Errorf("Topic(%s) = %q, %v; want %q", k, got, err, row.topic)
		}
		info, err := ParseTopic(row.topic)
		wantInfo := TopicInfo{Kind: k, ProductID: pid, DeviceName: dev}
		switch k.Param() {
		case "cmdId":
			wantInfo.CmdID = args.CmdID
		case "identifier":
			wantInfo.Identifier = args.Identifier
		}
		if err != nil || info != wantInfo {
			t.Errorf("ParseTopic(%q) = %+v, %v; want %+v", row.topic, info, err, wantInfo)
		}
		if d := k.Direction(); d != row.direction {
			t.Errorf("%s.Direction() = %q, want %q", k, d, row.direction)
		}
		if r := k.ReplyTo(); r != row.replyTo {
			t.Errorf("%s.ReplyTo() = %q, want %q", k, r, row.replyTo)
		}
		if row.replyTo != "" && !contains(row.replyTo.Replies(), k) {
			t.Errorf("%s.Replies() = %q, missing %s", row.replyTo, row.replyTo.Replies(), k)
		}
		studio := strings.HasPrefix(string(k), "thing/") || strings.HasPrefix(string(k), "ota/")
		if k.Label() == "" || !k.Valid() || k.Studio() != studio {
			t.Errorf("%s: Label %q, Valid %v, Studio %v", k, k.Label(), k.Valid(), k.Studio())
		}
		if err := CheckPublishTopic(row.topic, pid, dev); err != nil {
			t.Errorf("CheckPublishTopic(%q) = %v", row.topic, err)
		}
		if err := CheckFilter(row.topic, pid, dev); err != nil {
			t.Errorf("CheckFilter(%q) = %v", row.topic, err)
		}
		// Every example payload passes the kind's own check.
		if ex := k.Example(); ex != nil {
			if err := CheckPayload(k, ex); err != nil {
				t.Errorf("CheckPayload(%s, Example()) = %v", k, err)
			}
		}
	}
	var unknown Kind = "dp/post/xml"
	if unknown.Valid() || unknown.Direction() != "" || unknown.ReplyTo() != "" || unknown.Replies() != nil || unknown.Label() != "" || unknown.Example() != nil || unknown.Studio() {
		t.Errorf("an unknown kind has properties")
	}
	if got := KindDPPost.Replies(); !reflect.DeepEqual(got, []Kind{KindDPAccepted, KindDPRejected}) {
		t.Errorf("KindDPPost.Replies() = %q", got)
	}
}

func contains(ks []Kind, k Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func TestParseTopicUnknown(t *testing.T) {
	for _, topic := range []string{
		"$sys/469948/Chic_D/dp/post/xml",
		"$sys/469948/Chic_D/cmd/request",        // no cmdid
		"$sys/469948/Chic_D/cmd/request/1/2",    // one level too many
		"$sys/469948/Chic_D/thing/service/x",    // no invoke
		"$sys/469948/Chic_D/thing/property/SET", // case matters
	} {
		info, err := ParseTopic(topic)
		var e *Error
		if !errors.As(err, &e) || e.Code != "topic.unknown" || info.ProductID != pid || info.DeviceName != dev || info.Kind != "" {
			t.Errorf("ParseTopic(%q) = %+v, %v; want topic.unknown with the product and device", topic, info, err)
		}
	}
	// Placeholders are ordinary text in a topic.
	info, err := ParseTopic("$sys/1/d/cmd/request/{cmdid}")
	if err != nil || info.CmdID != "{cmdid}" {
		t.Errorf("ParseTopic with a literal placeholder = %+v, %v", info, err)
	}
}

func TestTopicIgnoresUnusedArgs(t *testing.T) {
	got, err := Topic(KindDPPost, TopicArgs{ProductID: pid, DeviceName: dev, CmdID: "a/b", Identifier: "#"})
	if err != nil || got != "$sys/469948/Chic_D/dp/post/json" {
		t.Errorf("Topic = %q, %v", got, err)
	}
}
