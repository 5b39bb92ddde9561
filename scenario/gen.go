package scenario

import (
	"encoding/json"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/onenet-wasm/onenet-wasm/onenet"
)

// A valueGen makes the next value of a generator; elapsed is the time
// since the run started and nowMs the wall clock, for thing-model dates.
type valueGen interface {
	next(elapsed float64, nowMs int64) json.RawMessage
}

// newRand returns the random source of one generator: a PCG seeded with
// the run's seed and a hash of the device and the generator's path, so
// that each generator's values are the same from run to run whatever the
// order in which they are drawn.
func newRand(seed uint64, device int, path string) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(strconv.Itoa(device) + "/" + path))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// newGen compiles g. dt is the thing model's data type for the value when
// the device has a model (needed by Any).
func (s *Scenario) newGen(g Generator, dt *onenet.DataType, r *rand.Rand) valueGen {
	switch {
	case g.Constant != nil:
		return constGen(g.Constant)
	case g.Sequence != nil:
		if len(g.Sequence.Values) > 0 {
			return &cycleGen{vals: g.Sequence.Values}
		}
		step := 1.0
		if g.Sequence.Step != nil {
			step = *g.Sequence.Step
		}
		return &seqGen{x: g.Sequence.Start, step: step}
	case g.Random != nil:
		return &randomGen{Range: *g.Random, r: r}
	case g.Walk != nil:
		return &walkGen{Walk: *g.Walk, x: g.Walk.Start, r: r}
	case g.Sine != nil:
		return &sineGen{*g.Sine}
	case g.CSV != nil:
		return &cycleGen{vals: s.csv[g.CSV.File][g.CSV.Column]}
	case g.Any && dt != nil:
		return &anyGen{dt: dt, r: r}
	}
	return constGen("null")
}

type constGen json.RawMessage

func (g constGen) next(float64, int64) json.RawMessage { return json.RawMessage(g) }

type cycleGen struct {
	vals []json.RawMessage
	i    int
}

func (g *cycleGen) next(float64, int64) json.RawMessage {
	v := g.vals[g.i%len(g.vals)]
	g.i++
	return v
}

type seqGen struct{ x, step float64 }

func (g *seqGen) next(float64, int64) json.RawMessage {
	v := number(g.x, -1)
	g.x += g.step
	return v
}

// number formats x with decimals decimals (-1: as few as needed).
func number(x float64, decimals int) json.RawMessage {
	if decimals < 0 {
		return json.RawMessage(strconv.FormatFloat(x, 'g', -1, 64))
	}
	s := strconv.FormatFloat(x, 'f', decimals, 64)
	if len(s) > 1 && s[0] == '-' && isZero(s[1:]) {
		s = s[1:]
	}
	return json.RawMessage(s)
}

func isZero(s string) bool {
	for _, c := range s {
		if c != '0' && c != '.' {
			return false
		}
	}
	return true
}

func decimalsOr(d *int) int {
	if d == nil {
		return 2
	}
	return *d
}

// round rounds x to d decimals, within [lo, hi].
func round(x float64, d int, lo, hi float64) float64 {
	p := math.Pow(10, float64(d))
	y := math.Round(x*p) / p
	if y < lo {
		y = math.Ceil(lo*p) / p
	}
	if y > hi {
		y = math.Floor(hi*p) / p
	}
	return y
}

type randomGen struct {
	Range
	r *rand.Rand
}

func (g *randomGen) next(float64, int64) json.RawMessage {
	d := decimalsOr(g.Decimals)
	x := g.Min + g.r.Float64()*(g.Max-g.Min)
	return number(round(x, d, g.Min, g.Max), d)
}

type walkGen struct {
	Walk
	x float64
	r *rand.Rand
}

func (g *walkGen) next(float64, int64) json.RawMessage {
	d := decimalsOr(g.Decimals)
	v := number(round(g.x, d, g.Min, g.Max), d)
	g.x += (2*g.r.Float64() - 1) * g.Step
	g.x = math.Min(math.Max(g.x, g.Min), g.Max)
	return v
}

type sineGen struct{ Sine }

func (g *sineGen) next(elapsed float64, _ int64) json.RawMessage {
	d := decimalsOr(g.Decimals)
	mid, amp := (g.Min+g.Max)/2, (g.Max-g.Min)/2
	x := mid + amp*math.Sin(2*math.Pi*(elapsed/g.Period+g.Phase))
	return number(round(x, d, g.Min, g.Max), d)
}

type anyGen struct {
	dt *onenet.DataType
	r  *rand.Rand
}

func (g *anyGen) next(_ float64, nowMs int64) json.RawMessage {
	return AnyValue(g.dt, g.r, nowMs)
}
