package onenet

import (
	"fmt"
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

// ProductHostSuffix ends the host OneNET gives each product of its current
// console, "{pid}.mqtts.acc.cmcconenet.cn" (ports 1883, and 8883 with
// TLS). Only community device code documents it (docs/PROTOCOL.md §2).
const ProductHostSuffix = ".mqtts.acc.cmcconenet.cn"

// ProductEndpoints returns a product's own endpoints,
// {pid}.mqtts.acc.cmcconenet.cn:1883 and :8883 (TLS), as community device
// code uses them: no OneNET page in the project's sources documents them
// (docs/PROTOCOL.md §2). The product id must be usable as one DNS label
// (letters, digits and '-'); the error names "productId".
func ProductEndpoints(productID string) ([]Endpoint, error) {
	if productID == "" || len(productID) > 63 || strings.HasPrefix(productID, "-") || strings.HasSuffix(productID, "-") {
		return nil, newErr("productId", "name.char", fmt.Sprintf("product id %q cannot be a host name label", productID), kv("name", "productId", "value", productID))
	}
	for i := 0; i < len(productID); i++ {
		if c := productID[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return nil, newErr("productId", "name.char", fmt.Sprintf("product id %q cannot be a host name label: it holds %q", productID, c), kv("name", "productId", "value", productID, "char", string(c)))
		}
	}
	host := strings.ToLower(productID) + ProductHostSuffix
	return []Endpoint{
		{Name: "product", Host: host, Port: 1883, Label: "the product's own host, plain (" + host + ":1883; community code, not an official page)"},
		{Name: "product-tls", Host: host, Port: 8883, TLS: true, Label: "the product's own host, TLS (" + host + ":8883; community code, not an official page)"},
	}, nil
}

// IsOneNETHost reports whether host, optionally with a ":port", is one of
// OneNET's: one of the endpoint hosts, any other name under heclouds.com, or
// a product's own host {pid}.mqtts.acc.cmcconenet.cn (case-insensitive, a
// trailing dot allowed). OneNET offers no MQTT over WebSocket on any of them
// (docs/PROTOCOL.md §2), so a page that is asked for ws://mqtts.heclouds.com
// can explain that a relay is needed.
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
	if label, ok := strings.CutSuffix(h, ProductHostSuffix); ok && label != "" && !strings.Contains(label, ".") {
		return true
	}
	return h == "heclouds.com" || strings.HasSuffix(h, ".heclouds.com")
}
