// Package logsafe prepares values a client sent for a log line: quoted and
// escaped (never a raw newline or control character), and cut to a fixed
// length, so that what a client sends can neither forge log lines nor fill
// the log (docs/RELIABILITY.md, "Log space").
package logsafe

import (
	"strconv"
	"unicode/utf8"
)

// Max is how many bytes of a client's value a log line quotes.
const Max = 64

// Q returns s quoted as with %q, cut to Max bytes (on a rune boundary) with
// the full length said after the quote when it was cut:
//
//	"dev1"
//	"aaaaaaaa…"(+899936 bytes)
func Q(s string) string {
	if len(s) <= Max {
		return strconv.Quote(s)
	}
	cut := Max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]+"…") + "(+" + strconv.Itoa(len(s)-cut) + " bytes)"
}

// B is Q for bytes, without copying more than Max of them.
func B(b []byte) string {
	if len(b) <= Max {
		return strconv.Quote(string(b))
	}
	cut := Max
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return strconv.Quote(string(b[:cut])+"…") + "(+" + strconv.Itoa(len(b)-cut) + " bytes)"
}
