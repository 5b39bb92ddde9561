package token

import (
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

const upperhex = "0123456789ABCDEF"

// Escape URL-encodes s as Python's urllib.parse.quote(s, safe="") does: every
// byte except A-Z a-z 0-9 _ . - ~ becomes %XX with upper-case hex, so a space
// is %20 (url.QueryEscape would write +).
func Escape(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', upperhex[c>>4], upperhex[c&15])
		}
	}
	return string(b)
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '_' || c == '.' || c == '-' || c == '~'
}

// unescape decodes %XX sequences. A '+' stays a '+': a sign pasted without
// encoding keeps its meaning.
func unescape(field, s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) || !ishex(s[i+1]) || !ishex(s[i+2]) {
			end := min(i+3, len(s))
			return "", fieldErr(field, "escape", "bad escape "+strconv.Quote(s[i:end])+" at byte "+strconv.Itoa(i), ErrInvalid, nil,
				"escape", s[i:end], "byte", strconv.Itoa(i))
		}
		b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
		i += 2
	}
	return string(b), nil
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

var fieldNames = [...]string{"version", "res", "et", "method", "sign"}

// Parse decodes a token into its fields. The fields may come in any order;
// each must appear once. The version and method must be ones OneNET
// supports, and the sign must be base64 of the method's digest size.
func Parse(s string) (*Token, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fieldErr("token", "parse.empty", "empty", ErrInvalid, nil)
	}
	var vals [len(fieldNames)]string
	var seen [len(fieldNames)]bool
	for part := range strings.SplitSeq(s, "&") {
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fieldErr("token", "parse.pair", strconv.Quote(clip(part))+" is not name=value", ErrInvalid, nil, "part", clip(part))
		}
		idx := -1
		for i, f := range fieldNames {
			if name == f {
				idx = i
			}
		}
		if idx < 0 {
			return nil, fieldErr("token", "parse.unknown", "unknown field "+strconv.Quote(clip(name))+": a token has version, res, et, method and sign", ErrInvalid, nil,
				"name", clip(name))
		}
		if seen[idx] {
			return nil, fieldErr(name, "parse.duplicate", "appears twice", ErrInvalid, nil, "name", name)
		}
		seen[idx] = true
		v, err := unescape(name, value)
		if err != nil {
			return nil, err
		}
		vals[idx] = v
	}
	var missing []string
	for i, ok := range seen {
		if !ok {
			missing = append(missing, fieldNames[i])
		}
	}
	if len(missing) > 0 {
		return nil, fieldErr("token", "parse.missing", "missing "+strings.Join(missing, ", ")+": is the token complete?", ErrInvalid, nil,
			"missing", strings.Join(missing, ", "))
	}
	t := &Token{Version: vals[0], Res: vals[1], Method: vals[3], Sign: vals[4]}
	if err := checkVersion(t.Version); err != nil {
		return nil, err
	}
	if err := checkRes(t.Res); err != nil {
		err.(*Error).Reason = ErrInvalid
		return nil, err
	}
	et, err := strconv.ParseInt(vals[2], 10, 64)
	if err != nil {
		return nil, fieldErr("et", "et.syntax", strconv.Quote(clip(vals[2]))+" is not a whole number of seconds", ErrInvalid, nil, "value", clip(vals[2]))
	}
	if err := checkET(et); err != nil {
		return nil, err
	}
	t.ET = et
	if _, err := newHash(t.Method); err != nil {
		return nil, err
	}
	raw, err := base64.StdEncoding.DecodeString(t.Sign)
	if err != nil {
		code, msg := "sign.base64", "not base64 ("+err.Error()+")"
		if strings.Contains(t.Sign, " ") {
			code, msg = "sign.space", msg+"; a space here is usually a '+' that was not URL-encoded"
		}
		return nil, fieldErr("sign", code, msg, ErrInvalid, err)
	}
	if want := digestSize(t.Method); len(raw) != want {
		return nil, fieldErr("sign", "sign.length", strconv.Itoa(len(raw))+" bytes, but a "+t.Method+" sign has "+strconv.Itoa(want)+": is the token truncated?", ErrInvalid, nil,
			"size", strconv.Itoa(len(raw)), "method", t.Method, "want", strconv.Itoa(want))
	}
	return t, nil
}

// VerifyOptions say what a token is verified against.
type VerifyOptions struct {
	// Now is the time to check the expiry against. Required.
	Now time.Time
	// Res, when not empty, is the resource the token must name.
	Res string
}

// Verify parses s and checks it as OneNET would: a supported version and
// method, the expected resource, a sign that matches key (compared in
// constant time) and an expiry after opts.Now. It returns the parsed token
// along with any error, when the token could be parsed.
func Verify(s, key string, opts VerifyOptions) (*Token, error) {
	if opts.Now.IsZero() {
		return nil, errors.New("token: Verify: VerifyOptions.Now is required")
	}
	t, err := Parse(s)
	if err != nil {
		return nil, err
	}
	k, err := DecodeKey(key)
	if err != nil {
		return t, err
	}
	if opts.Res != "" && t.Res != opts.Res {
		return t, fieldErr("res", "res.mismatch", "the token is for "+strconv.Quote(t.Res)+", not "+strconv.Quote(opts.Res), ErrResourceMismatch, nil,
			"res", t.Res, "want", opts.Res)
	}
	want := sign(k, t)
	got, _ := base64.StdEncoding.DecodeString(t.Sign)
	wantRaw, _ := base64.StdEncoding.DecodeString(want)
	if !hmac.Equal(got, wantRaw) {
		return t, fieldErr("sign", "sign.mismatch", "does not match this key: check that the access key belongs to "+t.Res+" and was copied whole", ErrSignMismatch, nil,
			"res", t.Res)
	}
	if t.ET <= opts.Now.Unix() {
		return t, fieldErr("et", "et.expired", "expired at "+formatUnix(t.ET), ErrExpired, nil,
			"et", strconv.FormatInt(t.ET, 10), "date", formatUnix(t.ET))
	}
	return t, nil
}

// clip shortens user input quoted in messages.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
