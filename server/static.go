package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/onenet-wasm/onenet-wasm/internal/pagefiles"
)

// ContentSecurityPolicy is sent with every page response: everything from
// this origin only, no inline script, wasm allowed to compile. connect-src
// allows ws: and wss: to any host because connecting to a broker of the
// user's choosing is a feature; nothing else may leave the page.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; " +
	"style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; " +
	"worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// servedTypes are the files of the page that are served; anything else in
// the folder (Go sources, declarations for editors) is not. `make dist`
// copies the same files.
var servedTypes = pagefiles.Types

type file struct {
	data  []byte
	etag  string
	ctype string
	br    []byte // precompressed siblings, when present
	gz    []byte
	// Text files without siblings are compressed on first request: the
	// page's JavaScript and CSS are a quarter of a megabyte raw, a sixth
	// of that compressed, and every byte delays the token generator on a
	// slow network (docs/BENCHMARKS.md).
	compress sync.Once
}

// compressible are the types compressed on the fly, when larger than
// minCompress bytes and without precompressed siblings.
var compressible = map[string]bool{".html": true, ".js": true, ".css": true, ".json": true, ".svg": true, ".webmanifest": true}

const minCompress = 1024

func (f *file) compressed(ext string) {
	f.compress.Do(func() {
		if f.br != nil || f.gz != nil || !compressible[ext] || len(f.data) < minCompress {
			return
		}
		var br, gz bytes.Buffer
		bw := brotli.NewWriterLevel(&br, 9)
		bw.Write(f.data)
		gw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		gw.Write(f.data)
		if bw.Close() == nil && gw.Close() == nil {
			f.br, f.gz = br.Bytes(), gz.Bytes()
		}
	})
}

// staticHandler serves the page's files from memory, with an ETag for
// revalidation and precompressed .br/.gz siblings chosen by Accept-Encoding.
type staticHandler struct {
	files map[string]*file
}

func newStatic(fsys fs.FS) (*staticHandler, error) {
	h := &staticHandler{files: map[string]*file{}}
	var build pagefiles.Builder
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ext := path.Ext(p)
		if _, ok := servedTypes[ext]; !ok {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		f := newFile(data, ext)
		f.br, _ = fs.ReadFile(fsys, p+".br")
		f.gz, _ = fs.ReadFile(fsys, p+".gz")
		h.files["/"+p] = f
		build.Add(p, data)
		return nil
	})
	// build.js names the build for the service worker (sw.js); generated
	// here from the files served, so that it is never stale.
	h.files["/"+pagefiles.BuildScript] = newFile(build.Build().Script(), ".js")
	return h, err
}

func newFile(data []byte, ext string) *file {
	sum := sha256.Sum256(data)
	return &file{data: data, ctype: servedTypes[ext], etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
}

// has reports whether the page's folder holds name (e.g. "/core.wasm").
func (h *staticHandler) has(name string) bool { return h.files[name] != nil }

func (h *staticHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := r.URL.Path
	if strings.HasSuffix(name, "/") {
		name += "index.html"
	}
	f := h.files[name]
	hd := w.Header()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Content-Security-Policy", ContentSecurityPolicy)
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	if f == nil {
		if name == "/core.wasm" || name == "/mqtt.wasm" {
			// The page's own modules: their absence is a build step missed.
			http.Error(w, "the wasm modules are not built: run `make build` and restart", http.StatusNotFound)
			return
		}
		http.NotFound(w, r)
		return
	}
	hd.Set("Content-Type", f.ctype)
	// Revalidate every time: cheap (304) and never stale after a rebuild.
	hd.Set("Cache-Control", "no-cache")
	hd.Add("Vary", "Accept-Encoding")
	f.compressed(path.Ext(name))
	// Each encoding is its own representation, with its own ETag, so that
	// a 304 or a range always refers to the bytes the client holds.
	body, etag := f.data, f.etag
	switch accept := r.Header.Get("Accept-Encoding"); {
	case f.br != nil && acceptsEncoding(accept, "br"):
		hd.Set("Content-Encoding", "br")
		body, etag = f.br, encodedETag(f.etag, "br")
	case f.gz != nil && acceptsEncoding(accept, "gzip"):
		hd.Set("Content-Encoding", "gzip")
		body, etag = f.gz, encodedETag(f.etag, "gz")
	}
	hd.Set("ETag", etag)
	// Conditional requests (If-None-Match → 304), ranges (206, 416) and
	// HEAD, by the ETag.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// encodedETag is the ETag of a file's encoding enc.
func encodedETag(etag, enc string) string {
	return strings.TrimSuffix(etag, `"`) + "-" + enc + `"`
}

// acceptsEncoding reports whether an Accept-Encoding header allows enc
// (present, and not with q=0).
func acceptsEncoding(header, enc string) bool {
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), enc) {
			continue
		}
		params = strings.ReplaceAll(params, " ", "")
		return !strings.HasPrefix(params, "q=0") || strings.HasPrefix(params, "q=0.") && strings.Trim(params[4:], "0") != ""
	}
	return false
}
