package onenet

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Limits of OneNET Studio's thing-model messages (docs/PROTOCOL.md §9).
const (
	MaxThingIDLen = 13 // digits of a request's "id"
	// ThingCodeSuccess is the "code" of a successful reply.
	ThingCodeSuccess = 200
)

// Bounds of a "time" in milliseconds: from 10^11 (1973) below 10^14 (year
// 5138). A 10-digit value is a time in seconds.
const (
	minThingTime = 100_000_000_000
	maxThingTime = 100_000_000_000_000
	secondsLow   = 1_000_000_000
)

// A ThingRequest is a parsed OneNET Studio request: what a device posts
// (property/post, event/post, …) or receives (property/set, property/get,
// service invoke).
type ThingRequest struct {
	ID      string          // a string of 1 to 13 digits
	Version string          // e.g. "1.0"; "" when absent
	Params  json.RawMessage // as written
}

// A ThingReply is a parsed reply: {"id":"123","code":200,"msg":"success"}.
type ThingReply struct {
	ID   string
	Code int
	Msg  string          // "" when absent
	Data json.RawMessage // nil when absent
}

// paramsShape is what a request kind's "params" must be.
type paramsShape uint8

const (
	shapeProperties  paramsShape = iota // {"Id":{"value":…,"time":ms}}
	shapeObject                         // any object
	shapeNames                          // ["Id", …]
	shapeObjectOrArr                    // pack and history posts: not checked further
)

// thingRequests gives, for each request kind, the shape of its params. Only
// property/post's is given by docs/PROTOCOL.md §9; the others follow OneNET
// Studio's documentation as far as it is known, and are checked leniently.
var thingRequests = map[Kind]paramsShape{
	KindPropertyPost:          shapeProperties,
	KindEventPost:             shapeProperties,
	KindPropertyDesiredGet:    shapeNames,
	KindPropertyDesiredDelete: shapeObject,
	KindPackPost:              shapeObjectOrArr,
	KindHistoryPost:           shapeObjectOrArr,
	KindPropertySet:           shapeObject,
	KindPropertyGet:           shapeNames,
	KindServiceInvoke:         shapeObject,
}

// ParseThingRequest parses and checks a OneNET Studio request of the given
// kind (docs/PROTOCOL.md §9): an object whose "id" is a string of 1
// to 13 digits, whose "version", when present, is a string, and whose
// "params" has the kind's shape. For property/post and event/post each
// member of params is {"value": …, "time": …} with an optional "time" in
// Unix MILLISECONDS (a 10-digit value is seconds, refused). For
// property/desired/get and property/get params is an array of identifiers;
// for property/set, property/desired/delete and service invoke an object; for
// pack/post and history/post an object or an array, not checked further.
//
// A kind that is not a thing-model request is an *Error with Field "kind";
// every other error has Field "payload".
func ParseThingRequest(kind Kind, b []byte) (*ThingRequest, error) {
	shape, ok := thingRequests[kind]
	if !ok {
		return nil, newErr("kind", "kind.mismatch", fmt.Sprintf("%q is not a thing-model request topic", string(kind)), kv("kind", string(kind)))
	}
	root, err := parseJSON(b)
	if err != nil {
		return nil, err
	}
	if root.kind != jObject {
		return nil, (&problem{"payload.type", fmt.Sprintf(`the payload is %s; it must be an object such as {"id":"123","version":"1.0","params":{}}`, root.kind), nil}).at(b, root.start, "")
	}
	req := &ThingRequest{}
	if req.ID, err = thingID(b, root); err != nil {
		return nil, err
	}
	if v := root.get("version"); v != nil {
		if v.kind != jString {
			return nil, (&problem{"thing.version.type", fmt.Sprintf(`is %s; it must be a string such as "1.0"`, describeValue(v)), nil}).at(b, v.start, "version")
		}
		req.Version = v.str
	}
	params := root.get("params")
	if params == nil && shape == shapeNone {
		return req, nil
	}
	if params == nil {
		return nil, (&problem{"thing.params.missing", `"params" is missing`, nil}).at(b, root.start, "")
	}
	if err := checkParams(b, kind, shape, params); err != nil {
		return nil, err
	}
	req.Params = json.RawMessage(clone(b[params.start:params.end]))
	return req, nil
}

// thingID reads and checks "id" (docs/PROTOCOL.md §9: a string of at most 13 digits).
func thingID(b []byte, root *jvalue) (string, error) {
	v := root.get("id")
	switch {
	case v == nil:
		return "", (&problem{"thing.id.missing", `"id" is missing: add "id":"<1 to 13 digits>"`, nil}).at(b, root.start, "")
	case v.kind == jNumber:
		return "", (&problem{"thing.id.type", fmt.Sprintf(`is the number %s; it must be a string: "%s"`, v.str, v.str), []string{"value", v.str}}).at(b, v.start, "id")
	case v.kind != jString:
		return "", (&problem{"thing.id.type", fmt.Sprintf(`is %s; it must be a string of 1 to %d digits, e.g. "123"`, v.kind, MaxThingIDLen), nil}).at(b, v.start, "id")
	}
	if !isDigits(v.str) || len(v.str) > MaxThingIDLen {
		return "", (&problem{"thing.id.format", fmt.Sprintf("%q is not 1 to %d digits", v.str, MaxThingIDLen), []string{"value", v.str, "limit", itoa(MaxThingIDLen)}}).at(b, v.start, "id")
	}
	return v.str, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func checkParams(b []byte, kind Kind, shape paramsShape, params *jvalue) error {
	if shape >= shapeSubIdentity {
		return checkSubParams(b, kind, shape, params) // subdev.go
	}
	switch shape {
	case shapeNames:
		if params.kind != jArray {
			return (&problem{"thing.params.type", fmt.Sprintf(`is %s; for %s it is an array of identifiers such as ["Power"]`, params.kind, kind), nil}).at(b, params.start, "params")
		}
		for i, e := range params.elems {
			if e.kind != jString {
				return (&problem{"thing.params.type", fmt.Sprintf(`is %s; an identifier is a string such as "Power"`, describeValue(e)), []string{"index", itoa(i)}}).at(b, e.start, fmt.Sprintf("params[%d]", i))
			}
		}
		return nil
	case shapeObjectOrArr:
		if params.kind != jObject && params.kind != jArray {
			return (&problem{"thing.params.type", fmt.Sprintf("is %s; for %s it is an object or an array", params.kind, kind), nil}).at(b, params.start, "params")
		}
		return checkPack(b, kind, params)
	}
	if params.kind != jObject {
		return (&problem{"thing.params.type", fmt.Sprintf(`is %s; for %s it is an object such as {"Power":…}`, params.kind, kind), nil}).at(b, params.start, "params")
	}
	if shape != shapeProperties {
		return nil
	}
	for _, m := range params.members {
		path := "params." + m.name
		if m.val.kind != jObject {
			return (&problem{"thing.property.type", fmt.Sprintf(`is %s; it must be an object such as {"value":…,"time":1524448722123}`, describeValue(m.val)), []string{"identifier", m.name}}).at(b, m.val.start, path)
		}
		if m.val.get("value") == nil {
			return (&problem{"thing.value.missing", `"value" is missing`, []string{"identifier", m.name}}).at(b, m.val.start, path)
		}
		if t := m.val.get("time"); t != nil {
			if pb := thingTime(t); pb != nil {
				pb.params = append(pb.params, "identifier", m.name)
				return pb.at(b, t.start, path+".time")
			}
		}
	}
	return nil
}

// thingTime checks a "time" (docs/PROTOCOL.md §9: Unix milliseconds).
func thingTime(v *jvalue) *problem {
	if v.kind != jNumber || strings.ContainsAny(v.str, ".eE") {
		return &problem{"thing.time.type", fmt.Sprintf("is %s; it must be a whole number of Unix milliseconds, e.g. 1524448722123", describeValue(v)), nil}
	}
	n, err := strconv.ParseInt(v.str, 10, 64)
	switch {
	case err == nil && n >= secondsLow && n < minThingTime:
		return &problem{"thing.time.seconds", fmt.Sprintf("%d looks like seconds: give Unix milliseconds (%d000)", n, n), []string{"value", v.str, "millis", v.str + "000"}}
	case err != nil || n < minThingTime || n >= maxThingTime:
		return &problem{"thing.time.range", fmt.Sprintf("%s is not a Unix time in milliseconds, e.g. 1524448722123", v.str), []string{"value", v.str}}
	}
	return nil
}

// ParseThingReply parses and checks a OneNET Studio reply
// (docs/PROTOCOL.md §9): an object whose "id" is a string of 1 to 13
// digits, whose "code" is an integer (200 for success), whose "msg", when
// present, is a string and whose "data", when present, is kept as written.
// Every error is an *Error with Field "payload".
func ParseThingReply(b []byte) (*ThingReply, error) {
	root, err := parseJSON(b)
	if err != nil {
		return nil, err
	}
	if root.kind != jObject {
		return nil, (&problem{"payload.type", fmt.Sprintf(`the payload is %s; it must be an object such as {"id":"123","code":200,"msg":"success"}`, root.kind), nil}).at(b, root.start, "")
	}
	r := &ThingReply{}
	if r.ID, err = thingID(b, root); err != nil {
		return nil, err
	}
	c := root.get("code")
	if c == nil {
		return nil, (&problem{"thing.code.missing", `"code" is missing: add "code":200 for success`, nil}).at(b, root.start, "")
	}
	n, perr := strconv.ParseInt(c.str, 10, 32)
	if c.kind != jNumber || perr != nil {
		return nil, (&problem{"thing.code.type", fmt.Sprintf("is %s; it must be an integer such as 200", describeValue(c)), nil}).at(b, c.start, "code")
	}
	r.Code = int(n)
	if m := root.get("msg"); m != nil {
		if m.kind != jString {
			return nil, (&problem{"thing.msg.type", fmt.Sprintf(`is %s; it must be a string such as "success"`, describeValue(m)), nil}).at(b, m.start, "msg")
		}
		r.Msg = m.str
	}
	if d := root.get("data"); d != nil {
		r.Data = json.RawMessage(clone(b[d.start:d.end]))
	}
	return r, nil
}

// ThingReplyJSON returns a reply such as {"id":"123","code":200,"msg":"success"}.
func ThingReplyJSON(id string, code int, msg string) []byte {
	b := []byte(`{"id":`)
	b = appendJSONString(b, id)
	b = append(b, `,"code":`...)
	b = strconv.AppendInt(b, int64(code), 10)
	b = append(b, `,"msg":`...)
	b = appendJSONString(b, msg)
	return append(b, '}')
}

// Limits of pack/post and history/post (docs/PROTOCOL.md §9:
// OneNET's property&event.md, 批量数据上报 and 历史数据上报).
const (
	MaxPackDevices = 10  // entries of params
	MaxPackPoints  = 100 // properties and events of one entry; history points of one feature
)

// checkPack checks the documented array form of pack/post and history/post:
// at most MaxPackDevices entries {"identity"?,"properties"?,"events"?} of
// at most MaxPackPoints points each. The object form (one entry) is checked
// as one entry.
func checkPack(b []byte, kind Kind, params *jvalue) error {
	entries := params.elems
	if params.kind == jObject {
		entries = []*jvalue{params}
	}
	if len(entries) > MaxPackDevices {
		return (&problem{"thing.pack.devices", fmt.Sprintf("%d entries; %s takes at most %d devices", len(entries), kind, MaxPackDevices), []string{"limit", itoa(MaxPackDevices)}}).at(b, params.start, "params")
	}
	for i, e := range entries {
		path := fmt.Sprintf("params[%d]", i)
		if params.kind == jObject {
			path = "params"
		}
		if e.kind != jObject {
			return (&problem{"thing.params.type", fmt.Sprintf(`is %s; an entry is an object such as {"properties":{…},"events":{…}}`, describeValue(e)), nil}).at(b, e.start, path)
		}
		points := 0
		for _, name := range []string{"properties", "events"} {
			v := e.get(name)
			if v == nil || v.kind == jNull {
				continue
			}
			if v.kind != jObject {
				return (&problem{"thing.params.type", fmt.Sprintf("is %s; it must be an object", v.kind), nil}).at(b, v.start, path+"."+name)
			}
			points += len(v.members)
			if kind == KindHistoryPost {
				for _, m := range v.members {
					if m.val.kind == jArray && len(m.val.elems) > MaxPackPoints {
						return (&problem{"thing.pack.points", fmt.Sprintf("%d points; history takes at most %d per feature", len(m.val.elems), MaxPackPoints), []string{"limit", itoa(MaxPackPoints)}}).at(b, m.val.start, path+"."+name+"."+m.name)
					}
				}
			}
		}
		if points > MaxPackPoints {
			return (&problem{"thing.pack.points", fmt.Sprintf("%d points; an entry takes at most %d", points, MaxPackPoints), []string{"limit", itoa(MaxPackPoints)}}).at(b, e.start, path)
		}
	}
	return nil
}
