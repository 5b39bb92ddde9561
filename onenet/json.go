package onenet

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// A SyntaxError is a payload that is not JSON (RFC 8259), with the position
// of the offending byte.
type SyntaxError struct {
	Line   int    // 1-based line ('\n' separates lines)
	Column int    // 1-based, in characters (Unicode code points) from the start of the line
	Offset int    // 0-based byte offset of the offending byte; len(payload) at an unexpected end (see UTF16Offset)
	Msg    string // what is wrong, in English, e.g. "trailing comma before '}'"
	// Code is a stable identifier of the problem, e.g. "object.trailing"
	// (the list is in the package documentation), and Params hold the
	// values in Msg ("char", "key", "word", "limit"), for a translated
	// rendering.
	Code   string
	Params map[string]string
}

// Error returns the line, the column and what is wrong there.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// UTF16Offset converts a byte offset in b, such as SyntaxError.Offset or an
// Error's Params["offset"], to an offset in UTF-16 code units, the unit of a
// JavaScript string and of a textarea's selection. Invalid UTF-8 bytes count
// as one unit each, as U+FFFD. An offset beyond b is clamped to len(b).
func UTF16Offset(b []byte, off int) int {
	n := 0
	for i := 0; i < off && i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		i += size
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// maxDepth bounds the nesting of arrays and objects, so that hostile input
// cannot exhaust the stack.
const maxDepth = 1000

// CheckJSON reports whether b is one JSON value, optionally surrounded by
// white space. A failure is an *Error with Field "payload" and Code
// "payload.syntax" (or "payload.empty") wrapping a *SyntaxError that gives the
// 1-based line and column of the offending byte, which also appear in Params
// as "line", "column" and "offset".
//
// Where a comma is followed by the closing '}' or ']', the offending byte is
// that trailing comma, not the bracket after it (encoding/json reports the
// bracket). Strings must be valid UTF-8.
func CheckJSON(b []byte) error {
	_, err := parseJSON(b)
	return err
}

// jkind is the type of a JSON value.
type jkind uint8

const (
	jNull jkind = iota
	jBool
	jNumber
	jString
	jArray
	jObject
)

var jkindName = [...]string{"null", "a boolean", "a number", "a string", "an array", "an object"}

func (k jkind) String() string { return jkindName[k] }

// A jvalue is a parsed JSON value that remembers where it is in the input,
// so that errors about its meaning can point at it.
type jvalue struct {
	kind       jkind
	start, end int      // its bytes: src[start:end]
	str        string   // the decoded string, for jString; the literal, for jNumber
	members    []member // for jObject, in input order
	elems      []*jvalue
}

type member struct {
	name  string
	start int // offset of the name's opening quote
	val   *jvalue
}

// get returns the last member named name (as encoding/json would use it).
func (v *jvalue) get(name string) *jvalue {
	var found *jvalue
	for i := range v.members {
		if v.members[i].name == name {
			found = v.members[i].val
		}
	}
	return found
}

// depth returns the nesting of containers in v: 0 for a scalar, 1 for an
// object or array of scalars.
func (v *jvalue) depth() int {
	d := 0
	for _, m := range v.members {
		d = max(d, m.val.depth())
	}
	for _, e := range v.elems {
		d = max(d, e.depth())
	}
	if v.kind == jArray || v.kind == jObject {
		d++
	}
	return d
}

type parser struct {
	src   []byte
	pos   int
	depth int
	err   *SyntaxError
}

// parseJSON parses b into a tree. Errors are *Error wrapping *SyntaxError.
func parseJSON(b []byte) (*jvalue, error) {
	p := &parser{src: b}
	p.skipSpace()
	if p.pos == len(b) {
		se := p.fail(p.pos, "empty", "empty: no JSON value")
		if len(b) > 0 {
			se.Code, se.Msg = "space", "only white space: no JSON value"
		}
		return nil, syntaxErr("payload.empty", se)
	}
	v := p.value()
	if p.err == nil {
		p.skipSpace()
		if p.pos < len(p.src) {
			if p.isComment() {
				p.fail(p.pos, "comment", "JSON has no comments")
			}
			p.fail(p.pos, "end", "unexpected "+p.describe(p.pos)+" after the end of the JSON value", "char", p.char(p.pos))
		}
	}
	if p.err != nil {
		return nil, syntaxErr("payload.syntax", p.err)
	}
	return v, nil
}

func syntaxErr(code string, se *SyntaxError) *Error {
	return &Error{
		Field:  "payload",
		Code:   code,
		Msg:    se.Error(),
		Params: syntaxParams(se),
		Err:    se,
	}
}

// syntaxParams are the Params of an *Error that wraps se: its position, its
// English message as "detail", its Code as "syntax" and its own Params.
func syntaxParams(se *SyntaxError) map[string]string {
	m := kv("line", itoa(se.Line), "column", itoa(se.Column), "offset", itoa(se.Offset), "detail", se.Msg, "syntax", se.Code)
	for k, v := range se.Params {
		m[k] = v
	}
	return m
}

// position returns the 1-based line and character column of byte offset off
// in src.
func position(src []byte, off int) (line, col int) {
	line, col = 1, 1
	for i := 0; i < off && i < len(src); {
		if src[i] == '\n' {
			line, col = line+1, 1
			i++
			continue
		}
		_, n := utf8.DecodeRune(src[i:])
		i += n
		col++
	}
	return line, col
}

// fail records the first error, at byte offset off; params are alternating
// keys and values.
func (p *parser) fail(off int, code, msg string, params ...string) *SyntaxError {
	if p.err == nil {
		line, col := position(p.src, off)
		p.err = &SyntaxError{Line: line, Column: col, Offset: off, Msg: msg, Code: code}
		if len(params) > 0 {
			p.err.Params = kv(params...)
		}
	}
	return p.err
}

// char names the byte at off for the "char" param, without words: 'x',
// '中' (U+4E2D), U+0001 for a control character, 0xFF for a byte that is
// not UTF-8, and "" at the end of the input.
func (p *parser) char(off int) string {
	if off >= len(p.src) {
		return ""
	}
	c := p.src[off]
	if c < utf8.RuneSelf {
		if c < 0x20 || c == 0x7f {
			return fmt.Sprintf("%U", rune(c))
		}
		return fmt.Sprintf("%q", rune(c))
	}
	r, n := utf8.DecodeRune(p.src[off:])
	if r == utf8.RuneError && n == 1 {
		return fmt.Sprintf("0x%02X", c)
	}
	return fmt.Sprintf("%q (%U)", r, r)
}

// describe names the byte at off for a message: 'x', U+00A0, "end of input".
func (p *parser) describe(off int) string {
	if off >= len(p.src) {
		return "end of input"
	}
	c := p.src[off]
	if c < utf8.RuneSelf {
		if c < 0x20 || c == 0x7f {
			return fmt.Sprintf("control character %U", rune(c))
		}
		return fmt.Sprintf("%q", rune(c))
	}
	r, n := utf8.DecodeRune(p.src[off:])
	if r == utf8.RuneError && n == 1 {
		return fmt.Sprintf("invalid UTF-8 byte 0x%02X", c)
	}
	return fmt.Sprintf("%q (%U)", r, r)
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// value parses one value at p.pos (after white space has been skipped).
func (p *parser) value() *jvalue {
	if p.pos >= len(p.src) {
		p.fail(p.pos, "value.eof", "unexpected end of input: a value is missing")
		return nil
	}
	switch c := p.src[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		start := p.pos
		s, ok := p.string()
		if !ok {
			return nil
		}
		return &jvalue{kind: jString, start: start, end: p.pos, str: s}
	case c == '-' || '0' <= c && c <= '9':
		return p.number()
	case c == 't':
		return p.literal("true", jBool)
	case c == 'f':
		return p.literal("false", jBool)
	case c == 'n':
		return p.literal("null", jNull)
	case c == '\'':
		p.fail(p.pos, "string.quote", "strings must be in double quotes (\"), not single quotes (')")
	case p.isComment():
		p.fail(p.pos, "comment", "JSON has no comments")
	case c == 'N' || c == 'I' || c == '+' || c == '.':
		p.fail(p.pos, "number.start", "invalid number: JSON numbers have no leading '+' or '.', and no NaN or Infinity")
	case c == '}' || c == ']':
		p.fail(p.pos, "value.missing", "unexpected "+p.describe(p.pos)+": a value is missing", "char", p.char(p.pos))
	default:
		p.fail(p.pos, "value.unexpected", "unexpected "+p.describe(p.pos)+": expected a value (a string must be in double quotes)", "char", p.char(p.pos))
	}
	return nil
}

// isComment reports whether a // or /* comment starts at p.pos.
func (p *parser) isComment() bool {
	return p.pos+1 < len(p.src) && p.src[p.pos] == '/' && (p.src[p.pos+1] == '/' || p.src[p.pos+1] == '*')
}

func (p *parser) literal(word string, kind jkind) *jvalue {
	start := p.pos
	for i := 0; i < len(word); i++ {
		if p.pos+i >= len(p.src) || p.src[p.pos+i] != word[i] {
			p.fail(start, "literal", "invalid literal: expected "+word+" (JSON literals are lower case; a string must be in double quotes)", "word", word)
			return nil
		}
	}
	p.pos += len(word)
	if p.pos < len(p.src) && isIdentByte(p.src[p.pos]) {
		p.fail(start, "literal.word", "invalid literal: expected "+word+" (a string must be in double quotes)", "word", word)
		return nil
	}
	return &jvalue{kind: kind, start: start, end: p.pos, str: word}
}

func isIdentByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func (p *parser) number() *jvalue {
	start := p.pos
	s := p.src
	i := p.pos
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
		if i < len(s) && isDigit(s[i]) {
			p.fail(start, "number.zero", "invalid number: a number cannot start with 0 followed by a digit (write a code with leading zeros as a string in double quotes)")
			return nil
		}
	case i < len(s) && isDigit(s[i]):
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		p.fail(i, "number.minus", "invalid number: a digit must follow '-'")
		return nil
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || !isDigit(s[i]) {
			p.fail(i, "number.fraction", "invalid number: a digit must follow the decimal point")
			return nil
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || !isDigit(s[i]) {
			p.fail(i, "number.exponent", "invalid number: a digit must follow the exponent")
			return nil
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (isIdentByte(s[i]) || s[i] == '.') {
		p.fail(i, "number.letter", "invalid number: unexpected "+p.describe(i)+" (a value mixing digits and letters must be a string in double quotes)", "char", p.char(i))
		return nil
	}
	p.pos = i
	return &jvalue{kind: jNumber, start: start, end: i, str: string(s[start:i])}
}

// string parses a string at p.pos and returns it decoded.
func (p *parser) string() (string, bool) {
	s := p.src
	i := p.pos + 1
	var buf []byte
	plain := i // start of the run of bytes that need no decoding
	for {
		if i >= len(s) {
			p.fail(i, "string.eof", "unexpected end of input in a string: the closing '\"' is missing")
			return "", false
		}
		c := s[i]
		switch {
		case c == '"':
			var out string
			if buf == nil {
				out = string(s[plain:i])
			} else {
				out = string(append(buf, s[plain:i]...))
			}
			p.pos = i + 1
			return out, true
		case c < 0x20:
			code, hint := "string.control", ""
			switch c {
			case '\n':
				code, hint = "string.newline", ": write it as \\n (or is the closing '\"' missing?)"
			case '\t':
				code, hint = "string.tab", ": write it as \\t"
			case '\r':
				code, hint = "string.return", ": write it as \\r"
			}
			p.fail(i, code, fmt.Sprintf("control character %U in a string%s", rune(c), hint), "char", fmt.Sprintf("%U", rune(c)))
			return "", false
		case c == '\\':
			buf = append(buf, s[plain:i]...)
			if i+1 >= len(s) {
				p.fail(i+1, "escape.eof", "unexpected end of input in a string escape")
				return "", false
			}
			e := s[i+1]
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
				i += 2
			case 'b':
				buf, i = append(buf, '\b'), i+2
			case 'f':
				buf, i = append(buf, '\f'), i+2
			case 'n':
				buf, i = append(buf, '\n'), i+2
			case 'r':
				buf, i = append(buf, '\r'), i+2
			case 't':
				buf, i = append(buf, '\t'), i+2
			case 'u':
				r, ok := p.hex4(i)
				if !ok {
					return "", false
				}
				i += 6
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
						if x, ok := p.hex4(i); ok {
							r2 = x
						} else {
							return "", false
						}
					}
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						r = d
						i += 6
					} else {
						r = utf8.RuneError // a lone surrogate, as encoding/json decodes it
					}
				}
				buf = utf8.AppendRune(buf, r)
			default:
				p.fail(i, "escape.invalid", fmt.Sprintf("invalid escape \\%s in a string: use \\\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t or \\uXXXX", p.describe(i+1)), "char", p.char(i+1))
				return "", false
			}
			plain = i
		case c < utf8.RuneSelf:
			i++
		default:
			r, n := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && n == 1 {
				p.fail(i, "string.utf8", fmt.Sprintf("invalid UTF-8 byte 0x%02X in a string: the payload must be UTF-8", c), "char", fmt.Sprintf("0x%02X", c))
				return "", false
			}
			i += n
		}
	}
}

// hex4 decodes the \uXXXX escape at s[i].
func (p *parser) hex4(i int) (rune, bool) {
	s := p.src
	if i+6 > len(s) {
		p.fail(i, "escape.unicode", "invalid \\u escape: it needs four hex digits")
		return 0, false
	}
	n, err := strconv.ParseUint(string(s[i+2:i+6]), 16, 32)
	if err != nil {
		p.fail(i, "escape.unicode", "invalid \\u escape: it needs four hex digits")
		return 0, false
	}
	return rune(n), true
}

func (p *parser) enter() bool {
	p.depth++
	if p.depth > maxDepth {
		p.fail(p.pos, "depth", fmt.Sprintf("nested more than %d levels deep", maxDepth), "limit", itoa(maxDepth))
		return false
	}
	return true
}

func (p *parser) object() *jvalue {
	v := &jvalue{kind: jObject, start: p.pos}
	if !p.enter() {
		return nil
	}
	defer func() { p.depth-- }()
	p.pos++ // '{'
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == '}' {
		p.pos++
		v.end = p.pos
		return v
	}
	comma := -1 // offset of the comma before this member, if any
	for {
		if p.pos >= len(p.src) {
			p.fail(p.pos, "object.eof", "unexpected end of input in an object: a '}' is missing")
			return nil
		}
		switch c := p.src[p.pos]; {
		case c == '}' && comma >= 0:
			p.fail(comma, "object.trailing", "trailing comma before '}': remove the comma after the last member")
			return nil
		case c == '\'':
			p.fail(p.pos, "object.key.quote", "object keys must be in double quotes (\"), not single quotes (')")
			return nil
		case p.isComment():
			p.fail(p.pos, "comment", "JSON has no comments")
			return nil
		case c != '"':
			p.fail(p.pos, "object.key", "unexpected "+p.describe(p.pos)+": expected an object key in double quotes", "char", p.char(p.pos))
			return nil
		}
		m := member{start: p.pos}
		name, ok := p.string()
		if !ok {
			return nil
		}
		m.name = name
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != ':' {
			p.fail(p.pos, "object.colon", "unexpected "+p.describe(p.pos)+fmt.Sprintf(": expected ':' after the key %q", name), "char", p.char(p.pos), "key", name)
			return nil
		}
		p.pos++
		p.skipSpace()
		m.val = p.value()
		if m.val == nil {
			return nil
		}
		v.members = append(v.members, m)
		p.skipSpace()
		if p.pos >= len(p.src) {
			p.fail(p.pos, "object.eof", "unexpected end of input in an object: a '}' is missing")
			return nil
		}
		switch p.src[p.pos] {
		case ',':
			comma = p.pos
			p.pos++
			p.skipSpace()
		case '}':
			p.pos++
			v.end = p.pos
			return v
		default:
			if p.isComment() {
				p.fail(p.pos, "comment", "JSON has no comments")
			}
			p.fail(p.pos, "object.comma", "unexpected "+p.describe(p.pos)+": expected ',' or '}' after an object member (is a comma missing?)", "char", p.char(p.pos))
			return nil
		}
	}
}

func (p *parser) array() *jvalue {
	v := &jvalue{kind: jArray, start: p.pos}
	if !p.enter() {
		return nil
	}
	defer func() { p.depth-- }()
	p.pos++ // '['
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == ']' {
		p.pos++
		v.end = p.pos
		return v
	}
	comma := -1
	for {
		if p.pos < len(p.src) && p.src[p.pos] == ']' && comma >= 0 {
			p.fail(comma, "array.trailing", "trailing comma before ']': remove the comma after the last element")
			return nil
		}
		e := p.value()
		if e == nil {
			return nil
		}
		v.elems = append(v.elems, e)
		p.skipSpace()
		if p.pos >= len(p.src) {
			p.fail(p.pos, "array.eof", "unexpected end of input in an array: a ']' is missing")
			return nil
		}
		switch p.src[p.pos] {
		case ',':
			comma = p.pos
			p.pos++
			p.skipSpace()
		case ']':
			p.pos++
			v.end = p.pos
			return v
		default:
			if p.isComment() {
				p.fail(p.pos, "comment", "JSON has no comments")
			}
			p.fail(p.pos, "array.comma", "unexpected "+p.describe(p.pos)+": expected ',' or ']' after an array element (is a comma missing?)", "char", p.char(p.pos))
			return nil
		}
	}
}
