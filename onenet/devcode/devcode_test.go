package devcode

import (
	"errors"
	"strings"
	"testing"

	"github.com/onenet-wasm/onenet-wasm/token"
)

const testKey = "rs2FaE5BuygJZkWKDA5okKt1RFpwOx53hbu6hwyCS4U="

func spec() Spec {
	return Spec{Host: "mqtts.heclouds.com", Port: 1883, ProductID: "469948", DeviceName: "Chic_D",
		Topic: "$sys/469948/Chic_D/dp/post/json", Payload: `{"id":1,"dp":{"t":[{"v":"it's <ok> & 温度"}]}}`,
		QoS: 1, Key: testKey, Now: 1700000000}
}

func TestKeyOnlyWhenAsked(t *testing.T) {
	for _, l := range Languages() {
		for _, include := range []bool{false, true} {
			s := spec()
			s.IncludeKey = include
			code, err := Generate(l.ID, s)
			if err != nil {
				t.Fatalf("%s: %v", l.ID, err)
			}
			if has := strings.Contains(code, testKey); has != (include && l.ComputesToken) {
				t.Errorf("%s, includeKey %v: key in the program: %v", l.ID, include, has)
			}
			if include && l.ComputesToken && !strings.Contains(code, "WARNING: this file holds the device's access key") {
				t.Errorf("%s: the key is in it without the warning", l.ID)
			}
			if !(include && l.ComputesToken) {
				tok, _ := token.Generate(token.Params{Res: "products/469948/devices/Chic_D", Key: testKey, ET: 1700000000 + 30*24*3600})
				if !strings.Contains(code, tok) || !strings.Contains(code, "2023-12-14 22:13:20 UTC") {
					t.Errorf("%s: the token or its expiry is missing:\n%s", l.ID, code)
				}
			}
			for _, r := range []string{"$sys/469948/Chic_D/dp/post/json/accepted", "$sys/469948/Chic_D/dp/post/json/rejected"} {
				if !strings.Contains(code, r) {
					t.Errorf("%s: the reply topic %s is not subscribed", l.ID, r)
				}
			}
		}
	}
}

func TestGivenToken(t *testing.T) {
	s := spec()
	s.Key = ""
	s.Token, _ = token.Generate(token.Params{Res: "products/469948/devices/Chic_D", Key: testKey, ET: 1800000000})
	code, err := Generate(Python, s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(code, s.Token) || !strings.Contains(code, "et=1800000000") {
		t.Errorf("the given token or its expiry is missing:\n%s", code)
	}
}

func TestQuoting(t *testing.T) {
	s := spec()
	code, _ := Generate(Mosquitto, s)
	if !strings.Contains(code, `-m '{"id":1,"dp":{"t":[{"v":"it'\''s <ok> & 温度"}]}}'`) {
		t.Errorf("shell quoting:\n%s", code)
	}
	code, _ = Generate(Python, s)
	if !strings.Contains(code, `PAYLOAD = "{\"id\":1,\"dp\":{\"t\":[{\"v\":\"it's <ok> & \u6e29\u5ea6\"}]}}"`) {
		t.Errorf("Python quoting:\n%s", code)
	}
	code, _ = Generate(C, s)
	if !strings.Contains(code, `"{\"id\":1,\"dp\":{\"t\":[{\"v\":\"it's <ok> & \346\270\251\345\272\246\"}]}}"`) {
		t.Errorf("C quoting:\n%s", code)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		lang  string
		edit  func(*Spec)
		field string
	}{
		{"cobol", func(*Spec) {}, "language"},
		{Python, func(s *Spec) { s.Host = "" }, "host"},
		{Python, func(s *Spec) { s.Host = "a'b" }, "host"},
		{Python, func(s *Spec) { s.Port = 70000 }, "port"},
		{Python, func(s *Spec) { s.QoS = 2 }, "qos"},
		{Python, func(s *Spec) { s.KeepAlive = -1 }, "keepAlive"},
		{Python, func(s *Spec) { s.TTL = -5 }, "ttl"},
	} {
		s := spec()
		tc.edit(&s)
		_, err := Generate(tc.lang, s)
		var e *Error
		if !errors.As(err, &e) || e.Field != tc.field {
			t.Errorf("%s %+v: %v, want an error on %s", tc.lang, s, err, tc.field)
		}
	}
	// The token's and onenet's own errors come through.
	s := spec()
	s.Key = "not base64!"
	if _, err := Generate(Python, s); err == nil || !strings.Contains(err.Error(), "key") {
		t.Errorf("bad key: %v", err)
	}
	s = spec()
	s.Payload = `{"id":1,"dp":{"t":[{"v":1,}]}}`
	if _, err := Generate(Node, s); err == nil {
		t.Error("invalid JSON payload: no error")
	}
	s = spec()
	s.Topic = "$sys/469948/Chic_D/dp/post/+"
	if _, err := Generate(Node, s); err == nil {
		t.Error("wildcard topic: no error")
	}
}

// A topic nothing answers: the program publishes and ends.
func TestNoReplies(t *testing.T) {
	s := spec()
	s.Topic = "$sys/469948/Chic_D/thing/property/set_reply"
	s.Payload = `{"id":"1","code":200,"msg":"success"}`
	for _, l := range Languages() {
		code, err := Generate(l.ID, s)
		if err != nil {
			t.Fatalf("%s: %v", l.ID, err)
		}
		if strings.Contains(code, "accepted") {
			t.Errorf("%s: subscribes to replies of a topic nothing answers:\n%s", l.ID, code)
		}
	}
	code, _ := Generate(Mosquitto, s)
	if !strings.Contains(code, "\nmosquitto_pub ") {
		t.Errorf("mosquitto without replies: no mosquitto_pub command:\n%s", code)
	}
}
