package bridge

import (
	"crypto/x509"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// A Target is an MQTT endpoint the bridge may relay to.
type Target struct {
	// Addr is the endpoint as host:port, e.g. "mqttstls.heclouds.com:8883".
	// It is normalised like ParseTarget (lower-case host) and matched
	// exactly against the page's ?target= value.
	Addr string

	// TLS makes the bridge speak TLS to the endpoint. The page then sends
	// plain MQTT over the WebSocket and the bridge encrypts it.
	TLS bool

	// RootCAs are the CAs that may sign the endpoint's certificate.
	// nil means the system roots, or OneNET's CA (OneNETCertPool) when
	// VerifyOneNET is set.
	RootCAs *x509.CertPool

	// ServerName is the name sent in the TLS handshake (SNI) and checked
	// in the certificate; "" means the host of Addr.
	ServerName string

	// VerifyOneNET verifies the endpoint's certificate with OneNET's rule
	// instead of the standard one: the chain must lead to a root in
	// RootCAs (OneNET's CA when nil), and the server's host name is checked
	// only when the certificate lists host names (subject alternative
	// names). OneNET's certificate is named by a common name alone
	// ("OneNET MQTTS"), which the standard check, and Go, do not accept.
	VerifyOneNET bool
}

// DefaultTargets returns OneNET's four MQTT endpoints
// (docs/PROTOCOL.md §2):
//
//	mqtts.heclouds.com:1883         MQTT IoT kit, plain
//	mqttstls.heclouds.com:8883      MQTT IoT kit, TLS, OneNET's CA
//	studio-mqtt.heclouds.com:1883   OneNET Studio, plain
//	studio-mqtts.heclouds.com:8883  OneNET Studio, TLS, OneNET's CA (see below)
//
// Which CA signs studio-mqtts.heclouds.com's certificate is not documented
// (docs/PROTOCOL.md §2); it is given OneNET's CA rule
// like mqttstls.heclouds.com, unverified. If connections to it are closed
// with "certificate signed by unknown authority", it uses another CA:
// replace its Target with {Addr: "studio-mqtts.heclouds.com:8883", TLS: true}
// to verify it against the system roots.
func DefaultTargets() []Target {
	return []Target{
		{Addr: "mqtts.heclouds.com:1883"},
		{Addr: "mqttstls.heclouds.com:8883", TLS: true, VerifyOneNET: true},
		{Addr: "studio-mqtt.heclouds.com:1883"},
		{Addr: "studio-mqtts.heclouds.com:8883", TLS: true, VerifyOneNET: true},
	}
}

// productHostSuffix ends a product's own host, {pid}.mqtts.acc.cmcconenet.cn
// (docs/PROTOCOL.md §2; onenet.ProductHostSuffix).
const productHostSuffix = ".mqtts.acc.cmcconenet.cn"

// ProductTarget returns the Target for a product's own host,
// {pid}.mqtts.acc.cmcconenet.cn, which only community device code
// documents (docs/PROTOCOL.md §2): port 1883 plain, port 8883 TLS verified
// with OneNET's CA rule like mqttstls.heclouds.com (unverified: if its
// certificate is signed by another CA, allow it as tls://host:8883, which
// uses the system roots). addr is normalised as ParseTarget does; ok is
// false for any other host or port. Such a host is never allowed by
// default: a server allows it with -bridge-allow.
func ProductTarget(addr string) (t Target, ok bool) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return Target{}, false
	}
	label, found := strings.CutSuffix(host, productHostSuffix)
	if !found || label == "" || strings.Contains(label, ".") {
		return Target{}, false
	}
	switch port {
	case "1883":
		return Target{Addr: addr}, true
	case "8883":
		return Target{Addr: addr, TLS: true, VerifyOneNET: true}, true
	}
	return Target{}, false
}

// An Error is a bad input. Field names it, so a form can point at the
// right box.
type Error struct {
	Field string // "target"
	Msg   string // what is wrong and what is wanted
}

// Error returns "bridge: field: msg".
func (e *Error) Error() string { return "bridge: " + e.Field + ": " + e.Msg }

func targetErr(msg string) error { return &Error{Field: "target", Msg: msg} }

const wantHostPort = "want host:port, e.g. mqttstls.heclouds.com:8883"

// ParseTarget parses the page's ?target= value, an endpoint written as
// host:port, and returns it normalised: host in lower case without a
// trailing dot, IP addresses in their canonical form (IPv6 in brackets),
// the port without leading zeros.
//
// It refuses anything that is not a bare host:port: URLs with a scheme
// (mqtt://, ws://, tcp://), paths, queries, user info, spaces, non-ASCII
// (write international names in their xn-- form), a missing or zero port.
// Errors are *Error with Field "target"; they never repeat the input, which
// may hold a password.
func ParseTarget(q string) (string, error) {
	if q == "" {
		return "", targetErr("missing; " + wantHostPort)
	}
	if len(q) > 270 { // 253 for the name, brackets, colon, port
		return "", targetErr("too long; " + wantHostPort)
	}
	if strings.Contains(q, "://") {
		return "", targetErr("must not have a scheme (mqtt://, ws://, …); " + wantHostPort)
	}
	for i := 0; i < len(q); i++ {
		switch c := q[i]; {
		case c <= ' ' || c >= 0x7f:
			return "", targetErr("must be ASCII without spaces or control characters (write international names as xn--…)")
		case c == '@':
			return "", targetErr("must not contain user info (user@); " + wantHostPort)
		case c == '/' || c == '\\' || c == '?' || c == '#':
			return "", targetErr("must not have a path, query or fragment; " + wantHostPort)
		}
	}
	host, port, err := net.SplitHostPort(q)
	if err != nil {
		var ae *net.AddrError
		if errors.As(err, &ae) && ae.Err == "missing port in address" {
			return "", targetErr("missing port; " + wantHostPort)
		}
		return "", targetErr("not host:port (write IPv6 addresses in brackets: [2001:db8::1]:1883); " + wantHostPort)
	}
	if host == "" {
		return "", targetErr("missing host; " + wantHostPort)
	}
	p, err := parsePort(port)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(q, "[") && !strings.Contains(host, ":") {
		return "", targetErr("brackets are for IPv6 addresses only")
	}
	h, err := normaliseHost(host)
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(h, strconv.Itoa(p)), nil
}

func parsePort(port string) (int, error) {
	if port == "" {
		return 0, targetErr("missing port; " + wantHostPort)
	}
	p := 0
	for i := 0; i < len(port); i++ {
		c := port[i]
		if c < '0' || c > '9' {
			return 0, targetErr("port must be a number from 1 to 65535")
		}
		p = p*10 + int(c-'0')
		if p > 65535 {
			return 0, targetErr("port must be a number from 1 to 65535")
		}
	}
	if p == 0 {
		return 0, targetErr("port must be a number from 1 to 65535")
	}
	return p, nil
}

func normaliseHost(host string) (string, error) {
	if strings.Contains(host, ":") { // IPv6; SplitHostPort removed the brackets
		a, err := netip.ParseAddr(host)
		if err != nil || !a.Is6() {
			return "", targetErr("not a valid IPv6 address")
		}
		if a.Zone() != "" {
			return "", targetErr("IPv6 zones (%…) are not allowed")
		}
		return a.String(), nil
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.String(), nil
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" || len(host) > 253 {
		return "", targetErr("host name must be 1 to 253 characters")
	}
	labels := strings.Split(host, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return "", targetErr("host name has an empty or over-long (>63) label")
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return "", targetErr("host name labels must not start or end with '-'")
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return "", targetErr("host name may contain only letters, digits, '-', '_' and '.'")
			}
		}
	}
	// A name whose last label is numeric is an IPv4 address in some
	// resolver's eyes (010.1 is 8.0.0.1 to inet_aton); accept only the
	// canonical dotted-decimal form, which netip parsed above.
	if last := labels[len(labels)-1]; strings.Trim(last, "0123456789") == "" || strings.HasPrefix(last, "0x") {
		return "", targetErr("not a valid IPv4 address (want dotted decimal, e.g. 192.0.2.1)")
	}
	return host, nil
}
