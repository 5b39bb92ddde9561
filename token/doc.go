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
// (docs/PROTOCOL.md §1).
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
//
// An Error's Msg is English; its Code is one of the stable identifiers below
// and its Params hold the values in Msg, so a page can render its own
// translation. Codes, by Field:
//
// "token" (Parse):
//
//	parse.empty           the token is empty
//	parse.pair            a part is not name=value; Params "part"
//	parse.unknown         a field other than version, res, et, method, sign; Params "name"
//	parse.missing         fields are missing; Params "missing" (e.g. "et, sign")
//
// Any field of a parsed token:
//
//	parse.duplicate       the field appears twice; Params "name"
//	escape                a bad %XX escape; Params "escape", "byte"
//
// "res", and "productId", "deviceName", "userId" (Resource, UserResource):
//
//	res.empty             no resource
//	res.encoded           the resource looks URL-encoded; Params "res"
//	res.shape             not products/{pid}, products/{pid}/devices/{name}, userid/{uid} or mqs/{name}; Params "res"
//	res.mismatch          Verify: the token names another resource; Params "res", "want"
//	name.empty            an id is empty; Params "name" (the field)
//	name.utf8             an id is not valid UTF-8; Params "name"
//	name.slash            an id holds '/'; Params "name", "value", "byte"
//	name.control          an id holds a control character; Params "name", "value", "char" (U+XXXX), "byte"
//
// "key":
//
//	key.empty             no access key
//	key.base64            not base64; Params "byte" when an illegal byte is found
//	key.base64.char       not base64: a character outside the alphabet (checked before the
//	                      length); Params "byte", "char"
//	key.base64.urlsafe    not base64, and holds '-' or '_' (URL-safe base64); Params "byte"
//	key.base64.length     not base64, and its length is not a multiple of 4; Params "byte"
//	key.zero              decodes to no bytes
//
// "method", "version", "et", "sign":
//
//	method.unknown        not md5, sha1 or sha256; Params "method"
//	method.case           md5, sha1 or sha256 not in lower case; Params "method", "lower"
//	version.unknown       not 2018-10-31 or 2022-05-01; Params "version"
//	et.negative           a negative expiry; Params "et"
//	et.milliseconds       13 or more digits: milliseconds; Params "et", "seconds"
//	et.syntax             Parse: not a whole number; Params "value"
//	et.past               Generate with Params.Now: the expiry has passed; Params "et", "date"
//	et.expired            Verify: the token has expired; Params "et", "date"
//	sign.base64           the sign is not base64
//	sign.space            the sign is not base64 and holds a space (a '+' not URL-encoded)
//	sign.length           the sign has the wrong length for the method; Params "size", "method", "want"
//	sign.mismatch         Verify: the sign does not match the key; Params "res"
//
// Warning codes (Warnings):
//
//	et.sdk                the expiry is beyond uint32; Params "et", "max"
//	version.http          2022-05-01 is for the HTTP API; Params "version", "want"
package token
