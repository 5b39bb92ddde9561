package broker

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/onenet-wasm/onenet-wasm/onenet"
	"github.com/onenet-wasm/onenet-wasm/token"
)

// A Registry lists the products and devices the broker knows, with their
// access keys: what the OneNET console holds for a real account. It is read
// once, by New; the broker does not watch it for changes.
//
// The file form is JSON:
//
//	{"products": [
//	  {"id": "469948", "kind": "kit", "key": "<base64 product access key>",
//	   "devices": [{"name": "sensor1", "key": "<base64 device key>"}]}
//	]}
type Registry struct {
	Products []Product `json:"products"`
}

// A Product is one OneNET product: its id (the MQTT username) and its
// product-level access key.
//
// Kind is "kit" (an MQTT-kit product, the default when empty) or "studio" (a
// OneNET Studio product, described by a thing model). ThingModel, for a
// Studio product only, is its thing model as the console exports it: either
// the path of the exported file (a JSON string, relative to the registry
// file) or the model itself (a JSON object). With a model the broker checks
// thing-model posts and the platform's calls against it (docs/PROTOCOL.md §9).
type Product struct {
	ID         string          `json:"id"`
	Key        string          `json:"key"` // base64, as the console shows it
	Kind       string          `json:"kind,omitempty"`
	ThingModel json.RawMessage `json:"thingModel,omitempty"`
	Devices    []Device        `json:"devices"` //
	// Gateway, when set, makes the product's devices sub-devices of the
	// gateway product with this id: any device of that product may log
	// them in and act for them (docs/PROTOCOL.md §12).
	Gateway string `json:"gateway,omitempty"`

	model *onenet.ThingModel // parsed ThingModel
}

// Product kinds (Product.Kind).
const (
	KindKit    = "kit"
	KindStudio = "studio"
)

// Model returns the product's parsed thing model, or nil.
func (p *Product) Model() *onenet.ThingModel { return p.model }

// loadModel parses a product's ThingModel: a path (relative to dir) or an
// inline object.
func (p *Product) loadModel(dir string) error {
	if len(p.ThingModel) == 0 || string(p.ThingModel) == "null" {
		p.model = nil
		return nil
	}
	if p.Kind != KindStudio {
		return fmt.Errorf("thingModel: only a Studio product has a thing model: add \"kind\": \"studio\"")
	}
	data := []byte(p.ThingModel)
	var path string
	if json.Unmarshal(p.ThingModel, &path) == nil {
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return fmt.Errorf("thingModel: %w", err)
		}
	}
	m, err := onenet.ParseThingModel(data)
	if err != nil {
		var oe *onenet.Error
		if errors.As(err, &oe) {
			return fmt.Errorf("thingModel: %s", oe.Msg)
		}
		return fmt.Errorf("thingModel: %w", err)
	}
	p.model = m
	return nil
}

// A Device is one device of a product: its name (the MQTT client id) and its
// device-level access key. An empty Key means the device has none and logs
// in with a token signed by the product key.
type Device struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// LoadRegistry reads and checks a registry file (see ParseRegistry).
func LoadRegistry(path string) (*Registry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("broker: registry: %w", err)
	}
	return ParseRegistry(path, data)
}

// ParseRegistry decodes and checks a registry. name is the file's name, for
// messages: a malformed file gives "name:line:col: problem", a registry that
// decodes but is unusable gives "name: products[i].devices[j].field: problem".
//
// Product ids and device names must be usable in a token's resource and in
// a topic level (not empty, no '/', no wildcard, no control character) and
// unique; product keys are required and every key must be valid base64.
func ParseRegistry(name string, data []byte) (*Registry, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r Registry
	if err := dec.Decode(&r); err != nil {
		return nil, jsonError(name, data, dec, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		off := int(dec.InputOffset())
		line, col := position(data, off)
		return nil, fmt.Errorf("%s:%d:%d: unexpected data after the registry object", name, line, col)
	}
	if len(r.Products) == 0 {
		return nil, fmt.Errorf("%s: no products: add at least one {\"id\", \"key\", \"devices\"}", name)
	}
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for i := range r.Products {
		if err := r.Products[i].loadModel(filepath.Dir(name)); err != nil {
			return nil, fmt.Errorf("%s: products[%d].%w", name, i, err)
		}
	}
	return &r, nil
}

// jsonError turns a decoding error into "name:line:col: problem".
func jsonError(name string, data []byte, dec *json.Decoder, err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		off int
		msg string
	)
	switch {
	case errors.As(err, &syn):
		// Offset counts the bytes read, the bad one included: point at it.
		off, msg = int(syn.Offset)-1, syn.Error()
	case errors.As(err, &typ):
		off = int(typ.Offset) - 1
		what := typ.Field
		if what == "" {
			what = "the registry"
		}
		msg = fmt.Sprintf("%s: want %s, found a JSON %s", what, goTypeName(typ.Type.String()), typ.Value)
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%s: empty file: want a JSON object {\"products\": [...]}", name)
	case errors.Is(err, io.ErrUnexpectedEOF):
		off, msg = len(data), "unexpected end of file: is the JSON complete?"
	default:
		// Unknown fields ("json: unknown field \"x\"") carry no offset:
		// the decoder is past the member; point at its name.
		off, msg = int(dec.InputOffset())-1, trimJSONPrefix(err.Error())
		if name, ok := strings.CutPrefix(msg, "unknown field "); ok {
			if i := bytes.LastIndex(data[:max(off, 0)], []byte(name)); i >= 0 {
				off = i
			}
		}
	}
	if off < 0 {
		off = 0
	}
	line, col := position(data, off)
	return fmt.Errorf("%s:%d:%d: %s", name, line, col, msg)
}

func trimJSONPrefix(s string) string {
	if len(s) > 6 && s[:6] == "json: " {
		return s[6:]
	}
	return s
}

func goTypeName(t string) string {
	switch t {
	case "string":
		return "a string"
	case "[]broker.Product", "[]broker.Device":
		return "an array"
	case "broker.Product", "broker.Device", "broker.Registry":
		return "an object"
	}
	return t
}

// position returns the 1-based line and column (in bytes) of data[off].
func position(data []byte, off int) (line, col int) {
	if off > len(data) {
		off = len(data)
	}
	line = 1 + bytes.Count(data[:off], []byte{'\n'})
	col = off - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

// check checks every product and device; an empty registry is valid (a
// broker that refuses every login).
func (r *Registry) check() error {
	pids := map[string]int{}
	for i, p := range r.Products {
		at := "products[" + strconv.Itoa(i) + "]"
		if msg := nameProblem(p.ID, "product id"); msg != "" {
			return fmt.Errorf("%s.id: %s", at, msg)
		}
		if j, dup := pids[p.ID]; dup {
			return fmt.Errorf("%s.id: duplicate product id %q (also products[%d])", at, p.ID, j)
		}
		pids[p.ID] = i
		switch p.Kind {
		case "", KindKit, KindStudio:
		default:
			return fmt.Errorf("%s.kind: %q is neither \"kit\" nor \"studio\"", at, p.Kind)
		}
		if p.Kind == KindKit && strings.Trim(p.ID, "0123456789") != "" {
			// docs/PROTOCOL.md §3.5. A product without a kind is not
			// checked: registries written before kinds hold ids such as
			// demo123456.
			return fmt.Errorf("%s.id: %q is not a number: an MQTT-kit product's id, the username its devices log in with, is numeric on OneNET (docs/PROTOCOL.md §3.5); a OneNET Studio product is \"kind\": \"studio\"", at, p.ID)
		}
		if p.Key == "" {
			return fmt.Errorf("%s.key: empty: give the product's access key (base64)", at)
		}
		if err := checkKey(p.Key); err != nil {
			return fmt.Errorf("%s.key: %w", at, err)
		}
		names := map[string]int{}
		for j, d := range p.Devices {
			at := at + ".devices[" + strconv.Itoa(j) + "]"
			if msg := nameProblem(d.Name, "device name"); msg != "" {
				return fmt.Errorf("%s.name: %s", at, msg)
			}
			if k, dup := names[d.Name]; dup {
				return fmt.Errorf("%s.name: duplicate device name %q (also devices[%d])", at, d.Name, k)
			}
			names[d.Name] = j
			if d.Key != "" {
				if err := checkKey(d.Key); err != nil {
					return fmt.Errorf("%s.key: %w", at, err)
				}
			}
		}
	}
	return r.checkGateways() // subdev.go
}

// nameProblem says why s cannot be a product id or device name, or returns
// "": the rules of a topic level (docs/PROTOCOL.md §4) and a token resource (docs/PROTOCOL.md §1).
func nameProblem(s, what string) string {
	if s == "" {
		return "empty " + what
	}
	if !utf8.ValidString(s) {
		return what + " is not valid UTF-8"
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '/':
			return fmt.Sprintf("%s %q contains '/'", what, s)
		case c == '+' || c == '#':
			return fmt.Sprintf("%s %q contains the MQTT wildcard %q", what, s, c)
		case c < 0x20 || c == 0x7f:
			return fmt.Sprintf("%s %q contains a control character", what, s)
		}
	}
	return ""
}

func checkKey(k string) error {
	if _, err := token.DecodeKey(k); err != nil {
		var te *token.Error
		if errors.As(err, &te) {
			return errors.New(te.Msg)
		}
		return err
	}
	return nil
}

// demoModel is the demo Studio product's thing model: the page's sample
// model (web/thingmodel-sample.json; a test keeps the two the same).
//
//go:embed demomodel.json
var demoModel []byte

// DemoRegistry returns a registry with two products, each with one device
// ("device1") and random 32-byte keys read from rand (crypto/rand.Reader in
// production): an MQTT-kit product (nine digits: a kit product's id is
// numeric, docs/PROTOCOL.md §3.5) and a OneNET Studio product (ten letters
// and digits) with a small thing model, the page's sample model; and a
// sub-device product of each.
func DemoRegistry(rand io.Reader) (*Registry, error) {
	var b [6 + 32 + 32 + 10 + 32 + 32 + 6 + 32 + 32 + 10 + 32 + 32 + 6]byte
	if _, err := io.ReadFull(rand, b[:]); err != nil {
		return nil, fmt.Errorf("broker: demo registry: %w", err)
	}
	// The kit product's id starts with 1–4, its sub-device product's with
	// 5–9, so the two never meet.
	id := numericID('1', 4, b[:6], b[288:291])
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	sid := make([]byte, 0, 10)
	for _, c := range b[70:80] {
		sid = append(sid, alnum[int(c)%len(alnum)])
	}
	enc := base64.StdEncoding.EncodeToString
	r := &Registry{Products: []Product{{
		ID:      id,
		Key:     enc(b[6:38]),
		Kind:    KindKit,
		Devices: []Device{{Name: "device1", Key: enc(b[38:70])}},
	}, {
		ID:         string(sid),
		Key:        enc(b[80:112]),
		Kind:       KindStudio,
		ThingModel: json.RawMessage(demoModel),
		Devices:    []Device{{Name: "device1", Key: enc(b[112:144])}},
	}}}
	// A sub-device product for each, so that a gateway can be demoed
	// (docs/PROTOCOL.md §12): the demo devices are their gateways.
	sub := numericID('5', 5, b[144:150], b[291:294])
	ssub := "sub" + alnumID(b[214:221]) // ten characters, not all digits: never a kit id
	r.Products = append(r.Products, Product{
		ID:      sub,
		Key:     enc(b[150:182]),
		Kind:    KindKit,
		Gateway: id,
		Devices: []Device{{Name: "sensor1", Key: enc(b[182:214])}},
	}, Product{
		ID:      ssub,
		Key:     enc(b[224:256]),
		Kind:    KindStudio,
		Gateway: string(sid),
		Devices: []Device{{Name: "sensor1", Key: enc(b[256:288])}},
	})
	if err := r.Products[1].loadModel(""); err != nil {
		return nil, fmt.Errorf("broker: demo registry: %w", err)
	}
	return r, nil
}

// numericID is a demo id of one digit for each byte of head and tail:
// the first from first to first+n-1, the others 0–9.
func numericID(first, n byte, head, tail []byte) string {
	all := append(append([]byte{}, head...), tail...)
	return string(append([]byte{first + all[0]%n}, digits(all[1:])...))
}

// digits maps bytes to decimal digits, for demo ids.
func digits(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = '0' + c%10
	}
	return out
}

// alnumID maps bytes to letters and digits, for demo ids.
func alnumID(b []byte) string {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = alnum[int(c)%len(alnum)]
	}
	return string(out)
}
