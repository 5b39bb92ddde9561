package scenario

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/onenet-wasm/onenet-wasm/onenet"
)

const examples = "../docs/examples"

func exampleFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(examples, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if !strings.HasSuffix(f, "-model.json") { // thing models the examples use
			out = append(out, f)
		}
	}
	if len(out) < 3 {
		t.Fatalf("found %d examples in %s", len(out), examples)
	}
	return out
}

// TestExamples: every example in docs/examples passes Parse and the JSON
// Schema, docs/scenario.schema.json.
func TestExamples(t *testing.T) {
	c := jsonschema.NewCompiler()
	sch, err := c.Compile("../docs/scenario.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range exampleFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(f, data, os.DirFS(examples)); err != nil {
			t.Errorf("Parse(%s): %v", f, err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("%s does not match the schema: %v", f, err)
		}
	}
}

// TestSchemaRejectsWhatParseRejects: files with shape errors fail both the
// schema and Parse, so editors and the program agree.
func TestSchemaRejectsWhatParseRejects(t *testing.T) {
	sch, err := jsonschema.NewCompiler().Compile("../docs/scenario.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range []string{
		`{"devices":[]}`,
		`{"devices":[{"product":"p","device":"d","key":{}}]}`,
		`{"devices":[{"product":"p","device":"d","key":{"env":"K"},"publish":[{"every":0,"dp":{"t":{"constant":1}}}]}]}`,
		`{"devices":[{"product":"p","device":"d","key":{"env":"K"},"publish":[{"every":1,"dp":{"t":{"random":{"min":1,"max":2},"constant":1}}}]}]}`,
		`{"devices":[{"product":"p","device":"d","key":{"env":"K"},"faults":[{"at":1}]}]}`,
		`{"target":"mqtt://x:1","devices":[{"product":"p","device":"d","key":{"env":"K"}}]}`,
		`{"devices":[{"product":"p","device":"d","key":{"env":"K"},"extra":1}]}`,
	} {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		if sch.Validate(v) == nil {
			t.Errorf("the schema accepts %s", doc)
		}
		if _, err := Parse("x", []byte(doc), nil); err == nil {
			t.Errorf("Parse accepts %s", doc)
		}
	}
}

var model = func() []byte {
	b, err := os.ReadFile(filepath.Join(examples, "aircon-model.json"))
	if err != nil {
		panic(err)
	}
	return b
}()

func testFS() fstest.MapFS {
	return fstest.MapFS{
		"model.json": {Data: model},
		"data.csv":   {Data: []byte("t,watts,state\n1,10.5,on\n2,11,off\n3,12.25,on\n")},
	}
}

// TestParseErrors: each problem is reported with the path to it.
func TestParseErrors(t *testing.T) {
	const dev = `"product":"p1","device":"d1","key":{"env":"K"}`
	cases := []struct {
		doc, path, msg string
	}{
		{`{"devices":[{` + dev + `,"publish":[{"every":"5s","dp":{"t":{"constant":1}}}]}]}`, "devices[0].publish[0].every", "a string where a number is expected"},
		{`{"devices":[{` + dev + `},{` + dev + `},{` + dev + `,"publish":[{"every":-1,"dp":{"t":{"constant":1}}}]}]}`, "devices[2].publish[0].every", "must be from"},
		{`{"devices":[{` + dev + `,"publish":[{"evry":5}]}]}`, "devices[0].publish[0].evry", "unknown member"},
		{`{"devices":[{` + dev + `,}]}`, "", "not valid JSON at line 1, column 62"},
		{`{"devices":[]}`, "devices", "no devices"},
		{`{"target":"mqtt://h:1","devices":[{` + dev + `}]}`, "target", "unknown scheme"},
		{`{"target":"relay:nohost","devices":[{` + dev + `}]}`, "target", "HOST:PORT"},
		{`{"limits":"some","devices":[{` + dev + `}]}`, "limits", `give "onenet"`},
		{`{"devices":[{"product":"p/1","device":"d1","key":{"env":"K"}}]}`, "devices[0].product", "'/'"},
		{`{"devices":[{"product":"p","device":"","key":{"env":"K"}}]}`, "devices[0].device", "empty"},
		{`{"devices":[{"product":"p","device":"d","key":{}}]}`, "devices[0].key", "exactly one"},
		{`{"devices":[{"product":"p","device":"d","key":{"env":"K","value":"abc"}}]}`, "devices[0].key", "exactly one"},
		{`{"devices":[{"product":"p","device":"d","key":{"env":"K","scope":"all"}}]}`, "devices[0].key.scope", `"device"`},
		{`{"devices":[{` + dev + `,"kind":"nb"}]}`, "devices[0].kind", `"studio"`},
		{`{"devices":[{` + dev + `},{` + dev + `}]}`, "devices[1].device", "its own name"},
		{`{"devices":[{` + dev + `,"publish":[{"every":5,"jitter":5,"dp":{"t":{"constant":1}}}]}]}`, "devices[0].publish[0].jitter", "less than"},
		{`{"devices":[{` + dev + `,"publish":[{"every":5,"qos":2,"dp":{"t":{"constant":1}}}]}]}`, "devices[0].publish[0].qos", "QoS 2"},
		{`{"devices":[{` + dev + `,"publish":[{"every":5}]}]}`, "devices[0].publish[0]", "exactly one of"},
		{`{"devices":[{` + dev + `,"publish":[{"every":5,"dp":{}}]}]}`, "devices[0].publish[0].dp", "no datastreams"},
		{`{"devices":[{` + dev + `,"publish":[{"every":5,"dp":{"a b":{"constant":1}}}]}]}`, "devices[0].publish[0].dp.a b", "datastream id"},
		{`{"devices":[{` + dev + `,"publish":[{"every":5,"dp":{"t":{}}}]}]}`, "devices[0].publish[0].dp.t", "exactly one generator"},
		{`{"devices":[{` + dev + `,"publish":[{"every":5,"dp":{"t":{"random":{"min":3,"max":1}}}}]}]}`, "devices[0].publish[0].dp.t.random", "greater than max"},
		{`{"devices":[{` + dev + `,"publish":[{"every":5,"dp":{"t":{"random":{"min":1,"max":3,"decimals":11}}}}]}]}`, "devices[0].publish[0].dp.t.random.decimals", "from 0 to 10"},
		{`{"devices":[{` + dev + `,"publish":[{"every":5,"dp":{"t":{"walk":{"start":9,"step":1,"min":0,"max":5}}}}]}]}`, "devices[0].publish[0].dp.t.walk.start", "outside"},
		{`{"devices":[{` + dev + `,"publish":[{"every":5,"dp":{"t":{"walk":{"start":1,"step":0,"min":0,"max":5}}}}]}]}`, "devices[0].publish[0].dp.t.walk.step", "greater than 0"},
		{`{"devices":[{` + dev + `,"publish":[{"every":5,"dp":{"t":{"sine":{"min":0,"max":5,"period":0}}}}]}]}`, "devices[0].publish[0].dp.t.sine.period", "must be from"},
		{`{"devices":[{` + dev + `,"publish":[{"every":5,"dp":{"t":{"sine":{"min":0,"max":5,"period":5,"phase":2}}}}]}]}`, "devices[0].publish[0].dp.t.sine.phase", "fraction"},
		{`{"devices":[{` + dev + `,"publish":[{"every":5,"dp":{"t":{"csv":{"file":"data.csv","column":"volts"}}}}]}]}`, "devices[0].publish[0].dp.t.csv.column", `"volts" is not a column`},
		{`{"devices":[{` + dev + `,"publish":[{"every":5,"dp":{"t":{"csv":{"file":"none.csv","column":"watts"}}}}]}]}`, "devices[0].publish[0].dp.t.csv.file", "cannot read it"},
		{`{"devices":[{` + dev + `,"publish":[{"every":5,"dp":{"t":{"csv":{"file":"../x.csv","column":"watts"}}}}]}]}`, "devices[0].publish[0].dp.t.csv.file", "inside the scenario's folder"},
		{`{"devices":[{` + dev + `,"publish":[{"every":5,"dp":{"t":{"any":true}}}]}]}`, "devices[0].publish[0].dp.t.any", "thingModel"},
		{`{"devices":[{` + dev + `,"publish":[{"every":5,"properties":{"t":{"constant":1}}}]}]}`, "devices[0].publish[0].properties", "Studio"},
		{`{"devices":[{` + dev + `,"thingModel":"model.json"}]}`, "devices[0].thingModel", "studio"},
		{`{"devices":[{` + dev + `,"kind":"studio","thingModel":"nothing.json"}]}`, "devices[0].thingModel", "cannot read it"},
		{`{"devices":[{` + dev + `,"kind":"studio","thingModel":"data.csv"}]}`, "devices[0].thingModel", ""},
		{`{"devices":[{` + dev + `,"kind":"studio","publish":[{"every":5,"dp":{"t":{"constant":1}}}]}]}`, "devices[0].publish[0].dp", "MQTT-kit"},
		{`{"devices":[{` + dev + `,"kind":"studio","thingModel":"model.json","publish":[{"every":5,"properties":{"nope":{"constant":1}}}]}]}`, "devices[0].publish[0].properties.nope", "not a property"},
		{`{"devices":[{` + dev + `,"kind":"studio","thingModel":"model.json","publish":[{"every":5,"properties":{"brightness":{"constant":101}}}]}]}`, "devices[0].publish[0].properties.brightness.constant", "outside 0 to 100"},
		{`{"devices":[{` + dev + `,"kind":"studio","thingModel":"model.json","publish":[{"every":5,"properties":{"power":{"random":{"min":0,"max":1}}}}]}]}`, "devices[0].publish[0].properties.power", "whose type is bool"},
		{`{"devices":[{` + dev + `,"kind":"studio","thingModel":"model.json","publish":[{"every":5,"properties":{"label":{"csv":{"file":"data.csv","column":"watts"}}}}]}]}`, "devices[0].publish[0].properties.label.csv", "row 2"},
		{`{"devices":[{` + dev + `,"kind":"studio","thingModel":"model.json","publish":[{"every":5,"event":{"identifier":"boom"}}]}]}`, "devices[0].publish[0].event.identifier", "not an event"},
		{`{"devices":[{` + dev + `,"kind":"studio","thingModel":"model.json","publish":[{"every":5,"event":{"identifier":"overheat","values":{"x":{"constant":1}}}}]}]}`, "devices[0].publish[0].event.values.x", "not an output parameter"},
		{`{"devices":[{` + dev + `,"kind":"studio","thingModel":"model.json","answers":{"services":{"fly":{"code":500}}}}]}`, "devices[0].answers.services.fly", "not a service"},
		{`{"devices":[{` + dev + `,"answers":{"command":{"code":500}}}]}`, "devices[0].answers.command", "no code"},
		{`{"devices":[{` + dev + `,"answers":{"command":{"echo":true,"ignore":true}}}]}`, "devices[0].answers.command", "at most one"},
		{`{"devices":[{` + dev + `,"answers":{"command":{"delay":-1}}}]}`, "devices[0].answers.command.delay", "from 0 to"},
		{`{"devices":[{` + dev + `,"answers":{"propertySet":{"code":200}}}]}`, "devices[0].answers.propertySet", "Studio"},
		{`{"devices":[{` + dev + `,"faults":[{"at":5}]}]}`, "devices[0].faults[0]", "exactly one"},
		{`{"devices":[{` + dev + `,"faults":[{"at":5,"offline":-2}]}]}`, "devices[0].faults[0].offline", "from 0 to"},
		{`{"devices":[{` + dev + `,"count":20000}]}`, "devices[0].count", "from 1 to"},
		{`{"devices":[{` + dev + `,"kind":"studio","subDevices":[{"product":"s","device":"x"}]}]}`, "devices[0].subDevices", "MQTT-kit gateways only"},
		{`{"devices":[{` + dev + `,"subDevices":[{"product":"s","device":"x{n}","count":13}]}]}`, "devices[0].subDevices", "at most 12"},
		{`{"devices":[{` + dev + `,"subDevices":[{"product":"s","device":"x","publish":[{"every":1,"properties":{"a":{"constant":1}}}]}]}]}`, "devices[0].subDevices[0].publish[0]", "datapoints (\"dp\") only"},
		{`{"devices":[{` + dev + `,"subDevices":[{"product":"s","device":"x","answers":{"propertySet":{}}}]}]}`, "devices[0].subDevices[0].answers", "commands only"},
		{`{"devices":[{` + dev + `,"subDevices":[{"product":"s/1","device":"x"}]}]}`, "devices[0].subDevices[0].product", "'/'"},
		{`{"devices":[{` + dev + `,"subDevices":[{"product":"s","device":"x{n}","count":2},{"product":"s","device":"x2"}]}]}`, "devices[0].device", "its own name"},
		{`{"devices":[{` + dev + `,"subDevices":[{"product":"s","device":"x{n}","count":10,"publish":[{"every":0.4,"dp":{"a":{"constant":1}}}]}]}]}`, "devices[0].publish", "130 QoS 1 messages per 5 s"},
		// OneNET's rates (docs/PROTOCOL.md §5.6, §5.7).
		{`{"devices":[{` + dev + `,"publish":[{"every":0.04,"dp":{"t":{"constant":1}}}]}]}`, "devices[0].publish", "125 QoS 1 messages per 5 s; OneNET bans a device for 5 minutes over 100"},
		{`{"devices":[{` + dev + `,"publish":[{"every":0.01,"qos":0,"dp":{"t":{"constant":1}}}]}]}`, "devices[0].publish", "over 300"},
		{`{"devices":[{` + dev + `,"kind":"studio","publish":[{"every":1,"jitter":0.5,"properties":{"t":{"constant":1}}}]}]}`, "devices[0].publish", "OneNET Studio takes 1 per second"},
		{`{"devices":[{` + dev + `,"kind":"studio","faults":[{"at":1,"reconnect":true},{"at":2,"reconnect":true},{"at":3,"reconnect":true}]}]}`, "devices[0].faults", "4 logins within 5 s; OneNET allows 3"},
	}
	for _, c := range cases {
		_, err := Parse("test.json", []byte(c.doc), testFS())
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%s) = %v, want an *Error", c.doc, err)
			continue
		}
		found := false
		for _, p := range e.Problems {
			if p.Path == c.path && strings.Contains(p.Msg, c.msg) {
				found = true
			}
		}
		if !found {
			t.Errorf("Parse(%s):\n got %v\nwant %s: …%s…", c.doc, e.Problems, c.path, c.msg)
		}
	}
}

// TestLimitsOff: "limits": "off" lets a scenario publish faster than OneNET
// allows (for a broker started without its limits).
func TestLimitsOff(t *testing.T) {
	doc := `{"limits":"off","devices":[{"product":"p","device":"d","key":{"env":"K"},"publish":[{"every":0.01,"dp":{"t":{"constant":1}}}]}]}`
	if _, err := Parse("x", []byte(doc), nil); err != nil {
		t.Fatal(err)
	}
}

func TestInstancesAndMultiply(t *testing.T) {
	doc := `{"target":"ws://h:1/mqtt","devices":[
	  {"product":"p","device":"s{n}x","count":3,"key":{"env":"K"}},
	  {"product":"p","device":"gw","key":{"env":"K"},"target":"tcp://h:1883"}]}`
	s, err := Parse("x", []byte(doc), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, in := range s.Instances() {
		got = append(got, in.Device+"@"+in.Target)
	}
	want := "s1x@ws://h:1/mqtt s2x@ws://h:1/mqtt s3x@ws://h:1/mqtt gw@tcp://h:1883"
	if strings.Join(got, " ") != want {
		t.Errorf("Instances = %v, want %s", got, want)
	}
	gw, err := Parse("x", []byte(`{"devices":[{"product":"p","device":"gw{n}","count":2,"key":{"env":"K"},
	  "subDevices":[{"product":"s","device":"m{n}","count":2}]}]}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	var subs []string
	for _, in := range gw.Instances() {
		subs = append(subs, fmt.Sprintf("%s/%s<%d", in.Product, in.Device, in.Gateway))
	}
	if want := "p/gw1<-1 s/m1-1<0 s/m2-1<0 p/gw2<-1 s/m1-2<3 s/m2-2<3"; strings.Join(subs, " ") != want {
		t.Errorf("gateway instances %v, want %s", subs, want)
	}
	if err := s.Multiply(2); err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, in := range s.Instances() {
		got = append(got, in.Device)
	}
	if strings.Join(got, " ") != "s1x s2x gw1 gw2" {
		t.Errorf("after Multiply(2): %v", got)
	}
	if err := s.Multiply(MaxDevices); err == nil {
		t.Error("Multiply beyond MaxDevices: no error")
	}
}

// draw returns n values of the generator at elapsed times 0, 1, 2, … s.
func draw(t *testing.T, s *Scenario, g Generator, dt *onenet.DataType, seed uint64, n int) []string {
	t.Helper()
	gen := s.newGen(g, dt, newRand(seed, 0, "x"))
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, string(gen.next(float64(i), 1_700_000_000_000+int64(i))))
	}
	return out
}

func fp(x float64) *float64 { return &x }
func ip(x int) *int         { return &x }

// TestGenerators: each generator's values, the same for the same seed.
func TestGenerators(t *testing.T) {
	s, err := Parse("x", []byte(`{"devices":[{"product":"p","device":"d","key":{"env":"K"},"publish":[{"every":1,"dp":{"w":{"csv":{"file":"data.csv","column":"watts"}},"s":{"csv":{"file":"data.csv","column":"state"}}}}]}]}`), testFS())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		g    Generator
		want string
	}{
		{"constant", Generator{Constant: []byte(`{"a":1}`)}, `{"a":1} {"a":1} {"a":1}`},
		{"sequence", Generator{Sequence: &Sequence{Start: 10, Step: fp(2.5)}}, "10 12.5 15 17.5"},
		{"sequence default step", Generator{Sequence: &Sequence{}}, "0 1 2"},
		{"sequence values", Generator{Sequence: &Sequence{Values: []json.RawMessage{json.RawMessage(`"a"`), json.RawMessage(`true`)}}}, `"a" true "a" true`},
		{"sine", Generator{Sine: &Sine{Min: 0, Max: 10, Period: 4, Decimals: ip(1)}}, "5.0 10.0 5.0 0.0 5.0"},
		{"sine phase", Generator{Sine: &Sine{Min: 0, Max: 10, Period: 4, Phase: 0.25, Decimals: ip(0)}}, "10 5 0 5"},
		{"csv numbers", Generator{CSV: &CSVColumn{File: "data.csv", Column: "watts"}}, "10.5 11 12.25 10.5"},
		{"csv strings", Generator{CSV: &CSVColumn{File: "data.csv", Column: "state"}}, `"on" "off" "on"`},
	}
	for _, c := range cases {
		n := len(strings.Fields(c.want))
		if got := strings.Join(draw(t, s, c.g, nil, 1, n), " "); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// TestRandomGenerators: random and walk stay in range with their
// decimals, and repeat exactly for a seed.
func TestRandomGenerators(t *testing.T) {
	s := &Scenario{}
	for _, g := range []Generator{
		{Random: &Range{Min: -5, Max: 5, Decimals: ip(1)}},
		{Random: &Range{Min: 0, Max: 100, Decimals: ip(0)}},
		{Walk: &Walk{Start: 20, Step: 3, Min: 15, Max: 25}},
	} {
		a := draw(t, s, g, nil, 7, 500)
		b := draw(t, s, g, nil, 7, 500)
		c := draw(t, s, g, nil, 8, 500)
		if strings.Join(a, " ") != strings.Join(b, " ") {
			t.Errorf("%+v: two runs with seed 7 differ", g)
		}
		if strings.Join(a, " ") == strings.Join(c, " ") {
			t.Errorf("%+v: seeds 7 and 8 give the same values", g)
		}
		lo, hi, dec := 0.0, 0.0, 2
		switch {
		case g.Random != nil:
			lo, hi, dec = g.Random.Min, g.Random.Max, *g.Random.Decimals
		default:
			lo, hi = g.Walk.Min, g.Walk.Max
		}
		distinct := map[string]bool{}
		prev := 20.0
		for _, v := range a {
			var x float64
			if err := json.Unmarshal([]byte(v), &x); err != nil {
				t.Fatalf("%q: %v", v, err)
			}
			if x < lo || x > hi {
				t.Errorf("%+v: %s outside [%g, %g]", g, v, lo, hi)
			}
			if i := strings.IndexByte(v, '.'); dec == 0 && i >= 0 || dec > 0 && (i < 0 || len(v)-i-1 != dec) {
				t.Errorf("%+v: %s does not have %d decimals", g, v, dec)
			}
			if g.Walk != nil && (x-prev > g.Walk.Step+0.01 || prev-x > g.Walk.Step+0.01) {
				t.Errorf("walk: %g → %g is more than a step", prev, x)
			}
			prev = x
			distinct[v] = true
		}
		if len(distinct) < 10 {
			t.Errorf("%+v: only %d distinct values in 500", g, len(distinct))
		}
	}
}

// TestAnyValue: "any" values are valid for every data type of the sample
// model (its properties, event outputs and service inputs), and vary.
func TestAnyValue(t *testing.T) {
	m, err := onenet.ParseThingModel(model)
	if err != nil {
		t.Fatal(err)
	}
	type point struct {
		id string
		dt *onenet.DataType
	}
	var points []point
	for i := range m.Properties {
		points = append(points, point{m.Properties[i].Identifier, &m.Properties[i].DataType})
	}
	for _, e := range m.Events {
		for i := range e.Output {
			points = append(points, point{e.Identifier + "." + e.Output[i].Identifier, &e.Output[i].DataType})
		}
	}
	extra := []onenet.DataType{
		{Type: onenet.TypeInt64, IntMin: -1 << 63, IntMax: 1<<63 - 1},
		{Type: onenet.TypeInt64, IntMin: -1 << 63, IntMax: 1<<63 - 1, IntStep: 1 << 62},
		{Type: onenet.TypeInt32, IntMin: 5, IntMax: 95, IntStep: 10},
		{Type: onenet.TypeDouble, Min: -1.7976931348623157e308, Max: 1.7976931348623157e308},
		{Type: onenet.TypeFloat, Min: 0.5, Max: 0.7, Step: 0.05},
		{Type: onenet.TypeBitMap, Length: 8},
		{Type: onenet.TypeBitMap, Length: 64, Bits: []onenet.EnumItem{{Value: 0}, {Value: 3}}},
		{Type: onenet.TypeDate},
		{Type: onenet.TypeString, Length: 2},
	}
	for i := range extra {
		points = append(points, point{"extra" + extra[i].Type, &extra[i]})
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, p := range points {
		distinct := map[string]bool{}
		for i := 0; i < 200; i++ {
			v := AnyValue(p.dt, r, 1_700_000_000_000)
			if err := p.dt.CheckValue(p.id, v); err != nil {
				t.Errorf("%s: AnyValue = %s: %v", p.id, v, err)
				break
			}
			distinct[string(v)] = true
		}
		if len(distinct) < 2 && p.dt.Type != onenet.TypeDate {
			t.Errorf("%s: AnyValue always %v", p.id, distinct)
		}
	}
}

// TestUploads: the uploads a device builds pass OneNET's checks: the
// datapoint parser, and the thing model's own check of whole messages for
// "allProperties" and events; the same seed builds the same messages.
func TestUploads(t *testing.T) {
	doc := `{"devices":[
	  {"product":"p","device":"d","kind":"studio","key":{"env":"K"},"thingModel":"model.json",
	   "publish":[{"every":5,"allProperties":true,"properties":{"brightness":{"sequence":{"start":0,"step":10}}}},
	              {"every":5,"event":{"identifier":"overheat","values":{"level":{"constant":2}}}}]},
	  {"product":"p","device":"k","key":{"env":"K"},
	   "publish":[{"every":5,"dp":{"temp":{"random":{"min":1,"max":2}},"label":{"constant":"x"},"obj":{"constant":{"a":[1]}}}}]}]}`
	build := func(seed uint64) []string {
		s, err := Parse("x", []byte(doc), testFS())
		if err != nil {
			t.Fatal(err)
		}
		noNet := func(context.Context, *Instance) (string, func(context.Context, string) (net.Conn, error), error) {
			return "", nil, errors.New("no network in this test")
		}
		r, err := NewRunner(s, Options{Seed: seed, Connect: noNet, Key: func(context.Context, *Instance) (string, error) { return "", nil },
			Token: func(string, string, int64) (string, error) { return "", nil }})
		if err != nil {
			t.Fatal(err)
		}
		r.start = time.UnixMilli(1_700_000_000_000)
		var out []string
		for i := 0; i <= 10; i++ { // brightness 0 to 100
			for _, d := range r.devs {
				for _, sc := range d.sched {
					out = append(out, string(d.build(sc, strconv.Itoa(i+1), r.start.Add(time.Duration(i)*time.Second))))
				}
			}
		}
		return out
	}
	a, b := build(5), build(5)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Error("the same seed built different messages")
	}
	m, err := onenet.ParseThingModel(model)
	if err != nil {
		t.Fatal(err)
	}
	for i, msg := range a {
		var err error
		switch i % 3 {
		case 0:
			err = m.CheckRequest(onenet.KindPropertyPost, "", []byte(msg))
			if !strings.Contains(msg, `"brightness":{"value":`+strconv.Itoa(i/3*10)+`,`) {
				t.Errorf("property post %d: brightness is not %d: %s", i/3, i/3*10, msg)
			}
			for _, p := range m.Properties {
				if !strings.Contains(msg, `"`+p.Identifier+`":{"value":`) {
					t.Errorf("allProperties: %s missing from %s", p.Identifier, msg)
				}
			}
		case 1:
			err = m.CheckRequest(onenet.KindEventPost, "overheat", []byte(msg))
		case 2:
			_, err = onenet.ParseDPPost([]byte(msg))
		}
		if err != nil {
			t.Errorf("%s: %v", msg, err)
		}
	}
}
