package bridge

import (
	"errors"
	"net"
	"strings"
	"testing"
)

var parseTargetTests = []struct {
	in, want string // want "" means an error
	err      string // part of the error message
}{
	{"mqttstls.heclouds.com:8883", "mqttstls.heclouds.com:8883", ""},
	{"MQTTS.HeClouds.com:1883", "mqtts.heclouds.com:1883", ""},
	{"mqtts.heclouds.com.:1883", "mqtts.heclouds.com:1883", ""},
	{"studio-mqtts.heclouds.com:08883", "studio-mqtts.heclouds.com:8883", ""},
	{"localhost:1883", "localhost:1883", ""},
	{"my_broker.lan:1883", "my_broker.lan:1883", ""},
	{"127.0.0.1:1883", "127.0.0.1:1883", ""},
	{"[::1]:1883", "[::1]:1883", ""},
	{"[2001:DB8::0:1]:8883", "[2001:db8::1]:8883", ""},
	{"[::ffff:127.0.0.1]:1883", "[::ffff:127.0.0.1]:1883", ""},
	{"xn--fiqs8s.example:1883", "xn--fiqs8s.example:1883", ""},
	{"a.b:65535", "a.b:65535", ""},

	{"", "", "missing"},
	{"mqtt://mqtts.heclouds.com:1883", "", "scheme"},
	{"ws://localhost:8080/bridge", "", "scheme"},
	{"tcp://1.2.3.4:1883", "", "scheme"},
	{"mqtts.heclouds.com", "", "missing port"},
	{"mqtts.heclouds.com:", "", "missing port"},
	{"[::1]", "", "missing port"},
	{":1883", "", "missing host"},
	{"mqtts.heclouds.com:1883/path", "", "path"},
	{"mqtts.heclouds.com:1883?x=1", "", "path, query"},
	{"mqtts.heclouds.com:1883#f", "", "fragment"},
	{`host\x:1883`, "", "path"},
	{"user:secret@mqtts.heclouds.com:1883", "", "user info"},
	{"@host:1883", "", "user info"},
	{"mqtts.heclouds.com :1883", "", "spaces"},
	{"mqtts.heclouds.com:1883\n", "", "control"},
	{"目标.example:1883", "", "ASCII"},
	{"host:0", "", "1 to 65535"},
	{"host:65536", "", "1 to 65535"},
	{"host:99999999999999999999999", "", "1 to 65535"},
	{"host:+1883", "", "1 to 65535"},
	{"host:-1", "", "1 to 65535"},
	{"host:mqtt", "", "1 to 65535"},
	{"host:1883:1", "", "not host:port"},
	{"::1:1883", "", "not host:port"},
	{"[fe80::1%eth0]:1883", "", "zones"},
	{"[1.2.3.4]:1883", "", "IPv6"},
	{"[host]:1883", "", "IPv6"},
	{"010.0.0.1:1883", "", "IPv4"},
	{"1.2.3:1883", "", "IPv4"},
	{"0x7f.1:1883", "", "IPv4"},
	{"256.1.1.1:1883", "", "IPv4"},
	{"a..b:1883", "", "empty"},
	{".:1883", "", "1 to 253"},
	{"-a.b:1883", "", "'-'"},
	{"a-.b:1883", "", "'-'"},
	{"a*b:1883", "", "letters, digits"},
	{strings.Repeat("a", 64) + ".b:1883", "", "63"},
	{strings.Repeat("a.", 127) + "ab:1883", "", "253"},
	{strings.Repeat("a", 300) + ":1883", "", "too long"},
}

func TestParseTarget(t *testing.T) {
	for _, tc := range parseTargetTests {
		got, err := ParseTarget(tc.in)
		if tc.want != "" {
			if err != nil || got != tc.want {
				t.Errorf("ParseTarget(%q) = %q, %v, want %q", tc.in, got, err, tc.want)
			}
			continue
		}
		var e *Error
		if err == nil || !errors.As(err, &e) || e.Field != "target" || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseTarget(%q) = %q, %v; want a target error containing %q", tc.in, got, err, tc.err)
			continue
		}
		if !strings.HasPrefix(err.Error(), "bridge: target: ") {
			t.Errorf("ParseTarget(%q) error %q does not start with \"bridge: target: \"", tc.in, err)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("ParseTarget(%q) error %q repeats the input", tc.in, err)
		}
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, tc := range parseTargetTests {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTarget(s)
		if err != nil {
			var e *Error
			if got != "" || !errors.As(err, &e) || e.Field != "target" {
				t.Fatalf("ParseTarget(%q) = %q, %v: want \"\" and a target *Error", s, got, err)
			}
			return
		}
		// What parses is host:port, normal, and parses to itself.
		again, err := ParseTarget(got)
		if err != nil || again != got {
			t.Fatalf("ParseTarget(%q) = %q, but ParseTarget(%q) = %q, %v", s, got, got, again, err)
		}
		host, port, err := net.SplitHostPort(got)
		if err != nil || host == "" || port == "" || strings.ToLower(got) != got {
			t.Fatalf("ParseTarget(%q) = %q: not a normal host:port", s, got)
		}
	})
}
