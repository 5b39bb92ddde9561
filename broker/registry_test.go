package broker

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseRegistryErrors(t *testing.T) {
	k := keyP1
	tests := []struct {
		name string
		data string
		want string // the error starts with it
	}{
		{"trailing comma", "{\n  \"products\": [\n    {\n      \"id\": \"p1\",\n      \"key\": \"" + k + "\",\n      \"devices\": []\n  },\n  ]\n}\n",
			"devices.json:8:3: invalid character ']' looking for beginning of value"},
		{"brief's example", "{\"products\": [\n {\"id\": \"p1\",\n  \"key\": \"" + k + "\",\n  \"devices\": [\n   {\"name\": \"d\",\n    \"key\": \"" + k + "\",\n  }\n ]}]}",
			"devices.json:7:3: invalid character '}' looking for beginning of object key string"},
		{"not closed", "{\"products\": [", "devices.json:1:15: unexpected end of file"},
		{"empty", "", "devices.json: empty file"},
		{"wrong type", "{\"products\": [{\"id\": 12}]}", "devices.json:1:23: products.id: want a string, found a JSON number"},
		{"unknown field", "{\"products\": [{\"id\": \"p\", \"device\": []}]}", "devices.json:1:27: unknown field \"device\""},
		{"trailing data", "{\"products\": []} x", "devices.json:1:18: unexpected data after the registry object"},
		{"no products", "{\"products\": []}", "devices.json: no products"},
		{"empty id", `{"products":[{"id":"","key":"` + k + `"}]}`, "devices.json: products[0].id: empty product id"},
		{"id with slash", `{"products":[{"id":"a/b","key":"` + k + `"}]}`, "devices.json: products[0].id: product id \"a/b\" contains '/'"},
		{"empty product key", `{"products":[{"id":"p","key":""}]}`, "devices.json: products[0].key: empty"},
		{"bad product key", `{"products":[{"id":"p","key":"abc-_"}]}`, "devices.json: products[0].key: not base64"},
		{"duplicate product", `{"products":[{"id":"p","key":"` + k + `"},{"id":"p","key":"` + k + `"}]}`, "devices.json: products[1].id: duplicate product id \"p\" (also products[0])"},
		{"wildcard name", `{"products":[{"id":"p","key":"` + k + `","devices":[{"name":"d+"}]}]}`, "devices.json: products[0].devices[0].name: device name \"d+\" contains the MQTT wildcard '+'"},
		{"duplicate device", `{"products":[{"id":"p","key":"` + k + `","devices":[{"name":"d"},{"name":"d"}]}]}`, "devices.json: products[0].devices[1].name: duplicate device name \"d\" (also devices[0])"},
		{"bad device key", `{"products":[{"id":"p","key":"` + k + `","devices":[{"name":"d","key":"%%%%"}]}]}`, "devices.json: products[0].devices[0].key: not base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRegistry("devices.json", []byte(tt.data))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("ParseRegistry = %v, want an error starting %q", err, tt.want)
			}
		})
	}
}

func TestLoadRegistry(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "devices.json")
	data, err := json.MarshalIndent(testRegistry(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := LoadRegistry(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Products) != 2 || r.Products[0].Devices[2].Name != "nokey" || r.Products[0].Devices[2].Key != "" {
		t.Errorf("loaded %+v", r)
	}

	bad := bytes.Replace(data, []byte(`"dev2"`), []byte(`"dev2",`), 1)
	if err := os.WriteFile(path, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadRegistry(path)
	if want := path + ":12:26: invalid character ','"; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("LoadRegistry of a bad file = %v, want %s…", err, want)
	}
	if _, err := LoadRegistry(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
}

func TestDemoRegistry(t *testing.T) {
	r1, err := DemoRegistry(bytes.NewReader(bytes.Repeat([]byte{7, 200, 3}, 100)))
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := DemoRegistry(bytes.NewReader(bytes.Repeat([]byte{7, 200, 3}, 100)))
	if s := r1.Products[1]; s.Kind != KindStudio || s.Model() == nil || s.Model().Property("temperature") == nil || len(s.ID) != 10 {
		t.Errorf("the Studio product %+v", s)
	}
	if r1.Products[0].ID != r2.Products[0].ID || r1.Products[0].ID != "403703703" {
		t.Errorf("ids %q %q, want 403703703 from the same bytes", r1.Products[0].ID, r2.Products[0].ID)
	}
	// The MQTT-kit products, the demo one and its sub-device product, are
	// declared so and have numeric ids, as on OneNET (docs/PROTOCOL.md §3.5).
	for _, i := range []int{0, 2} {
		if p := r1.Products[i]; p.Kind != KindKit || len(p.ID) != 9 || strings.Trim(p.ID, "0123456789") != "" {
			t.Errorf("kit product %d: kind %q, id %q; want kit and nine digits", i, p.Kind, p.ID)
		}
	}
	if r1.Products[2].ID != "703703703" {
		t.Errorf("the kit sub-device product's id %q, want 703703703", r1.Products[2].ID)
	}
	data, _ := json.MarshalIndent(r1, "", "  ")
	back, err := ParseRegistry("demo", data)
	if err != nil {
		t.Errorf("the demo registry does not check: %v", err)
	} else if back.Products[1].Model() == nil || len(back.Products[1].Model().Properties) != 7 {
		t.Errorf("the Studio product's model is lost in its file: %s", back.Products[1].ThingModel)
	}
	if _, err := DemoRegistry(bytes.NewReader(nil)); err == nil {
		t.Error("no randomness: no error")
	}
	b, err := New(Options{Registry: r1})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	empty, err := New(Options{Registry: &Registry{}})
	if err != nil {
		t.Errorf("New with an empty registry: %v", err)
	} else {
		empty.Close()
	}
	if _, err := New(Options{}); err == nil {
		t.Error("New without a registry: no error")
	}
	if _, err := New(Options{Registry: &Registry{Products: []Product{{ID: "p"}}}}); err == nil {
		t.Error("New with a product without key: no error")
	}
}

// TestDemoModelIsThePageSample: the demo Studio product's model is the
// sample model the page ships.
func TestDemoModelIsThePageSample(t *testing.T) {
	page, err := os.ReadFile("../web/thingmodel-sample.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(page, demoModel) {
		t.Error("broker/demomodel.json differs from web/thingmodel-sample.json: copy the page's sample")
	}
}

// TestRegistryThingModel: "kind" and "thingModel" (a path relative to the
// registry file, or inline), and the errors that name the place at fault
// (docs/PROTOCOL.md §9.1, §9.5).
func TestRegistryThingModel(t *testing.T) {
	dir := t.TempDir()
	sample, err := os.ReadFile("../web/thingmodel-sample.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.json"), sample, 0o600); err != nil {
		t.Fatal(err)
	}
	bad := `{"properties":[{"identifier":"t","dataType":{"type":"int32","specs":{"min":"0","max":"x"}}}]}`
	if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	reg := func(product string) string {
		return `{"products":[` + product + `]}`
	}
	k := keyP1
	for _, tc := range []struct {
		product, err string
	}{
		{`{"id":"S1","key":"` + k + `","kind":"studio","thingModel":"model.json","devices":[]}`, ""},
		{`{"id":"S1","key":"` + k + `","kind":"studio","thingModel":` + bad + `,"devices":[]}`, "products[0].thingModel: properties[0].dataType.specs.max"},
		{`{"id":"S1","key":"` + k + `","kind":"studio","thingModel":"bad.json","devices":[]}`, "products[0].thingModel: properties[0].dataType.specs.max"},
		{`{"id":"S1","key":"` + k + `","kind":"studio","thingModel":"none.json","devices":[]}`, "products[0].thingModel: open"},
		{`{"id":"S1","key":"` + k + `","thingModel":"model.json","devices":[]}`, `products[0].thingModel: only a Studio product has a thing model`},
		{`{"id":"S1","key":"` + k + `","kind":"lwm2m","devices":[]}`, `products[0].kind: "lwm2m"`},
		{`{"id":"S1","key":"` + k + `","kind":"studio","devices":[]}`, ""},
	} {
		name := filepath.Join(dir, "devices.json")
		r, err := ParseRegistry(name, []byte(reg(tc.product)))
		if tc.err == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.product, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%.80s: error %v, want %q", tc.product, err, tc.err)
		}
		_ = r
	}
	r, err := ParseRegistry(filepath.Join(dir, "devices.json"), []byte(reg(`{"id":"S1","key":"`+k+`","kind":"studio","thingModel":"model.json","devices":[]}`)))
	if err != nil || r.Products[0].Model().Service("reboot") == nil {
		t.Errorf("the model from a path: %v", err)
	}
}
