package onenet

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// CheckValue checks a JSON value against the data type of the identifier
// id (docs/PROTOCOL.md §9: the rules of each data type). A
// failure is an *Error with Field "value", Params "identifier" and a code
// naming the rule (tm.value.type, tm.value.range, …).
func (dt *DataType) CheckValue(id string, value []byte) error {
	v, err := parseJSON(value)
	if err != nil {
		e := err.(*Error)
		e.Field = "value"
		e.Msg = id + ": " + e.Msg
		e.Params["identifier"] = id
		return e
	}
	if pb, sub := dt.check(v); pb != nil {
		pb.params = append(pb.params, "identifier", id, "path", id+sub)
		return newErr("value", pb.code, id+sub+": "+pb.msg, kv(pb.params...))
	}
	return nil
}

// check checks v against dt; the problem's message does not name v's place.
func (dt *DataType) check(v *jvalue) (*problem, string) {
	switch dt.Type {
	case TypeInt32, TypeInt64, TypeEnum, TypeBitMap, TypeDate:
		n, pb := integer(v, dt.Type)
		if pb != nil {
			return pb, ""
		}
		switch dt.Type {
		case TypeEnum:
			for _, it := range dt.Enum {
				if it.Value == n {
					return nil, ""
				}
			}
			return &problem{"tm.value.enum", fmt.Sprintf("%d is not one of the enum's values (%s)", n, enumList(dt.Enum)), []string{"value", v.str, "values", enumList(dt.Enum)}}, ""
		case TypeBitMap:
			if n < 0 || dt.Length < 63 && n >= int64(1)<<dt.Length {
				return &problem{"tm.value.bitmap", fmt.Sprintf("%d is not a bitMap of %d bits (0 to 2^%d-1)", n, dt.Length, dt.Length), []string{"value", v.str, "bits", itoa(dt.Length)}}, ""
			}
			if len(dt.Bits) > 0 {
				for bit := 0; bit < 64; bit++ {
					if n&(1<<bit) != 0 && !hasBit(dt.Bits, bit) {
						return &problem{"tm.value.bitmap", fmt.Sprintf("%d sets bit %d, which the model does not name (%d bits)", n, bit, dt.Length), []string{"value", v.str, "bits", itoa(dt.Length)}}, ""
					}
				}
			}
		case TypeDate:
			switch {
			case n >= secondsLow && n < minThingTime:
				return &problem{"tm.value.seconds", fmt.Sprintf("%d looks like seconds: a date is Unix milliseconds (%d000)", n, n), []string{"value", v.str}}, ""
			case n < 0:
				return &problem{"tm.value.range", fmt.Sprintf("%d is outside 0 to %d: a date is Unix milliseconds", n, int64(math.MaxInt64)), []string{"value", v.str, "min", "0", "max", "9223372036854775807"}}, ""
			}
		default:
			if n < dt.IntMin || n > dt.IntMax {
				return &problem{"tm.value.range", fmt.Sprintf("%d is outside %d to %d", n, dt.IntMin, dt.IntMax), []string{"value", v.str, "min", i64(dt.IntMin), "max", i64(dt.IntMax)}}, ""
			}
			if dt.IntStep > 0 {
				if d := new(big).sub(n, dt.IntMin); !d.multipleOf(dt.IntStep) {
					return &problem{"tm.value.step", fmt.Sprintf("%d is not min %d plus a multiple of the step %d", n, dt.IntMin, dt.IntStep), []string{"value", v.str, "min", i64(dt.IntMin), "step", i64(dt.IntStep)}}, ""
				}
			}
		}
	case TypeFloat, TypeDouble:
		if v.kind != jNumber {
			return typeProblem(v, dt.Type, "a number"), ""
		}
		x, err := strconv.ParseFloat(v.str, 64)
		if err != nil || dt.Type == TypeFloat && math.Abs(x) > math.MaxFloat32 {
			lim := fmtFloat(math.MaxFloat32)
			return &problem{"tm.value.range", fmt.Sprintf("%s is outside -%s to %s, the range of %s", v.str, lim, lim, dt.Type), []string{"value", v.str, "min", "-" + lim, "max", lim}}, ""
		}
		if x < dt.Min || x > dt.Max {
			return &problem{"tm.value.range", fmt.Sprintf("%s is outside %s to %s", v.str, fmtFloat(dt.Min), fmtFloat(dt.Max)), []string{"value", v.str, "min", fmtFloat(dt.Min), "max", fmtFloat(dt.Max)}}, ""
		}
		if dt.Step > 0 {
			q := (x - dt.Min) / dt.Step
			if math.Abs(q-math.Round(q)) > 1e-6*math.Max(1, math.Abs(q)) {
				return &problem{"tm.value.step", fmt.Sprintf("%s is not min %s plus a multiple of the step %s", v.str, fmtFloat(dt.Min), fmtFloat(dt.Step)), []string{"value", v.str, "min", fmtFloat(dt.Min), "step", fmtFloat(dt.Step)}}, ""
			}
		}
	case TypeBool:
		if v.kind != jBool {
			return typeProblem(v, dt.Type, "true or false"), ""
		}
	case TypeString:
		if v.kind != jString {
			return typeProblem(v, dt.Type, "a string"), ""
		}
		if n := utf8.RuneCountInString(v.str); dt.Length > 0 && n > dt.Length {
			return &problem{"tm.value.length", fmt.Sprintf("%d characters; the string holds at most %d", n, dt.Length), []string{"count", itoa(n), "limit", itoa(dt.Length)}}, ""
		}
	case TypeArray:
		if v.kind != jArray {
			return typeProblem(v, dt.Type, "an array"), ""
		}
		if len(v.elems) > dt.Length {
			return &problem{"tm.value.size", fmt.Sprintf("%d elements; the array holds at most %d", len(v.elems), dt.Length), []string{"count", itoa(len(v.elems)), "limit", itoa(dt.Length)}}, ""
		}
		for i, e := range v.elems {
			if pb, sub := dt.Elem.check(e); pb != nil {
				return pb, fmt.Sprintf("[%d]", i) + sub
			}
		}
	case TypeStruct:
		if v.kind != jObject {
			return typeProblem(v, dt.Type, "an object"), ""
		}
		for _, m := range v.members {
			p := findParam(dt.Members, m.name)
			if p == nil {
				return &problem{"tm.value.member", fmt.Sprintf("%q is not a member of the struct (%s)", m.name, paramList(dt.Members)), []string{"member", m.name, "members", paramList(dt.Members)}}, ""
			}
			if pb, sub := p.DataType.check(m.val); pb != nil {
				return pb, "." + m.name + sub
			}
		}
	}
	return nil, ""
}

// integer reads an integer value exactly (an int64 beyond 2^53 keeps every
// digit).
func integer(v *jvalue, typ string) (int64, *problem) {
	if v.kind != jNumber {
		return 0, typeProblem(v, typ, "an integer")
	}
	n, err := strconv.ParseInt(v.str, 10, 64)
	if err != nil {
		if strings.ContainsAny(v.str, ".eE") {
			return 0, &problem{"tm.value.type", fmt.Sprintf("%s is not an integer; %s needs one", v.str, typ), []string{"value", v.str, "type", typ}}
		}
		return 0, &problem{"tm.value.range", fmt.Sprintf("%s is outside %d to %d", v.str, int64(math.MinInt64), int64(math.MaxInt64)), []string{"value", v.str, "min", i64(math.MinInt64), "max", i64(math.MaxInt64)}}
	}
	return n, nil
}

func typeProblem(v *jvalue, typ, want string) *problem {
	return &problem{"tm.value.type", fmt.Sprintf("is %s; %s needs %s", describeValue(v), typ, want), []string{"type", typ}}
}

func hasBit(bits []EnumItem, bit int) bool {
	for _, b := range bits {
		if b.Value == int64(bit) {
			return true
		}
	}
	return false
}

func enumList(items []EnumItem) string {
	var sb strings.Builder
	for i, it := range items {
		if i == 8 {
			sb.WriteString(", …")
			break
		}
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(strconv.FormatInt(it.Value, 10))
	}
	return sb.String()
}

func paramList(ps []Param) string {
	var sb strings.Builder
	for i, p := range ps {
		if i == 8 {
			sb.WriteString(", …")
			break
		}
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(p.Identifier)
	}
	if len(ps) == 0 {
		return "none"
	}
	return sb.String()
}

// big is the difference of two int64s, which may not fit one.
type big struct {
	neg bool
	mag uint64
}

func (d *big) sub(a, b int64) *big {
	if a >= b {
		d.mag = uint64(a) - uint64(b)
	} else {
		d.neg, d.mag = true, uint64(b)-uint64(a)
	}
	return d
}

func (d *big) multipleOf(step int64) bool { return d.mag%uint64(step) == 0 }

// CheckRequest checks a thing-model request of the given kind against the
// model (docs/PROTOCOL.md §9), after ParseThingRequest's checks:
//
//   - property/post: each identifier is a property, each value valid;
//   - event/post: each identifier is an event, its value an object of the
//     event's output parameters;
//   - property/set: each identifier a writable property, each value valid;
//   - property/get, property/desired/get, property/desired/delete: each
//     identifier a property;
//   - service/{identifier}/invoke: identifier is a service, params are its
//     input parameters;
//   - pack/post, history/post: the properties and events of each entry
//     without an "identity" (a sub-device's entry follows its own model).
//
// Failures are *Error with Field "payload" whose Params hold "path",
// "identifier" (when one is at fault), "line", "column" and "offset".
// identifier is the service of a service invoke, otherwise ignored.
func (m *ThingModel) CheckRequest(kind Kind, identifier string, b []byte) error {
	if _, err := ParseThingRequest(kind, b); err != nil {
		return err
	}
	root, _ := parseJSON(b)
	params := root.get("params")
	c := &msgChecker{m: m, b: b}
	switch kind {
	case KindPropertyPost:
		return c.properties(params, "params", false)
	case KindEventPost:
		return c.events(params, "params", false)
	case KindPropertySet:
		for _, mem := range params.members {
			path := "params." + mem.name
			p := m.Property(mem.name)
			if p == nil {
				return c.unknown(mem.val, path, "property", mem.name)
			}
			if !p.Writable() {
				return (&problem{"tm.access.readonly", fmt.Sprintf("%s is read-only (accessMode r): the platform cannot set it", mem.name), []string{"identifier", mem.name}}).at(b, mem.val.start, path)
			}
			if err := c.value(&p.DataType, mem.val, path, mem.name); err != nil {
				return err
			}
		}
	case KindPropertyGet, KindPropertyDesiredGet:
		for i, e := range params.elems {
			if m.Property(e.str) == nil {
				return c.unknown(e, fmt.Sprintf("params[%d]", i), "property", e.str)
			}
		}
	case KindPropertyDesiredDelete:
		for _, mem := range params.members {
			if m.Property(mem.name) == nil {
				return c.unknown(mem.val, "params."+mem.name, "property", mem.name)
			}
		}
	case KindServiceInvoke:
		s := m.Service(identifier)
		if s == nil {
			return c.unknown(root, "", "service", identifier)
		}
		return c.params(s.Input, params, "params", identifier)
	case KindPackPost, KindHistoryPost:
		entries := params.elems
		if params.kind == jObject {
			entries = []*jvalue{params}
		}
		history := kind == KindHistoryPost
		for i, e := range entries {
			path := fmt.Sprintf("params[%d]", i)
			if params.kind == jObject {
				path = "params"
			}
			if e.kind != jObject || e.get("identity") != nil {
				continue
			}
			if p := e.get("properties"); p != nil {
				if err := c.properties(p, path+".properties", history); err != nil {
					return err
				}
			}
			if ev := e.get("events"); ev != nil {
				if err := c.events(ev, path+".events", history); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// CheckReply checks a device's reply against the model, after
// ParseThingReply's checks: property/get_reply's "data" holds valid values
// of properties; service/{identifier}/invoke_reply's "data" holds the
// service's output parameters. Other replies have nothing to check. Errors
// are as CheckRequest's.
func (m *ThingModel) CheckReply(kind Kind, identifier string, b []byte) error {
	if _, err := ParseThingReply(b); err != nil {
		return err
	}
	root, _ := parseJSON(b)
	data := root.get("data")
	if data == nil || data.kind == jNull {
		return nil
	}
	c := &msgChecker{m: m, b: b}
	switch kind {
	case KindPropertyGetReply:
		if data.kind != jObject {
			return (&problem{"thing.params.type", fmt.Sprintf("is %s; it must be an object of property values", data.kind), nil}).at(b, data.start, "data")
		}
		for _, mem := range data.members {
			p := m.Property(mem.name)
			if p == nil {
				return c.unknown(mem.val, "data."+mem.name, "property", mem.name)
			}
			if err := c.value(&p.DataType, mem.val, "data."+mem.name, mem.name); err != nil {
				return err
			}
		}
	case KindServiceInvokeReply:
		s := m.Service(identifier)
		if s == nil {
			return c.unknown(root, "", "service", identifier)
		}
		return c.params(s.Output, data, "data", identifier)
	}
	return nil
}

type msgChecker struct {
	m *ThingModel
	b []byte
}

func (c *msgChecker) unknown(v *jvalue, path, what, id string) error {
	var known string
	switch what {
	case "property":
		known = idList(len(c.m.Properties), func(i int) string { return c.m.Properties[i].Identifier })
	case "event":
		known = idList(len(c.m.Events), func(i int) string { return c.m.Events[i].Identifier })
	case "service":
		known = idList(len(c.m.Services), func(i int) string { return c.m.Services[i].Identifier })
	}
	return (&problem{"tm.identifier.unknown", fmt.Sprintf("%q is not a %s of the model (%s)", id, what, known), []string{"identifier", id, "known", known}}).at(c.b, v.start, path)
}

func idList(n int, at func(int) string) string {
	if n == 0 {
		return "it has none"
	}
	var sb strings.Builder
	for i := 0; i < n && i < 8; i++ {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(at(i))
	}
	if n > 8 {
		sb.WriteString(", …")
	}
	return sb.String()
}

// value checks v against dt; path names v, id the identifier at fault.
func (c *msgChecker) value(dt *DataType, v *jvalue, path, id string) error {
	if pb, sub := dt.check(v); pb != nil {
		pb.params = append(pb.params, "identifier", id)
		return pb.at(c.b, v.start, path+sub)
	}
	return nil
}

// properties checks {"Id":{"value":…,"time":…}} (or, for history, arrays of
// them).
func (c *msgChecker) properties(params *jvalue, path string, history bool) error {
	if params.kind != jObject {
		return (&problem{"thing.params.type", fmt.Sprintf("is %s; it must be an object of properties", params.kind), nil}).at(c.b, params.start, path)
	}
	for _, mem := range params.members {
		at := path + "." + mem.name
		p := c.m.Property(mem.name)
		if p == nil {
			return c.unknown(mem.val, at, "property", mem.name)
		}
		if err := c.points(mem.val, at, history, func(v *jvalue, vpath string) error {
			return c.value(&p.DataType, v, vpath, mem.name)
		}); err != nil {
			return err
		}
	}
	return nil
}

// events checks {"Id":{"value":{output params},"time":…}}.
func (c *msgChecker) events(params *jvalue, path string, history bool) error {
	if params.kind != jObject {
		return (&problem{"thing.params.type", fmt.Sprintf("is %s; it must be an object of events", params.kind), nil}).at(c.b, params.start, path)
	}
	for _, mem := range params.members {
		at := path + "." + mem.name
		ev := c.m.Event(mem.name)
		if ev == nil {
			return c.unknown(mem.val, at, "event", mem.name)
		}
		if err := c.points(mem.val, at, history, func(v *jvalue, vpath string) error {
			return c.params(ev.Output, v, vpath, mem.name)
		}); err != nil {
			return err
		}
	}
	return nil
}

// points calls check on the "value" of {"value":…,"time":…}, or of each
// element of an array of them for history.
func (c *msgChecker) points(v *jvalue, path string, history bool, check func(*jvalue, string) error) error {
	one := func(p *jvalue, at string) error {
		if p.kind != jObject {
			return (&problem{"thing.property.type", fmt.Sprintf(`is %s; it must be an object such as {"value":…,"time":1524448722123}`, describeValue(p)), nil}).at(c.b, p.start, at)
		}
		val := p.get("value")
		if val == nil {
			return (&problem{"thing.value.missing", `"value" is missing`, nil}).at(c.b, p.start, at)
		}
		if t := p.get("time"); t != nil {
			if pb := thingTime(t); pb != nil {
				return pb.at(c.b, t.start, at+".time")
			}
		}
		return check(val, at+".value")
	}
	if !history {
		return one(v, path)
	}
	if v.kind != jArray {
		return (&problem{"thing.property.type", fmt.Sprintf(`is %s; history gives an array of {"value":…,"time":…}`, v.kind), nil}).at(c.b, v.start, path)
	}
	for i, e := range v.elems {
		if err := one(e, fmt.Sprintf("%s[%d]", path, i)); err != nil {
			return err
		}
	}
	return nil
}

// params checks an object of parameters (an event's output, a service's
// input or output); owner is the event or service.
func (c *msgChecker) params(list []Param, v *jvalue, path, owner string) error {
	if v.kind != jObject {
		return (&problem{"thing.params.type", fmt.Sprintf("is %s; %s's parameters are an object", v.kind, owner), []string{"identifier", owner}}).at(c.b, v.start, path)
	}
	for _, mem := range v.members {
		at := path + "." + mem.name
		p := findParam(list, mem.name)
		if p == nil {
			return (&problem{"tm.param.unknown", fmt.Sprintf("%q is not a parameter of %s (%s)", mem.name, owner, paramList(list)), []string{"identifier", mem.name, "owner", owner, "known", paramList(list)}}).at(c.b, mem.val.start, at)
		}
		if err := c.value(&p.DataType, mem.val, at, mem.name); err != nil {
			return err
		}
	}
	return nil
}

func i64(n int64) string { return strconv.FormatInt(n, 10) }
