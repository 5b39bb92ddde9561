package onenet

import (
	"strings"
	"testing"
)

// docs/PROTOCOL.md §2.
func TestEndpoints(t *testing.T) {
	want := map[string]string{
		"iot-kit":     "mqtts.heclouds.com:1883",
		"iot-kit-tls": "mqttstls.heclouds.com:8883",
		"studio":      "studio-mqtt.heclouds.com:1883",
		"studio-tls":  "studio-mqtts.heclouds.com:8883",
	}
	eps := Endpoints()
	if len(eps) != len(want) {
		t.Fatalf("Endpoints() has %d entries, want %d", len(eps), len(want))
	}
	for _, e := range eps {
		if want[e.Name] != e.Addr() || e.TLS != (e.Port == 8883) || e.Label == "" || !IsOneNETHost(e.Host) {
			t.Errorf("endpoint %+v", e)
		}
	}
	eps[0].Host = "changed"
	if Endpoints()[0].Host == "changed" {
		t.Error("Endpoints returns shared memory")
	}
}

func TestIsOneNETHost(t *testing.T) {
	for _, tc := range []struct {
		host string
		want bool
	}{
		{"mqtts.heclouds.com", true},
		{"MQTTSTLS.HeClouds.com:8883", true},
		{"studio-mqtts.heclouds.com.", true},
		{"iot-api.heclouds.com", true},
		{"heclouds.com", true},
		{" mqtts.heclouds.com ", true},
		{"heclouds.com.evil.com", false},
		{"evilheclouds.com", false},
		{"a/b.heclouds.com", false},
		{".heclouds.com", false},
		{"a..heclouds.com", false},
		{"broker.emqx.io:8084", false},
		{"localhost", false},
		{"", false},
		{"[::1]:1883", false},
	} {
		if got := IsOneNETHost(tc.host); got != tc.want {
			t.Errorf("IsOneNETHost(%q) = %v, want %v", tc.host, got, tc.want)
		}
	}
}

// docs/PROTOCOL.md §3.7: the reason codes are those of OneNET's device log.
func TestMessages(t *testing.T) {
	for code := range 256 {
		if ConnackMessage(byte(code)) == "" {
			t.Errorf("ConnackMessage(%d) is empty", code)
		}
	}
	for _, code := range []int{1101, 1102, 1103, 1104, 1105, 1106, 1107, 1108, 1109, 1110, 1111, 1112, 1114} {
		if _, ok := reasons[code]; !ok {
			t.Errorf("no text for log code %d", code)
		}
		if m := ReasonMessage(code); m == "" || !strings.Contains(m, itoa(code)) {
			t.Errorf("ReasonMessage(%d) = %q", code, m)
		}
	}
	if m := ReasonMessage(9999); !strings.Contains(m, "not documented") {
		t.Errorf("ReasonMessage(9999) = %q", m)
	}
}
