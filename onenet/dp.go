package onenet

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Limits of a datapoint upload (docs/PROTOCOL.md §7).
const (
	MaxDPID         = 2147483647 // largest "id" of dp/post/json
	MaxStreamIDLen  = 30         // bytes of a datastream id, not counting a leading '$'
	MaxDPValueDepth = 5          // nesting of an object "v"
	// DPErrIllegalData is the err_code OneNET gives on dp/post/json/rejected.
	DPErrIllegalData = 98
)

// millis: a time at or above 10^12 has 13 or more digits, a Unix time in
// milliseconds (in seconds it would be the year 33658).
const millis = 1_000_000_000_000

// DPPost is a parsed datapoint upload (topic dp/post/json).
type DPPost struct {
	ID      int64                  // the message id, 1…MaxDPID
	Streams map[string][]DataPoint // datapoints by datastream id
	Order   []string               // the datastream ids in payload order
}

// A DataPoint is one {"v":…, "t":…} of an upload.
type DataPoint struct {
	V json.RawMessage // the value as written: a number, a string or an object
	T int64           // Unix seconds; 0 when absent (OneNET then uses the time it receives it)
}

// A problem is a failed check, before it knows where it happened.
type problem struct {
	code, msg string
	params    []string // key, value, …
}

func (pb *problem) at(src []byte, off int, path string) *Error {
	line, col := position(src, off)
	params := kv(append([]string{"path", path, "line", itoa(line), "column", itoa(col), "offset", itoa(off)}, pb.params...)...)
	msg := pb.msg
	if path != "" {
		msg = path + ": " + msg
	}
	msg += fmt.Sprintf(" (line %d, column %d)", line, col)
	return newErr("payload", pb.code, msg, params)
}

func (pb *problem) field(field string, row int) *Error {
	return newErr(field, pb.code, fmt.Sprintf("row %d: %s", row+1, pb.msg), kv(append([]string{"row", itoa(row + 1)}, pb.params...)...))
}

// ParseDPPost parses and checks a datapoint upload as OneNET does
// (docs/PROTOCOL.md §7):
//
//   - the payload is a JSON object;
//   - "id" is an integer from 1 to MaxDPID;
//   - "dp" is a non-empty object of datastreams;
//   - a datastream id is 1 to MaxStreamIDLen bytes of [A-Za-z0-9_.], with an
//     optional leading '$', and appears once;
//   - a datastream is a non-empty array of datapoints {"v": …, "t": …};
//   - "v" is a number, a string or an object nested at most MaxDPValueDepth
//     levels (an object holding arrays is allowed, each array counting as a
//     level; an array, true, false or null as the value itself is not: docs/PROTOCOL.md
//     §7.1 lists int, float, string and object only);
//   - "t", when present, is a positive integer of Unix seconds (a 13-digit
//     value is milliseconds, refused).
//
// Other members are ignored. Every error is an *Error with Field "payload";
// its Params hold "path" (e.g. "dp.temp[0].t") and the "line" and "column"
// of the value at fault.
func ParseDPPost(b []byte) (*DPPost, error) {
	root, err := parseJSON(b)
	if err != nil {
		return nil, err
	}
	if root.kind != jObject {
		return nil, (&problem{"payload.type", fmt.Sprintf(`the payload is %s; it must be an object such as {"id":123,"dp":{"temp":[{"v":30}]}}`, root.kind), nil}).at(b, root.start, "")
	}
	id, pb := dpID(root.get("id"))
	if pb != nil {
		off := root.start
		if v := root.get("id"); v != nil {
			off = v.start
		}
		return nil, pb.at(b, off, "id")
	}
	dp := root.get("dp")
	switch {
	case dp == nil:
		return nil, (&problem{"dp.missing", `"dp" is missing: add "dp":{"<datastream>":[{"v":<value>}]}`, nil}).at(b, root.start, "")
	case dp.kind != jObject:
		return nil, (&problem{"dp.type", fmt.Sprintf(`is %s; it must be an object of datastreams such as {"temp":[{"v":30}]}`, dp.kind), nil}).at(b, dp.start, "dp")
	case len(dp.members) == 0:
		return nil, (&problem{"dp.empty", "has no datastreams", nil}).at(b, dp.start, "dp")
	}
	post := &DPPost{ID: id, Streams: make(map[string][]DataPoint, len(dp.members))}
	for _, m := range dp.members {
		path := streamPath(m.name)
		if pb := checkStreamName(m.name); pb != nil {
			return nil, pb.at(b, m.start, path)
		}
		if _, dup := post.Streams[m.name]; dup {
			return nil, (&problem{"dp.stream.duplicate", fmt.Sprintf("the datastream %q appears twice; put all its datapoints in one array", m.name), []string{"stream", m.name}}).at(b, m.start, path)
		}
		s := m.val
		switch {
		case s.kind != jArray:
			return nil, (&problem{"dp.stream.type", fmt.Sprintf(`is %s; it must be an array of datapoints such as [{"v":30}]`, s.kind), []string{"stream", m.name}}).at(b, s.start, path)
		case len(s.elems) == 0:
			return nil, (&problem{"dp.stream.empty", "has no datapoints", []string{"stream", m.name}}).at(b, s.start, path)
		}
		points := make([]DataPoint, 0, len(s.elems))
		for i, e := range s.elems {
			// The datapoint's path, for error messages only: a broker
			// parses every upload, and most are fine.
			ppath := func() string { return path + "[" + itoa(i) + "]" }
			if e.kind != jObject {
				return nil, (&problem{"dp.point.type", fmt.Sprintf(`is %s; a datapoint is an object such as {"v":30}`, e.kind), []string{"stream", m.name, "index", itoa(i)}}).at(b, e.start, ppath())
			}
			v := e.get("v")
			if v == nil {
				return nil, (&problem{"dp.v.missing", `"v" is missing: a datapoint is {"v":<value>} with an optional "t"`, []string{"stream", m.name, "index", itoa(i)}}).at(b, e.start, ppath())
			}
			if pb := checkDPValue(v); pb != nil {
				pb.params = append(pb.params, "stream", m.name, "index", itoa(i))
				return nil, pb.at(b, v.start, ppath()+".v")
			}
			var t int64
			if tv := e.get("t"); tv != nil {
				var pb *problem
				if t, pb = dpTime(tv); pb != nil {
					pb.params = append(pb.params, "stream", m.name, "index", itoa(i))
					return nil, pb.at(b, tv.start, ppath()+".t")
				}
			}
			points = append(points, DataPoint{V: json.RawMessage(clone(b[v.start:v.end])), T: t})
		}
		post.Streams[m.name] = points
		post.Order = append(post.Order, m.name)
	}
	return post, nil
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// streamPath names a datastream in a message: dp.temp, or dp["a b"] for a
// name that is not a plain identifier.
func streamPath(name string) string {
	if checkStreamName(name) == nil && !strings.HasPrefix(name, "$") {
		return "dp." + name
	}
	return fmt.Sprintf("dp[%q]", name)
}

func isStreamByte(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '.'
}

// checkStreamName checks a datastream id: an optional '$', then 1 to
// MaxStreamIDLen bytes of [A-Za-z0-9_.] (docs/PROTOCOL.md §7).
func checkStreamName(name string) *problem {
	rest := strings.TrimPrefix(name, "$")
	if rest == "" {
		return &problem{"dp.stream.name", fmt.Sprintf("the datastream id %q is empty", name), []string{"stream", name}}
	}
	if len(rest) > MaxStreamIDLen {
		return &problem{"dp.stream.length", fmt.Sprintf("the datastream id %q is %d bytes; OneNET allows at most %d", name, len(rest), MaxStreamIDLen),
			[]string{"stream", name, "length", itoa(len(rest)), "limit", itoa(MaxStreamIDLen)}}
	}
	for i := 0; i < len(rest); i++ {
		if !isStreamByte(rest[i]) {
			ch := string([]rune(rest[i:])[0])
			return &problem{"dp.stream.name", fmt.Sprintf("the datastream id %q contains %q: use only letters, digits, '_' and '.' (and an optional leading '$')", name, ch),
				[]string{"stream", name, "char", ch}}
		}
	}
	return nil
}

// dpID checks the upload's "id" (docs/PROTOCOL.md §7).
func dpID(v *jvalue) (int64, *problem) {
	switch {
	case v == nil:
		return 0, &problem{"dp.id.missing", `"id" is missing: add "id":<a message number from 1 to 2147483647>`, nil}
	case v.kind != jNumber:
		hint := ""
		if v.kind == jString {
			hint = fmt.Sprintf(" (write %s without quotes)", v.str)
		}
		return 0, &problem{"dp.id.type", fmt.Sprintf("is %s; it must be an integer from 1 to %d%s", v.kind, MaxDPID, hint), nil}
	case strings.ContainsAny(v.str, ".eE"):
		return 0, &problem{"dp.id.type", fmt.Sprintf("%s is not an integer: give a whole number from 1 to %d", v.str, MaxDPID), []string{"value", v.str}}
	}
	n, err := strconv.ParseInt(v.str, 10, 64)
	if err != nil || n < 1 || n > MaxDPID {
		return 0, &problem{"dp.id.range", fmt.Sprintf("%s is out of range: give a whole number from 1 to %d", v.str, MaxDPID), []string{"value", v.str, "max", itoa(MaxDPID)}}
	}
	return n, nil
}

// checkDPValue checks a datapoint's "v" (docs/PROTOCOL.md §7).
func checkDPValue(v *jvalue) *problem {
	switch v.kind {
	case jNumber, jString:
		return nil
	case jObject:
		if d := v.depth(); d > MaxDPValueDepth {
			return &problem{"dp.v.depth", fmt.Sprintf("the object is nested %d levels deep; OneNET allows at most %d", d, MaxDPValueDepth),
				[]string{"depth", itoa(d), "limit", itoa(MaxDPValueDepth)}}
		}
		return nil
	case jArray:
		return &problem{"dp.v.type", `is an array; a value is a number, a string or an object (wrap a list in an object: {"list":[…]})`, []string{"type", "array"}}
	}
	return &problem{"dp.v.type", fmt.Sprintf(`is %s; a value is a number, a string or an object (write "%s" in quotes to send it as text)`, v.kind, v.str), []string{"type", v.kind.String()}}
}

// dpTime checks a datapoint's "t" (docs/PROTOCOL.md §7: Unix seconds).
func dpTime(v *jvalue) (int64, *problem) {
	if v.kind != jNumber || strings.ContainsAny(v.str, ".eE") {
		return 0, &problem{"dp.t.type", fmt.Sprintf("is %s; it must be a whole number of Unix seconds, e.g. 1552289676", describeValue(v)), nil}
	}
	n, err := strconv.ParseInt(v.str, 10, 64)
	if err != nil {
		return 0, &problem{"dp.t.range", fmt.Sprintf("%s is out of range: give Unix seconds, e.g. 1552289676", v.str), []string{"value", v.str}}
	}
	return n, checkDPTime(n)
}

func checkDPTime(n int64) *problem {
	s := strconv.FormatInt(n, 10)
	switch {
	case n >= millis:
		return &problem{"dp.t.ms", fmt.Sprintf("%d looks like milliseconds: give Unix seconds (%d)", n, n/1000), []string{"value", s, "seconds", strconv.FormatInt(n/1000, 10)}}
	case n <= 0:
		return &problem{"dp.t.range", fmt.Sprintf("%d is not a Unix time: give a positive number of seconds, e.g. 1552289676", n), []string{"value", s}}
	}
	return nil
}

// describeValue names a value's type, and quotes it when it is short.
func describeValue(v *jvalue) string {
	switch v.kind {
	case jNumber:
		return v.str
	case jString:
		if len(v.str) <= 20 {
			return fmt.Sprintf("the string %q", v.str)
		}
	}
	return v.kind.String()
}

// DPAccepted returns OneNET's reply to an accepted upload, {"id":123}, as
// sent on dp/post/json/accepted.
func DPAccepted(id int64) []byte {
	return []byte(`{"id":` + strconv.FormatInt(id, 10) + `}`)
}

// DPRejected returns OneNET's reply to a rejected upload, as sent on
// dp/post/json/rejected: {"id":123,"err_code":98,"err_msg":"Illegal Data"}.
// The id is -1 when the upload's id could not be read (docs/PROTOCOL.md §7).
func DPRejected(id int64, code int, msg string) []byte {
	b := []byte(`{"id":`)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"err_code":`...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, `,"err_msg":`...)
	b = appendJSONString(b, msg)
	return append(b, '}')
}

// DPReply returns what OneNET answers to an upload b: KindDPAccepted and
// {"id":…} when ParseDPPost accepts it, or KindDPRejected and OneNET's
// rejection (err_code 98, "Illegal Data", the upload's id or -1) with the
// error. The connection stays open either way (docs/PROTOCOL.md §5).
func DPReply(b []byte) (Kind, []byte, error) {
	post, err := ParseDPPost(b)
	if err == nil {
		return KindDPAccepted, DPAccepted(post.ID), nil
	}
	id := int64(-1)
	if root, perr := parseJSON(b); perr == nil && root.kind == jObject {
		if n, pb := dpID(root.get("id")); pb == nil {
			id = n
		}
	}
	return KindDPRejected, DPRejected(id, DPErrIllegalData, "Illegal Data"), err
}

// A Row is one line of a datapoint builder: a datastream id and a value as
// typed into a form.
type Row struct {
	Stream string // datastream id, e.g. "temp"
	// Value is read like this: a JSON number (30, 4.5, -1e3) is a number;
	// text starting with '{' must be a JSON object; text in double quotes
	// must be a JSON string and is that string; text starting with '[' is
	// refused (OneNET takes no array value); anything else, including true,
	// false and null, is sent as a string, exactly as typed.
	Value string
	T     int64 // Unix seconds; 0 to leave "t" out
}

// BuildDPPost returns the dp/post/json payload for rows, e.g.
// {"id":1,"dp":{"temp":[{"v":30}],"power":[{"v":4.5}]}}. Datastreams appear
// in the order of their first row; rows naming the same datastream add
// datapoints to it. The output passes ParseDPPost. Errors are *Errors with
// Field "id", "stream", "value" or "t" and, for a row, Params["row"]
// (1-based).
func BuildDPPost(id int64, rows []Row) ([]byte, error) {
	if id < 1 || id > MaxDPID {
		s := strconv.FormatInt(id, 10)
		return nil, newErr("id", "dp.id.range", fmt.Sprintf("%s is out of range: give a whole number from 1 to %d", s, MaxDPID), kv("value", s, "max", itoa(MaxDPID)))
	}
	if len(rows) == 0 {
		return nil, newErr("stream", "dp.empty", "no datapoints: add a row with a datastream id and a value", nil)
	}
	type point struct {
		v []byte
		t int64
	}
	var order []string
	streams := map[string][]point{}
	for i, r := range rows {
		if pb := checkStreamName(r.Stream); pb != nil {
			return nil, pb.field("stream", i)
		}
		v, pb := valueFromText(r.Value)
		if pb != nil {
			return nil, pb.field("value", i)
		}
		if r.T != 0 {
			if pb := checkDPTime(r.T); pb != nil {
				return nil, pb.field("t", i)
			}
		}
		if _, ok := streams[r.Stream]; !ok {
			order = append(order, r.Stream)
		}
		streams[r.Stream] = append(streams[r.Stream], point{v, r.T})
	}
	b := []byte(`{"id":`)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"dp":{`...)
	for i, name := range order {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, name)
		b = append(b, `:[`...)
		for j, p := range streams[name] {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"v":`...)
			b = append(b, p.v...)
			if p.t != 0 {
				b = append(b, `,"t":`...)
				b = strconv.AppendInt(b, p.t, 10)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, "}}"...), nil
}

// valueFromText turns a form's value into a datapoint's "v" (see Row).
func valueFromText(s string) ([]byte, *problem) {
	t := strings.TrimSpace(s)
	if t == "" {
		return nil, &problem{"value.empty", "the value is empty", nil}
	}
	switch t[0] {
	case '{', '"', '[':
		v, err := parseJSON([]byte(t))
		if err != nil {
			e := err.(*Error)
			params := []string{"column", e.Params["column"], "detail", e.Params["detail"]}
			for _, k := range []string{"syntax", "char", "key", "word", "limit"} {
				if v, ok := e.Params[k]; ok {
					params = append(params, k, v)
				}
			}
			return nil, &problem{"value.syntax", "the value is not valid JSON: " + e.Params["detail"] + " at column " + e.Params["column"], params}
		}
		if pb := checkDPValue(v); pb != nil {
			return nil, pb
		}
		return compactJSON(t, v), nil
	}
	if v, err := parseJSON([]byte(t)); err == nil && v.kind == jNumber {
		return []byte(t), nil
	}
	return appendJSONString(nil, s), nil
}

// compactJSON returns the value without insignificant white space.
func compactJSON(src string, v *jvalue) []byte {
	b := make([]byte, 0, len(src))
	inString := false
	for i := v.start; i < v.end; i++ {
		c := src[i]
		switch {
		case inString:
			if c == '\\' {
				b = append(b, c, src[i+1])
				i++
				continue
			}
			if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			continue
		}
		b = append(b, c)
	}
	return b
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD;
// '<', '>' and '&' are kept as they are (unlike encoding/json).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r == '\t':
			b = append(b, '\\', 't')
		case r < 0x20 || r == 0x2028 || r == 0x2029:
			b = append(b, '\\', 'u', hex[r>>12&15], hex[r>>8&15], hex[r>>4&15], hex[r&15])
		default:
			b = append(b, string(r)...)
		}
	}
	return append(b, '"')
}
