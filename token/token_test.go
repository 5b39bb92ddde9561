package token

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// vectors are tokens computed by OneNET's reference algorithm.
var vectors = []struct {
	source string
	p      Params
	want   string
}{
	// The seed document's example password (QuecPython OneNET guide), also in
	// docs/PROTOCOL.md §1.
	{"seed", Params{Res: "products/469948/devices/Chic_D", Key: "rs2FaE5BuygJZkWKDA5okKt1RFpwOx53hbu6hwyCS4U=", ET: 1673053248, Method: "sha1"},
		"version=2018-10-31&res=products%2F469948%2Fdevices%2FChic_D&et=1673053248&method=sha1&sign=prIMDQ23WFI6PMj2IWpaRJJL4eE%3D"},
	// OneNET's documentation example, docs/PROTOCOL.md §1 (et beyond uint32).
	{"docs md5", Params{Res: "products/Ck2AF9QD2K/devices/test", Key: "KuF3NT/jUBJ62LNBB/A8XZA9CqS3Cu79B/ABmfA1UCw=", ET: 32472115200, Method: "md5"},
		"version=2018-10-31&res=products%2FCk2AF9QD2K%2Fdevices%2Ftest&et=32472115200&method=md5&sign=htDD26UhXtXayMFAWRmNiA%3D%3D"},
	{"docs sha1", Params{Res: "products/Ck2AF9QD2K/devices/test", Key: "KuF3NT/jUBJ62LNBB/A8XZA9CqS3Cu79B/ABmfA1UCw=", ET: 32472115200, Method: "sha1"},
		"version=2018-10-31&res=products%2FCk2AF9QD2K%2Fdevices%2Ftest&et=32472115200&method=sha1&sign=onzQlILHFFNqIY%2BdOXYM3lthLT8%3D"},
	{"docs sha256", Params{Res: "products/Ck2AF9QD2K/devices/test", Key: "KuF3NT/jUBJ62LNBB/A8XZA9CqS3Cu79B/ABmfA1UCw=", ET: 32472115200, Method: "sha256"},
		"version=2018-10-31&res=products%2FCk2AF9QD2K%2Fdevices%2Ftest&et=32472115200&method=sha256&sign=6Y4zbk3Sa89tRf9lMxCCE0jG74uEcEuu%2Fnly1pU9ADM%3D"},
	// Published vector, docs/PROTOCOL.md §1.
	{"published md5", Params{Res: "products/c4bPG3v7Ii/devices/75440271", Key: "kxc3VSPtJXnf66FlG21Hh9kTL1dXU9F1FSPJ4yHPSxE=", ET: 1959846627, Method: "md5"},
		"version=2018-10-31&res=products%2Fc4bPG3v7Ii%2Fdevices%2F75440271&et=1959846627&method=md5&sign=HhSJmJUChxGbjnQaGiRbCQ%3D%3D"},
	// The following were computed with the seed's Python code
	// (urllib.parse.quote(value, safe=''), hmac, base64).
	{"space and tilde", Params{Res: "products/469948/devices/my dev~1", Key: "rs2FaE5BuygJZkWKDA5okKt1RFpwOx53hbu6hwyCS4U=", ET: 2000000000, Method: "sha256"},
		"version=2018-10-31&res=products%2F469948%2Fdevices%2Fmy%20dev~1&et=2000000000&method=sha256&sign=ZajBdabHLWRvafOqbICip9I7739e1euGWTRSHnJ%2F6eM%3D"},
	{"non-ASCII", Params{Res: "products/469948/devices/温度传感器-01", Key: "rs2FaE5BuygJZkWKDA5okKt1RFpwOx53hbu6hwyCS4U=", ET: 2000000000},
		"version=2018-10-31&res=products%2F469948%2Fdevices%2F%E6%B8%A9%E5%BA%A6%E4%BC%A0%E6%84%9F%E5%99%A8-01&et=2000000000&method=sha1&sign=wcDcKK9JOQGdjb0vnw98ZQQyyF8%3D"},
	{"reserved characters", Params{Res: "products/469948/devices/a+b&c=d?e#f%g", Key: "rs2FaE5BuygJZkWKDA5okKt1RFpwOx53hbu6hwyCS4U=", ET: 2000000000, Method: "md5"},
		"version=2018-10-31&res=products%2F469948%2Fdevices%2Fa%2Bb%26c%3Dd%3Fe%23f%25g&et=2000000000&method=md5&sign=8%2FALHKb8x6je5eZxRxEo3g%3D%3D"},
	{"product key", Params{Res: "products/469948", Key: "kKsubaG7FzMgzR6N3eUD53319Qu+K4MCvw6KzOYc5eI=", ET: 1700000000, Method: "sha1"},
		"version=2018-10-31&res=products%2F469948&et=1700000000&method=sha1&sign=XHOwQz1xpylmkY2dUws6%2BZWLxdk%3D"},
	{"user key", Params{Res: "userid/12345", Key: "kKsubaG7FzMgzR6N3eUD53319Qu+K4MCvw6KzOYc5eI=", ET: 2000000000, Method: "sha256", Version: Version2022},
		"version=2022-05-01&res=userid%2F12345&et=2000000000&method=sha256&sign=6JcFhNBDfk%2F5vPc3IlqRy23Feb5XyrJwdgoAWIBh0yY%3D"},
	{"message queue", Params{Res: "mqs/queue_1", Key: "kKsubaG7FzMgzR6N3eUD53319Qu+K4MCvw6KzOYc5eI=", ET: 2000000000, Method: "md5"},
		"version=2018-10-31&res=mqs%2Fqueue_1&et=2000000000&method=md5&sign=Cn%2B2Kmk4Lh8PLNhKvUPPbA%3D%3D"},
}

func TestGenerateVectors(t *testing.T) {
	for _, v := range vectors {
		got, err := Generate(v.p)
		if err != nil {
			t.Errorf("%s: Generate(%+v): %v", v.source, v.p, err)
			continue
		}
		if got != v.want {
			t.Errorf("%s: Generate(%+v)\n got %s\nwant %s", v.source, v.p, got, v.want)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, v := range vectors {
		tok, err := Parse(v.want)
		if err != nil {
			t.Fatalf("%s: Parse: %v", v.source, err)
		}
		if tok.Res != v.p.Res || tok.ET != v.p.ET {
			t.Errorf("%s: Parse = %+v, want res %q et %d", v.source, tok, v.p.Res, v.p.ET)
		}
		if s := tok.String(); s != v.want {
			t.Errorf("%s: String() = %s, want %s", v.source, s, v.want)
		}
		now := time.Unix(v.p.ET-1, 0)
		if _, err := Verify(v.want, v.p.Key, VerifyOptions{Now: now, Res: v.p.Res}); err != nil {
			t.Errorf("%s: Verify: %v", v.source, err)
		}
	}
}

func TestResource(t *testing.T) {
	for _, tc := range []struct{ pid, dev, want, field string }{
		{"469948", "Chic_D", "products/469948/devices/Chic_D", ""},
		{"469948", "", "products/469948", ""},
		{"", "d", "", "productId"},
		{"1/2", "d", "", "productId"},
		{"1", "a/b", "", "deviceName"},
		{"1", "a\nb", "", "deviceName"},
		{"1", "a\xffb", "", "deviceName"},
	} {
		got, err := Resource(tc.pid, tc.dev)
		if tc.field == "" {
			if err != nil || got != tc.want {
				t.Errorf("Resource(%q, %q) = %q, %v; want %q", tc.pid, tc.dev, got, err, tc.want)
			}
			continue
		}
		var fe *Error
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("Resource(%q, %q) error = %v; want a %s error", tc.pid, tc.dev, err, tc.field)
		}
	}
	if r, err := UserResource("42"); err != nil || r != "userid/42" {
		t.Errorf("UserResource = %q, %v", r, err)
	}
	if r, err := MQSResource("q"); err != nil || r != "mqs/q" {
		t.Errorf("MQSResource = %q, %v", r, err)
	}
}

const seedKey = "rs2FaE5BuygJZkWKDA5okKt1RFpwOx53hbu6hwyCS4U="

func TestGenerateBadInput(t *testing.T) {
	ok := Params{Res: "products/469948/devices/Chic_D", Key: seedKey, ET: 2000000000}
	now := time.Unix(1800000000, 0)
	for _, tc := range []struct {
		name   string
		edit   func(*Params)
		field  string
		reason *Reason
		msg    string
	}{
		{"empty res", func(p *Params) { p.Res = "" }, "res", nil, "empty"},
		{"bad res kind", func(p *Params) { p.Res = "devices/x" }, "res", nil, "is not products"},
		{"encoded res", func(p *Params) { p.Res = "products%2F1" }, "res", nil, "URL-encoded"},
		{"empty device", func(p *Params) { p.Res = "products/1/devices/" }, "res", nil, "empty"},
		{"control char", func(p *Params) { p.Res = "products/1/devices/a\tb" }, "res", nil, "control character"},
		{"empty key", func(p *Params) { p.Key = " " }, "key", nil, "empty"},
		{"non-base64 key", func(p *Params) { p.Key = "abc*defg" }, "key", nil, "input byte 3"},
		{"url-safe key", func(p *Params) { p.Key = "rs2FaE5BuygJZkWKDA5okKt1RFpwOx53hbu6hwyCS4U-" }, "key", nil, "not - and _"},
		{"truncated key", func(p *Params) { p.Key = seedKey[:30] }, "key", nil, "multiple of 4"},
		{"unknown method", func(p *Params) { p.Method = "sha512" }, "method", ErrMethod, "use md5, sha1 or sha256"},
		{"upper-case method", func(p *Params) { p.Method = "SHA1" }, "method", ErrMethod, "lower case"},
		{"version", func(p *Params) { p.Version = "2020-01-01" }, "version", ErrVersion, "not supported"},
		{"milliseconds", func(p *Params) { p.ET = 1700000000000 }, "et", ErrInvalid, "looks like milliseconds"},
		{"negative", func(p *Params) { p.ET = -1 }, "et", ErrInvalid, "negative"},
		{"past", func(p *Params) { p.ET = 1700000000; p.Now = now }, "et", ErrExpired, "already in the past"},
	} {
		p := ok
		tc.edit(&p)
		got, err := Generate(p)
		var fe *Error
		if !errors.As(err, &fe) {
			t.Errorf("%s: Generate = %q, %v; want an *Error", tc.name, got, err)
			continue
		}
		if fe.Field != tc.field || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: error %q; want field %s and text %q", tc.name, err, tc.field, tc.msg)
		}
		if tc.reason != nil && !errors.Is(err, tc.reason) {
			t.Errorf("%s: error %q is not %v", tc.name, err, tc.reason)
		}
		if !strings.HasPrefix(err.Error(), "token: "+tc.field+": ") {
			t.Errorf("%s: error %q does not start with token: %s:", tc.name, err, tc.field)
		}
	}
}

func TestVerifyFailures(t *testing.T) {
	key := "KuF3NT/jUBJ62LNBB/A8XZA9CqS3Cu79B/ABmfA1UCw="
	res := "products/Ck2AF9QD2K/devices/test"
	good, err := Generate(Params{Res: res, Key: key, ET: 2000000000, Method: SHA256})
	if err != nil {
		t.Fatal(err)
	}
	before := time.Unix(1999999999, 0)
	after := time.Unix(2000000000, 0)
	tampered := strings.Replace(good, "sign=", "sign=A", 1)
	tampered = tampered[:len(tampered)-len("A")] // keep the length, change the bytes
	for _, tc := range []struct {
		name      string
		tok, key  string
		opts      VerifyOptions
		reason    *Reason
		field     string
		wantParse bool
	}{
		{"valid", good, key, VerifyOptions{Now: before, Res: res}, nil, "", true},
		{"expired at et", good, key, VerifyOptions{Now: after}, ErrExpired, "et", true},
		{"wrong key", good, seedKey, VerifyOptions{Now: before}, ErrSignMismatch, "sign", true},
		{"tampered sign", tampered, key, VerifyOptions{Now: before}, ErrInvalid, "sign", false},
		{"other resource", good, key, VerifyOptions{Now: before, Res: "products/Ck2AF9QD2K/devices/other"}, ErrResourceMismatch, "res", true},
		{"wrong method", strings.Replace(good, "method=sha256", "method=sha384", 1), key, VerifyOptions{Now: before}, ErrMethod, "method", false},
		{"wrong version", strings.Replace(good, "2018-10-31", "2017-01-01", 1), key, VerifyOptions{Now: before}, ErrVersion, "version", false},
		{"truncated", good[:len(good)-10], key, VerifyOptions{Now: before}, ErrInvalid, "sign", false},
		{"cut before sign", good[:strings.Index(good, "&sign")], key, VerifyOptions{Now: before}, ErrInvalid, "token", false},
		{"milliseconds", strings.Replace(good, "et=2000000000", "et=2000000000000", 1), key, VerifyOptions{Now: before}, ErrInvalid, "et", false},
		{"bad key", good, "not*base64", VerifyOptions{Now: before}, nil, "key", true},
	} {
		tok, err := Verify(tc.tok, tc.key, tc.opts)
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: Verify: %v", tc.name, err)
			}
			continue
		}
		var fe *Error
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: Verify error = %v; want field %s", tc.name, err, tc.field)
			continue
		}
		if tc.reason != nil && (!errors.Is(err, tc.reason) || CodeOf(err) != tc.reason.Code) {
			t.Errorf("%s: Verify error = %v (code %d); want %v", tc.name, err, CodeOf(err), tc.reason)
		}
		if (tok != nil) != tc.wantParse {
			t.Errorf("%s: Verify returned token %v; want parsed=%v", tc.name, tok, tc.wantParse)
		}
	}
	if _, err := Verify(good, key, VerifyOptions{}); err == nil {
		t.Error("Verify with zero Now succeeded")
	}
}

func TestParse(t *testing.T) {
	// Any field order; a raw '+' in the sign keeps its meaning.
	s := "sign=onzQlILHFFNqIY+dOXYM3lthLT8=&method=sha1&et=32472115200&res=products/Ck2AF9QD2K/devices/test&version=2018-10-31"
	tok, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	want := vectors[2].want
	if tok.String() != want {
		t.Errorf("Parse(%q).String() = %q, want %q", s, tok.String(), want)
	}
	for _, tc := range []struct{ in, field, msg string }{
		{"", "token", "empty"},
		{"version=2018-10-31", "token", "missing res, et, method, sign"},
		{"foo=1&" + want, "token", "unknown field"},
		{want + "&et=1", "et", "twice"},
		{strings.Replace(want, "%2F", "%G", 1), "res", "bad escape"},
		{strings.Replace(want, "et=32472115200", "et=soon", 1), "et", "whole number"},
		{strings.Replace(want, "%2B", " ", 1), "sign", "not URL-encoded"},
		{"garbage", "token", "name=value"},
	} {
		_, err := Parse(tc.in)
		var fe *Error
		if !errors.As(err, &fe) || fe.Field != tc.field || !strings.Contains(err.Error(), tc.msg) || !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) error = %v; want field %s, text %q, ErrInvalid", tc.in, err, tc.field, tc.msg)
		}
	}
}

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"abc", "abc"},
		{"a b", "a%20b"},
		{"~-._", "~-._"},
		{"/+=", "%2F%2B%3D"},
		{"é", "%C3%A9"},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWarnings(t *testing.T) {
	if w := Warnings(Params{ET: 32472115200}); len(w) != 1 || !strings.Contains(w[0].Msg, "uint32") {
		t.Errorf("Warnings(et beyond uint32) = %q", w)
	}
	if w := Warnings(Params{ET: 2000000000}); len(w) != 0 {
		t.Errorf("Warnings(ordinary et) = %q", w)
	}
}
