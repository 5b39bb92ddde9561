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
	r1, err := DemoRegistry(bytes.NewReader(bytes.Repeat([]byte{7, 200, 3}, 30)))
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := DemoRegistry(bytes.NewReader(bytes.Repeat([]byte{7, 200, 3}, 30)))
	if r1.Products[0].ID != r2.Products[0].ID || r1.Products[0].ID != "demo703703" {
		t.Errorf("ids %q %q, want demo703703 from the same bytes", r1.Products[0].ID, r2.Products[0].ID)
	}
	data, _ := json.Marshal(r1)
	if _, err := ParseRegistry("demo", data); err != nil {
		t.Errorf("the demo registry does not check: %v", err)
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
