// Package singlepage turns the built page (web/ after `make build`) into one
// self-contained HTML file that works when opened from disk (file://): its
// styles in <style>, its ES modules bundled into one classic script, and the
// wasm modules embedded gzip-compressed in base64 data blocks, unpacked by
// the browser's DecompressionStream. A Content-Security-Policy in a <meta>
// tag allows exactly the inline scripts and styles it carries, by hash.
//
// The file is built from what index.html references, whatever it is: every
// stylesheet, classic script and module script (with what the modules
// import, dynamic imports included) is inlined, and the page's own fetches
// of its files (the wasm modules, local.json) are answered from inside the
// file by a small prelude script, so that no request leaves the page except
// the WebSockets to the brokers the user chooses.
package singlepage

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/onenet-wasm/onenet-wasm/internal/pagefiles"
)

// DefaultSkip are the page's scripts that have no use in a file opened from
// disk: the service worker's registration (no service worker from file://)
// and the early start of core.wasm's compilation (the file carries it).
var DefaultSkip = []string{"sw-register.js", "onenet/early.js"}

// DefaultData are the page's other files that it fetches and that the file
// carries: the sample thing model behind "Use the sample" (docs/PROTOCOL.md
// §9).
var DefaultData = []string{"thingmodel-sample.json"}

// Options says what to build.
type Options struct {
	// From is the page's folder, built (index.html, the wasm modules,
	// wasm_exec.js, vendor/).
	From string
	// Skip are scripts referenced by index.html that are left out
	// (DefaultSkip when nil).
	Skip []string
	// Data are files of the page's folder that the page fetches, embedded
	// and answered by the prelude like the wasm modules (DefaultData when
	// nil).
	Data []string
}

// Result is the file and what went into it.
type Result struct {
	HTML []byte
	// Build is the page's build, as build.js of `make dist` names it.
	Build pagefiles.Build
	// Wasm are the embedded modules: their size, and packed (gzip) size.
	Wasm []WasmFile
	// Data are the other embedded files (Options.Data), the same way.
	Data []WasmFile
	// Scripts and Styles are the bytes of JavaScript and CSS inlined.
	Scripts, Styles int
	// CSP is the policy in the file's <meta> tag.
	CSP string
}

// WasmFile is one embedded file: a wasm module, or one of Options.Data.
type WasmFile struct {
	Name         string
	Size, Packed int
}

// Embedded is what the prelude script publishes as globalThis.onenetEmbedded:
// the page's scripts test for it to know that they run from the single file.
type embedded struct {
	Build string           `json:"build"`
	Files map[string]entry `json:"files"`
	// Defer are files unpacked only once the token generator works
	// (onenet.ready): the MQTT module.
	Defer []string `json:"defer"`
}

type entry struct {
	ID   string `json:"id"`   // the data block's element id
	Type string `json:"type"` // Content-Type of the answer
	Size int    `json:"size"` // unpacked
}

// Build reads the page from opts.From and returns the single file.
func Build(opts Options) (Result, error) {
	var res Result
	from := opts.From
	skip := opts.Skip
	if skip == nil {
		skip = DefaultSkip
	}
	data := opts.Data
	if data == nil {
		data = DefaultData
	}
	for _, f := range pagefiles.Required {
		if _, err := os.Stat(filepath.Join(from, filepath.FromSlash(f))); err != nil {
			return res, fmt.Errorf("%s is missing from %s: run make build", f, from)
		}
	}
	build, err := pagefiles.Compute(os.DirFS(from))
	if err != nil {
		return res, err
	}
	res.Build = build
	src, err := os.ReadFile(filepath.Join(from, "index.html"))
	if err != nil {
		return res, err
	}
	doc, err := html.Parse(bytes.NewReader(src))
	if err != nil {
		return res, fmt.Errorf("index.html: %w", err)
	}
	var head, body *html.Node
	var walk func(*html.Node)
	var links, scripts, metas []*html.Node
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.Head:
				head = n
			case atom.Body:
				body = n
			case atom.Link:
				links = append(links, n)
			case atom.Script:
				scripts = append(scripts, n)
			case atom.Meta:
				metas = append(metas, n)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if head == nil || body == nil {
		return res, errors.New("index.html: no head or body")
	}
	var scriptHashes, styleHashes []string
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}

	// Stylesheets become <style>; preloads, the manifest and icons that
	// would be fetched go.
	for _, l := range links {
		rel := strings.ToLower(attr(l, "rel"))
		href := attr(l, "href")
		switch {
		case hasWord(rel, "stylesheet") && local(href):
			css, err := bundleCSS(from, href)
			if err != nil {
				return res, err
			}
			st := &html.Node{Type: html.ElementNode, Data: "style", DataAtom: atom.Style}
			st.AppendChild(&html.Node{Type: html.TextNode, Data: css})
			l.Parent.InsertBefore(st, l)
			l.Parent.RemoveChild(l)
			styleHashes = append(styleHashes, hash(css))
			res.Styles += len(css)
		case hasWord(rel, "icon") && local(href):
			uri, err := dataURI(from, href)
			if err != nil {
				return res, err
			}
			setAttr(l, "href", uri)
		default:
			l.Parent.RemoveChild(l)
		}
	}
	// A CSP of the page's own, if any, gives way to the file's.
	for _, m := range metas {
		if strings.EqualFold(attr(m, "http-equiv"), "content-security-policy") {
			m.Parent.RemoveChild(m)
		}
	}

	// Classic scripts are inlined where they are (deferred ones at the end
	// of the body, where they would have run); module scripts are bundled
	// together into one classic script at the end of the body, which is
	// where modules run (after parsing, in order).
	var modules []string
	var deferred []*html.Node
	for _, s := range scripts {
		srcAttr := attr(s, "src")
		typ := strings.ToLower(attr(s, "type"))
		if srcAttr == "" {
			if typ == "" || typ == "text/javascript" {
				scriptHashes = append(scriptHashes, hash(text(s)))
			}
			continue
		}
		if !local(srcAttr) {
			return res, fmt.Errorf("index.html: script %q is not the page's own: a file opened from disk cannot load it", srcAttr)
		}
		if slices.Contains(skip, path.Clean(srcAttr)) {
			s.Parent.RemoveChild(s)
			continue
		}
		if typ == "module" {
			modules = append(modules, srcAttr)
			s.Parent.RemoveChild(s)
			continue
		}
		js, err := readPage(from, srcAttr)
		if err != nil {
			return res, err
		}
		code := safeScript(string(js))
		n := &html.Node{Type: html.ElementNode, Data: "script", DataAtom: atom.Script}
		n.AppendChild(&html.Node{Type: html.TextNode, Data: code})
		scriptHashes = append(scriptHashes, hash(code))
		res.Scripts += len(code)
		if hasAttr(s, "defer") {
			deferred = append(deferred, n)
		} else {
			s.Parent.InsertBefore(n, s)
		}
		s.Parent.RemoveChild(s)
	}

	// The wasm modules, compressed, as data blocks (not executed, so not
	// subject to script-src), and the prelude that answers fetches of them.
	emb := embedded{Build: build.ID, Files: map[string]entry{}}
	var blocks []*html.Node
	wasms, err := fs.Glob(os.DirFS(from), "*.wasm")
	if err != nil {
		return res, err
	}
	slices.Sort(wasms)
	embed := func(name, id, typ string) (WasmFile, error) {
		raw, err := readPage(from, name)
		if err != nil {
			return WasmFile{}, err
		}
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		zw.Write(raw)
		if err := zw.Close(); err != nil {
			return WasmFile{}, err
		}
		emb.Files[path.Clean(name)] = entry{ID: id, Type: typ, Size: len(raw)}
		n := &html.Node{Type: html.ElementNode, Data: "script", DataAtom: atom.Script,
			Attr: []html.Attribute{{Key: "type", Val: "application/octet-stream"}, {Key: "id", Val: id}, {Key: "data-encoding", Val: "gzip+base64"}}}
		n.AppendChild(&html.Node{Type: html.TextNode, Data: base64.StdEncoding.EncodeToString(z.Bytes())})
		blocks = append(blocks, n)
		return WasmFile{Name: name, Size: len(raw), Packed: z.Len()}, nil
	}
	for _, name := range wasms {
		f, err := embed(name, "onenet-embedded-"+strings.TrimSuffix(name, ".wasm"), "application/wasm")
		if err != nil {
			return res, err
		}
		if name != "core.wasm" {
			emb.Defer = append(emb.Defer, name)
		}
		res.Wasm = append(res.Wasm, f)
	}
	for i, name := range data {
		if !local(name) || strings.HasSuffix(name, ".wasm") {
			return res, fmt.Errorf("data file %q: must be a file of the page's folder, not a wasm module (those are always embedded)", name)
		}
		typ := mime.TypeByExtension(path.Ext(name))
		if t, ok := pagefiles.Types[path.Ext(name)]; ok {
			typ = t
		}
		if typ == "" {
			typ = "application/octet-stream"
		}
		f, err := embed(name, fmt.Sprintf("onenet-embedded-data-%d", i), typ)
		if err != nil {
			return res, fmt.Errorf("data file: %w", err)
		}
		res.Data = append(res.Data, f)
	}
	if _, ok := emb.Files["core.wasm"]; !ok {
		return res, errors.New("core.wasm is missing: run make build")
	}
	embJSON, _ := json.Marshal(emb)
	prelude := "globalThis.onenetEmbedded = " + string(embJSON) + ";\n" + preludeJS
	pre := &html.Node{Type: html.ElementNode, Data: "script", DataAtom: atom.Script}
	pre.AppendChild(&html.Node{Type: html.TextNode, Data: prelude})
	scriptHashes = append(scriptHashes, hash(prelude))
	res.Scripts += len(prelude)

	var bundle string
	if len(modules) > 0 {
		if bundle, err = bundleJS(from, modules); err != nil {
			return res, err
		}
		scriptHashes = append(scriptHashes, hash(bundle))
		res.Scripts += len(bundle)
	}

	res.CSP = "default-src 'none'; script-src " + strings.Join(scriptHashes, " ") + " 'wasm-unsafe-eval'; " +
		"style-src " + strings.Join(styleHashes, " ") + "; img-src data:; connect-src ws: wss:; " +
		"object-src 'none'; base-uri 'none'; form-action 'none'"
	if len(styleHashes) == 0 {
		res.CSP = strings.Replace(res.CSP, "style-src ;", "style-src 'none';", 1)
	}
	csp := &html.Node{Type: html.ElementNode, Data: "meta", DataAtom: atom.Meta,
		Attr: []html.Attribute{{Key: "http-equiv", Val: "Content-Security-Policy"}, {Key: "content", Val: res.CSP}}}
	// The policy first (after the charset), then the prelude, before any
	// other script; the data blocks and the scripts at the end of the body.
	after := head.FirstChild
	for c := head.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.DataAtom == atom.Meta && hasAttr(c, "charset") {
			after = c.NextSibling
		}
	}
	head.InsertBefore(csp, after)
	head.InsertBefore(pre, after)
	for _, b := range blocks {
		body.AppendChild(b)
	}
	for _, d := range deferred {
		body.AppendChild(d)
	}
	if bundle != "" {
		n := &html.Node{Type: html.ElementNode, Data: "script", DataAtom: atom.Script}
		n.AppendChild(&html.Node{Type: html.TextNode, Data: bundle})
		body.AppendChild(n)
	}
	var out bytes.Buffer
	if err := html.Render(&out, doc); err != nil {
		return res, err
	}
	res.HTML = out.Bytes()
	return res, nil
}

// preludeJS answers the page's fetches of its own files from the data
// blocks: the wasm modules and the data files unpacked by
// DecompressionStream, anything else of the page's folder (local.json:
// there is no local server) 404. The MQTT
// module is unpacked only after the token generator works.
const preludeJS = `(function () {
  "use strict";
  var emb = globalThis.onenetEmbedded;
  var realFetch = globalThis.fetch;
  var dir = new URL(".", document.baseURI).href;
  emb.unpacked = [];
  function name(input) {
    var url;
    try {
      url = new URL(typeof input === "string" || input instanceof URL ? String(input) : input.url, document.baseURI);
    } catch (e) {
      return null;
    }
    var href = url.href.replace(/[?#].*$/, "");
    if (href.slice(0, dir.length) !== dir) return null;
    return decodeURIComponent(href.slice(dir.length));
  }
  function later() {
    return new Promise(function (resolve) { setTimeout(resolve, 0); });
  }
  function gate() {
    // The token generator first: wait until the page's onenet is ready.
    return later().then(function () {
      var o = globalThis.onenet;
      return o && o.ready ? o.ready.then(later, later) : undefined;
    });
  }
  function unpack(file, e) {
    var el = document.getElementById(e.id);
    if (!el) return Promise.reject(new TypeError(file + " is not in this file"));
    if (typeof DecompressionStream === "undefined") {
      return Promise.reject(new TypeError("this browser has no DecompressionStream: use a current Chromium, Firefox or Safari"));
    }
    performance.mark("onenet-unpack-start:" + file);
    emb.unpacked.push(file);
    var bin = atob(el.textContent.trim());
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var body = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return Promise.resolve(new Response(body, { status: 200, headers: { "Content-Type": e.type, "Content-Length": String(e.size) } }));
  }
  globalThis.fetch = function (input, init) {
    var file = name(input);
    if (file === null) return realFetch.apply(this, arguments);
    var e = emb.files[file];
    if (!e) {
      return Promise.resolve(new Response(file + ": not in this file (the local server's features need onenet-web)", { status: 404, headers: { "Content-Type": "text/plain; charset=utf-8" } }));
    }
    if (emb.defer.indexOf(file) >= 0) return gate().then(function () { return unpack(file, e); });
    return unpack(file, e);
  };
})();
`

func bundleJS(from string, modules []string) (string, error) {
	var entry strings.Builder
	for _, m := range modules {
		fmt.Fprintf(&entry, "import %q;\n", "./"+path.Clean(m))
	}
	r := api.Build(api.BuildOptions{
		Stdin:             &api.StdinOptions{Contents: entry.String(), ResolveDir: from, Sourcefile: "single-entry.js", Loader: api.LoaderJS},
		Bundle:            true,
		Format:            api.FormatIIFE,
		Platform:          api.PlatformBrowser,
		MinifyWhitespace:  true,
		MinifySyntax:      true,
		MinifyIdentifiers: true,
		LegalComments:     api.LegalCommentsNone,
		Charset:           api.CharsetUTF8,
		// The modules find their files beside the page.
		Define:   map[string]string{"import.meta.url": "document.baseURI"},
		LogLevel: api.LogLevelSilent,
		Write:    false,
	})
	if err := buildErr(r); err != nil {
		return "", fmt.Errorf("bundling %s: %w", strings.Join(modules, ", "), err)
	}
	if len(r.OutputFiles) != 1 {
		return "", fmt.Errorf("bundling: %d outputs", len(r.OutputFiles))
	}
	return safeScript(string(r.OutputFiles[0].Contents)), nil
}

func bundleCSS(from, href string) (string, error) {
	loaders := map[string]api.Loader{}
	for _, ext := range []string{".png", ".svg", ".ico", ".jpg", ".gif", ".webp", ".woff", ".woff2"} {
		loaders[ext] = api.LoaderDataURL
	}
	r := api.Build(api.BuildOptions{
		EntryPoints:      []string{filepath.Join(from, filepath.FromSlash(path.Clean(href)))},
		Bundle:           true,
		Loader:           loaders,
		MinifyWhitespace: true,
		MinifySyntax:     true,
		LegalComments:    api.LegalCommentsNone,
		Charset:          api.CharsetUTF8,
		LogLevel:         api.LogLevelSilent,
		Write:            false,
		Outdir:           "out",
	})
	if err := buildErr(r); err != nil {
		return "", fmt.Errorf("%s: %w", href, err)
	}
	for _, f := range r.OutputFiles {
		if strings.HasSuffix(f.Path, ".css") {
			css := string(f.Contents)
			if strings.Contains(strings.ToLower(css), "</style") {
				return "", fmt.Errorf("%s: contains </style", href)
			}
			return css, nil
		}
	}
	return "", fmt.Errorf("%s: no CSS output", href)
}

func buildErr(r api.BuildResult) error {
	if len(r.Errors) == 0 {
		return nil
	}
	var msgs []string
	for _, m := range r.Errors {
		s := m.Text
		if m.Location != nil {
			s = fmt.Sprintf("%s:%d: %s", m.Location.File, m.Location.Line, s)
		}
		msgs = append(msgs, s)
	}
	return errors.New(strings.Join(msgs, "; "))
}

// safeScript keeps a script's text from ending its <script> element early
// or entering the HTML parser's escaped states: "</script" and "<!--" are
// written with a backslash, which means the same in strings, template
// literals and regular expressions, and nothing in comments.
func safeScript(js string) string {
	js = replaceFold(js, "</script", `<\/script`)
	return strings.ReplaceAll(js, "<!--", `<\!--`)
}

func replaceFold(s, old, repl string) string {
	lower := strings.ToLower(s)
	if !strings.Contains(lower, old) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(lower, old)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(repl[:2] + s[i+1:i+len(old)])
		s, lower = s[i+len(old):], lower[i+len(old):]
	}
}

func readPage(from, href string) ([]byte, error) {
	return os.ReadFile(filepath.Join(from, filepath.FromSlash(path.Clean(href))))
}

func dataURI(from, href string) (string, error) {
	data, err := readPage(from, href)
	if err != nil {
		return "", err
	}
	typ := mime.TypeByExtension(path.Ext(href))
	if t, ok := pagefiles.Types[path.Ext(href)]; ok {
		typ = t
	}
	return "data:" + typ + ";base64," + base64.StdEncoding.EncodeToString(data), nil
}

// local reports whether a reference is to a file of the page (a relative
// path, not a URL with a scheme or a host, not outside the folder).
func local(ref string) bool {
	if ref == "" || strings.Contains(ref, ":") || strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "#") {
		return false
	}
	return !strings.HasPrefix(path.Clean(ref), "..")
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func setAttr(n *html.Node, key, val string) {
	for i, a := range n.Attr {
		if a.Key == key {
			n.Attr[i].Val = val
			return
		}
	}
	n.Attr = append(n.Attr, html.Attribute{Key: key, Val: val})
}

func hasWord(list, w string) bool {
	return slices.Contains(strings.Fields(list), w)
}

func text(n *html.Node) string {
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	}
	return b.String()
}
