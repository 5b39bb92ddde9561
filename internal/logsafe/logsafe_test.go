package logsafe

import (
	"strings"
	"testing"
)

func TestQ(t *testing.T) {
	long := strings.Repeat("a", 900_000)
	for _, tc := range []struct{ in, want string }{
		{"dev1", `"dev1"`},
		{"a\nb\x00", `"a\nb\x00"`},
		{long, `"` + strings.Repeat("a", Max) + `…"(+899936 bytes)`},
		{strings.Repeat("温", 30), `"` + strings.Repeat("温", 21) + `…"(+27 bytes)`},
	} {
		if got := Q(tc.in); got != tc.want {
			t.Errorf("Q(%.20q…) = %s, want %s", tc.in, got, tc.want)
		}
		if got := B([]byte(tc.in)); got != tc.want {
			t.Errorf("B(%.20q…) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if n := len(Q(strings.Repeat("\x01", 10_000))); n > 4*Max+32 {
		t.Errorf("Q of 10,000 control bytes is %d bytes long", n)
	}
}

func TestWord(t *testing.T) {
	for in, want := range map[string]string{
		"GET": "GET", "/api/devices": "/api/devices", "[::1]:80": "[::1]:80", "": `""`,
		"a b": `"a b"`, "a\nb": `"a\nb"`, `a"b`: `"a\"b"`, strings.Repeat("x", Max+1): `"` + strings.Repeat("x", Max) + `…"(+1 bytes)`,
	} {
		if got := Word(in); got != want {
			t.Errorf("Word(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestLine(t *testing.T) {
	if got := Line("a\nlogin accepted\r\x00\x7f\tb"); got != `a\x0alogin accepted\x0d\x00\x7f`+"\tb" {
		t.Errorf("Line = %q", got)
	}
	if got := Line(strings.Repeat("y", 5000)); len(got) > MaxLine+32 {
		t.Errorf("Line of 5,000 bytes is %d bytes", len(got))
	}
	if got := Line("plain"); got != "plain" {
		t.Errorf("Line(plain) = %q", got)
	}
}
