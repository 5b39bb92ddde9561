package token

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Versions OneNET accepts (docs/PROTOCOL.md §1).
const (
	// Version2018 is the only version OneNET's MQTT login accepts.
	Version2018 = "2018-10-31"
	// Version2022 is used by OneNET's HTTP API with res=userid/{uid}.
	Version2022 = "2022-05-01"
)

// Methods OneNET accepts, exactly as written in a token.
const (
	MD5    = "md5"
	SHA1   = "sha1"
	SHA256 = "sha256"
)

// DefaultMethod is the method used when none is given, as in the reference
// code and OneNET's C SDK.
const DefaultMethod = SHA1

// MaxSDKExpiry is the largest et that OneNET's C SDK can hold (uint32, early
// 2106). Larger values are accepted with a warning.
const MaxSDKExpiry = math.MaxUint32

// millisecondsThreshold: an et at or above 10^12 has 13 or more digits, which
// is a Unix time in milliseconds (seconds would be the year 33658).
const millisecondsThreshold = 1_000_000_000_000

// Params are the inputs of a token.
type Params struct {
	// Res is the resource, e.g. "products/469948/devices/Chic_D", written raw
	// (not URL-encoded). See Resource, UserResource and MQSResource.
	Res string
	// Key is the access key as the console shows it, in standard base64.
	Key string
	// Method is md5, sha1 or sha256; empty means DefaultMethod.
	Method string
	// ET is the expiry in Unix seconds.
	ET int64
	// Version is Version2018 or Version2022; empty means Version2018.
	Version string
	// Now, when not zero, makes an ET at or before it an error: OneNET
	// would refuse the token as expired. Leave it zero to reproduce a
	// published token whose expiry has passed.
	Now time.Time
}

// A Token is a parsed token. Res and Sign hold the decoded values.
type Token struct {
	Version string
	Res     string
	ET      int64
	Method  string
	Sign    string // standard base64, as signed
}

// Generate returns the token for p, byte for byte what OneNET's reference
// Python code computes.
func Generate(p Params) (string, error) {
	method := p.Method
	if method == "" {
		method = DefaultMethod
	}
	version := p.Version
	if version == "" {
		version = Version2018
	}
	if err := checkRes(p.Res); err != nil {
		return "", err
	}
	key, err := DecodeKey(p.Key)
	if err != nil {
		return "", err
	}
	if _, err := newHash(method); err != nil {
		return "", err
	}
	if err := checkVersion(version); err != nil {
		return "", err
	}
	if err := checkET(p.ET); err != nil {
		return "", err
	}
	if !p.Now.IsZero() && p.ET <= p.Now.Unix() {
		return "", fieldErr("et", "et.past", itoa(p.ET)+" ("+formatUnix(p.ET)+") is already in the past: OneNET would refuse the token as expired", ErrExpired, nil,
			"et", strconv.FormatInt(p.ET, 10), "date", formatUnix(p.ET))
	}
	t := Token{Version: version, Res: p.Res, ET: p.ET, Method: method}
	t.Sign = sign(key, &t)
	return t.String(), nil
}

// A Warning is advice about Params that is not an error. Like an Error, it
// has a stable Code and the Params of its English Msg, for translation.
type Warning struct {
	Field  string            // "et" or "version"
	Code   string            // "et.sdk" or "version.http"
	Msg    string            // in English
	Params map[string]string // the values in Msg
}

// String returns "field: msg".
func (w Warning) String() string { return w.Field + ": " + w.Msg }

// Warnings returns advice about p that is not an error: an expiry beyond
// what OneNET's C SDK can hold (Code "et.sdk"), a version that is not for
// MQTT logins ("version.http").
func Warnings(p Params) []Warning {
	var w []Warning
	if p.ET > MaxSDKExpiry && p.ET < millisecondsThreshold {
		w = append(w, Warning{"et", "et.sdk",
			itoa(p.ET) + " is after " + formatUnix(MaxSDKExpiry) + ", beyond what OneNET's C SDK can hold (uint32); the platform accepts it, but device code built on the SDK may not",
			map[string]string{"et": strconv.FormatInt(p.ET, 10), "max": formatUnix(MaxSDKExpiry)}})
	}
	if p.Version == Version2022 {
		w = append(w, Warning{"version", "version.http", "2022-05-01 is for OneNET's HTTP API; an MQTT login needs 2018-10-31",
			map[string]string{"version": Version2022, "want": Version2018}})
	}
	return w
}

// String returns the token in OneNET's field order with res and sign
// URL-encoded.
func (t *Token) String() string {
	var b strings.Builder
	b.WriteString("version=")
	b.WriteString(Escape(t.Version))
	b.WriteString("&res=")
	b.WriteString(Escape(t.Res))
	b.WriteString("&et=")
	b.WriteString(strconv.FormatInt(t.ET, 10))
	b.WriteString("&method=")
	b.WriteString(Escape(t.Method))
	b.WriteString("&sign=")
	b.WriteString(Escape(t.Sign))
	return b.String()
}

// Expires returns the expiry as a time.
func (t *Token) Expires() time.Time { return time.Unix(t.ET, 0).UTC() }

// StringToSign returns what the sign is the HMAC of.
func (t *Token) StringToSign() string {
	return strconv.FormatInt(t.ET, 10) + "\n" + t.Method + "\n" + t.Res + "\n" + t.Version
}

// Resource builds the resource for a product id and, when deviceName is not
// empty, one of its devices.
func Resource(productID, deviceName string) (string, error) {
	if err := checkName("productId", "product id", productID); err != nil {
		return "", err
	}
	if deviceName == "" {
		return "products/" + productID, nil
	}
	if err := checkName("deviceName", "device name", deviceName); err != nil {
		return "", err
	}
	return "products/" + productID + "/devices/" + deviceName, nil
}

// UserResource builds the resource of a user-level key (HTTP API).
func UserResource(userID string) (string, error) {
	if err := checkName("userId", "user id", userID); err != nil {
		return "", err
	}
	return "userid/" + userID, nil
}

// MQSResource builds the resource of a message-queue key.
func MQSResource(name string) (string, error) {
	if err := checkName("res", "message queue name", name); err != nil {
		return "", err
	}
	return "mqs/" + name, nil
}

// DecodeKey decodes an access key as the console shows it (standard base64
// with padding). Surrounding white space, as left by copy and paste, is
// ignored.
func DecodeKey(key string) ([]byte, error) {
	k := strings.TrimSpace(key)
	if k == "" {
		return nil, fieldErr("key", "key.empty", "empty: paste the access_key from the OneNET console", nil, nil)
	}
	b, err := base64.StdEncoding.DecodeString(k)
	if err != nil {
		code, msg := "key.base64", "not base64 ("+err.Error()+")"
		bad := strings.IndexFunc(k, func(r rune) bool {
			return !('A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '+' || r == '/' || r == '=')
		})
		if strings.ContainsAny(k, "-_") {
			code, msg = "key.base64.urlsafe", msg+"; the console's keys use + and /, not - and _"
		} else if bad >= 0 {
			// A character outside the alphabet says more than the length.
			r, _ := utf8.DecodeRuneInString(k[bad:])
			msg = "not base64 (illegal base64 data at input byte " + strconv.Itoa(bad) + "): " + strconv.QuoteRune(r) + " is not a base64 character"
			return nil, fieldErr("key", "key.base64.char", msg, nil, err, "byte", strconv.Itoa(bad), "char", string(r))
		} else if len(k)%4 != 0 {
			code, msg = "key.base64.length", msg+"; a base64 key's length is a multiple of 4: part of it may be missing"
		}
		var params []string
		var ce base64.CorruptInputError
		if errors.As(err, &ce) {
			params = []string{"byte", strconv.FormatInt(int64(ce), 10)}
		}
		return nil, fieldErr("key", code, msg, nil, err, params...)
	}
	if len(b) == 0 {
		return nil, fieldErr("key", "key.zero", "decodes to no bytes", nil, nil)
	}
	return b, nil
}

// sign computes the base64 sign of t with key. t.Method must be valid.
func sign(key []byte, t *Token) string {
	h, _ := newHash(t.Method)
	mac := hmac.New(h, key)
	mac.Write([]byte(t.StringToSign()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func newHash(method string) (func() hash.Hash, error) {
	switch method {
	case MD5:
		return md5.New, nil
	case SHA1:
		return sha1.New, nil
	case SHA256:
		return sha256.New, nil
	}
	if l := strings.ToLower(method); l == MD5 || l == SHA1 || l == SHA256 {
		return nil, fieldErr("method", "method.case", strconv.Quote(method)+" must be written in lower case: "+strconv.Quote(l), ErrMethod, nil,
			"method", method, "lower", l)
	}
	return nil, fieldErr("method", "method.unknown", strconv.Quote(method)+" is not supported: use md5, sha1 or sha256", ErrMethod, nil,
		"method", method)
}

func digestSize(method string) int {
	switch method {
	case MD5:
		return md5.Size
	case SHA1:
		return sha1.Size
	}
	return sha256.Size
}

func checkVersion(v string) error {
	if v == Version2018 || v == Version2022 {
		return nil
	}
	return fieldErr("version", "version.unknown", strconv.Quote(v)+" is not supported: use "+Version2018+" ("+Version2022+" for the HTTP API's user keys)", ErrVersion, nil,
		"version", v)
}

func checkET(et int64) error {
	if et < 0 {
		return fieldErr("et", "et.negative", itoa(et)+" is negative: give the expiry in Unix seconds", ErrInvalid, nil,
			"et", strconv.FormatInt(et, 10))
	}
	if et >= millisecondsThreshold {
		return fieldErr("et", "et.milliseconds", itoa(et)+" looks like milliseconds: give the expiry in Unix seconds ("+itoa(et/1000)+")", ErrInvalid, nil,
			"et", strconv.FormatInt(et, 10), "seconds", strconv.FormatInt(et/1000, 10))
	}
	return nil
}

// checkRes checks that res is one of the resource kinds OneNET signs.
func checkRes(res string) error {
	if res == "" {
		return fieldErr("res", "res.empty", "empty: give products/{pid}, products/{pid}/devices/{name}, userid/{uid} or mqs/{name}", nil, nil)
	}
	parts := strings.Split(res, "/")
	ok := false
	switch {
	case len(parts) == 2 && (parts[0] == "products" || parts[0] == "userid" || parts[0] == "mqs"):
		ok = true
	case len(parts) == 4 && parts[0] == "products" && parts[2] == "devices":
		ok = true
	}
	if !ok {
		if strings.Contains(res, "%") {
			return fieldErr("res", "res.encoded", strconv.Quote(res)+" looks URL-encoded: give it raw, e.g. products/123/devices/dev", nil, nil, "res", res)
		}
		return fieldErr("res", "res.shape", strconv.Quote(res)+" is not products/{pid}, products/{pid}/devices/{name}, userid/{uid} or mqs/{name}", nil, nil, "res", res)
	}
	for i := 1; i < len(parts); i += 2 {
		if err := checkName("res", "resource id", parts[i]); err != nil {
			return err
		}
	}
	return nil
}

// checkName checks one id within a resource: not empty, valid UTF-8, no
// control characters and no slash (which would change the resource's shape).
func checkName(field, what, s string) error {
	if s == "" {
		return fieldErr(field, "name.empty", "empty "+what, nil, nil, "name", field)
	}
	if !utf8.ValidString(s) {
		return fieldErr(field, "name.utf8", what+" is not valid UTF-8", nil, nil, "name", field)
	}
	for i, r := range s {
		switch {
		case r == '/':
			return fieldErr(field, "name.slash", what+" "+strconv.Quote(s)+" contains '/' at byte "+strconv.Itoa(i), nil, nil,
				"name", field, "value", s, "byte", strconv.Itoa(i))
		case r < 0x20 || r == 0x7f:
			return fieldErr(field, "name.control", what+" "+strconv.Quote(s)+" contains control character "+codePoint(r)+" at byte "+strconv.Itoa(i), nil, nil,
				"name", field, "value", s, "char", codePoint(r), "byte", strconv.Itoa(i))
		}
	}
	return nil
}

func formatUnix(sec int64) string {
	return time.Unix(sec, 0).UTC().Format("2006-01-02 15:04:05 UTC")
}

// The package formats its messages without fmt, so that the page's first
// wasm module, which holds only tokens, stays small (docs/BENCHMARKS.md).

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// codePoint writes r as fmt's %U does: U+0007.
func codePoint(r rune) string {
	h := strings.ToUpper(strconv.FormatInt(int64(r), 16))
	if len(h) < 4 {
		h = strings.Repeat("0", 4-len(h)) + h
	}
	return "U+" + h
}
