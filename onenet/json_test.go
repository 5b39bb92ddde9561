package onenet

import (
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// seedPayload is the seed document's example payload (QuecPython OneNET
// guide, "Report and distribute data"), byte for byte, trailing spaces
// included. Its trailing commas make it invalid JSON (docs/PROTOCOL.md §7).
const seedPayload = "{\n    \"id\": 123,        \n    \"dp\": {             \n        \"temperatrue\": [{     \n            \"v\": 30,\n        }],\n        \"power\": [{     \n            \"v\": 4.5,        \n        }]\n    }\n}"

// seedPythonPayload is the same payload as the seed's Python code
// publishes it (a Python triple-quoted string), with its leading newline and indent.
const seedPythonPayload = `
    {
        "id": 123,
        "dp": {
            "temperatrue": [{
                "v": 30,
            }],
            "power": [{
                "v": 4.5,
            }]
        }
    }`

type jsonCase struct {
	in           string
	line, column int
	msg          string // substring of SyntaxError.Msg; "" for valid JSON
}

var jsonCases = []jsonCase{
	// The seed document: the first offending byte is the comma after 30.
	{seedPayload, 5, 20, "trailing comma before '}'"},
	{seedPythonPayload, 6, 24, "trailing comma before '}'"},
	// The same payload without the commas is valid.
	{regexp.MustCompile(`,(\s*})`).ReplaceAllString(seedPayload, "$1"), 0, 0, ""},
	// RFC 8259 values.
	{`{"id":123,"dp":{"temp":[{"v":30,"t":1552289676}]}}`, 0, 0, ""}, // docs/PROTOCOL.md §7
	{`0`, 0, 0, ""},
	{`-0.5e+10`, 0, 0, ""},
	{` "a\u00e9\ud83d\ude00\n" `, 0, 0, ""},
	{`"\ud800"`, 0, 0, ""}, // a lone surrogate decodes to U+FFFD, as in encoding/json
	{`[true,false,null,{},[]]`, 0, 0, ""},
	{"\t\r\n{}\n", 0, 0, ""},
	// Errors, with the position of the first offending byte.
	{``, 1, 1, "empty"},
	{"\n\n  ", 3, 3, "only white space"},
	{`[1,2,]`, 1, 5, "trailing comma before ']'"},
	{"{\"a\":1,\n\n}", 1, 7, "trailing comma before '}'"},
	{`{"a":1 "b":2}`, 1, 8, "is a comma missing?"},
	{`[1 2]`, 1, 4, "is a comma missing?"},
	{`{"a" 1}`, 1, 6, "expected ':'"},
	{`{a:1}`, 1, 2, "expected an object key in double quotes"},
	{`{'a':1}`, 1, 2, "not single quotes"},
	{`['a']`, 1, 2, "not single quotes"},
	{`{"a":}`, 1, 6, "a value is missing"},
	{`{"a":1`, 1, 7, "a '}' is missing"},
	{`[1`, 1, 3, "a ']' is missing"},
	{`{"a":1,`, 1, 8, "a '}' is missing"},
	{`"abc`, 1, 5, "closing '\"' is missing"},
	{"\"a\nb\"", 1, 3, `write it as \n`},
	{"\"a\tb\"", 1, 3, `write it as \t`},
	{`"\x"`, 1, 2, "invalid escape"},
	{`"\u12G4"`, 1, 2, "four hex digits"},
	{`"\u12"`, 1, 2, "four hex digits"},
	{`"\`, 1, 3, "end of input in a string escape"},
	{"\"\xff\"", 1, 2, "invalid UTF-8 byte 0xFF"},
	{"\"é\xc3\"", 1, 3, "invalid UTF-8"}, // the column counts characters
	{"\xef\xbb\xbf{}", 1, 1, "U+FEFF"},   // a byte order mark
	{`01`, 1, 1, "cannot start with 0"},
	{`-`, 1, 2, "a digit must follow '-'"},
	{`1.`, 1, 3, "decimal point"},
	{`.5`, 1, 1, "no leading '+' or '.'"},
	{`+1`, 1, 1, "no leading '+' or '.'"},
	{`1e`, 1, 3, "exponent"},
	{`12ab`, 1, 3, "must be a string"},
	{`NaN`, 1, 1, "NaN"},
	{`True`, 1, 1, "expected a value"},
	{`tru`, 1, 1, "expected true"},
	{`nulls`, 1, 1, "expected null"},
	{`on`, 1, 1, "expected a value"},
	{`{} {}`, 1, 4, "after the end of the JSON value"},
	{"{\n  // note\n}", 2, 3, "no comments"},
	{`/* x */ 1`, 1, 1, "no comments"},
	{"{\"a\":1 // x\n}", 1, 8, "no comments"},
	{"[1 /* x */]", 1, 4, "no comments"},
	{"1 // x", 1, 3, "no comments"},
	{`]`, 1, 1, "a value is missing"},
	{"温度: 30", 1, 1, "expected a value"},
	{"{\"温度\": 30,}", 1, 10, "trailing comma"},
	{"\x01", 1, 1, "control character U+0001"},
	{strings.Repeat("[", maxDepth+1), 1, maxDepth + 1, "nested more than"},
}

func TestCheckJSON(t *testing.T) {
	for _, tc := range jsonCases {
		err := CheckJSON([]byte(tc.in))
		if tc.msg == "" {
			if err != nil {
				t.Errorf("CheckJSON(%q) = %v, want nil", tc.in, err)
			}
			continue
		}
		var se *SyntaxError
		var e *Error
		if !errors.As(err, &se) || !errors.As(err, &e) {
			t.Errorf("CheckJSON(%q) = %v, want a *SyntaxError in an *Error", tc.in, err)
			continue
		}
		if se.Line != tc.line || se.Column != tc.column || !strings.Contains(se.Msg, tc.msg) {
			t.Errorf("CheckJSON(%q) = line %d, column %d, %q; want line %d, column %d, %q", tc.in, se.Line, se.Column, se.Msg, tc.line, tc.column, tc.msg)
		}
		if e.Field != "payload" || (e.Code != "payload.syntax" && e.Code != "payload.empty") ||
			e.Params["line"] != itoa(se.Line) || e.Params["column"] != itoa(se.Column) || e.Params["offset"] != itoa(se.Offset) {
			t.Errorf("CheckJSON(%q): *Error %+v does not match %+v", tc.in, e, se)
		}
		if line, col := position([]byte(tc.in), se.Offset); line != se.Line || col != se.Column {
			t.Errorf("CheckJSON(%q): offset %d is at %d:%d, not %d:%d", tc.in, se.Offset, line, col, se.Line, se.Column)
		}
	}
}

// TestCheckJSONAgrees compares CheckJSON with encoding/json on the table.
func TestCheckJSONAgrees(t *testing.T) {
	for _, tc := range jsonCases {
		ok := CheckJSON([]byte(tc.in)) == nil
		if std := json.Valid([]byte(tc.in)); ok != std && !strings.Contains(tc.msg, "UTF-8") {
			t.Errorf("CheckJSON(%q) ok=%v, json.Valid=%v", tc.in, ok, std)
		}
	}
}

// The seed's trailing comma is found at the comma itself, while
// encoding/json reports the '}' after it.
func TestSeedPayloadComma(t *testing.T) {
	var se *SyntaxError
	if !errors.As(CheckJSON([]byte(seedPayload)), &se) {
		t.Fatal("the seed payload passed CheckJSON")
	}
	if seedPayload[se.Offset] != ',' || !strings.HasSuffix(seedPayload[:se.Offset+1], `"v": 30,`) {
		t.Errorf("offset %d is %q, not the comma after 30", se.Offset, seedPayload[se.Offset])
	}
	var std *json.SyntaxError
	if err := json.Unmarshal([]byte(seedPayload), new(any)); !errors.As(err, &std) || seedPayload[std.Offset-1] != '}' {
		t.Logf("encoding/json: %v", err) // for information: it points after the comma
	}
}

func TestPosition(t *testing.T) {
	src := []byte("ab\ncdé\nx")
	for _, tc := range []struct{ off, line, col int }{
		{0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {5, 2, 3}, {7, 2, 4}, {8, 3, 1}, {9, 3, 2},
	} {
		if l, c := position(src, tc.off); l != tc.line || c != tc.col {
			t.Errorf("position(%d) = %d:%d, want %d:%d", tc.off, l, c, tc.line, tc.col)
		}
	}
}

func TestUTF16Offset(t *testing.T) {
	b := []byte("a\u00e9\U0001F600\xffz")
	for _, tc := range []struct{ off, want int }{
		{0, 0}, {1, 1}, {3, 2}, {7, 4}, {8, 5}, {9, 6}, {100, 6},
	} {
		if got := UTF16Offset(b, tc.off); got != tc.want {
			t.Errorf("UTF16Offset(%q, %d) = %d, want %d", b, tc.off, got, tc.want)
		}
	}
}

// syntaxCases add to jsonCases the syntax codes the table does not reach.
var syntaxCases = []string{"\"a\rb\"", "\"a\x01b\"", `{"a"`, `{"a":`}

// TestSyntaxCodes checks that every syntax error has a Code listed in
// doc.go, passed on in the *Error's Params, and that every listed code
// is produced by some input.
func TestSyntaxCodes(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(src), "# JSON syntax codes")
	doc := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^//   - ([a-z0-9.]+):`).FindAllStringSubmatch(section, -1) {
		doc[m[1]] = true
	}
	if len(doc) < 30 {
		t.Fatalf("doc.go lists only %d syntax codes", len(doc))
	}
	inputs := slices.Clone(syntaxCases)
	for _, tc := range jsonCases {
		if tc.msg != "" {
			inputs = append(inputs, tc.in)
		}
	}
	seen := map[string]bool{}
	for _, in := range inputs {
		err := CheckJSON([]byte(in))
		var se *SyntaxError
		var e *Error
		if !errors.As(err, &se) || !errors.As(err, &e) {
			t.Errorf("CheckJSON(%q) = %v, want a *SyntaxError in an *Error", in, err)
			continue
		}
		seen[se.Code] = true
		if !doc[se.Code] {
			t.Errorf("CheckJSON(%q): code %q (%s) is not listed in doc.go", in, se.Code, se.Msg)
		}
		if e.Params["syntax"] != se.Code {
			t.Errorf("CheckJSON(%q): Params[syntax] = %q, want %q", in, e.Params["syntax"], se.Code)
		}
		for k, v := range se.Params {
			if e.Params[k] != v {
				t.Errorf("CheckJSON(%q): Params[%s] = %q, want %q", in, k, e.Params[k], v)
			}
		}
	}
	for c := range doc {
		if !seen[c] {
			t.Errorf("syntax code %q is listed in doc.go but no test input produces it", c)
		}
	}
}
