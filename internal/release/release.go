// Package release builds the release files from a source tree whose page is
// built (make build): the wasm again with the release's version, the page as
// one HTML file, the make dist folder as a zip, onenet-web (which carries
// the page) and onenet-token for each target, and SHA256SUMS.
//
// The same commit gives the same bytes: every Go build is -trimpath with
// -buildvcs=false and no cgo, and the zip's entries are sorted, with one
// fixed time and fixed modes.
package release

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/onenet-wasm/onenet-wasm/internal/pagefiles"
	"github.com/onenet-wasm/onenet-wasm/internal/singlepage"
	"github.com/onenet-wasm/onenet-wasm/internal/version"
)

// Target is a platform the commands are built for.
type Target struct{ OS, Arch string }

// String returns the target as Go names it, "OS/Arch" (e.g. "linux/amd64").
func (t Target) String() string { return t.OS + "/" + t.Arch }

// All are the release's platforms.
var All = []Target{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "amd64"}, {"darwin", "arm64"}, {"windows", "amd64"}}

// ZipTime is the time of every entry of the zip.
var ZipTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Options says what to build.
type Options struct {
	Root    string   // the source tree (the module's root), page built
	Out     string   // the release folder (replaced)
	Version string   // e.g. v1.2.0
	Targets []Target // default All
	Go      string   // the go command, default "go"
	Log     io.Writer
}

// Result names what was written.
type Result struct {
	Files []string // in Out, sorted (SHA256SUMS last)
	Build string   // the page's build id
}

// Build writes the release into opts.Out.
func Build(opts Options) (Result, error) {
	var res Result
	if !strings.HasPrefix(opts.Version, "v") || len(opts.Version) < 2 || strings.ContainsAny(opts.Version, " /\\") {
		return res, fmt.Errorf("version %q: give it as v1.2.3", opts.Version)
	}
	if opts.Targets == nil {
		opts.Targets = All
	}
	if opts.Go == "" {
		opts.Go = "go"
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	web := filepath.Join(opts.Root, "web")
	if _, err := os.Stat(filepath.Join(web, "vendor", "uPlot.esm.js")); err != nil {
		return res, fmt.Errorf("web/vendor is missing: run make build first")
	}
	goroot, err := output(opts.Root, nil, opts.Go, "env", "GOROOT")
	if err != nil {
		return res, err
	}
	goroot = strings.TrimSpace(goroot)
	// The wasm with the release's version: the page shows it.
	for _, m := range []struct{ pkg, name, tags string }{{"./wasm/core", "core.wasm", ""}, {"./wasm/mqtt", "mqtt.wasm", "mqttws_dialonly"}} {
		args := []string{"run", "./scripts/buildwasm", "-goroot", goroot, "-out", "web", "-pkg", m.pkg, "-name", m.name, "-version", opts.Version}
		if m.tags != "" {
			args = append(args, "-tags", m.tags)
		}
		if err := run(opts.Root, nil, opts.Log, opts.Go, args...); err != nil {
			return res, err
		}
	}
	if err := os.RemoveAll(opts.Out); err != nil {
		return res, err
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return res, err
	}
	write := func(name string, data []byte, mode os.FileMode) error {
		res.Files = append(res.Files, name)
		return os.WriteFile(filepath.Join(opts.Out, name), data, mode)
	}

	single, err := singlepage.Build(singlepage.Options{From: web})
	if err != nil {
		return res, err
	}
	res.Build = single.Build.ID
	if err := write("onenet-tool.html", single.HTML, 0o644); err != nil {
		return res, err
	}
	fmt.Fprintf(opts.Log, "release: onenet-tool.html, page build %s\n", res.Build)

	tmp, err := os.MkdirTemp("", "onenet-release-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(tmp)
	dist := filepath.Join(tmp, "dist")
	st, err := pagefiles.WriteDist(web, dist)
	if err != nil {
		return res, err
	}
	if st.Build.ID != res.Build {
		return res, fmt.Errorf("dist build %s differs from the single file's %s", st.Build.ID, res.Build)
	}
	prefix := "onenet-wasm-dist-" + opts.Version
	z, err := Zip(os.DirFS(dist), prefix)
	if err != nil {
		return res, err
	}
	if err := write(prefix+".zip", z, 0o644); err != nil {
		return res, err
	}

	ldflags := "-s -w " + version.LinkFlag(opts.Version)
	for _, t := range opts.Targets {
		for _, cmd := range []string{"onenet-web", "onenet-token"} {
			name := cmd + "-" + t.OS + "-" + t.Arch
			if t.OS == "windows" {
				name += ".exe"
			}
			env := []string{"GOOS=" + t.OS, "GOARCH=" + t.Arch, "CGO_ENABLED=0"}
			if err := run(opts.Root, env, opts.Log, opts.Go, "build", "-trimpath", "-buildvcs=false", "-ldflags="+ldflags,
				"-o", filepath.Join(opts.Out, name), "./cmd/"+cmd); err != nil {
				return res, err
			}
			res.Files = append(res.Files, name)
			fmt.Fprintf(opts.Log, "release: %s\n", name)
		}
	}

	slices.Sort(res.Files)
	var sums bytes.Buffer
	for _, f := range res.Files {
		data, err := os.ReadFile(filepath.Join(opts.Out, f))
		if err != nil {
			return res, err
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(&sums, "%s  %s\n", hex.EncodeToString(sum[:]), f)
	}
	if err := write("SHA256SUMS", sums.Bytes(), 0o644); err != nil {
		return res, err
	}
	return res, nil
}

// Zip packs every file of fsys under the folder prefix: entries sorted,
// folders first as they appear, every time ZipTime, modes 0644 and 0755.
func Zip(fsys fs.FS, prefix string) ([]byte, error) {
	var names []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == "." {
			return err
		}
		if d.IsDir() {
			names = append(names, p+"/")
		} else {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	for _, n := range names {
		h := &zip.FileHeader{Name: prefix + "/" + n, Method: zip.Deflate, Modified: ZipTime}
		if strings.HasSuffix(n, "/") {
			h.Method = zip.Store
			h.SetMode(fs.ModeDir | 0o755)
			if _, err := zw.CreateHeader(h); err != nil {
				return nil, err
			}
			continue
		}
		h.SetMode(0o644)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func run(dir string, env []string, log io.Writer, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	var errb bytes.Buffer
	if log == io.Discard {
		cmd.Stderr = &errb
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %v\n%s", strings.Join(env, " "), strings.Join(append([]string{name}, args...), " "), err, errb.String())
	}
	return nil
}

func output(dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return string(out), nil
}
