// Package token computes, parses and verifies OneNET security-authentication
// tokens, the password a device presents when it logs in to OneNET over MQTT
// and the authorization header of OneNET's HTTP API.
//
// A token is a query string whose fields appear in this order:
//
//	version=2018-10-31&res=products%2F469948%2Fdevices%2FChic_D&et=1673053248&method=sha1&sign=prIMDQ23WFI6PMj2IWpaRJJL4eE%3D
//
// The sign is base64(HMAC-method(base64-decoded access key, et + "\n" +
// method + "\n" + res + "\n" + version)), written URL-encoded like the res:
// every byte except A-Z a-z 0-9 _ . - ~ as %XX with upper-case hex, exactly as
// Python's urllib.parse.quote(value, safe="") in OneNET's reference code
// (notes/onenet-protocol.md §1).
//
// The package reads no clock and keeps no state: the expiry to sign and the
// time to verify at are the caller's.
//
// # Errors
//
// Every failure is an *Error that names the field at fault (res, key, et,
// method, version, sign, token). Failures that OneNET itself would report
// carry a *Reason with OneNET's log code, so callers can test them with
// errors.Is (ErrExpired, ErrSignMismatch, …) or read the code with CodeOf.
package token
