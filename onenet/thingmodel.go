package onenet

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Limits of a thing-model description file (docs/PROTOCOL.md §9). MaxFeatures is OneNET's ("功能点数量不超过100个"); the others are
// this package's bounds on what a hostile file may make it hold.
const (
	MaxFeatures      = 100     // properties, events and services together
	MaxModelSize     = 1 << 20 // bytes of a description file
	MaxModelParams   = 100     // parameters of an event or service, members of a struct
	MaxEnumValues    = 1000    // values of an enum
	MaxIdentifierLen = 64      // bytes of an identifier
	MaxStringSpec    = 1 << 20 // the largest "length" of a string or array
	MaxBitMapBits    = 64      // bits of a bitMap
)

// Data types of the thing model (docs/PROTOCOL.md §9: OneNET's
// introduce.md, 数据类型支持).
const (
	TypeInt32  = "int32"
	TypeInt64  = "int64"
	TypeFloat  = "float"
	TypeDouble = "double"
	TypeDate   = "date"
	TypeBool   = "bool"
	TypeString = "string"
	TypeEnum   = "enum"
	TypeBitMap = "bitMap"
	TypeArray  = "array"
	TypeStruct = "struct"
)

// A ThingModel is a product's thing model as the OneNET console exports it:
// {"properties":[…],"events":[…],"services":[…]}. Members the model does not
// use ("version", "profile", "combs", "functionMode", "required", …) are
// ignored.
type ThingModel struct {
	Properties []Property `json:"properties"`
	Events     []Event    `json:"events"`
	Services   []Service  `json:"services"`
}

// A Property is a property point.
type Property struct {
	Identifier string   `json:"identifier"`
	Name       string   `json:"name"`
	AccessMode string   `json:"accessMode"` // "r" or "rw"
	DataType   DataType `json:"dataType"`
	Desc       string   `json:"desc,omitempty"`
}

// Writable reports whether the platform may set the property.
func (p *Property) Writable() bool { return p.AccessMode != "r" }

// An Event is an event point with its output parameters.
type Event struct {
	Identifier string  `json:"identifier"`
	Name       string  `json:"name"`
	EventType  string  `json:"eventType,omitempty"` // info, alert or error
	Output     []Param `json:"outputData"`
	Desc       string  `json:"desc,omitempty"`
}

// A Service is a service point with its input and output parameters.
type Service struct {
	Identifier string  `json:"identifier"`
	Name       string  `json:"name"`
	CallType   string  `json:"callType,omitempty"` // sync or async
	Input      []Param `json:"inputData"`
	Output     []Param `json:"outputData"`
	Desc       string  `json:"desc,omitempty"`
}

// A Param is an event's or service's parameter, or a struct's member.
type Param struct {
	Identifier string   `json:"identifier"`
	Name       string   `json:"name"`
	DataType   DataType `json:"dataType"`
}

// A DataType is a data type with its specs. Which fields are used depends on
// Type:
//
//   - int32, int64: IntMin, IntMax, IntStep (0: none), Unit;
//   - float, double: Min, Max, Step (0: none), Unit;
//   - date: nothing (Unix milliseconds);
//   - bool: True and False, the names of the two values;
//   - string: Length, the most characters;
//   - enum: Enum, the values with their names, in the file's order;
//   - bitMap: Length, the number of bits (values 0 … 2^Length−1), and Bits,
//     names of bits when the file gives them;
//   - array: Length, the most elements, and Elem, their type;
//   - struct: Members.
type DataType struct {
	Type    string     `json:"type"`
	IntMin  int64      `json:"intMin,omitempty"`
	IntMax  int64      `json:"intMax,omitempty"`
	IntStep int64      `json:"intStep,omitempty"`
	Min     float64    `json:"min,omitempty"`
	Max     float64    `json:"max,omitempty"`
	Step    float64    `json:"step,omitempty"`
	Unit    string     `json:"unit,omitempty"`
	True    string     `json:"true,omitempty"`
	False   string     `json:"false,omitempty"`
	Length  int        `json:"length,omitempty"`
	Enum    []EnumItem `json:"enum,omitempty"`
	Bits    []EnumItem `json:"bits,omitempty"`
	Elem    *DataType  `json:"elem,omitempty"`
	Members []Param    `json:"members,omitempty"`
}

// An EnumItem is one value of an enum (or one bit of a bitMap) and its name.
type EnumItem struct {
	Value int64  `json:"value"`
	Name  string `json:"name"`
}

// Property returns the property with the given identifier, or nil.
func (m *ThingModel) Property(id string) *Property {
	for i := range m.Properties {
		if m.Properties[i].Identifier == id {
			return &m.Properties[i]
		}
	}
	return nil
}

// Event returns the event with the given identifier, or nil.
func (m *ThingModel) Event(id string) *Event {
	for i := range m.Events {
		if m.Events[i].Identifier == id {
			return &m.Events[i]
		}
	}
	return nil
}

// Service returns the service with the given identifier, or nil.
func (m *ThingModel) Service(id string) *Service {
	for i := range m.Services {
		if m.Services[i].Identifier == id {
			return &m.Services[i]
		}
	}
	return nil
}

func findParam(ps []Param, id string) *Param {
	for i := range ps {
		if ps[i].Identifier == id {
			return &ps[i]
		}
	}
	return nil
}

// ParseThingModel parses and checks a thing-model description file
// (docs/PROTOCOL.md §9). Every failure is an *Error with Field
// "model" and, in Params "path", the place at fault, e.g.
// properties[3].dataType.specs.max (a file that is not JSON has Field
// "payload", as CheckJSON gives it).
//
// Specs are read as the console writes them: numbers as strings or numbers,
// an empty string or null for "none"; an int32 or int64 without min or max
// is bounded by its type. An enum's specs map integer keys to names; a
// bool's map "true" and "false" to names; a bitMap's give "length" (bits)
// or map bit numbers to names; an array's give "length", its element "type"
// and their "specs"; a struct's are an array of members, which are neither
// arrays nor structs. Identifiers are 1 to MaxIdentifierLen bytes of
// [A-Za-z0-9_] (a leading '$' marks a system point), unique in the model and
// in each parameter list.
func ParseThingModel(b []byte) (*ThingModel, error) {
	if len(b) > MaxModelSize {
		return nil, newErr("model", "model.size", fmt.Sprintf("the file is %d bytes; at most %d are read", len(b), MaxModelSize), kv("size", itoa(len(b)), "limit", itoa(MaxModelSize)))
	}
	root, err := parseJSON(b)
	if err != nil {
		return nil, err
	}
	p := &modelParser{}
	if root.kind != jObject {
		return nil, p.fail("", "model.type", "is %s; a thing model is an object such as {\"properties\":[…],\"events\":[…],\"services\":[…]}", root.kind)
	}
	m := &ThingModel{}
	ids := map[string]string{}
	count := 0
	lists := []struct {
		name string
		add  func(path string, v *jvalue) error
	}{
		{"properties", func(path string, v *jvalue) error {
			pr, err := p.property(path, v)
			if err == nil {
				m.Properties = append(m.Properties, pr)
			}
			return err
		}},
		{"events", func(path string, v *jvalue) error {
			ev, err := p.event(path, v)
			if err == nil {
				m.Events = append(m.Events, ev)
			}
			return err
		}},
		{"services", func(path string, v *jvalue) error {
			sv, err := p.service(path, v)
			if err == nil {
				m.Services = append(m.Services, sv)
			}
			return err
		}},
	}
	for _, l := range lists {
		v := root.get(l.name)
		if v == nil || v.kind == jNull {
			continue
		}
		if v.kind != jArray {
			return nil, p.fail(l.name, "model.type", "is %s; it must be an array", v.kind)
		}
		for i, e := range v.elems {
			path := fmt.Sprintf("%s[%d]", l.name, i)
			count++
			if count > MaxFeatures {
				return nil, p.fail(path, "model.features", "more than %d feature points (properties, events and services together)", MaxFeatures)
			}
			if err := l.add(path, e); err != nil {
				return nil, err
			}
			id := e.get("identifier").str
			if prev, dup := ids[id]; dup {
				return nil, p.fail(path+".identifier", "model.duplicate", "%q is also the identifier of %s", id, prev)
			}
			ids[id] = path
		}
	}
	return m, nil
}

type modelParser struct{}

func (p *modelParser) fail(path, code, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	return newErr("model", code, msg, kv("path", path))
}

func (p *modelParser) object(path string, v *jvalue) error {
	if v.kind != jObject {
		return p.fail(path, "model.type", "is %s; it must be an object", v.kind)
	}
	return nil
}

// str reads an optional string member ("" when absent or null).
func (p *modelParser) str(path string, v *jvalue, name string) (string, error) {
	m := v.get(name)
	if m == nil || m.kind == jNull {
		return "", nil
	}
	if m.kind != jString {
		return "", p.fail(path+"."+name, "model.type", "is %s; it must be a string", m.kind)
	}
	return m.str, nil
}

func (p *modelParser) identifier(path string, v *jvalue) (string, error) {
	m := v.get("identifier")
	path += ".identifier"
	switch {
	case m == nil:
		return "", p.fail(path, "model.missing", "is missing")
	case m.kind != jString:
		return "", p.fail(path, "model.type", "is %s; it must be a string", m.kind)
	}
	if msg := identifierProblem(m.str); msg != "" {
		return "", p.fail(path, "model.identifier", "%s", msg)
	}
	return m.str, nil
}

// identifierProblem says why s is not an identifier, or returns "".
func identifierProblem(s string) string {
	body := strings.TrimPrefix(s, "$")
	switch {
	case body == "":
		return "the identifier is empty"
	case len(s) > MaxIdentifierLen:
		return fmt.Sprintf("the identifier is longer than %d bytes", MaxIdentifierLen)
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return fmt.Sprintf("%q holds a character outside [A-Za-z0-9_]", s)
		}
	}
	return ""
}

func (p *modelParser) property(path string, v *jvalue) (Property, error) {
	var pr Property
	var err error
	if err = p.object(path, v); err != nil {
		return pr, err
	}
	if pr.Identifier, err = p.identifier(path, v); err != nil {
		return pr, err
	}
	if pr.Name, err = p.str(path, v, "name"); err != nil {
		return pr, err
	}
	if pr.Desc, err = p.str(path, v, "desc"); err != nil {
		return pr, err
	}
	if pr.AccessMode, err = p.str(path, v, "accessMode"); err != nil {
		return pr, err
	}
	switch pr.AccessMode {
	case "":
		pr.AccessMode = "rw"
	case "r", "rw":
	default:
		return pr, p.fail(path+".accessMode", "model.access", "%q is neither \"r\" (read-only) nor \"rw\" (read-write)", pr.AccessMode)
	}
	pr.DataType, err = p.dataType(path, v, 0)
	return pr, err
}

func (p *modelParser) event(path string, v *jvalue) (Event, error) {
	var ev Event
	var err error
	if err = p.object(path, v); err != nil {
		return ev, err
	}
	if ev.Identifier, err = p.identifier(path, v); err != nil {
		return ev, err
	}
	if ev.Name, err = p.str(path, v, "name"); err != nil {
		return ev, err
	}
	if ev.Desc, err = p.str(path, v, "desc"); err != nil {
		return ev, err
	}
	if ev.EventType, err = p.str(path, v, "eventType"); err != nil {
		return ev, err
	}
	switch ev.EventType {
	case "", "info", "alert", "error":
	default:
		return ev, p.fail(path+".eventType", "model.eventType", "%q is not info, alert or error", ev.EventType)
	}
	ev.Output, err = p.params(path, v, "outputData", "output")
	return ev, err
}

func (p *modelParser) service(path string, v *jvalue) (Service, error) {
	var sv Service
	var err error
	if err = p.object(path, v); err != nil {
		return sv, err
	}
	if sv.Identifier, err = p.identifier(path, v); err != nil {
		return sv, err
	}
	if sv.Name, err = p.str(path, v, "name"); err != nil {
		return sv, err
	}
	if sv.Desc, err = p.str(path, v, "desc"); err != nil {
		return sv, err
	}
	if sv.CallType, err = p.str(path, v, "callType"); err != nil {
		return sv, err
	}
	switch sv.CallType {
	case "", "sync", "async":
	default:
		return sv, p.fail(path+".callType", "model.callType", "%q is neither sync nor async", sv.CallType)
	}
	if sv.Input, err = p.params(path, v, "inputData", "input"); err != nil {
		return sv, err
	}
	sv.Output, err = p.params(path, v, "outputData", "output")
	return sv, err
}

// params reads a parameter list named name (or alt, the name OneNET's API
// uses); absent is empty.
func (p *modelParser) params(path string, v *jvalue, name, alt string) ([]Param, error) {
	l := v.get(name)
	if l == nil {
		if l = v.get(alt); l != nil {
			name = alt
		}
	}
	if l == nil || l.kind == jNull {
		return nil, nil
	}
	path += "." + name
	if l.kind != jArray {
		return nil, p.fail(path, "model.type", "is %s; it must be an array", l.kind)
	}
	return p.paramList(path, l, 0)
}

// paramList reads parameters or struct members; level is 1 inside a struct.
func (p *modelParser) paramList(path string, l *jvalue, level int) ([]Param, error) {
	if len(l.elems) > MaxModelParams {
		return nil, p.fail(path, "model.params", "%d parameters; at most %d are read", len(l.elems), MaxModelParams)
	}
	out := make([]Param, 0, len(l.elems))
	seen := map[string]int{}
	for i, e := range l.elems {
		at := fmt.Sprintf("%s[%d]", path, i)
		if err := p.object(at, e); err != nil {
			return nil, err
		}
		var pa Param
		var err error
		if pa.Identifier, err = p.identifier(at, e); err != nil {
			return nil, err
		}
		if j, dup := seen[pa.Identifier]; dup {
			return nil, p.fail(at+".identifier", "model.duplicate", "%q is also the identifier of %s[%d]", pa.Identifier, path, j)
		}
		seen[pa.Identifier] = i
		if pa.Name, err = p.str(at, e, "name"); err != nil {
			return nil, err
		}
		if pa.DataType, err = p.dataType(at, e, level); err != nil {
			return nil, err
		}
		out = append(out, pa)
	}
	return out, nil
}

// dataType reads v's "dataType". level is 0 for a property or parameter, 1
// for a struct member, 2 for an array's element.
func (p *modelParser) dataType(path string, v *jvalue, level int) (DataType, error) {
	path += ".dataType"
	d := v.get("dataType")
	if d == nil {
		return DataType{}, p.fail(path, "model.missing", "is missing")
	}
	if err := p.object(path, d); err != nil {
		return DataType{}, err
	}
	t := d.get("type")
	switch {
	case t == nil:
		return DataType{}, p.fail(path+".type", "model.missing", "is missing")
	case t.kind != jString:
		return DataType{}, p.fail(path+".type", "model.type", "is %s; it must be a string", t.kind)
	}
	return p.specs(path, t.str, d.get("specs"), level)
}

// specs reads the specs of type typ at path (the dataType's path).
func (p *modelParser) specs(path, typ string, s *jvalue, level int) (DataType, error) {
	dt := DataType{Type: typ}
	at := path + ".specs"
	if s != nil && s.kind == jNull {
		s = nil
	}
	switch typ {
	case TypeInt32, TypeInt64:
		lo, hi := int64(math.MinInt32), int64(math.MaxInt32)
		if typ == TypeInt64 {
			lo, hi = math.MinInt64, math.MaxInt64
		}
		dt.IntMin, dt.IntMax = lo, hi
		if s == nil {
			return dt, nil
		}
		if err := p.object(at, s); err != nil {
			return dt, err
		}
		for _, f := range []struct {
			name string
			dst  *int64
		}{{"min", &dt.IntMin}, {"max", &dt.IntMax}, {"step", &dt.IntStep}} {
			lit, err := p.numberSpec(at, s, f.name)
			if err != nil || lit == "" {
				if err != nil {
					return dt, err
				}
				continue
			}
			n, perr := strconv.ParseInt(lit, 10, 64)
			if perr != nil || n < lo || n > hi {
				return dt, p.fail(at+"."+f.name, "model.specs", "%q is not an integer of %s", lit, typ)
			}
			*f.dst = n
		}
		if dt.IntMin > dt.IntMax {
			return dt, p.fail(at+".min", "model.specs", "min %d is greater than max %d", dt.IntMin, dt.IntMax)
		}
		if dt.IntStep < 0 {
			return dt, p.fail(at+".step", "model.specs", "the step %d is negative", dt.IntStep)
		}
		dt.Unit, _ = p.str(at, s, "unit")
	case TypeFloat, TypeDouble:
		limit := math.MaxFloat64
		if typ == TypeFloat {
			limit = math.MaxFloat32
		}
		dt.Min, dt.Max = -limit, limit
		if s == nil {
			return dt, nil
		}
		if err := p.object(at, s); err != nil {
			return dt, err
		}
		for _, f := range []struct {
			name string
			dst  *float64
		}{{"min", &dt.Min}, {"max", &dt.Max}, {"step", &dt.Step}} {
			lit, err := p.numberSpec(at, s, f.name)
			if err != nil {
				return dt, err
			}
			if lit == "" {
				continue
			}
			x, perr := strconv.ParseFloat(lit, 64)
			if perr != nil || math.IsNaN(x) || math.Abs(x) > limit {
				return dt, p.fail(at+"."+f.name, "model.specs", "%q is not a number of type %s", lit, typ)
			}
			*f.dst = x
		}
		if dt.Min > dt.Max {
			return dt, p.fail(at+".min", "model.specs", "min %s is greater than max %s", fmtFloat(dt.Min), fmtFloat(dt.Max))
		}
		if dt.Step < 0 {
			return dt, p.fail(at+".step", "model.specs", "the step %s is negative", fmtFloat(dt.Step))
		}
		dt.Unit, _ = p.str(at, s, "unit")
	case TypeDate:
	case TypeBool:
		dt.True, dt.False = "true", "false"
		if s == nil {
			return dt, nil
		}
		if err := p.object(at, s); err != nil {
			return dt, err
		}
		for _, k := range []string{"true", "false"} {
			n, err := p.str(at, s, k)
			if err != nil {
				return dt, err
			}
			if n != "" && k == "true" {
				dt.True = n
			} else if n != "" {
				dt.False = n
			}
		}
	case TypeString:
		if s == nil {
			return dt, p.fail(at, "model.missing", "is missing; a string's specs give its \"length\"")
		}
		if err := p.object(at, s); err != nil {
			return dt, err
		}
		n, err := p.lengthSpec(at, s, true)
		if err != nil {
			return dt, err
		}
		dt.Length = n
	case TypeEnum:
		if s == nil {
			return dt, p.fail(at, "model.missing", "is missing; an enum's specs map its values to names, e.g. {\"0\":\"off\",\"1\":\"on\"}")
		}
		items, err := p.numbered(at, s, MaxEnumValues, false)
		if err != nil {
			return dt, err
		}
		if len(items) == 0 {
			return dt, p.fail(at, "model.specs", "an enum has no values")
		}
		dt.Enum = items
	case TypeBitMap:
		dt.Length = 32
		if s == nil {
			return dt, nil
		}
		if err := p.object(at, s); err != nil {
			return dt, err
		}
		if s.get("length") != nil {
			n, err := p.lengthSpec(at, s, true)
			if err != nil {
				return dt, err
			}
			if n > MaxBitMapBits {
				return dt, p.fail(at+".length", "model.specs", "%d bits; a bitMap has at most %d", n, MaxBitMapBits)
			}
			dt.Length = n
			return dt, nil
		}
		items, err := p.numbered(at, s, MaxBitMapBits, true)
		if err != nil {
			return dt, err
		}
		dt.Bits = items
		for _, it := range items {
			dt.Length = max(dt.Length, int(it.Value)+1)
		}
	case TypeArray:
		if level > 0 {
			return dt, p.fail(path+".type", "model.nesting", "an array cannot be inside a struct or an array")
		}
		if s == nil {
			return dt, p.fail(at, "model.missing", "is missing; an array's specs give \"length\", \"type\" and \"specs\"")
		}
		if err := p.object(at, s); err != nil {
			return dt, err
		}
		n, err := p.lengthSpec(at, s, true)
		if err != nil {
			return dt, err
		}
		dt.Length = n
		et := s.get("type")
		switch {
		case et == nil:
			return dt, p.fail(at+".type", "model.missing", "is missing: the type of the elements")
		case et.kind != jString:
			return dt, p.fail(at+".type", "model.type", "is %s; it must be a string", et.kind)
		}
		switch et.str {
		case TypeInt32, TypeInt64, TypeFloat, TypeDouble, TypeString, TypeDate, TypeStruct:
		default:
			return dt, p.fail(at+".type", "model.nesting", "%q cannot be an array's element type (int32, int64, float, double, string, date or struct)", et.str)
		}
		elem, err := p.specs(at, et.str, s.get("specs"), 2)
		if err != nil {
			return dt, err
		}
		dt.Elem = &elem
	case TypeStruct:
		if level == 1 {
			return dt, p.fail(path+".type", "model.nesting", "a struct cannot be inside a struct")
		}
		if s == nil || s.kind != jArray {
			kind := "missing"
			if s != nil {
				kind = s.kind.String()
			}
			return dt, p.fail(at, "model.type", "is %s; a struct's specs are an array of members", kind)
		}
		members, err := p.paramList(at, s, 1)
		if err != nil {
			return dt, err
		}
		dt.Members = members
	default:
		return dt, p.fail(path+".type", "model.datatype", "%q is not a data type (int32, int64, float, double, date, bool, string, enum, bitMap, array or struct)", typ)
	}
	return dt, nil
}

// numberSpec reads a number written as a string or a number; "" when
// absent, null or "".
func (p *modelParser) numberSpec(path string, s *jvalue, name string) (string, error) {
	m := s.get(name)
	if m == nil || m.kind == jNull {
		return "", nil
	}
	switch m.kind {
	case jNumber:
		return m.str, nil
	case jString:
		return strings.TrimSpace(m.str), nil
	}
	return "", p.fail(path+"."+name, "model.specs", "is %s; it must be a number or a string such as \"10\"", m.kind)
}

// lengthSpec reads "length", a positive integer as a number or a string.
func (p *modelParser) lengthSpec(path string, s *jvalue, required bool) (int, error) {
	lit, err := p.numberSpec(path, s, "length")
	if err != nil {
		return 0, err
	}
	if lit == "" {
		if required {
			return 0, p.fail(path+".length", "model.missing", "is missing")
		}
		return 0, nil
	}
	n, perr := strconv.Atoi(lit)
	if perr != nil || n < 1 || n > MaxStringSpec {
		return 0, p.fail(path+".length", "model.specs", "%q is not a length from 1 to %d", lit, MaxStringSpec)
	}
	return n, nil
}

// numbered reads {"0":"name",…}: an enum's values or a bitMap's bits.
func (p *modelParser) numbered(path string, s *jvalue, limit int, bits bool) ([]EnumItem, error) {
	if err := p.object(path, s); err != nil {
		return nil, err
	}
	if len(s.members) > limit {
		return nil, p.fail(path, "model.specs", "%d values; at most %d are read", len(s.members), limit)
	}
	var out []EnumItem
	seen := map[int64]bool{}
	for _, m := range s.members {
		n, err := strconv.ParseInt(m.name, 10, 32)
		if err != nil || bits && (n < 0 || n >= MaxBitMapBits) {
			what := "an integer"
			if bits {
				what = fmt.Sprintf("a bit number from 0 to %d", MaxBitMapBits-1)
			}
			return nil, p.fail(path+"."+m.name, "model.specs", "the key %q is not %s", m.name, what)
		}
		if seen[n] {
			return nil, p.fail(path+"."+m.name, "model.duplicate", "the value %d appears twice", n)
		}
		seen[n] = true
		if m.val.kind != jString {
			return nil, p.fail(path+"."+m.name, "model.type", "is %s; it must be the value's name, a string", m.val.kind)
		}
		out = append(out, EnumItem{n, m.val.str})
	}
	return out, nil
}

func fmtFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
