package onenet

import (
	"fmt"
	"math"
	"strconv"
)

// ExampleValue returns a valid JSON value of the data type: the value
// nearest zero that the range and step allow, the first enum value, true,
// an empty bitMap, a string of up to 5 characters, the date nowMs, an array
// of one element and a struct with every member.
func (dt *DataType) ExampleValue(nowMs int64) []byte {
	return dt.appendExample(nil, nowMs)
}

func (dt *DataType) appendExample(b []byte, nowMs int64) []byte {
	switch dt.Type {
	case TypeInt32, TypeInt64:
		n := int64(0)
		switch {
		case dt.IntMin > 0:
			n = dt.IntMin
		case dt.IntMax < 0:
			n = dt.IntMax
		case dt.IntStep > 0:
			// The multiple of the step above min nearest zero.
			var d big
			d.sub(0, dt.IntMin)
			n = 0 - int64(d.mag%uint64(dt.IntStep))
			if n < dt.IntMin {
				n += dt.IntStep
			}
		}
		return strconv.AppendInt(b, n, 10)
	case TypeFloat, TypeDouble:
		x := 0.0
		switch {
		case dt.Min > 0:
			x = dt.Min
		case dt.Max < 0:
			x = dt.Max
		case dt.Step > 0:
			x = dt.Min + math.Ceil(-dt.Min/dt.Step)*dt.Step
			x, _ = strconv.ParseFloat(strconv.FormatFloat(x, 'g', 12, 64), 64)
			if x > dt.Max {
				x = dt.Min
			}
		}
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	case TypeDate:
		return strconv.AppendInt(b, nowMs, 10)
	case TypeBool:
		return append(b, "true"...)
	case TypeEnum:
		return strconv.AppendInt(b, dt.Enum[0].Value, 10)
	case TypeBitMap:
		return append(b, '0')
	case TypeString:
		s := "hello"
		if dt.Length > 0 && dt.Length < len(s) {
			s = s[:dt.Length]
		}
		return appendJSONString(b, s)
	case TypeArray:
		b = append(b, '[')
		b = dt.Elem.appendExample(b, nowMs)
		return append(b, ']')
	case TypeStruct:
		return appendParams(b, dt.Members, nowMs)
	}
	return append(b, "null"...)
}

func appendParams(b []byte, ps []Param, nowMs int64) []byte {
	b = append(b, '{')
	for i := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, ps[i].Identifier)
		b = append(b, ':')
		b = ps[i].DataType.appendExample(b, nowMs)
	}
	return append(b, '}')
}

// ExampleRequest returns a valid request of the given kind built from the
// model, with the request id id and, where the message has times, nowMs:
//
//   - property/post: every property with a value and the time;
//   - event/post: the event identifier with its output parameters;
//   - property/set: every writable property;
//   - property/get, property/desired/get: every property's identifier;
//   - service invoke: the service identifier with its input parameters.
//
// An identifier that is not in the model, or another kind, is an *Error
// with Field "identifier" or "kind".
func (m *ThingModel) ExampleRequest(kind Kind, identifier, id string, nowMs int64) ([]byte, error) {
	b := []byte(`{"id":`)
	b = appendJSONString(b, id)
	b = append(b, `,"version":"1.0","params":`...)
	switch kind {
	case KindPropertyPost:
		b = append(b, '{')
		for i := range m.Properties {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, m.Properties[i].Identifier)
			b = append(b, `:{"value":`...)
			b = m.Properties[i].DataType.appendExample(b, nowMs)
			b = append(b, `,"time":`...)
			b = strconv.AppendInt(b, nowMs, 10)
			b = append(b, '}')
		}
		b = append(b, '}')
	case KindEventPost:
		ev := m.Event(identifier)
		if ev == nil {
			return nil, newErr("identifier", "tm.identifier.unknown", fmt.Sprintf("%q is not an event of the model", identifier), kv("identifier", identifier))
		}
		b = append(b, '{')
		b = appendJSONString(b, ev.Identifier)
		b = append(b, `:{"value":`...)
		b = appendParams(b, ev.Output, nowMs)
		b = append(b, `,"time":`...)
		b = strconv.AppendInt(b, nowMs, 10)
		b = append(b, "}}"...)
	case KindPropertySet:
		b = append(b, '{')
		n := 0
		for i := range m.Properties {
			if !m.Properties[i].Writable() {
				continue
			}
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = appendJSONString(b, m.Properties[i].Identifier)
			b = append(b, ':')
			b = m.Properties[i].DataType.appendExample(b, nowMs)
		}
		b = append(b, '}')
	case KindPropertyGet, KindPropertyDesiredGet:
		b = append(b, '[')
		for i := range m.Properties {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, m.Properties[i].Identifier)
		}
		b = append(b, ']')
	case KindServiceInvoke:
		s := m.Service(identifier)
		if s == nil {
			return nil, newErr("identifier", "tm.identifier.unknown", fmt.Sprintf("%q is not a service of the model", identifier), kv("identifier", identifier))
		}
		b = appendParams(b, s.Input, nowMs)
	default:
		return nil, newErr("kind", "kind.mismatch", fmt.Sprintf("%q: no example is built for this kind", string(kind)), kv("kind", string(kind)))
	}
	return append(b, '}'), nil
}

// AppendJSON appends the model as JSON in the shape of its Go fields
// (properties, events, services; each dataType with the fields of its type),
// for a page that builds forms from it. Integer bounds are strings, since
// an int64 does not fit a JavaScript number.
func (m *ThingModel) AppendJSON(b []byte) []byte {
	b = append(b, `{"properties":[`...)
	for i := range m.Properties {
		p := &m.Properties[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = appendHead(b, p.Identifier, p.Name, p.Desc)
		b = appendField(b, "accessMode", p.AccessMode)
		b = append(b, `,"dataType":`...)
		b = p.DataType.appendJSON(b)
		b = append(b, '}')
	}
	b = append(b, `],"events":[`...)
	for i := range m.Events {
		e := &m.Events[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = appendHead(b, e.Identifier, e.Name, e.Desc)
		b = appendField(b, "eventType", e.EventType)
		b = append(b, `,"outputData":`...)
		b = appendParamsJSON(b, e.Output)
		b = append(b, '}')
	}
	b = append(b, `],"services":[`...)
	for i := range m.Services {
		s := &m.Services[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = appendHead(b, s.Identifier, s.Name, s.Desc)
		b = appendField(b, "callType", s.CallType)
		b = append(b, `,"inputData":`...)
		b = appendParamsJSON(b, s.Input)
		b = append(b, `,"outputData":`...)
		b = appendParamsJSON(b, s.Output)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

func appendHead(b []byte, id, name, desc string) []byte {
	b = append(b, `{"identifier":`...)
	b = appendJSONString(b, id)
	b = appendField(b, "name", name)
	return appendField(b, "desc", desc)
}

func appendField(b []byte, name, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendJSONString(b, value)
}

func appendParamsJSON(b []byte, ps []Param) []byte {
	b = append(b, '[')
	for i := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendHead(b, ps[i].Identifier, ps[i].Name, "")
		b = append(b, `,"dataType":`...)
		b = ps[i].DataType.appendJSON(b)
		b = append(b, '}')
	}
	return append(b, ']')
}

func appendItems(b []byte, items []EnumItem) []byte {
	b = append(b, '[')
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"value":`...)
		b = strconv.AppendInt(b, it.Value, 10)
		b = appendField(b, "name", it.Name)
		b = append(b, '}')
	}
	return append(b, ']')
}

func (dt *DataType) appendJSON(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = appendJSONString(b, dt.Type)
	switch dt.Type {
	case TypeInt32, TypeInt64:
		b = appendField(b, "intMin", strconv.FormatInt(dt.IntMin, 10))
		b = appendField(b, "intMax", strconv.FormatInt(dt.IntMax, 10))
		b = appendField(b, "intStep", strconv.FormatInt(dt.IntStep, 10))
		b = appendField(b, "unit", dt.Unit)
	case TypeFloat, TypeDouble:
		b = appendField(b, "min", fmtFloat(dt.Min))
		b = appendField(b, "max", fmtFloat(dt.Max))
		b = appendField(b, "step", fmtFloat(dt.Step))
		b = appendField(b, "unit", dt.Unit)
	case TypeBool:
		b = appendField(b, "true", dt.True)
		b = appendField(b, "false", dt.False)
	case TypeString:
		b = append(b, `,"length":`...)
		b = strconv.AppendInt(b, int64(dt.Length), 10)
	case TypeEnum:
		b = append(b, `,"enum":`...)
		b = appendItems(b, dt.Enum)
	case TypeBitMap:
		b = append(b, `,"length":`...)
		b = strconv.AppendInt(b, int64(dt.Length), 10)
		b = append(b, `,"bits":`...)
		b = appendItems(b, dt.Bits)
	case TypeArray:
		b = append(b, `,"length":`...)
		b = strconv.AppendInt(b, int64(dt.Length), 10)
		b = append(b, `,"elem":`...)
		b = dt.Elem.appendJSON(b)
	case TypeStruct:
		b = append(b, `,"members":`...)
		b = appendParamsJSON(b, dt.Members)
	}
	return append(b, '}')
}

// ExampleReply returns a valid reply of the device to request, a request
// of the given kind from the platform (docs/PROTOCOL.md §9.3, §9.4): its id,
// code 200, msg "success" and
//
//   - property/set: nothing more;
//   - property/get: "data" with a valid value of exactly the properties
//     requested, in the order asked (a repeated one once);
//   - service invoke: "data" with the service's output parameters.
//
// A request that the model refuses is CheckRequest's error (a property or
// service not in the model, a value out of its range); another kind is an
// *Error with Field "kind".
func (m *ThingModel) ExampleReply(kind Kind, identifier string, request []byte, nowMs int64) ([]byte, error) {
	switch kind {
	case KindPropertySet, KindPropertyGet, KindServiceInvoke:
	default:
		return nil, newErr("kind", "kind.mismatch", fmt.Sprintf("%q: no reply is built for this kind", string(kind)), kv("kind", string(kind)))
	}
	if err := m.CheckRequest(kind, identifier, request); err != nil {
		return nil, err
	}
	req, _ := ParseThingRequest(kind, request)
	b := []byte(`{"id":`)
	b = appendJSONString(b, req.ID)
	b = append(b, `,"code":200,"msg":"success"`...)
	switch kind {
	case KindPropertyGet:
		root, _ := parseJSON(request)
		b = append(b, `,"data":{`...)
		seen := map[string]bool{}
		for _, e := range root.get("params").elems {
			if seen[e.str] {
				continue
			}
			p := m.Property(e.str)
			if len(seen) > 0 {
				b = append(b, ',')
			}
			seen[e.str] = true
			b = appendJSONString(b, p.Identifier)
			b = append(b, ':')
			b = p.DataType.appendExample(b, nowMs)
		}
		b = append(b, '}')
	case KindServiceInvoke:
		b = append(b, `,"data":`...)
		s := m.Service(identifier)
		b = appendParams(b, s.Output, nowMs)
	}
	return append(b, '}'), nil
}
