package onenet

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

// The sample model the page ships (docs/PROTOCOL.md §9).
func sampleModel(t testing.TB) *ThingModel {
	t.Helper()
	b, err := os.ReadFile("../web/thingmodel-sample.json")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseThingModel(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestParseSampleModel(t *testing.T) {
	m := sampleModel(t)
	if len(m.Properties) != 7 || len(m.Events) != 1 || len(m.Services) != 1 {
		t.Fatalf("got %d properties, %d events, %d services", len(m.Properties), len(m.Events), len(m.Services))
	}
	temp := m.Property("temperature")
	if temp == nil || temp.Writable() || temp.DataType.Min != -40 || temp.DataType.Max != 120 || temp.DataType.Step != 0.1 || temp.DataType.Unit != "°C" {
		t.Errorf("temperature %+v", temp)
	}
	if p := m.Property("mode"); p == nil || len(p.DataType.Enum) != 3 || p.DataType.Enum[2] != (EnumItem{2, "heat"}) {
		t.Errorf("mode %+v", p)
	}
	if p := m.Property("power"); p.DataType.True != "on" || p.DataType.False != "off" {
		t.Errorf("power %+v", p)
	}
	if p := m.Property("readings"); p.DataType.Length != 5 || p.DataType.Elem.Type != TypeInt32 || p.DataType.Elem.IntMax != 1000 {
		t.Errorf("readings %+v", p.DataType)
	}
	if p := m.Property("location"); len(p.DataType.Members) != 2 || p.DataType.Members[1].Identifier != "lat" {
		t.Errorf("location %+v", p.DataType)
	}
	if s := m.Service("reboot"); s == nil || len(s.Input) != 1 || len(s.Output) != 1 || s.CallType != "sync" {
		t.Errorf("reboot %+v", s)
	}
	if e := m.Event("overheat"); e == nil || e.EventType != "alert" || len(e.Output) != 2 {
		t.Errorf("overheat %+v", e)
	}
}

// model wraps one property's dataType in a model file.
func model(dataType string) string {
	return `{"properties":[{"identifier":"a","accessMode":"rw","dataType":{"type":"int32","specs":{"min":"0","max":"9"}}},{"identifier":"p","name":"P","accessMode":"rw","dataType":` + dataType + `}]}`
}

func TestParseThingModelErrors(t *testing.T) {
	for _, tc := range []struct {
		in, code, path string
	}{
		{`[]`, "model.type", ""},
		{`{"properties":{}}`, "model.type", "properties"},
		{`{"properties":[1]}`, "model.type", "properties[0]"},
		{`{"properties":[{"name":"x"}]}`, "model.missing", "properties[0].identifier"},
		{`{"properties":[{"identifier":"a b","dataType":{"type":"bool"}}]}`, "model.identifier", "properties[0].identifier"},
		{`{"properties":[{"identifier":"","dataType":{"type":"bool"}}]}`, "model.identifier", "properties[0].identifier"},
		{`{"properties":[{"identifier":"a","accessMode":"w","dataType":{"type":"bool"}}]}`, "model.access", "properties[0].accessMode"},
		{`{"properties":[{"identifier":"a"}]}`, "model.missing", "properties[0].dataType"},
		{`{"properties":[{"identifier":"a","dataType":{}}]}`, "model.missing", "properties[0].dataType.type"},
		{model(`{"type":"int16"}`), "model.datatype", "properties[1].dataType.type"},
		{model(`{"type":"int32","specs":{"min":"0","max":"x"}}`), "model.specs", "properties[1].dataType.specs.max"},
		{model(`{"type":"int32","specs":{"min":"0","max":"2147483648"}}`), "model.specs", "properties[1].dataType.specs.max"},
		{model(`{"type":"int32","specs":{"min":"5","max":"1"}}`), "model.specs", "properties[1].dataType.specs.min"},
		{model(`{"type":"int32","specs":{"step":"-1"}}`), "model.specs", "properties[1].dataType.specs.step"},
		{model(`{"type":"int64","specs":{"max":true}}`), "model.specs", "properties[1].dataType.specs.max"},
		{model(`{"type":"float","specs":{"max":"1e39"}}`), "model.specs", "properties[1].dataType.specs.max"},
		{model(`{"type":"double","specs":{"min":"2","max":"1"}}`), "model.specs", "properties[1].dataType.specs.min"},
		{model(`{"type":"string"}`), "model.missing", "properties[1].dataType.specs"},
		{model(`{"type":"string","specs":{"length":0}}`), "model.specs", "properties[1].dataType.specs.length"},
		{model(`{"type":"enum","specs":{"x":"a"}}`), "model.specs", "properties[1].dataType.specs.x"},
		{model(`{"type":"enum","specs":{}}`), "model.specs", "properties[1].dataType.specs"},
		{model(`{"type":"enum","specs":{"1":2}}`), "model.type", "properties[1].dataType.specs.1"},
		{model(`{"type":"enum","specs":{"1":"a","01":"b"}}`), "model.duplicate", "properties[1].dataType.specs.01"},
		{model(`{"type":"bitMap","specs":{"length":65}}`), "model.specs", "properties[1].dataType.specs.length"},
		{model(`{"type":"bitMap","specs":{"64":"x"}}`), "model.specs", "properties[1].dataType.specs.64"},
		{model(`{"type":"bool","specs":{"true":1}}`), "model.type", "properties[1].dataType.specs.true"},
		{model(`{"type":"array","specs":{"type":"int32"}}`), "model.missing", "properties[1].dataType.specs.length"},
		{model(`{"type":"array","specs":{"length":2}}`), "model.missing", "properties[1].dataType.specs.type"},
		{model(`{"type":"array","specs":{"length":2,"type":"bool"}}`), "model.nesting", "properties[1].dataType.specs.type"},
		{model(`{"type":"array","specs":{"length":2,"type":"array"}}`), "model.nesting", "properties[1].dataType.specs.type"},
		{model(`{"type":"array","specs":{"length":2,"type":"string","specs":{"length":"x"}}}`), "model.specs", "properties[1].dataType.specs.specs.length"},
		{model(`{"type":"struct","specs":{}}`), "model.type", "properties[1].dataType.specs"},
		{model(`{"type":"struct","specs":[{"identifier":"x","dataType":{"type":"array","specs":{"length":1,"type":"int32"}}}]}`), "model.nesting", "properties[1].dataType.specs[0].dataType.type"},
		{model(`{"type":"struct","specs":[{"identifier":"x","dataType":{"type":"struct","specs":[]}}]}`), "model.nesting", "properties[1].dataType.specs[0].dataType.type"},
		{model(`{"type":"struct","specs":[{"identifier":"x","dataType":{"type":"bool"}},{"identifier":"x","dataType":{"type":"bool"}}]}`), "model.duplicate", "properties[1].dataType.specs[1].identifier"},
		{`{"properties":[{"identifier":"a","dataType":{"type":"bool"}}],"events":[{"identifier":"a"}]}`, "model.duplicate", "events[0].identifier"},
		{`{"events":[{"identifier":"e","eventType":"warn"}]}`, "model.eventType", "events[0].eventType"},
		{`{"events":[{"identifier":"e","outputData":{}}]}`, "model.type", "events[0].outputData"},
		{`{"services":[{"identifier":"s","callType":"later"}]}`, "model.callType", "services[0].callType"},
		{`{"services":[{"identifier":"s","inputData":[{"identifier":"x","dataType":{"type":"int32","specs":{"min":"a"}}}]}]}`, "model.specs", "services[0].inputData[0].dataType.specs.min"},
		{`{"services":[{"identifier":"s","name":3}]}`, "model.type", "services[0].name"},
		{`{"properties":[` + strings.Repeat(`{"identifier":"a","dataType":{"type":"bool"}},`, 101) + `]}`, "", ""},
	} {
		_, err := ParseThingModel([]byte(tc.in))
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%.80s: error %v, want an *Error", tc.in, err)
			continue
		}
		if tc.code == "" {
			continue // the JSON is malformed on purpose
		}
		if e.Code != tc.code || e.Field != "model" || e.Params["path"] != tc.path || !strings.HasPrefix(e.Msg, tc.path) {
			t.Errorf("%.120s:\n got %s %s %q\nwant %s at %s", tc.in, e.Code, e.Params["path"], e.Msg, tc.code, tc.path)
		}
	}
	var sb strings.Builder
	for i := range 101 {
		fmt.Fprintf(&sb, `,{"identifier":"a%d","dataType":{"type":"bool"}}`, i)
	}
	many := `{"properties":[` + sb.String()[1:] + `]}`
	if _, err := ParseThingModel([]byte(many)); err == nil || err.(*Error).Code != "model.features" || err.(*Error).Params["path"] != "properties[100]" {
		t.Errorf("101 feature points: %v", err)
	}
	if _, err := ParseThingModel(make([]byte, MaxModelSize+1)); err == nil || err.(*Error).Code != "model.size" {
		t.Errorf("oversize: %v", err)
	}
}

// TestCheckValue: every data type's rules (docs/PROTOCOL.md §9).
func TestCheckValue(t *testing.T) {
	dt := func(s string) *DataType {
		t.Helper()
		m, err := ParseThingModel([]byte(model(s)))
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		return &m.Properties[1].DataType
	}
	for _, tc := range []struct {
		dataType string
		value    string
		code     string // "" for valid
	}{
		{`{"type":"int32"}`, `2147483647`, ""},
		{`{"type":"int32"}`, `-2147483648`, ""},
		{`{"type":"int32"}`, `2147483648`, "tm.value.range"},
		{`{"type":"int32"}`, `-2147483649`, "tm.value.range"},
		{`{"type":"int32"}`, `1.5`, "tm.value.type"},
		{`{"type":"int32"}`, `1e2`, "tm.value.type"},
		{`{"type":"int32"}`, `"1"`, "tm.value.type"},
		{`{"type":"int32","specs":{"min":"-10","max":"10","step":"5"}}`, `-5`, ""},
		{`{"type":"int32","specs":{"min":"-10","max":"10","step":"5"}}`, `3`, "tm.value.step"},
		{`{"type":"int32","specs":{"min":"-10","max":"10","step":""}}`, `11`, "tm.value.range"},
		{`{"type":"int64"}`, `9223372036854775807`, ""},
		{`{"type":"int64"}`, `-9223372036854775808`, ""},
		{`{"type":"int64"}`, `9223372036854775808`, "tm.value.range"},
		{`{"type":"int64","specs":{"max":"9007199254740993"}}`, `9007199254740993`, ""},
		{`{"type":"int64","specs":{"max":"9007199254740992"}}`, `9007199254740993`, "tm.value.range"},
		{`{"type":"int64","specs":{"min":"-9223372036854775808","step":"2"}}`, `9223372036854775806`, ""},
		{`{"type":"int64","specs":{"min":"-9223372036854775808","step":"2"}}`, `9223372036854775807`, "tm.value.step"},
		{`{"type":"float","specs":{"min":"-20.5","max":"50.5","step":"0.5"}}`, `-20.5`, ""},
		{`{"type":"float","specs":{"min":"-20.5","max":"50.5","step":"0.5"}}`, `21`, ""},
		{`{"type":"float","specs":{"min":"-20.5","max":"50.5","step":"0.5"}}`, `21.2`, "tm.value.step"},
		{`{"type":"float","specs":{"min":"-20.5","max":"50.5","step":"0.1"}}`, `23.3`, ""},
		{`{"type":"float","specs":{"min":"-20.5","max":"50.5"}}`, `50.6`, "tm.value.range"},
		{`{"type":"float"}`, `1e39`, "tm.value.range"},
		{`{"type":"float"}`, `true`, "tm.value.type"},
		{`{"type":"double"}`, `1e300`, ""},
		{`{"type":"double","specs":{"min":"0","max":"1"}}`, `-0.0001`, "tm.value.range"},
		{`{"type":"date"}`, `1524448722123`, ""},
		{`{"type":"date"}`, `1524448722`, "tm.value.seconds"},
		{`{"type":"date"}`, `-1`, "tm.value.range"},
		{`{"type":"date"}`, `"1524448722123"`, "tm.value.type"},
		{`{"type":"bool"}`, `true`, ""},
		{`{"type":"bool"}`, `false`, ""},
		{`{"type":"bool"}`, `1`, "tm.value.type"},
		{`{"type":"bool"}`, `"true"`, "tm.value.type"},
		{`{"type":"string","specs":{"length":3}}`, `"温度计"`, ""},
		{`{"type":"string","specs":{"length":"3"}}`, `"温度计a"`, "tm.value.length"},
		{`{"type":"string","specs":{"length":3}}`, `3`, "tm.value.type"},
		{`{"type":"enum","specs":{"0":"off","1":"on"}}`, `1`, ""},
		{`{"type":"enum","specs":{"0":"off","1":"on"}}`, `2`, "tm.value.enum"},
		{`{"type":"enum","specs":{"0":"off","1":"on"}}`, `"on"`, "tm.value.type"},
		{`{"type":"bitMap","specs":{"length":4}}`, `15`, ""},
		{`{"type":"bitMap","specs":{"length":4}}`, `16`, "tm.value.bitmap"},
		{`{"type":"bitMap","specs":{"length":4}}`, `-1`, "tm.value.bitmap"},
		{`{"type":"bitMap","specs":{"0":"fan","2":"pump"}}`, `5`, ""},
		{`{"type":"bitMap","specs":{"0":"fan","2":"pump"}}`, `2`, "tm.value.bitmap"},
		{`{"type":"bitMap"}`, `4294967295`, ""},
		{`{"type":"bitMap"}`, `4294967296`, "tm.value.bitmap"},
		{`{"type":"array","specs":{"length":2,"type":"int32","specs":{"min":"0","max":"9"}}}`, `[1,9]`, ""},
		{`{"type":"array","specs":{"length":2,"type":"int32","specs":{"min":"0","max":"9"}}}`, `[1,2,3]`, "tm.value.size"},
		{`{"type":"array","specs":{"length":2,"type":"int32","specs":{"min":"0","max":"9"}}}`, `[1,10]`, "tm.value.range"},
		{`{"type":"array","specs":{"length":2,"type":"int32"}}`, `{"a":1}`, "tm.value.type"},
		{`{"type":"array","specs":{"length":2,"type":"struct","specs":[{"identifier":"x","dataType":{"type":"bool"}}]}}`, `[{"x":true}]`, ""},
		{`{"type":"array","specs":{"length":2,"type":"struct","specs":[{"identifier":"x","dataType":{"type":"bool"}}]}}`, `[{"x":1}]`, "tm.value.type"},
		{`{"type":"struct","specs":[{"identifier":"x","dataType":{"type":"bool"}},{"identifier":"y","dataType":{"type":"string","specs":{"length":2}}}]}`, `{"x":true,"y":"ab"}`, ""},
		{`{"type":"struct","specs":[{"identifier":"x","dataType":{"type":"bool"}}]}`, `{"z":true}`, "tm.value.member"},
		{`{"type":"struct","specs":[{"identifier":"x","dataType":{"type":"bool"}}]}`, `[true]`, "tm.value.type"},
	} {
		err := dt(tc.dataType).CheckValue("p", []byte(tc.value))
		if tc.code == "" {
			if err != nil {
				t.Errorf("%s with %s: %v", tc.dataType, tc.value, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != tc.code || e.Field != "value" || e.Params["identifier"] != "p" || !strings.HasPrefix(e.Msg, "p") {
			t.Errorf("%s with %s: %v (%#v), want %s", tc.dataType, tc.value, err, e, tc.code)
		}
	}
	// A struct member or an array element is named in the path.
	err := dt(`{"type":"struct","specs":[{"identifier":"x","dataType":{"type":"bool"}}]}`).CheckValue("loc", []byte(`{"x":2}`))
	if err == nil || err.(*Error).Params["path"] != "loc.x" {
		t.Errorf("struct member: %v", err)
	}
	err = dt(`{"type":"array","specs":{"length":3,"type":"int32","specs":{"max":"1"}}}`).CheckValue("r", []byte(`[0,1,2]`))
	if err == nil || err.(*Error).Params["path"] != "r[2]" {
		t.Errorf("array element: %v", err)
	}
	if err := dt(`{"type":"bool"}`).CheckValue("p", []byte(`tru`)); err == nil || err.(*Error).Code != "payload.syntax" || err.(*Error).Field != "value" {
		t.Errorf("not JSON: %v", err)
	}
}

// TestCheckRequest: whole messages against the sample model.
func TestCheckRequest(t *testing.T) {
	m := sampleModel(t)
	for _, tc := range []struct {
		kind       Kind
		identifier string
		payload    string
		code, path string
	}{
		{KindPropertyPost, "", `{"id":"1","params":{"temperature":{"value":21.5,"time":1524448722123},"mode":{"value":2}}}`, "", ""},
		{KindPropertyPost, "", `{"id":"1","params":{"humidity":{"value":1}}}`, "tm.identifier.unknown", "params.humidity"},
		{KindPropertyPost, "", `{"id":"1","params":{"temperature":{"value":"hot"}}}`, "tm.value.type", "params.temperature.value"},
		{KindPropertyPost, "", `{"id":"1","params":{"brightness":{"value":101}}}`, "tm.value.range", "params.brightness.value"},
		{KindPropertyPost, "", `{"id":"1","params":{"location":{"value":{"lng":200}}}}`, "tm.value.range", "params.location.value.lng"},
		{KindPropertyPost, "", `{"id":"1","params":{"readings":{"value":[1,2,3,4,5,6]}}}`, "tm.value.size", "params.readings.value"},
		{KindPropertyPost, "", `{"id":"1","params":{"temperature":{"value":1,"time":1524448722}}}`, "thing.time.seconds", "params.temperature.time"},
		{KindEventPost, "", `{"id":"2","params":{"overheat":{"value":{"temperature":90.5,"level":2}}}}`, "", ""},
		{KindEventPost, "", `{"id":"2","params":{"fire":{"value":{}}}}`, "tm.identifier.unknown", "params.fire"},
		{KindEventPost, "", `{"id":"2","params":{"overheat":{"value":{"level":3}}}}`, "tm.value.enum", "params.overheat.value.level"},
		{KindEventPost, "", `{"id":"2","params":{"overheat":{"value":{"smoke":1}}}}`, "tm.param.unknown", "params.overheat.value.smoke"},
		{KindEventPost, "", `{"id":"2","params":{"overheat":{"value":5}}}`, "thing.params.type", "params.overheat.value"},
		{KindPropertySet, "", `{"id":"3","params":{"power":true,"brightness":50}}`, "", ""},
		{KindPropertySet, "", `{"id":"3","params":{"temperature":20}}`, "tm.access.readonly", "params.temperature"},
		{KindPropertySet, "", `{"id":"3","params":{"power":"on"}}`, "tm.value.type", "params.power"},
		{KindPropertySet, "", `{"id":"3","params":{"volume":1}}`, "tm.identifier.unknown", "params.volume"},
		{KindPropertyGet, "", `{"id":"4","params":["temperature","power"]}`, "", ""},
		{KindPropertyGet, "", `{"id":"4","params":["temperature","x"]}`, "tm.identifier.unknown", "params[1]"},
		{KindPropertyDesiredGet, "", `{"id":"4","params":["nope"]}`, "tm.identifier.unknown", "params[0]"},
		{KindPropertyDesiredDelete, "", `{"id":"4","params":{"power":{"version":1},"mode":{}}}`, "", ""},
		{KindPropertyDesiredDelete, "", `{"id":"4","params":{"nope":{}}}`, "tm.identifier.unknown", "params.nope"},
		{KindServiceInvoke, "reboot", `{"id":"5","params":{"delay":5}}`, "", ""},
		{KindServiceInvoke, "reboot", `{"id":"5","params":{"delay":61}}`, "tm.value.range", "params.delay"},
		{KindServiceInvoke, "reboot", `{"id":"5","params":{"force":true}}`, "tm.param.unknown", "params.force"},
		{KindServiceInvoke, "reset", `{"id":"5","params":{}}`, "tm.identifier.unknown", ""},
		{KindPackPost, "", `{"id":"6","params":[{"properties":{"power":{"value":true}},"events":{"overheat":{"value":{"level":1}}}}]}`, "", ""},
		{KindPackPost, "", `{"id":"6","params":[{"identity":{"productID":"p","deviceName":"d"},"properties":{"anything":{"value":1}}}]}`, "", ""},
		{KindPackPost, "", `{"id":"6","params":[{"properties":{"power":{"value":1}}}]}`, "tm.value.type", "params[0].properties.power.value"},
		{KindPackPost, "", `{"id":"6","params":{"properties":{"mode":{"value":9}}}}`, "tm.value.enum", "params.properties.mode.value"},
		{KindPackPost, "", `{"id":"6","params":[` + strings.Repeat(`{},`, 10) + `{}]}`, "thing.pack.devices", "params"},
		{KindHistoryPost, "", `{"id":"7","params":[{"properties":{"brightness":[{"value":1,"time":1524448722000},{"value":2,"time":1524448723000}]}}]}`, "", ""},
		{KindHistoryPost, "", `{"id":"7","params":[{"properties":{"brightness":[{"value":1},{"value":200}]}}]}`, "tm.value.range", "params[0].properties.brightness[1].value"},
		{KindHistoryPost, "", `{"id":"7","params":[{"properties":{"brightness":{"value":1}}}]}`, "thing.property.type", "params[0].properties.brightness"},
	} {
		err := m.CheckRequest(tc.kind, tc.identifier, []byte(tc.payload))
		if tc.code == "" {
			if err != nil {
				t.Errorf("%s %s: %v", tc.kind, tc.payload, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != tc.code || e.Field != "payload" || e.Params["path"] != tc.path {
			t.Errorf("%s %s:\n got %v (%v)\nwant %s at %q", tc.kind, tc.payload, err, e, tc.code, tc.path)
		}
	}
}

func TestCheckReply(t *testing.T) {
	m := sampleModel(t)
	for _, tc := range []struct {
		kind       Kind
		identifier string
		payload    string
		code, path string
	}{
		{KindPropertyGetReply, "", `{"id":"1","code":200,"msg":"ok","data":{"temperature":39.5,"power":true}}`, "", ""},
		{KindPropertyGetReply, "", `{"id":"1","code":200,"data":{"temperature":"x"}}`, "tm.value.type", "data.temperature"},
		{KindPropertyGetReply, "", `{"id":"1","code":200,"data":{"x":1}}`, "tm.identifier.unknown", "data.x"},
		{KindPropertyGetReply, "", `{"id":"1","code":200,"data":[1]}`, "thing.params.type", "data"},
		{KindServiceInvokeReply, "reboot", `{"id":"1","code":200,"data":{"ok":true}}`, "", ""},
		{KindServiceInvokeReply, "reboot", `{"id":"1","code":200,"data":{"ok":"yes"}}`, "tm.value.type", "data.ok"},
		{KindServiceInvokeReply, "reboot", `{"id":"1","code":200}`, "", ""},
		{KindPropertySetReply, "", `{"id":"1","code":200}`, "", ""},
		{KindPropertySetReply, "", `{"id":"1"}`, "thing.code.missing", ""},
	} {
		err := m.CheckReply(tc.kind, tc.identifier, []byte(tc.payload))
		if tc.code == "" {
			if err != nil {
				t.Errorf("%s %s: %v", tc.kind, tc.payload, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != tc.code || e.Params["path"] != tc.path {
			t.Errorf("%s %s: got %v, want %s at %q", tc.kind, tc.payload, err, tc.code, tc.path)
		}
	}
}

// TestExampleRequest: every example built from the model is valid against it.
func TestExampleRequest(t *testing.T) {
	const now = 1700000000123
	for _, src := range []string{"", model(`{"type":"int32","specs":{"min":"-7","max":"7","step":"3"}}`), model(`{"type":"float","specs":{"min":"-20.5","max":"0.3","step":"0.7"}}`), model(`{"type":"int64","specs":{"min":"5","max":"9"}}`), model(`{"type":"double","specs":{"min":"-9","max":"-5"}}`), model(`{"type":"string","specs":{"length":2}}`), model(`{"type":"bitMap","specs":{"1":"x"}}`), model(`{"type":"date"}`)} {
		m := sampleModel(t)
		if src != "" {
			var err error
			if m, err = ParseThingModel([]byte(src)); err != nil {
				t.Fatal(err)
			}
		}
		for _, k := range []struct {
			kind Kind
			id   string
		}{{KindPropertyPost, ""}, {KindPropertySet, ""}, {KindPropertyGet, ""}, {KindPropertyDesiredGet, ""}, {KindEventPost, "overheat"}, {KindServiceInvoke, "reboot"}} {
			if src != "" && k.id != "" {
				continue
			}
			b, err := m.ExampleRequest(k.kind, k.id, "42", now)
			if err != nil {
				t.Fatalf("%s: %v", k.kind, err)
			}
			if err := m.CheckRequest(k.kind, k.id, b); err != nil {
				t.Errorf("%s: the example %s is invalid: %v", k.kind, b, err)
			}
		}
	}
	m := sampleModel(t)
	b, _ := m.ExampleRequest(KindServiceInvoke, "reboot", "9", now)
	if string(b) != `{"id":"9","version":"1.0","params":{"delay":0}}` {
		t.Errorf("invoke example %s", b)
	}
	for _, k := range []Kind{KindEventPost, KindServiceInvoke} {
		if _, err := m.ExampleRequest(k, "nope", "1", now); err == nil || err.(*Error).Code != "tm.identifier.unknown" {
			t.Errorf("%s nope: %v", k, err)
		}
	}
	if _, err := m.ExampleRequest(KindDPPost, "", "1", now); err == nil {
		t.Error("dp/post example: no error")
	}
}

func FuzzParseThingModel(f *testing.F) {
	b, err := os.ReadFile("../web/thingmodel-sample.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(model(`{"type":"array","specs":{"length":2,"type":"struct","specs":[{"identifier":"x","dataType":{"type":"bool"}}]}}`)))
	f.Add([]byte(model(`{"type":"bitMap","specs":{"0":"a","3":"b"}}`)))
	codes := docCodes(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseThingModel(b)
		checkError(t, codes, "ParseThingModel", err)
		if err != nil {
			return
		}
		// Every example of a model that parses is valid against it.
		for _, k := range []Kind{KindPropertyPost, KindPropertySet, KindPropertyGet} {
			ex, err := m.ExampleRequest(k, "", "1", 1700000000000)
			if err != nil {
				t.Fatalf("%s example: %v", k, err)
			}
			if err := m.CheckRequest(k, "", ex); err != nil {
				t.Fatalf("%s example %s invalid: %v", k, ex, err)
			}
		}
	})
}

func FuzzCheckThingRequest(f *testing.F) {
	for _, s := range []string{
		`{"id":"1","params":{"temperature":{"value":21.5,"time":1524448722123},"mode":{"value":2}}}`,
		`{"id":"2","params":{"overheat":{"value":{"temperature":90.5,"level":2}}}}`,
		`{"id":"6","params":[{"properties":{"power":{"value":true}},"events":{"overheat":{"value":{"level":1}}}}]}`,
		`{"id":"1","params":{"location":{"value":{"lng":200}}},"readings":{"value":[1,2]}}`,
	} {
		f.Add(uint8(0), s)
	}
	kinds := []Kind{KindPropertyPost, KindEventPost, KindPropertySet, KindPropertyGet, KindPropertyDesiredGet, KindPropertyDesiredDelete, KindServiceInvoke, KindPackPost, KindHistoryPost, KindPropertyGetReply, KindServiceInvokeReply}
	m := sampleModel(f)
	codes := docCodes(f)
	f.Fuzz(func(t *testing.T, k uint8, payload string) {
		kind := kinds[int(k)%len(kinds)]
		var err error
		if kind.ReplyTo() != "" {
			err = m.CheckReply(kind, "reboot", []byte(payload))
		} else {
			err = m.CheckRequest(kind, "reboot", []byte(payload))
		}
		checkError(t, codes, "Check", err)
		// A property value checked alone agrees with the message check.
		for i := range m.Properties {
			checkError(t, codes, "CheckValue", m.Properties[i].DataType.CheckValue(m.Properties[i].Identifier, []byte(payload)))
		}
	})
}

func tmModelErr(src string) func() error {
	return func() error { _, err := ParseThingModel([]byte(src)); return err }
}

func tmReqErr(kind Kind, id, payload string) func() error {
	return func() error {
		b, _ := os.ReadFile("../web/thingmodel-sample.json")
		m, err := ParseThingModel(b)
		if err != nil {
			return err
		}
		return m.CheckRequest(kind, id, []byte(payload))
	}
}

func tmValueErr(dataType, value string) func() error {
	return func() error {
		m, err := ParseThingModel([]byte(model(dataType)))
		if err != nil {
			return err
		}
		return m.Properties[1].DataType.CheckValue("p", []byte(value))
	}
}

// The thing model's codes, one case each, for TestCodes and TestDocListsCodes.
func init() {
	codeCases = append(codeCases,
		codeCase{"thing.pack.devices", "payload", "at most 10 devices", thingErr(KindPackPost, `{"id":"1","params":[{},{},{},{},{},{},{},{},{},{},{}]}`)},
		codeCase{"thing.pack.points", "payload", "at most 100", thingErr(KindHistoryPost, `{"id":"1","params":[{"properties":{"a":[`+strings.Repeat(`{"value":1},`, 100)+`{"value":1}]}}]}`)},
		codeCase{"tm.identifier.unknown", "payload", `"humidity" is not a property`, tmReqErr(KindPropertyPost, "", `{"id":"1","params":{"humidity":{"value":1}}}`)},
		codeCase{"tm.access.readonly", "payload", "read-only", tmReqErr(KindPropertySet, "", `{"id":"1","params":{"temperature":1}}`)},
		codeCase{"tm.param.unknown", "payload", "not a parameter of reboot", tmReqErr(KindServiceInvoke, "reboot", `{"id":"1","params":{"force":1}}`)},
		codeCase{"tm.value.type", "value", "int32 needs an integer", tmValueErr(`{"type":"int32"}`, `"1"`)},
		codeCase{"tm.value.range", "value", "outside 0 to 9", tmValueErr(`{"type":"int32","specs":{"min":"0","max":"9"}}`, `10`)},
		codeCase{"tm.value.step", "value", "multiple of the step 2", tmValueErr(`{"type":"int32","specs":{"min":"0","max":"9","step":"2"}}`, `3`)},
		codeCase{"tm.value.enum", "value", "not one of the enum's values", tmValueErr(`{"type":"enum","specs":{"0":"a"}}`, `1`)},
		codeCase{"tm.value.bitmap", "value", "bitMap of 2 bits", tmValueErr(`{"type":"bitMap","specs":{"length":2}}`, `4`)},
		codeCase{"tm.value.seconds", "value", "looks like seconds", tmValueErr(`{"type":"date"}`, `1524448722`)},
		codeCase{"tm.value.length", "value", "at most 2", tmValueErr(`{"type":"string","specs":{"length":2}}`, `"abc"`)},
		codeCase{"tm.value.size", "value", "at most 1", tmValueErr(`{"type":"array","specs":{"length":1,"type":"int32"}}`, `[1,2]`)},
		codeCase{"tm.value.member", "value", "not a member", tmValueErr(`{"type":"struct","specs":[{"identifier":"x","dataType":{"type":"bool"}}]}`, `{"y":1}`)},
		codeCase{"model.size", "model", "at most", func() error { _, err := ParseThingModel(make([]byte, MaxModelSize+1)); return err }},
		codeCase{"model.type", "model", "must be an array", tmModelErr(`{"properties":{}}`)},
		codeCase{"model.missing", "model", "is missing", tmModelErr(`{"properties":[{"identifier":"a"}]}`)},
		codeCase{"model.identifier", "model", "outside [A-Za-z0-9_]", tmModelErr(`{"properties":[{"identifier":"a-b"}]}`)},
		codeCase{"model.duplicate", "model", "also the identifier", tmModelErr(`{"properties":[{"identifier":"a","dataType":{"type":"bool"}}],"services":[{"identifier":"a"}]}`)},
		codeCase{"model.features", "model", "more than 100 feature points", func() error {
			var sb strings.Builder
			for i := range 101 {
				fmt.Fprintf(&sb, `,{"identifier":"e%d"}`, i)
			}
			return tmModelErr(`{"events":[` + sb.String()[1:] + `]}`)()
		}},
		codeCase{"model.params", "model", "at most 100", tmModelErr(`{"events":[{"identifier":"e","outputData":[` + strings.Repeat(`{},`, 100) + `{}]}]}`)},
		codeCase{"model.access", "model", "read-only", tmModelErr(`{"properties":[{"identifier":"a","accessMode":"x"}]}`)},
		codeCase{"model.eventType", "model", "not info, alert or error", tmModelErr(`{"events":[{"identifier":"e","eventType":"x"}]}`)},
		codeCase{"model.callType", "model", "neither sync nor async", tmModelErr(`{"services":[{"identifier":"s","callType":"x"}]}`)},
		codeCase{"model.datatype", "model", "not a data type", tmModelErr(model(`{"type":"text"}`))},
		codeCase{"model.specs", "model", "greater than max", tmModelErr(model(`{"type":"int32","specs":{"min":"2","max":"1"}}`))},
		codeCase{"model.nesting", "model", "cannot be inside a struct", tmModelErr(model(`{"type":"struct","specs":[{"identifier":"x","dataType":{"type":"struct","specs":[]}}]}`))},
	)
}

// TestThingModelJSON: AppendJSON writes valid JSON with every point.
func TestThingModelJSON(t *testing.T) {
	m := sampleModel(t)
	b := m.AppendJSON(nil)
	var v struct {
		Properties []struct {
			Identifier, AccessMode string
			DataType               map[string]any
		}
		Events   []struct{ OutputData []any }
		Services []struct{ InputData, OutputData []any }
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if len(v.Properties) != 7 || v.Properties[3].DataType["intMax"] != "100" || v.Properties[0].DataType["unit"] != "°C" || len(v.Events[0].OutputData) != 2 || len(v.Services[0].InputData) != 1 {
		t.Errorf("%s", b)
	}
}

// TestExampleReply: a prepared reply answers exactly what was asked, and
// the model accepts it (docs/PROTOCOL.md §9.3).
func TestExampleReply(t *testing.T) {
	const now = 1700000000123
	m := sampleModel(t)
	for _, tc := range []struct {
		kind       Kind
		identifier string
		request    string
		want       string
	}{
		{KindPropertyGet, "", `{"id":"7","params":["brightness","power","brightness"]}`, `{"id":"7","code":200,"msg":"success","data":{"brightness":0,"power":true}}`},
		{KindPropertyGet, "", `{"id":"8","params":[]}`, `{"id":"8","code":200,"msg":"success","data":{}}`},
		{KindServiceInvoke, "reboot", `{"id":"9","version":"1.0","params":{"delay":3}}`, `{"id":"9","code":200,"msg":"success","data":{"ok":true}}`},
		{KindPropertySet, "", `{"id":"10","params":{"brightness":5}}`, `{"id":"10","code":200,"msg":"success"}`},
	} {
		b, err := m.ExampleReply(tc.kind, tc.identifier, []byte(tc.request), now)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.kind, tc.request, err)
		}
		if string(b) != tc.want {
			t.Errorf("%s %s: reply %s, want %s", tc.kind, tc.request, b, tc.want)
		}
		if err := m.CheckReply(tc.kind.Replies()[0], tc.identifier, b); err != nil {
			t.Errorf("%s: the reply %s is invalid: %v", tc.kind, b, err)
		}
	}
	for _, tc := range []struct {
		kind       Kind
		identifier string
		request    string
		code       string
	}{
		{KindPropertyGet, "", `{"id":"1","params":["nope"]}`, "tm.identifier.unknown"},
		{KindServiceInvoke, "nope", `{"id":"1","params":{}}`, "tm.identifier.unknown"},
		{KindPropertySet, "", `{"id":"1","params":{"brightness":101}}`, "tm.value.range"},
		{KindPropertyGet, "", `{"params":[]}`, "thing.id.missing"},
		{KindPropertyPost, "", `{"id":"1","params":{}}`, "kind.mismatch"},
	} {
		_, err := m.ExampleReply(tc.kind, tc.identifier, []byte(tc.request), now)
		var e *Error
		if !errors.As(err, &e) || e.Code != tc.code {
			t.Errorf("%s %s: got %v, want %s", tc.kind, tc.request, err, tc.code)
		}
	}
}
