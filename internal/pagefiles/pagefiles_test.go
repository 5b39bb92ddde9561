package pagefiles

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func page() fstest.MapFS {
	m := fstest.MapFS{}
	for _, f := range Required {
		m[f] = &fstest.MapFile{Data: []byte("contents of " + f)}
	}
	m["core.wasm.br"] = &fstest.MapFile{Data: []byte("br")}
	m["core.wasm.gz"] = &fstest.MapFile{Data: []byte("gz")}
	m["i18n/en.js"] = &fstest.MapFile{Data: []byte("en")}
	m["embed.go"] = &fstest.MapFile{Data: []byte("package web")}
	m["onenet.d.ts"] = &fstest.MapFile{Data: []byte("declare")}
	m["local.json"] = &fstest.MapFile{Data: []byte("{}")}
	m["build.js"] = &fstest.MapFile{Data: []byte("stale")}
	return m
}

func TestBuild(t *testing.T) {
	fsys := page()
	b, err := Compute(fsys)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"app.js", "core.wasm", "i18n/en.js", "index.html", "mqtt.wasm", "onenet.js", "vendor/codemirror.js", "vendor/uPlot.esm.js", "wasm_exec.js"}
	if !slices.Equal(b.Files, want) {
		t.Errorf("files %q, want %q", b.Files, want)
	}
	if len(b.ID) != 16 {
		t.Errorf("id %q", b.ID)
	}
	back, err := ParseScript(b.Script())
	if err != nil || back.ID != b.ID || !slices.Equal(back.Files, b.Files) {
		t.Errorf("ParseScript(Script()) = %+v, %v", back, err)
	}
	// Every page file counts, sw.js too; the rest does not.
	for name, counts := range map[string]bool{"app.js": true, "sw.js": true, "core.wasm": true, "embed.go": false, "local.json": false, "build.js": false, "core.wasm.br": false} {
		m := page()
		m[name] = &fstest.MapFile{Data: []byte("changed")}
		nb, err := Compute(m)
		if err != nil {
			t.Fatal(err)
		}
		if (nb.ID != b.ID) != counts {
			t.Errorf("changing %s: id %s -> %s", name, b.ID, nb.ID)
		}
	}
}

func writeTree(t *testing.T, dir string, m fstest.MapFS) {
	t.Helper()
	for name, f := range m {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWriteDist(t *testing.T) {
	web, out := t.TempDir(), filepath.Join(t.TempDir(), "dist")
	writeTree(t, web, page())
	st, err := WriteDist(web, out)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(out, p)
			got = append(got, filepath.ToSlash(rel))
		}
		return err
	})
	slices.Sort(got)
	want := []string{"app.js", "build.js", "core.wasm", "core.wasm.br", "core.wasm.gz", "i18n/en.js", "index.html", "mqtt.wasm", "onenet.js", "sw.js", "vendor/codemirror.js", "vendor/uPlot.esm.js", "wasm_exec.js"}
	if !slices.Equal(got, want) {
		t.Errorf("dist holds %q\nwant %q", got, want)
	}
	if st.Files != len(want) {
		t.Errorf("stats: %d files", st.Files)
	}
	data, _ := os.ReadFile(filepath.Join(out, "build.js"))
	if b, err := ParseScript(data); err != nil || b.ID != st.Build.ID {
		t.Errorf("dist/build.js: %+v, %v; want id %s", b, err, st.Build.ID)
	}
	// A second run replaces it; a folder that is not a dist is left alone.
	if _, err := WriteDist(web, out); err != nil {
		t.Errorf("rewriting dist: %v", err)
	}
	other := t.TempDir()
	writeTree(t, other, fstest.MapFS{"notes.txt": {Data: []byte("mine")}})
	if _, err := WriteDist(web, other); err == nil || !strings.Contains(err.Error(), "not replacing") {
		t.Errorf("WriteDist over a folder of other files: %v", err)
	}
	if _, err := os.Stat(filepath.Join(other, "notes.txt")); err != nil {
		t.Error("the other folder was touched")
	}
	os.Remove(filepath.Join(web, "mqtt.wasm"))
	if _, err := WriteDist(web, out); err == nil || !strings.Contains(err.Error(), "make build") {
		t.Errorf("without mqtt.wasm: %v", err)
	}
}
