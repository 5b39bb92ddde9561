package onenet

import (
	"strconv"
	"strings"
)

// An Endpoint is one of OneNET's MQTT servers (docs/PROTOCOL.md §2).
type Endpoint struct {
	Name   string // "iot-kit", "iot-kit-tls", "studio" or "studio-tls"
	Host   string // e.g. "mqtts.heclouds.com"
	Port   int    // 1883 or 8883
	TLS    bool   // the server speaks TLS, with OneNET's own CA (docs/PROTOCOL.md §2)
	Studio bool   // OneNET Studio (thing model) rather than the MQTT IoT kit
	Label  string // for people, e.g. "MQTT IoT kit, TLS (mqttstls.heclouds.com:8883)"
}

// Addr returns "host:port".
func (e Endpoint) Addr() string { return e.Host + ":" + strconv.Itoa(e.Port) }

// The four documented endpoints, docs/PROTOCOL.md §2.
var endpoints = [...]Endpoint{
	{Name: "iot-kit", Host: "mqtts.heclouds.com", Port: 1883, Label: "MQTT IoT kit, plain (mqtts.heclouds.com:1883)"},
	{Name: "iot-kit-tls", Host: "mqttstls.heclouds.com", Port: 8883, TLS: true, Label: "MQTT IoT kit, TLS (mqttstls.heclouds.com:8883)"},
	{Name: "studio", Host: "studio-mqtt.heclouds.com", Port: 1883, Studio: true, Label: "OneNET Studio, plain (studio-mqtt.heclouds.com:1883)"},
	{Name: "studio-tls", Host: "studio-mqtts.heclouds.com", Port: 8883, TLS: true, Studio: true, Label: "OneNET Studio, TLS (studio-mqtts.heclouds.com:8883)"},
}

// Endpoints returns OneNET's four documented MQTT endpoints: the MQTT IoT kit
// and OneNET Studio, each plain and TLS. The slice is a copy.
func Endpoints() []Endpoint {
	e := endpoints
	return e[:]
}

// IsOneNETHost reports whether host, optionally with a ":port", is one of
// OneNET's: one of the endpoint hosts or any other name under heclouds.com
// (case-insensitive, a trailing dot allowed). OneNET offers no MQTT over
// WebSocket on any of them (docs/PROTOCOL.md §2), so a page that is asked for
// ws://mqtts.heclouds.com can explain that a relay is needed.
func IsOneNETHost(host string) bool {
	h := strings.ToLower(strings.TrimSpace(host))
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		if _, err := strconv.Atoi(h[i+1:]); err == nil {
			h = h[:i]
		}
	}
	h = strings.TrimSuffix(h, ".")
	for i := 0; i < len(h); i++ {
		if c := h[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	if strings.HasPrefix(h, ".") || strings.Contains(h, "..") {
		return false
	}
	return h == "heclouds.com" || strings.HasSuffix(h, ".heclouds.com")
}
