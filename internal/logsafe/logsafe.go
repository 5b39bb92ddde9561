// Package logsafe prepares values a client sent for a log line: quoted and
// escaped (never a raw newline or control character), and cut to a fixed
// length, so that what a client sends can neither forge log lines nor fill
// the log (docs/RELIABILITY.md, "Log space").
package logsafe

import (
	"strconv"
	"strings"
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

// MaxLine is how long a log line may be; Line cuts longer ones.
const MaxLine = 1024

// Cut cuts a text that is already escaped (made by the program, quoting
// client values with %q) to max bytes, saying how much was left out.
func Cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…(+" + strconv.Itoa(len(s)-cut) + " bytes)"
}

// Line is the last guard of a log function: whatever a line quotes, it
// holds no control character (each is written \xNN, so that nothing can
// start a line of its own) and no more than about a kilobyte (Cut to
// MaxLine).
func Line(s string) string {
	s = Cut(s, MaxLine)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return escapeControls(s)
		}
	}
	return s
}

func escapeControls(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c == 0x7f {
			const hex = "0123456789abcdef"
			b.WriteString(`\x`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Word returns s as it is when it is short and plain (letters, digits and
// the punctuation of paths and host names), else Q(s): ordinary values
// stay readable, odd ones are quoted.
func Word(s string) string {
	if len(s) == 0 || len(s) > Max {
		return Q(s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("/._-:@+=,$[]", c) >= 0) {
			return Q(s)
		}
	}
	return s
}
