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
