package release

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/onenet-wasm/onenet-wasm/internal/pagefiles"
)

// copyTree copies the source tree (without .git, node_modules and build
// output) to dst, so that the release builds in a folder of its own.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	skip := map[string]bool{".git": true, "node_modules": true, "bin": true, "dist": true, "dist.tmp": true, "release": true}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() && skip[d.Name()] && rel != "." {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestReproducible: the release for this platform and one other, built
// twice from two copies of the tree in different folders, is the same
// bytes; SHA256SUMS lists every file; both commands print the version, and
// onenet-web the page build that the zip's build.js and the single file
// have; the wasm carries the version the page shows.
func TestReproducible(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "web", "vendor", "uPlot.esm.js")); err != nil {
		t.Fatal("web/vendor is missing: run make build first (make test does)")
	}
	host := Target{runtime.GOOS, runtime.GOARCH}
	other := Target{"linux", "arm64"}
	if host == other {
		other = Target{"linux", "amd64"}
	}
	const ver = "v9.8.7"
	var outs []string
	var res Result
	for i := range 2 {
		src := filepath.Join(t.TempDir(), fmt.Sprintf("src%d", i))
		copyTree(t, root, src)
		out := filepath.Join(t.TempDir(), "release")
		r, err := Build(Options{Root: src, Out: out, Version: ver, Targets: []Target{host, other}})
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, out)
		res = r
	}
	exe := func(name string, t Target) string {
		name += "-" + t.OS + "-" + t.Arch
		if t.OS == "windows" {
			name += ".exe"
		}
		return name
	}
	want := []string{"SHA256SUMS", "onenet-tool.html", "onenet-wasm-dist-" + ver + ".zip",
		exe("onenet-token", host), exe("onenet-token", other), exe("onenet-web", host), exe("onenet-web", other)}
	slices.Sort(want)
	var sums bytes.Buffer
	for _, f := range want {
		a, err := os.ReadFile(filepath.Join(outs[0], f))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(outs[1], f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two builds (%d and %d bytes)", f, len(a), len(b))
		}
		if f != "SHA256SUMS" {
			sum := sha256.Sum256(a)
			fmt.Fprintf(&sums, "%s  %s\n", hex.EncodeToString(sum[:]), f)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(outs[0], "SHA256SUMS")); string(got) != sums.String() {
		t.Errorf("SHA256SUMS:\n%s\nwant\n%s", got, sums.String())
	}
	entries, _ := os.ReadDir(outs[0])
	if len(entries) != len(want) {
		t.Errorf("release holds %d files, want %d: %v", len(entries), len(want), entries)
	}

	// The versions and the page build.
	out, err := exec.Command(filepath.Join(outs[0], exe("onenet-web", host)), "-version").Output()
	if err != nil || string(out) != "onenet-web "+ver+" (page build "+res.Build+")\n" {
		t.Errorf("onenet-web -version: %q, %v; want %s and page build %s", out, err, ver, res.Build)
	}
	out, err = exec.Command(filepath.Join(outs[0], exe("onenet-token", host)), "-version").Output()
	if err != nil || string(out) != "onenet-token "+ver+"\n" {
		t.Errorf("onenet-token -version: %q, %v", out, err)
	}
	zr, err := zip.OpenReader(filepath.Join(outs[0], "onenet-wasm-dist-"+ver+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buildJS []byte
	for _, f := range zr.File {
		if !strings.HasPrefix(f.Name, "onenet-wasm-dist-"+ver+"/") || !f.Modified.Equal(ZipTime) {
			t.Errorf("zip entry %s, %v", f.Name, f.Modified)
		}
		if f.Name == "onenet-wasm-dist-"+ver+"/"+pagefiles.BuildScript {
			rc, _ := f.Open()
			buildJS, _ = io.ReadAll(rc)
			rc.Close()
		}
	}
	if b, err := pagefiles.ParseScript(buildJS); err != nil || b.ID != res.Build {
		t.Errorf("the zip's build.js: %+v, %v; want build %s", b, err, res.Build)
	}
	html, err := os.ReadFile(filepath.Join(outs[0], "onenet-tool.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(html, []byte(`"build":"`+res.Build+`"`)) {
		t.Errorf("the single file does not name build %s", res.Build)
	}
	// core.wasm, unpacked from the single file, carries the version the
	// page shows (onenet.version).
	m := regexp.MustCompile(`id="onenet-embedded-core"[^>]*>([^<]+)<`).FindSubmatch(html)
	if m == nil {
		t.Fatal("no core.wasm in the single file")
	}
	gz, err := base64.StdEncoding.DecodeString(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := io.ReadAll(r)
	if err != nil || !bytes.Contains(wasm, []byte("9.8.7")) {
		t.Errorf("core.wasm (%d bytes, %v) does not carry the version 9.8.7", len(wasm), err)
	}
}
