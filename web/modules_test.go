package web

import (
	"os"
	"path"
	"regexp"
	"slices"
	"testing"

	"github.com/onenet-wasm/onenet-wasm/internal/pagefiles"
)

var (
	moduleScript = regexp.MustCompile(`<script type="module" src="([^"]+)"`)
	preload      = regexp.MustCompile(`<link rel="modulepreload" href="([^"]+)"`)
	importPath   = regexp.MustCompile(`(?m)(?:^import(?:[^"';]*from)?\s*|^\} from\s*|\bimport\()"(\.{1,2}/[^"]+\.js)"`)
	staticImport = regexp.MustCompile(`(?m)(?:^import(?:[^"';]*from)?\s*|^\} from\s*)"(\.{1,2}/[^"]+\.js)"`)
)

// generated are the page's files that make build writes (absent before).
func generated(name string) bool {
	return name == "wasm_exec.js" || path.Dir(name) == "vendor"
}

// TestModuleGraph: every module the page loads — index.html's module
// scripts and what they import, statically or dynamically — and every
// module index.html preloads is a file of the page's build, so that the
// local server serves it, make dist copies it and the service worker keeps
// it for offline use.
func TestModuleGraph(t *testing.T) {
	html, err := os.ReadFile("index.html")
	if err != nil {
		t.Fatal(err)
	}
	build, err := pagefiles.Compute(os.DirFS("."))
	if err != nil {
		t.Fatal(err)
	}
	inBuild := func(name string) bool { return slices.Contains(build.Files, name) }

	seen := walkModules(t, html, importPath, func(name string, _ []byte) {
		if !inBuild(name) {
			t.Errorf("%s is loaded by the page but not in its build", name)
		}
	})
	for _, want := range []string{"app.js", "onenet.js", "onenet/loader.js", "onenet/calls.js", "onenet/socket.js", "onenet/wsproto.js"} {
		if !seen[want] {
			t.Errorf("%s is not in the module graph found from index.html (the import pattern missed it?)", want)
		}
	}
	for _, m := range preload.FindAllSubmatch(html, -1) {
		name := path.Clean(string(m[1]))
		if _, err := os.Stat(name); err != nil && !generated(name) {
			t.Errorf("index.html preloads %s: %v", name, err)
		}
		if !seen[name] {
			t.Errorf("index.html preloads %s, which the page does not import", name)
		}
	}
}

// TestStaticImportsPreloaded: every module the page's module scripts import
// statically is preloaded by index.html. A module missing from the list is
// requested only once the module importing it has arrived and been parsed,
// and the page's modules (the token panel among them) run only once all of
// them have arrived (docs/BENCHMARKS.md).
func TestStaticImportsPreloaded(t *testing.T) {
	html, err := os.ReadFile("index.html")
	if err != nil {
		t.Fatal(err)
	}
	preloaded := map[string]bool{}
	for _, m := range preload.FindAllSubmatch(html, -1) {
		preloaded[path.Clean(string(m[1]))] = true
	}
	walkModules(t, html, staticImport, func(name string, src []byte) {
		for _, m := range staticImport.FindAllSubmatch(src, -1) {
			if dep := path.Join(path.Dir(name), string(m[1])); !preloaded[dep] {
				t.Errorf("%s imports %s, which index.html does not preload", name, dep)
			}
		}
	})
}

// walkModules visits index.html's module scripts and the modules they
// import as imports finds (each once, with its source), and returns the
// names of all it reached, generated files (not built yet) included.
func walkModules(t *testing.T, html []byte, imports *regexp.Regexp, visit func(name string, src []byte)) map[string]bool {
	t.Helper()
	var queue []string
	for _, m := range moduleScript.FindAllSubmatch(html, -1) {
		queue = append(queue, path.Clean(string(m[1])))
	}
	if len(queue) == 0 {
		t.Fatal("index.html loads no module script")
	}
	seen := map[string]bool{}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seen[name] {
			continue
		}
		seen[name] = true
		src, err := os.ReadFile(name)
		if err != nil {
			if !generated(name) {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		visit(name, src)
		for _, m := range imports.FindAllSubmatch(src, -1) {
			queue = append(queue, path.Join(path.Dir(name), string(m[1])))
		}
	}
	return seen
}
