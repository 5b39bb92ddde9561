package mqttws

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestDialFieldErrors: bad URLs and options fail before any network I/O,
// with an error naming the field.
func TestDialFieldErrors(t *testing.T) {
	pw := func(context.Context) (string, error) { return "t", nil }
	for _, tc := range []struct {
		url   string
		opts  *Options
		field string
		msg   string // a substring of the message
	}{
		{"mqtt://broker.example:1883", nil, "url", "mqtt:// cannot be opened from a browser; use ws:// or wss://"},
		{"MQTTS://broker.example:8883", nil, "url", "mqtts:// cannot be opened from a browser"},
		{"tcp://broker.example:1883", nil, "url", "use ws:// or wss://"},
		{"https://broker.example/mqtt", nil, "url", "not a WebSocket URL"},
		{"ftp://broker.example/", nil, "url", "not supported"},
		{"broker.example:8080/mqtt", nil, "url", ""},
		{"", nil, "url", "empty"},
		{"ws://", nil, "url", "no host"},
		{"ws://user:pw@broker.example/mqtt", nil, "url", "user name or password"},
		{"ws://%zz", nil, "url", "not a URL"},
		{"ws://h/mqtt", &Options{PersistentSession: true}, "clientID", "persistent session"},
		{"ws://h/mqtt", &Options{ClientID: "a\x00b"}, "clientID", "NUL"},
		{"ws://h/mqtt", &Options{ClientID: "\xff"}, "clientID", "UTF-8"},
		{"ws://h/mqtt", &Options{Password: "secret"}, "username", "only with a user name"},
		{"ws://h/mqtt", &Options{PasswordFunc: pw}, "username", "product ID"},
		{"ws://h/mqtt", &Options{KeepAlive: -time.Second}, "keepAlive", "negative"},
		{"ws://h/mqtt", &Options{KeepAlive: 65536 * time.Second}, "keepAlive", "65535"},
		{"ws://h/mqtt", &Options{ConnectTimeout: -1}, "connectTimeout", "negative"},
		{"ws://h/mqtt", &Options{MinBackoff: -1}, "minBackoff", "negative"},
		{"ws://h/mqtt", &Options{MaxBackoff: -1}, "maxBackoff", "negative"},
		{"ws://h/mqtt", &Options{MinBackoff: time.Minute, MaxBackoff: time.Second}, "maxBackoff", "less than minBackoff"},
		{"ws://h/mqtt", &Options{MaxInflight: -1}, "maxInflight", "65535"},
		{"ws://h/mqtt", &Options{MaxInflight: 65536}, "maxInflight", "65535"},
		{"ws://h/mqtt", &Options{QueueSize: -1}, "queueSize", "negative"},
	} {
		_, err := Dial(context.Background(), tc.url, tc.opts)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field || !strings.Contains(fe.Msg, tc.msg) {
			t.Errorf("Dial(%q, %+v) = %v, want a *FieldError for %q containing %q", tc.url, tc.opts, err, tc.field, tc.msg)
			continue
		}
		if !strings.HasPrefix(err.Error(), "mqttws: "+tc.field+": ") {
			t.Errorf("Dial(%q): error %q does not name the field", tc.url, err)
		}
	}
}

func TestDefaults(t *testing.T) {
	c, err := newConfig("wss://broker.example/mqtt", &Options{KeepAlive: 1500 * time.Millisecond, MinBackoff: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if c.keepSecs != 2 || c.ConnectTimeout != DefaultConnectTimeout || c.MaxBackoff != 2*time.Minute ||
		c.MaxInflight != DefaultMaxInflight || c.QueueSize != DefaultQueueSize || c.host != "broker.example:443" {
		t.Errorf("newConfig applied %+v", c)
	}
	c, err = newConfig("ws://broker.example:8080/mqtt", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.keepSecs != 60 || c.MinBackoff != DefaultMinBackoff || c.MaxBackoff != DefaultMaxBackoff || c.host != "broker.example:8080" {
		t.Errorf("newConfig(nil options) = %+v", c)
	}
}

func TestCheckTopicAndFilter(t *testing.T) {
	for _, tc := range []struct {
		s             string
		topic, filter bool // valid as a topic, as a filter
	}{
		{"a", true, true},
		{"$sys/469948/dev/dp/post/json", true, true},
		{"a/b/", true, true},
		{"/", true, true},
		{"温度/传感器", true, true},
		{"", false, false},
		{"a/+/c", false, true},
		{"+", false, true},
		{"#", false, true},
		{"a/#", false, true},
		{"$sys/469948/dev/dp/post/json/+", false, true},
		{"a/#/c", false, false},
		{"a/b#", false, false},
		{"a+/b", false, false},
		{"a\x00b", false, false},
		{"\xff", false, false},
		{strings.Repeat("a", 65536), false, false},
	} {
		if err := checkTopic(tc.s); (err == nil) != tc.topic {
			t.Errorf("checkTopic(%.20q) = %v, want valid %v", tc.s, err, tc.topic)
		}
		if err := checkFilter(tc.s); (err == nil) != tc.filter {
			t.Errorf("checkFilter(%.20q) = %v, want valid %v", tc.s, err, tc.filter)
		}
	}
	for q := range byte(5) {
		if err := checkQoS(q); (err == nil) != (q <= 2) {
			t.Errorf("checkQoS(%d) = %v", q, err)
		}
	}
}

func TestArgumentErrors(t *testing.T) {
	var c Client // arguments are checked before the client is used
	ctx := context.Background()
	var fe *FieldError
	if err := c.Publish(ctx, "a/+", nil, 0, false); !errors.As(err, &fe) || fe.Field != "topic" {
		t.Errorf("Publish to a wildcard = %v", err)
	}
	if err := c.Publish(ctx, "a", nil, 3, false); !errors.As(err, &fe) || fe.Field != "qos" {
		t.Errorf("Publish QoS 3 = %v", err)
	}
	if _, err := c.Subscribe(ctx, "a/#/b", 0); !errors.As(err, &fe) || fe.Field != "filter" {
		t.Errorf("Subscribe a/#/b = %v", err)
	}
	if _, err := c.Subscribe(ctx, "a", 3); !errors.As(err, &fe) || fe.Field != "qos" {
		t.Errorf("Subscribe QoS 3 = %v", err)
	}
	if err := c.Unsubscribe(ctx, "ok", ""); !errors.As(err, &fe) || fe.Field != "filter" {
		t.Errorf("Unsubscribe empty filter = %v", err)
	}
}
