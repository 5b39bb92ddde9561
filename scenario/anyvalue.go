package scenario

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/onenet-wasm/onenet-wasm/onenet"
)

// AnyValue returns a random value that the data type accepts
// (onenet.DataType.CheckValue): a number within the range on the step, an
// enum value, a bitMap of named bits, a short string, nowMs for a date, a
// short array, a struct with every member.
func AnyValue(dt *onenet.DataType, r *rand.Rand, nowMs int64) json.RawMessage {
	return appendAny(nil, dt, r, nowMs, 0)
}

// maxPlain bounds a number drawn without a step from a huge range, so
// values stay readable.
const maxPlain = 1e6

func appendAny(b []byte, dt *onenet.DataType, r *rand.Rand, nowMs int64, depth int) []byte {
	switch dt.Type {
	case onenet.TypeInt32, onenet.TypeInt64:
		lo, hi := dt.IntMin, dt.IntMax
		if dt.IntStep <= 0 {
			lo, hi = max(lo, -maxPlain), min(hi, maxPlain)
			if lo > hi { // a range wholly beyond ±maxPlain
				lo, hi = dt.IntMin, dt.IntMax
			}
		}
		span := uint64(hi - lo) // exact in two's complement, hi >= lo
		step := uint64(1)
		if dt.IntStep > 0 {
			step = uint64(dt.IntStep)
		}
		count := span / step // the values are lo + k*step, k in [0, count]
		var k uint64
		if count == math.MaxUint64 {
			k = r.Uint64()
		} else {
			k = r.Uint64N(count + 1)
		}
		return strconv.AppendInt(b, lo+int64(k*step), 10)
	case onenet.TypeFloat, onenet.TypeDouble:
		lo, hi := dt.Min, dt.Max
		if dt.Step > 0 {
			count := math.Floor((hi - lo) / dt.Step)
			if !math.IsInf(count, 0) && count < 1<<53 {
				k := math.Floor(r.Float64() * (count + 1))
				x, _ := strconv.ParseFloat(strconv.FormatFloat(lo+k*dt.Step, 'g', 12, 64), 64)
				if x < lo || x > hi {
					x = lo
				}
				return strconv.AppendFloat(b, x, 'g', -1, 64)
			}
		}
		lo, hi = math.Max(lo, -maxPlain), math.Min(hi, maxPlain)
		if lo > hi {
			lo, hi = dt.Min, dt.Min
		}
		x := round(lo+r.Float64()*(hi-lo), 2, lo, hi)
		if x < dt.Min || x > dt.Max {
			x = lo
		}
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	case onenet.TypeDate:
		return strconv.AppendInt(b, nowMs, 10)
	case onenet.TypeBool:
		return strconv.AppendBool(b, r.IntN(2) == 1)
	case onenet.TypeEnum:
		if len(dt.Enum) == 0 {
			return append(b, '0')
		}
		return strconv.AppendInt(b, dt.Enum[r.IntN(len(dt.Enum))].Value, 10)
	case onenet.TypeBitMap:
		var n int64
		if len(dt.Bits) > 0 {
			for _, bit := range dt.Bits {
				if bit.Value >= 0 && bit.Value < 53 && r.IntN(2) == 1 {
					n |= 1 << bit.Value
				}
			}
		} else if bits := min(dt.Length, 53); bits > 0 {
			n = r.Int64N(int64(1) << bits)
		}
		return strconv.AppendInt(b, n, 10)
	case onenet.TypeString:
		const letters = "abcdefghijklmnopqrstuvwxyz"
		n := 8
		if dt.Length > 0 {
			n = min(n, dt.Length)
		}
		n = 1 + r.IntN(n)
		s := make([]byte, n)
		for i := range s {
			s[i] = letters[r.IntN(len(letters))]
		}
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	case onenet.TypeArray:
		b = append(b, '[')
		if dt.Elem != nil && depth < 4 {
			n := min(dt.Length, 3)
			if n > 0 {
				n = 1 + r.IntN(n)
			}
			for i := 0; i < n; i++ {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendAny(b, dt.Elem, r, nowMs, depth+1)
			}
		}
		return append(b, ']')
	case onenet.TypeStruct:
		return appendAnyParams(b, dt.Members, r, nowMs, depth)
	}
	return append(b, "null"...)
}

func appendAnyParams(b []byte, ps []onenet.Param, r *rand.Rand, nowMs int64, depth int) []byte {
	b = append(b, '{')
	for i := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendQuote(b, ps[i].Identifier)
		b = append(b, ':')
		if depth < 4 {
			b = appendAny(b, &ps[i].DataType, r, nowMs, depth+1)
		} else {
			b = append(b, "null"...)
		}
	}
	return append(b, '}')
}
