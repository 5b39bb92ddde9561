package onenet

import (
	"strings"
	"testing"
)

// The tests named TestRule… prove one rule of docs/PROTOCOL.md each; the
// fidelity table (docs/PROTOCOL.md §14) names them. The broker's tests of
// the same names (broker/fidelity_test.go) prove the broker does what these
// checks warn about.

// TestRuleTopicChars: after the leading '$', a topic holds only
// [A-Za-z0-9/_-] (docs/PROTOCOL.md §5.1, L: ^[a-zA-Z0-9/_-]+$).
func TestRuleTopicChars(t *testing.T) {
	for _, tc := range []struct {
		topic string
		bad   string // the character reported, "" when the topic is fine
	}{
		{"$sys/469948/Chic_D/dp/post/json", ""},
		{"$sys/469948/Chic_D/cmd/response/8b3c4a1e-77aa_x", ""},
		{"$sys/469948/Chic_D/dp/post/温度", "温"},
		{"$sys/469948/Chic_D/dp/post/json.v2", "."},
		{"$sys/469948/Chic_D/dp/post/a b", " "},
		{"$sys/469948/Chic_D/dp/post/a$b", "$"},
		{"$sys/469948/Chic_D/dp/post/a:b", ":"},
	} {
		err := CheckPublishTopic(tc.topic, pid, dev)
		if tc.bad == "" {
			if err != nil {
				t.Errorf("CheckPublishTopic(%q) = %v, want nil", tc.topic, err)
			}
			continue
		}
		e, ok := err.(*Error)
		if !ok || e.Code != "topic.chars" || e.Params["char"] != tc.bad {
			t.Errorf("CheckPublishTopic(%q) = %v, want topic.chars for %q", tc.topic, err, tc.bad)
		}
		w := CheckPublish(PublishPlan{Topic: tc.topic, ProductID: pid, DeviceName: dev})
		if len(w) != 1 || w[0].Code != "topic.chars" || !strings.HasPrefix(w[0].Msg, disconnects) {
			t.Errorf("CheckPublish(%q) = %v, want one topic.chars warning that OneNET disconnects", tc.topic, w)
		}
	}
}

// TestRulePublishSystemTopicsOnly: a device publishes only the system
// topics it may publish; a custom topic or one the platform publishes
// disconnects it (docs/PROTOCOL.md §4.3, PZ: "设备发布消息到非法topic时，平台会断开设备连接").
func TestRulePublishSystemTopicsOnly(t *testing.T) {
	for _, tc := range []struct {
		suffix, code string
	}{
		{"dp/post/json", ""},
		{"cmd/response/abc", ""},
		{"image/update", ""},
		{"thing/property/post", ""},
		{"thing/service/reboot/invoke_reply", ""},
		{"my/data", "topic.unknown"},
		{"dp/post", "topic.unknown"},
		{"dp/post/json/accepted", "publish.downlink"},
		{"cmd/request/abc", "publish.downlink"},
		{"thing/property/set", "publish.downlink"},
	} {
		topic := "$sys/" + pid + "/" + dev + "/" + tc.suffix
		w := CheckPublish(PublishPlan{Topic: topic, ProductID: pid, DeviceName: dev})
		if tc.code == "" {
			if len(w) != 0 {
				t.Errorf("CheckPublish(%q) = %v, want none", topic, w)
			}
			continue
		}
		if len(w) != 1 || w[0].Code != tc.code || !strings.HasPrefix(w[0].Msg, disconnects) {
			t.Errorf("CheckPublish(%q) = %v, want one %s warning that OneNET disconnects", topic, w, tc.code)
		}
	}
}

// TestRuleFilterLimits: a filter over the limits of docs/PROTOCOL.md §5.2
// disconnects the device; an illegal one fails in the SUBACK (§4.4, §4.5).
func TestRuleFilterLimits(t *testing.T) {
	own := "$sys/" + pid + "/" + dev + "/"
	for _, tc := range []struct {
		filter     string
		code       string
		disconnect bool
	}{
		{own + "#", "", false},
		{own + "cmd/request/+", "", false},
		{own + strings.Repeat("a", MaxFilterLen-len(own)), "", false},
		{own + strings.Repeat("a", MaxFilterLen-len(own)+1), "filter.length", true},
		{own + "a/b/c/d/e/f", "filter.levels", true},
		{own + "a b", "filter.chars", true},
		{own + "温度", "filter.chars", true},
		{own + "a.b/#", "filter.chars", true},
		{own + "\xff", "filter.utf8", true},
		{"#", "filter.wildcard", false},
		{"$sys/" + pid + "/#", "filter.wildcard", false},
		{"$sys/" + pid + "/Other/#", "filter.foreign", false},
		{"hello", "filter.foreign", false},
		{own + "a+", "filter.syntax", false},
	} {
		err := CheckFilter(tc.filter, pid, dev)
		if tc.code == "" {
			if err != nil {
				t.Errorf("CheckFilter(%.60q) = %v, want nil", tc.filter, err)
			}
			continue
		}
		if e, ok := err.(*Error); !ok || e.Code != tc.code {
			t.Errorf("CheckFilter(%.60q) = %v, want %s", tc.filter, err, tc.code)
		}
		if got := SubscribeDisconnects(err); got != tc.disconnect {
			t.Errorf("SubscribeDisconnects(CheckFilter(%.60q)) = %v, want %v", tc.filter, got, tc.disconnect)
		}
	}
	if SubscribeDisconnects(nil) {
		t.Error("SubscribeDisconnects(nil) = true")
	}
}

// TestRuleUnsubscribeFilter: an UNSUBSCRIBE filter over 512 bytes or 8
// levels, or with a character outside [A-Za-z0-9/+#_-], disconnects
// (docs/PROTOCOL.md §5.3). Wildcards and other devices' topics are fine:
// unsubscribing from what one never held is harmless.
func TestRuleUnsubscribeFilter(t *testing.T) {
	for _, tc := range []struct {
		filter, code string
	}{
		{"$sys/469948/Chic_D/#", ""},
		{"#", ""},
		{"$sys/469948/Other/cmd/request/+", ""},
		{"$sys/469948/Chic_D/" + strings.Repeat("a", MaxFilterLen-19+1), "filter.length"},
		{"$sys/469948/Chic_D/a/b/c/d/e/f", "filter.levels"},
		{"$sys/469948/Chic_D/温度", "filter.chars"},
		{"$sys/469948/Chic_D/\xff", "filter.utf8"},
		{"", "filter.empty"},
	} {
		err := CheckUnsubscribeFilter(tc.filter)
		if tc.code == "" {
			if err != nil {
				t.Errorf("CheckUnsubscribeFilter(%.60q) = %v, want nil", tc.filter, err)
			}
			continue
		}
		if e, ok := err.(*Error); !ok || e.Code != tc.code {
			t.Errorf("CheckUnsubscribeFilter(%.60q) = %v, want %s", tc.filter, err, tc.code)
		}
	}
}

// TestRuleSections: every rule code names a section, and the codes the
// page and the broker share are there.
func TestRuleSections(t *testing.T) {
	for _, code := range []string{"topic.chars", "topic.unknown", "publish.downlink", "filter.chars", "filter.foreign", "subscribe.qos", "subscribe.session", "ping.rate", "connect.keepAlive"} {
		if s := Section(code); !strings.HasPrefix(s, "§") {
			t.Errorf("Section(%q) = %q", code, s)
		}
	}
	if Section("json.eof") != "" {
		t.Error("a JSON syntax code has a section")
	}
}

// TestRuleProductHost: a product's own host {pid}.mqtts.acc.cmcconenet.cn,
// seen in community device code only, is recognised as OneNET's, so the
// page explains that it needs the relay (docs/PROTOCOL.md §2).
func TestRuleProductHost(t *testing.T) {
	for _, tc := range []struct {
		host string
		want bool
	}{
		{"Ub99ifb8x7.mqtts.acc.cmcconenet.cn", true},
		{"ub99ifb8x7.mqtts.acc.cmcconenet.cn:8883", true},
		{"469948.MQTTS.acc.cmcconenet.cn.", true},
		{"mqtts.acc.cmcconenet.cn", false},
		{"a.b.mqtts.acc.cmcconenet.cn", false},
		{"evil.mqtts.acc.cmcconenet.cn.example.com", false},
		{"x.cmcconenet.cn", false},
	} {
		if got := IsOneNETHost(tc.host); got != tc.want {
			t.Errorf("IsOneNETHost(%q) = %v, want %v", tc.host, got, tc.want)
		}
	}
	eps, err := ProductEndpoints("Ub99ifb8x7")
	if err != nil || len(eps) != 2 || eps[0].Addr() != "ub99ifb8x7.mqtts.acc.cmcconenet.cn:1883" || eps[0].TLS ||
		eps[1].Addr() != "ub99ifb8x7.mqtts.acc.cmcconenet.cn:8883" || !eps[1].TLS || !strings.Contains(eps[1].Label, "community code") {
		t.Errorf("ProductEndpoints = %+v, %v", eps, err)
	}
	for _, bad := range []string{"", "a.b", "a/b", "-a", strings.Repeat("a", 64), "温度"} {
		if _, err := ProductEndpoints(bad); err == nil {
			t.Errorf("ProductEndpoints(%q) accepted", bad)
		} else if e := err.(*Error); e.Field != "productId" {
			t.Errorf("ProductEndpoints(%q): field %q", bad, e.Field)
		}
	}
}

// TestRuleConnectClosed: a keepalive outside [10, 1800] s, a will, clean
// session 0 or an empty field make OneNET close the connection without a
// CONNACK (docs/PROTOCOL.md §3.7, L: "断开连接"); another protocol gets
// CONNACK 1 (MQTT 3.1.1 §3.1.2.2).
func TestRuleConnectClosed(t *testing.T) {
	good := ConnectPlan{ClientID: dev, Username: pid, KeepAlive: 60, CleanSession: true, ProtocolLevel: 4}
	if w := CheckConnect(good); len(w) != 0 {
		t.Fatalf("CheckConnect(%+v) = %v", good, w)
	}
	for _, tc := range []struct {
		mod  func(*ConnectPlan)
		code string
		text string
	}{
		{func(p *ConnectPlan) { p.KeepAlive = 9 }, "connect.keepAlive", "without answering"},
		{func(p *ConnectPlan) { p.KeepAlive = 1801 }, "connect.keepAlive", "without answering"},
		{func(p *ConnectPlan) { p.Will = true }, "connect.will", "without answering"},
		{func(p *ConnectPlan) { p.CleanSession = false }, "connect.cleanSession", "without answering"},
		{func(p *ConnectPlan) { p.ClientID = "" }, "connect.clientId", "without answering"},
		{func(p *ConnectPlan) { p.Username = "" }, "connect.username", "without answering"},
		{func(p *ConnectPlan) { p.ProtocolLevel = 5 }, "connect.protocol", "CONNACK 1"},
	} {
		p := good
		tc.mod(&p)
		w := CheckConnect(p)
		if len(w) != 1 || w[0].Code != tc.code || !strings.Contains(w[0].Msg, tc.text) || Section(w[0].Code) == "" {
			t.Errorf("CheckConnect(%+v) = %v, want one %s warning saying %q", p, w, tc.code, tc.text)
		}
	}
}
