package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/onenet-wasm/onenet-wasm/onenet"
)

// The page's catalogues (web/i18n/en.js, web/i18n/zh.js) are checked here
// without a browser: both languages have the same keys with the same
// {placeholders}, every key is used by the page or names something Go
// produces (an error code, a JSON syntax code, a topic kind, an endpoint,
// one of OneNET's reason codes), and every code Go can produce has its
// translation.

// catalog reads one catalogue. The files keep a strict shape, one entry a
// line, `"key": "value",`, so that this test can read them without a
// JavaScript parser; any other line fails the test.
func catalog(t *testing.T, lang string) map[string]string {
	t.Helper()
	path := filepath.Join("..", "web", "i18n", lang+".js")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	entry := regexp.MustCompile(`^  "([^"\\]+)": ("(?:[^"\\]|\\.)*"),$`)
	m := map[string]string{}
	inside := false
	for i, line := range strings.Split(string(src), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "//"):
		case trimmed == "export default {":
			inside = true
		case trimmed == "};":
			inside = false
		case inside && entry.MatchString(line):
			sm := entry.FindStringSubmatch(line)
			v, err := strconv.Unquote(sm[2])
			if err != nil {
				t.Errorf("%s:%d: value %s: %v", path, i+1, sm[2], err)
				continue
			}
			if _, dup := m[sm[1]]; dup {
				t.Errorf("%s:%d: key %q appears twice", path, i+1, sm[1])
			}
			m[sm[1]] = v
		default:
			t.Errorf("%s:%d: not a catalogue line (write `  \"key\": \"value\",`): %s", path, i+1, line)
		}
	}
	if len(m) < 100 {
		t.Fatalf("%s: only %d entries", path, len(m))
	}
	return m
}

// halfWidth finds ASCII punctuation written right after a Chinese
// character, the mark of a machine-style translation.
var halfWidth = regexp.MustCompile(`\p{Han}[,;!?(]|\p{Han}: `)

var placeholder = regexp.MustCompile(`\{(\w+)\}`)

func placeholders(s string) []string {
	var p []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		if !slices.Contains(p, m[1]) {
			p = append(p, m[1])
		}
	}
	slices.Sort(p)
	return p
}

// goCodes returns the error and warning codes Go can hand the page: the
// onenet package's (onenet/doc.go), the token package's with "token."
// (token/doc.go), and those the wasm modules set themselves, including
// "mqtt.dial.<kind>" for every mqttws.DialErrorKind and "mqtt.<field>" for
// every field an mqttws.FieldError names.
func goCodes(t *testing.T) map[string]bool {
	t.Helper()
	read := func(path string) string {
		b, err := os.ReadFile(filepath.Join("..", path))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	codes := map[string]bool{}
	add := func(re, src, prefix string, min int) {
		n := 0
		for _, m := range regexp.MustCompile(re).FindAllStringSubmatch(src, -1) {
			codes[prefix+m[1]] = true
			n++
		}
		if n < min {
			t.Fatalf("found only %d codes with %s", n, re)
		}
	}
	onenetDoc, _, _ := strings.Cut(read("onenet/doc.go"), "# JSON syntax codes")
	add(`(?m)^//\t([a-z]+(?:\.[a-zA-Z0-9]+)+)\s`, onenetDoc, "", 70)
	add(`(?m)^//\t([a-z0-9]+(?:\.[a-z0-9]+)*)\s{2,}`, read("token/doc.go"), "token.", 30)
	add(`DialErrorKind = "(\w+)"`, read("mqttws/errors.go"), "mqtt.dial.", 10)
	var opts string
	for _, f := range []string{"mqttws/options.go", "mqttws/dial_js.go"} {
		opts += read(f)
	}
	for _, m := range regexp.MustCompile(`(?:fieldErr\(|FieldError\{Field: )"(\w+)"`).FindAllStringSubmatch(opts, -1) {
		codes["mqtt."+strings.ToLower(m[1])] = true
	}
	// The device-code generator's own errors (onenet/devcode), which
	// wasm/core passes on with their codes.
	add(`errf\("\w+", "(devcode\.\w+)"`, read("onenet/devcode/devcode.go"), "", 5)
	var wasm string
	for _, f := range []string{"wasm/core/main.go", "wasm/mqtt/main.go", "wasm/jsbridge/jsbridge.go"} {
		wasm += read(f)
	}
	add(`(?:Code: |"code": |\["code"\] = )"([a-zA-Z]+\.[\w.]+)"`, wasm, "", 10)
	// The codes errorValue in wasm/mqtt documents but builds (mqtt.dial.<kind>,
	// mqtt.<field>) are added above; drop the documentation's patterns.
	for c := range codes {
		if strings.ContainsAny(c, "<>") || strings.HasSuffix(c, ".") {
			delete(codes, c)
		}
	}
	return codes
}

// syntaxCodes returns onenet's JSON syntax codes (onenet/doc.go).
func syntaxCodes(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "onenet", "doc.go"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(b), "# JSON syntax codes")
	codes := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^//   - ([a-z0-9.]+):`).FindAllStringSubmatch(section, -1) {
		codes[m[1]] = true
	}
	if len(codes) < 30 {
		t.Fatalf("found only %d JSON syntax codes in onenet/doc.go", len(codes))
	}
	return codes
}

// reasonCodes are OneNET's console-log reasons (docs/PROTOCOL.md §3).
var reasonCodes = []string{"1101", "1103", "1104", "1106", "1107", "1110", "1111", "1114"}

// generated is, by prefix, the keys that name something Go produces.
func generated(t *testing.T) map[string]map[string]bool {
	kinds := map[string]bool{}
	for _, k := range onenet.Kinds() {
		kinds[string(k)] = true
	}
	endpoints := map[string]bool{}
	for _, e := range onenet.Endpoints() {
		endpoints[e.Name] = true
	}
	reasons := map[string]bool{}
	for _, r := range reasonCodes {
		if !strings.Contains(onenet.ReasonMessage(mustAtoi(r)), "log code "+r) {
			t.Fatalf("reason %s is not one onenet.ReasonMessage knows", r)
		}
		reasons[r] = true
	}
	return map[string]map[string]bool{
		"err.":      goCodes(t),
		"json.":     syntaxCodes(t),
		"kind.":     kinds,
		"endpoint.": endpoints,
		"reason.":   reasons,
	}
}

func mustAtoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}

// pageSources returns the page's HTML and JavaScript, without the
// catalogues and generated or vendored files.
func pageSources(t *testing.T) (html string, js string) {
	t.Helper()
	dir := filepath.Join("..", "web")
	b, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	html = string(b)
	files, err := filepath.Glob(filepath.Join(dir, "*.js"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if filepath.Base(f) == "wasm_exec.js" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		js += string(b) + "\n"
	}
	return html, js
}

// usedKeys returns the keys the page names: data-i18n attributes, string
// literals in its JavaScript, and the prefixes of keys it builds
// ("state." + s).
func usedKeys(t *testing.T) (keys map[string]bool, prefixes []string) {
	html, js := pageSources(t)
	keys = map[string]bool{}
	for _, m := range regexp.MustCompile(`data-i18n(?:-placeholder|-aria)?="([^"]+)"`).FindAllStringSubmatch(html, -1) {
		keys[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`"([a-zA-Z][\w./{}-]*)"`).FindAllStringSubmatch(js, -1) {
		keys[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`"([a-zA-Z][\w.]*\.)"\s*\+`).FindAllStringSubmatch(js, -1) {
		if !slices.Contains(prefixes, m[1]) {
			prefixes = append(prefixes, m[1])
		}
	}
	return keys, prefixes
}

func TestCatalogKeysMatch(t *testing.T) {
	en, zh := catalog(t, "en"), catalog(t, "zh")
	for k, v := range en {
		z, ok := zh[k]
		if !ok {
			t.Errorf("%q is in en.js but not in zh.js", k)
			continue
		}
		if pe, pz := placeholders(v), placeholders(z); !slices.Equal(pe, pz) {
			t.Errorf("%q: en has placeholders %v, zh %v", k, pe, pz)
		}
		if strings.TrimSpace(z) == "" || strings.TrimSpace(v) == "" {
			t.Errorf("%q is empty", k)
		}
	}
	for k := range zh {
		if _, ok := en[k]; !ok {
			t.Errorf("%q is in zh.js but not in en.js", k)
		}
	}
}

// TestCatalogChinese catches English left in zh.js: every Chinese entry has
// Chinese characters or is one of the few that are the same in both
// languages.
func TestCatalogChinese(t *testing.T) {
	en, zh := catalog(t, "en"), catalog(t, "zh")
	same := map[string]bool{"field.qos": true, "field.token": true, "err.arg.type": true}
	for k, z := range zh {
		hasHan := strings.IndexFunc(z, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
		if !hasHan && !same[k] {
			t.Errorf("zh.js %q = %q has no Chinese (en: %q)", k, z, en[k])
		}
		if m := halfWidth.FindString(z); m != "" {
			t.Errorf("zh.js %q: half-width punctuation %q next to Chinese: use ，；：？！（）", k, m)
		}
	}
}

func TestCatalogKeysUsed(t *testing.T) {
	en := catalog(t, "en")
	used, prefixes := usedKeys(t)
	gen := generated(t)
	for prefix, names := range gen {
		if !slices.Contains(prefixes, prefix) {
			t.Errorf("the page never builds a %q key, but Go produces %d of them", prefix, len(names))
		}
	}
	for k := range en {
		if prefix, name, ok := generatedKey(k, gen); ok && !used[k] {
			if !gen[prefix][name] {
				t.Errorf("%q is not used: Go produces no %s%q", k, strings.TrimSuffix(prefix, "."), name)
			}
			continue
		}
		if used[k] {
			continue
		}
		if slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(k, p) }) {
			continue
		}
		t.Errorf("%q is not used by index.html or the page's JavaScript", k)
	}
	// Every name Go produces has its translation.
	var missing []string
	for prefix, names := range gen {
		for name := range names {
			if _, ok := en[prefix+name]; !ok {
				missing = append(missing, prefix+name)
			}
		}
	}
	slices.Sort(missing)
	for _, k := range missing {
		t.Errorf("no translation for %q", k)
	}
	// Every key the page names literally exists (a typo would show the key).
	for k := range used {
		if strings.Count(k, ".") == 0 || strings.ContainsAny(k, "/{}") || strings.HasSuffix(k, ".") {
			continue
		}
		if _, ok := en[k]; !ok && looksLikeKey(k, en) {
			t.Errorf("the page uses %q, which is not in the catalogue", k)
		}
	}
}

// generatedKey splits a key under one of the generated prefixes.
func generatedKey(k string, gen map[string]map[string]bool) (prefix, name string, ok bool) {
	for p := range gen {
		if strings.HasPrefix(k, p) {
			return p, strings.TrimPrefix(k, p), true
		}
	}
	return "", "", false
}

// looksLikeKey reports whether s starts with a section of the catalogue
// ("conn.", "pub.", …), so that other dotted strings in the JavaScript
// (file names, property paths) are not taken for keys.
func looksLikeKey(s string, cat map[string]string) bool {
	section, _, _ := strings.Cut(s, ".")
	for k := range cat {
		if strings.HasPrefix(k, section+".") {
			return !strings.HasSuffix(s, ".js") && !strings.HasSuffix(s, ".wasm")
		}
	}
	return false
}
