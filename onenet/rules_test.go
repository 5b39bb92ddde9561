package onenet

import (
	"reflect"
	"strings"
	"testing"
)

// Topics and filters docs/PROTOCOL.md §4.5 and the seed document give as fine.
func TestFilterAndTopicOK(t *testing.T) {
	for _, f := range []string{
		"$sys/469948/Chic_D/dp/post/json/+", // the seed's SUB_TOPIC
		"$sys/469948/Chic_D/#",              // docs/PROTOCOL.md §4.5
		"$sys/469948/Chic_D/cmd/request/+",  // docs/PROTOCOL.md §4.5
		"$sys/469948/Chic_D/+/+/+/+/+",      // 8 levels
		"$sys/469948/Chic_D/thing/property/set",
		"$sys/469948/Chic_D/" + strings.Repeat("a", MaxFilterLen-19), // exactly 512 bytes
	} {
		if err := CheckFilter(f, pid, dev); err != nil {
			t.Errorf("CheckFilter(%q) = %v, want nil", f, err)
		}
	}
	for _, topic := range []string{
		"$sys/469948/Chic_D/dp/post/json", // the seed's PUB_TOPIC
		"$sys/469948/Chic_D/cmd/response/8b3c4a1e",
		"$sys/469948/Chic_D/thing/service/reboot/invoke_reply",
		"$sys/469948/Chic_D/a/b/c/d/e", // 8 levels
		// "$sys/469948/Chic_D/温度" was here: OneNET takes only
		// [A-Za-z0-9/_-] (docs/PROTOCOL.md §5.1), see TestRuleTopicChars.
	} {
		if err := CheckPublishTopic(topic, pid, dev); err != nil {
			t.Errorf("CheckPublishTopic(%q) = %v, want nil", topic, err)
		}
	}
}

func TestMatchFilter(t *testing.T) {
	for _, tc := range []struct {
		filter, topic string
		want          bool
	}{
		{"$sys/469948/Chic_D/dp/post/json/+", "$sys/469948/Chic_D/dp/post/json/accepted", true},
		{"$sys/469948/Chic_D/dp/post/json/+", "$sys/469948/Chic_D/dp/post/json", false},
		{"$sys/469948/Chic_D/#", "$sys/469948/Chic_D", true}, // MQTT 3.1.1 §4.7.1.2: '#' includes the parent
		{"$sys/469948/Chic_D/#", "$sys/469948/Chic_D/cmd/request/1", true},
		{"$sys/469948/Chic_D/cmd/request/+", "$sys/469948/Chic_D/cmd/request/1/x", false},
		{"#", "$sys/469948/Chic_D/dp", false}, // §4.7.2: '$' topics are not matched by a leading wildcard
		{"+/469948/#", "$sys/469948/x", false},
		{"#", "a/b", true},
		{"a/+", "a/", true},
		{"", "a", false},
		{"a", "", false},
	} {
		if got := MatchFilter(tc.filter, tc.topic); got != tc.want {
			t.Errorf("MatchFilter(%q, %q) = %v, want %v", tc.filter, tc.topic, got, tc.want)
		}
	}
}

type warningCase struct {
	name  string
	check func() []Warning
	codes []string
}

var okConnect = ConnectPlan{ClientID: dev, Username: pid, KeepAlive: 30, CleanSession: true, ProtocolLevel: 4}

func connect(edit func(*ConnectPlan)) func() []Warning {
	p := okConnect
	edit(&p)
	return func() []Warning { return CheckConnect(p) }
}

func publish(topic string, qos byte, retain bool, n int) func() []Warning {
	return func() []Warning {
		return CheckPublish(PublishPlan{Topic: topic, ProductID: pid, DeviceName: dev, QoS: qos, Retain: retain, PayloadLen: n})
	}
}

const pubTopic = "$sys/469948/Chic_D/dp/post/json"

// warningCases come from docs/PROTOCOL.md §3 (connect) and §5 (publish).
var warningCases = []warningCase{
	{"seed connect", connect(func(*ConnectPlan) {}), nil}, // the seed's client: keepalive=30
	{"keepalive 10", connect(func(p *ConnectPlan) { p.KeepAlive = 10 }), nil},
	{"keepalive 1800", connect(func(p *ConnectPlan) { p.KeepAlive = 1800 }), nil},
	{"keepalive 9", connect(func(p *ConnectPlan) { p.KeepAlive = 9 }), []string{"connect.keepAlive"}},
	{"keepalive 0", connect(func(p *ConnectPlan) { p.KeepAlive = 0 }), []string{"connect.keepAlive"}},
	{"keepalive 1801", connect(func(p *ConnectPlan) { p.KeepAlive = 1801 }), []string{"connect.keepAlive"}},
	{"session", connect(func(p *ConnectPlan) { p.CleanSession = false }), []string{"connect.cleanSession"}},
	{"will", connect(func(p *ConnectPlan) { p.Will = true }), []string{"connect.will"}},
	{"mqtt 3.1", connect(func(p *ConnectPlan) { p.ProtocolLevel = 3 }), []string{"connect.protocol"}},
	{"mqtt 5", connect(func(p *ConnectPlan) { p.ProtocolLevel = 5 }), []string{"connect.protocol"}},
	{"no names", connect(func(p *ConnectPlan) { p.ClientID, p.Username = "", "" }), []string{"connect.clientId", "connect.username"}},
	{"kit, numeric username", connect(func(p *ConnectPlan) { p.Kit = true }), nil},
	{"kit, Studio-style username", connect(func(p *ConnectPlan) { p.Kit, p.Username = true, "Ub99ifb8x7" }), []string{"connect.username.number"}},
	{"Studio-style username, not the kit", connect(func(p *ConnectPlan) { p.Username = "Ub99ifb8x7" }), nil},
	{"zero plan", func() []Warning { return CheckConnect(ConnectPlan{}) },
		[]string{"connect.protocol", "connect.clientId", "connect.username", "connect.keepAlive", "connect.cleanSession"}},

	{"seed publish", publish(pubTopic, 0, false, 120), nil},
	{"qos 1", publish(pubTopic, 1, false, MaxPayload), nil},
	{"qos 2", publish(pubTopic, 2, false, 10), []string{"publish.qos"}},
	{"qos 3", publish(pubTopic, 3, false, 10), []string{"publish.qos"}},
	{"retain", publish(pubTopic, 0, true, 10), []string{"publish.retain"}},
	{"too large", publish(pubTopic, 0, false, MaxPayload+1), []string{"publish.size"}},
	{"foreign", publish("$sys/469948/Other/dp/post/json", 0, false, 10), []string{"topic.foreign"}},
	{"wildcard", publish(pubTopic+"/+", 0, false, 10), []string{"topic.wildcard"}},
	{"undocumented", publish("$sys/469948/Chic_D/dp/post/xml", 0, false, 10), []string{"topic.unknown"}},
	{"downlink", publish("$sys/469948/Chic_D/cmd/request/1", 0, false, 10), []string{"publish.downlink"}},
	{"downlink reply", publish(pubTopic+"/accepted", 0, false, 10), []string{"publish.downlink"}},
	{"command response", publish("$sys/469948/Chic_D/cmd/response/1", 1, false, 1024), []string{"cmd.response.size"}}, // its own rule, docs/PROTOCOL.md §8.2
	{"command response ok", publish("$sys/469948/Chic_D/cmd/response/1", 1, false, 1023), nil},
	{"no product", func() []Warning { return CheckPublish(PublishPlan{Topic: pubTopic, DeviceName: dev}) }, []string{"name.empty"}},
	{"everything", publish("x/y", 2, true, MaxPayload+1), []string{"publish.qos", "publish.retain", "topic.foreign", "publish.size"}},
}

func TestWarnings(t *testing.T) {
	for _, tc := range warningCases {
		w := tc.check()
		var codes []string
		for _, w := range w {
			codes = append(codes, w.Code)
			if w.Msg == "" || w.String() != w.Msg || w.Field == "" {
				t.Errorf("%s: incomplete warning %+v", tc.name, w)
			}
		}
		if !reflect.DeepEqual(codes, tc.codes) {
			t.Errorf("%s: warning codes %q, want %q (%v)", tc.name, codes, tc.codes, w)
		}
	}
	w := CheckPublish(PublishPlan{Topic: pubTopic, ProductID: pid, DeviceName: dev, QoS: 2})
	if len(w) != 1 || !strings.HasPrefix(w[0].Msg, "OneNET would disconnect the device: ") || w[0].Field != "qos" {
		t.Errorf("CheckPublish(QoS 2) = %+v", w)
	}
}
