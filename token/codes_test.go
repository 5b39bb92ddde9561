package token

import (
	"errors"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// codeCase is one input that fails with one documented code.
type codeCase struct {
	code, field string
	params      []string // Params keys the error must have
	run         func() error
}

func generateErr(edit func(*Params)) func() error {
	return func() error {
		p := Params{Res: "products/469948/devices/Chic_D", Key: seedKey, ET: 2000000000}
		edit(&p)
		_, err := Generate(p)
		return err
	}
}

func parseErr(s string) func() error {
	return func() error { _, err := Parse(s); return err }
}

func verifyErr(s, key string, now int64, res string) func() error {
	return func() error { _, err := Verify(s, key, VerifyOptions{Now: time.Unix(now, 0), Res: res}); return err }
}

// good is the seed's example password (docs/PROTOCOL.md §1), valid until 1673053248.
const good = "version=2018-10-31&res=products%2F469948%2Fdevices%2FChic_D&et=1673053248&method=sha1&sign=prIMDQ23WFI6PMj2IWpaRJJL4eE%3D"

// codeCases has, for every error code in doc.go, inputs that fail with it.
var codeCases = []codeCase{
	{"parse.empty", "token", nil, parseErr(" ")},
	{"parse.pair", "token", []string{"part"}, parseErr("garbage")},
	{"parse.unknown", "token", []string{"name"}, parseErr("foo=1&" + good)},
	{"parse.missing", "token", []string{"missing"}, parseErr("version=2018-10-31")},
	{"parse.duplicate", "et", []string{"name"}, parseErr(good + "&et=1")},
	{"escape", "res", []string{"escape", "byte"}, parseErr(strings.Replace(good, "%2F", "%G", 1))},

	{"res.empty", "res", nil, generateErr(func(p *Params) { p.Res = "" })},
	{"res.encoded", "res", []string{"res"}, generateErr(func(p *Params) { p.Res = "products%2F1" })},
	{"res.shape", "res", []string{"res"}, generateErr(func(p *Params) { p.Res = "devices/x" })},
	{"res.shape", "res", []string{"res"}, parseErr(strings.Replace(good, "products%2F469948", "things%2F469948", 1))},
	{"res.mismatch", "res", []string{"res", "want"}, verifyErr(good, seedKey, 1600000000, "products/469948/devices/other")},
	{"name.empty", "res", []string{"name"}, generateErr(func(p *Params) { p.Res = "products/1/devices/" })},
	{"name.empty", "productId", []string{"name"}, func() error { _, err := Resource("", "d"); return err }},
	{"name.empty", "userId", []string{"name"}, func() error { _, err := UserResource(""); return err }},
	{"name.utf8", "deviceName", []string{"name"}, func() error { _, err := Resource("1", "a\xff"); return err }},
	{"name.slash", "deviceName", []string{"name", "value", "byte"}, func() error { _, err := Resource("1", "a/b"); return err }},
	{"name.control", "res", []string{"name", "value", "char", "byte"}, generateErr(func(p *Params) { p.Res = "products/1/devices/a\tb" })},

	{"key.empty", "key", nil, generateErr(func(p *Params) { p.Key = " " })},
	{"key.base64", "key", []string{"byte"}, generateErr(func(p *Params) { p.Key = "abc=defg" })},
	{"key.base64.char", "key", []string{"byte", "char"}, generateErr(func(p *Params) { p.Key = "abc*defg" })},
	// The characters are blamed before the length (14 is not a multiple of 4).
	{"key.base64.char", "key", []string{"byte", "char"}, generateErr(func(p *Params) { p.Key = "not*base64!key" })},
	{"key.base64.urlsafe", "key", []string{"byte"}, generateErr(func(p *Params) { p.Key = "rs2FaE5BuygJZkWKDA5okKt1RFpwOx53hbu6hwyCS4U-" })},
	{"key.base64.length", "key", []string{"byte"}, generateErr(func(p *Params) { p.Key = seedKey[:30] })},
	{"key.empty", "key", nil, verifyErr(good, "", 1600000000, "")},

	{"method.unknown", "method", []string{"method"}, generateErr(func(p *Params) { p.Method = "sha512" })},
	{"method.case", "method", []string{"method", "lower"}, generateErr(func(p *Params) { p.Method = "SHA1" })},
	{"method.unknown", "method", []string{"method"}, parseErr(strings.Replace(good, "method=sha1", "method=sha384", 1))},
	{"version.unknown", "version", []string{"version"}, generateErr(func(p *Params) { p.Version = "2020-01-01" })},
	{"version.unknown", "version", []string{"version"}, parseErr(strings.Replace(good, "2018-10-31", "2017-01-01", 1))},
	{"et.negative", "et", []string{"et"}, generateErr(func(p *Params) { p.ET = -1 })},
	{"et.milliseconds", "et", []string{"et", "seconds"}, generateErr(func(p *Params) { p.ET = 1700000000000 })},
	{"et.milliseconds", "et", []string{"et", "seconds"}, parseErr(strings.Replace(good, "et=1673053248", "et=1673053248000", 1))},
	{"et.syntax", "et", []string{"value"}, parseErr(strings.Replace(good, "et=1673053248", "et=soon", 1))},
	{"et.past", "et", []string{"et", "date"}, generateErr(func(p *Params) { p.ET = 1700000000; p.Now = time.Unix(1800000000, 0) })},
	{"et.expired", "et", []string{"et", "date"}, verifyErr(good, seedKey, 1800000000, "")},
	{"sign.base64", "sign", nil, parseErr(strings.Replace(good, "sign=prIM", "sign=*rIM", 1))},
	{"sign.space", "sign", nil, parseErr(strings.Replace(good, "sign=prIM", "sign=p IM", 1))},
	{"sign.length", "sign", []string{"size", "method", "want"}, parseErr(good[:len(good)-10])},
	{"sign.mismatch", "sign", []string{"res"}, verifyErr(good, otherKey, 1600000000, "")},
}

const otherKey = "KuF3NT/jUBJ62LNBB/A8XZA9CqS3Cu79B/ABmfA1UCw="

// TestCodes checks that every error has its documented code, field and
// Params, and that its message is unchanged English.
func TestCodes(t *testing.T) {
	for _, tc := range codeCases {
		err := tc.run()
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%s: error %v is not an *Error", tc.code, err)
			continue
		}
		if e.Code != tc.code || e.Field != tc.field {
			t.Errorf("%s: got code %q field %q (%v); want code %q field %q", tc.code, e.Code, e.Field, err, tc.code, tc.field)
		}
		for _, k := range tc.params {
			if _, ok := e.Params[k]; !ok {
				t.Errorf("%s: Params %v lack %q", tc.code, e.Params, k)
			}
		}
		if !strings.HasPrefix(err.Error(), "token: "+e.Field+": ") {
			t.Errorf("%s: message %q does not start with token: %s:", tc.code, err, e.Field)
		}
	}
}

// TestEveryErrorHasCode checks that every place the package builds an
// *Error gives it a code listed in doc.go, and that every listed code is
// exercised by codeCases.
func TestEveryErrorHasCode(t *testing.T) {
	doc := docCodes(t)
	call := regexp.MustCompile(`fieldErr\([^,]+,\s*([^,]+),`)
	literal := regexp.MustCompile(`^"([a-z0-9.]+)"$`)
	inSource := map[string]bool{}
	for _, f := range []string{"token.go", "parse.go"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(src), "&Error{"); n > 0 {
			t.Errorf("%s builds %d *Error without fieldErr: give it a code", f, n)
		}
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			arg := strings.TrimSpace(m[1])
			if arg == "code" { // a variable set from literals nearby
				continue
			}
			lm := literal.FindStringSubmatch(arg)
			if lm == nil {
				t.Errorf("%s: fieldErr with code %s, not a string literal", f, arg)
				continue
			}
			inSource[lm[1]] = true
		}
	}
	tested := map[string]bool{}
	for _, tc := range codeCases {
		tested[tc.code] = true
	}
	for c := range inSource {
		if !doc[c] {
			t.Errorf("code %q is used in the source but not listed in doc.go", c)
		}
	}
	for c := range doc {
		// key.zero guards DecodeKey, but no non-empty standard base64
		// decodes to nothing, so no input reaches it.
		if !tested[c] && !isWarning(c) && c != "key.zero" {
			t.Errorf("code %q is listed in doc.go but has no test case", c)
		}
	}
	for c := range tested {
		if !doc[c] {
			t.Errorf("tested code %q is not listed in doc.go", c)
		}
	}
}

func isWarning(code string) bool { return code == "et.sdk" || code == "version.http" }

func TestWarningCodes(t *testing.T) {
	w := Warnings(Params{ET: 32472115200, Version: Version2022})
	if len(w) != 2 || w[0].Code != "et.sdk" || w[1].Code != "version.http" || w[0].Params["et"] != "32472115200" {
		t.Fatalf("Warnings = %+v", w)
	}
	if s := Warnings(Params{Version: Version2022}); len(s) != 1 || s[0].String() != "version: 2022-05-01 is for OneNET's HTTP API; an MQTT login needs 2018-10-31" {
		t.Errorf("Warnings = %q", s)
	}
}

var docCode = regexp.MustCompile(`(?m)^//\t([a-z0-9]+(?:\.[a-z0-9]+)*)\s{2,}`)

// docCodes returns the codes listed in doc.go.
func docCodes(t *testing.T) map[string]bool {
	t.Helper()
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]bool{}
	for _, m := range docCode.FindAllStringSubmatch(string(src), -1) {
		codes[m[1]] = true
	}
	if len(codes) < 20 {
		keys := make([]string, 0, len(codes))
		for c := range codes {
			keys = append(keys, c)
		}
		sort.Strings(keys)
		t.Fatalf("found only %d codes in doc.go: %v", len(codes), keys)
	}
	return codes
}
