package e2e

// The page as plain static files (issue 9): dist/, written by `make dist`,
// served by Debian's nginx from a sub-path, with no Go process behind the
// page; opened from file://; offline after one load; replaced by a new build.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/onenet-wasm/onenet-wasm/broker"
	"github.com/onenet-wasm/onenet-wasm/internal/pagefiles"
	"github.com/onenet-wasm/onenet-wasm/server"
	"github.com/onenet-wasm/onenet-wasm/token"
)

// subPath is where the static host serves dist/: the page must use
// relative paths only.
const subPath = "/tools/onenet/"

// distDir is dist/, which must be there and complete; when web/ has
// changed since, it is a fresh copy written as make dist would.
func distDir(t *testing.T) (string, pagefiles.Build) {
	t.Helper()
	dir, err := filepath.Abs("../dist")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range append([]string{pagefiles.BuildScript}, pagefiles.Required...) {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f))); err != nil {
			t.Fatalf("dist/%s is missing: run make dist (make test does)", f)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, pagefiles.BuildScript))
	if err != nil {
		t.Fatal(err)
	}
	b, err := pagefiles.ParseScript(data)
	if err != nil {
		t.Fatalf("dist/build.js: %v: run make dist", err)
	}
	web := webDir(t)
	cur, err := pagefiles.Compute(os.DirFS(web))
	if err != nil {
		t.Fatal(err)
	}
	if cur.ID != b.ID {
		// web/ changed since make dist (a shared checkout, an edit):
		// test what make dist would write now, rather than old files.
		fresh := filepath.Join(t.TempDir(), "dist")
		st, err := pagefiles.WriteDist(web, fresh)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("dist/ (build %s) is older than web/ (build %s): testing a fresh copy; run make dist to update dist/", b.ID, st.Build.ID)
		return fresh, st.Build
	}
	return dir, b
}

func nginxPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("NGINX"), "/usr/sbin/nginx"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	t.Fatal("nginx not found: install Debian's nginx-light package (make deps)")
	return ""
}

// staticHost is an nginx serving one folder at subPath on 127.0.0.1, with
// its own configuration, logs and temporary files in a test folder.
type staticHost struct {
	t       *testing.T
	url     string // the page's URL, ending in subPath
	dir     string // nginx's own folder
	cmd     *exec.Cmd
	done    chan struct{}
	stopped sync.Once
}

const nginxConf = `daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log info;
events { worker_connections 64; }
http {
  types {
    text/html html;
    text/javascript js;
    text/css css;
    application/json json;
    application/wasm wasm;
  }
  default_type application/octet-stream;
  access_log %[1]s/access.log;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  server {
    listen 127.0.0.1:%[2]d;
    location %[3]s {
      alias %[4]s/;
      gzip_static on;
    }
  }
}
`

func startStaticHost(t *testing.T, root string) *staticHost {
	t.Helper()
	bin := nginxPath(t)
	var lastErr string
	for try := 0; try < 3; try++ {
		// A free port, closed for nginx to take; another process may take
		// it first, hence the retries.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		dir := t.TempDir()
		conf := filepath.Join(dir, "nginx.conf")
		if err := os.WriteFile(conf, fmt.Appendf(nil, nginxConf, dir, port, subPath, root), 0o644); err != nil {
			t.Fatal(err)
		}
		h := &staticHost{t: t, url: fmt.Sprintf("http://127.0.0.1:%d%s", port, subPath), dir: dir, done: make(chan struct{})}
		h.cmd = exec.Command(bin, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", conf)
		var out bytes.Buffer
		h.cmd.Stdout, h.cmd.Stderr = &out, &out
		if err := h.cmd.Start(); err != nil {
			t.Fatalf("starting nginx: %v", err)
		}
		go func() {
			h.cmd.Wait()
			close(h.done)
		}()
		t.Cleanup(h.stop)
		if h.waitUp() {
			return h
		}
		h.stop()
		log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		lastErr = out.String() + string(log)
	}
	t.Fatalf("nginx did not start:\n%s", lastErr)
	return nil
}

// waitUp waits until nginx serves the page, or has exited.
func (h *staticHost) waitUp() bool {
	c := &http.Client{Timeout: 5 * time.Second}
	defer c.CloseIdleConnections()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-h.done:
			return false
		default:
		}
		if resp, err := c.Get(h.url); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// stop ends nginx (the process this test started) and waits for it.
func (h *staticHost) stop() {
	h.stopped.Do(func() {
		h.cmd.Process.Kill()
		<-h.done
	})
}

// requests are the paths of the requests nginx has logged, and the bytes
// it sent for them.
func (h *staticHost) requests() ([]string, int64) {
	h.t.Helper()
	f, err := os.Open(filepath.Join(h.dir, "access.log"))
	if err != nil {
		h.t.Fatal(err)
	}
	defer f.Close()
	var paths []string
	var sent int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// combined format: ... "GET /path HTTP/1.1" status bytes "referer" ...
		_, req, ok := strings.Cut(sc.Text(), `"`)
		if !ok {
			continue
		}
		req, rest, _ := strings.Cut(req, `"`)
		if f := strings.Fields(req); len(f) >= 2 {
			paths = append(paths, f[1])
		}
		var status int
		var n int64
		fmt.Sscan(rest, &status, &n)
		sent += n
	}
	return paths, sent
}

// newBrowserEnv is a browser without the local server.
func newBrowserEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, logs: &logBuffer{}}
	e.ctx, e.cancel = newBrowser(t)
	t.Cleanup(e.cancel)
	return e
}

// openURL navigates to a full URL and waits for both wasm modules.
func (e *env) openURL(u string) {
	e.t.Helper()
	e.run(chromedp.Navigate(u))
	e.waitJS(`document.body.dataset.ready === "all"`, "the page to load both wasm modules")
}

// waitAsync polls a JavaScript expression that may give a Promise of a
// boolean until it is true (or a minute passes).
func (e *env) waitAsync(expr, what string) {
	e.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		if eval[bool](e, expr) {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("timed out waiting for %s (%s)\npage state: %s", what, expr, e.pageState())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// wsBroker is the local broker alone, over WebSocket on 127.0.0.1: a
// broker on the local network as far as the page is concerned, on another
// origin than the page's.
func wsBroker(t *testing.T) (*broker.Broker, string) {
	t.Helper()
	b, err := broker.New(broker.Options{
		Registry:         testRegistry(),
		Limits:           broker.RateLimits{Disabled: true},
		WebSocketOrigins: []string{"127.0.0.1:*"},
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(b.WebSocketHandler())
	t.Cleanup(func() {
		b.Close()
		hs.Close()
	})
	return b, "ws://" + strings.TrimPrefix(hs.URL, "http://") + "/mqtt"
}

// checkTokens compares the page's tokens with token.Generate.
func (e *env) checkTokens() {
	e.t.Helper()
	for _, tc := range []struct {
		kind, pid, dev, key, method string
		et                          int64
	}{
		{"device", productID, deviceName, deviceKey, "sha1", 2000000000},
		{"device", "Ck2AF9QD2K", "test", otherKey, "sha256", 32472115200},
		{"product", productID, "", productKey, "md5", 1900000000},
	} {
		e.fillToken(tc.kind, tc.pid, tc.dev, tc.key, tc.method, tc.et)
		res, err := token.Resource(tc.pid, tc.dev)
		if err != nil {
			e.t.Fatal(err)
		}
		want, err := token.Generate(token.Params{Res: res, Key: tc.key, Method: tc.method, ET: tc.et})
		if err != nil {
			e.t.Fatal(err)
		}
		if got := e.value("token-out"); got != want {
			e.t.Errorf("%+v: page token\n %s\nwant\n %s\nmessages: %s", tc, got, want, e.text("token-msgs"))
		}
	}
}

// checkNoLocal checks that the local server's features are shown as
// unavailable, with how to get them.
func (e *env) checkNoLocal() {
	e.t.Helper()
	for _, v := range []string{"local", "relay"} {
		if !eval[bool](e, fmt.Sprintf(`document.querySelector("input[name=target][value=%s]").disabled`, v)) {
			e.t.Errorf("the %s target is not disabled without the local server", v)
		}
	}
	if !eval[bool](e, `document.querySelector("input[name=target][value=url]").checked`) {
		e.t.Error("the ws:// URL target is not the chosen one without the local server")
	}
	if note := e.text("target-note"); !strings.Contains(note, "make run") || !strings.Contains(note, "onenet-web") {
		e.t.Errorf("connection note %q does not say how to get the local broker (make run, onenet-web)", note)
	}
	if !eval[bool](e, `document.getElementById("platform-panel").classList.contains("unavailable")`) {
		e.t.Error("the platform panel is not marked unavailable")
	}
	if note := e.text("platform-note"); !strings.Contains(note, "make run") {
		e.t.Errorf("platform note %q does not say how to get the platform API", note)
	}
	if n := eval[int](e, `[...document.querySelectorAll("#platform-panel button, #platform-panel input, #platform-panel textarea")].filter(el => !el.disabled).length`); n != 0 {
		e.t.Errorf("%d platform controls are enabled without the local server", n)
	}
}

// connectURL connects the page to a ws:// broker as the test device,
// publishes a datapoint and waits for the broker's /accepted reply.
func (e *env) connectURL(b *broker.Broker, wsURL string) {
	e.t.Helper()
	e.set("resKind", "device")
	e.set("productId", productID)
	e.set("deviceName", deviceName)
	e.set("key", deviceKey)
	e.check("input[name=etMode][value=ttl]", true)
	e.check("input[name=target][value=url]", true)
	e.set("url", wsURL)
	e.check("#cred-auto", true)
	e.click("connect")
	e.waitJS(`document.getElementById("conn-state").dataset.state === "connected"`, "the connection to the ws:// broker")
	e.set("sub-preset", "dp/post/json/+")
	e.click("subscribe")
	e.waitJS(`document.querySelectorAll("#subs li").length === 1`, "the subscription")
	e.set("pub-kind", "dp/post/json")
	e.click("tab-builder")
	before := len(b.Datapoints(productID, deviceName)["temperature"])
	e.click("publish")
	e.waitJS(`[...document.querySelectorAll("#msg-list .msg")].some(m => m.textContent.includes("/dp/post/json/accepted"))`, "the broker's /accepted reply")
	if n := len(b.Datapoints(productID, deviceName)["temperature"]); n != before+1 {
		e.t.Errorf("broker stored %d temperature points, want %d", n, before+1)
	}
	e.click("disconnect")
	e.waitJS(`document.getElementById("conn-state").dataset.state === "closed"`, "the disconnection")
}

// TestDistStaticHost: dist/ from a sub-path of nginx, nothing else: the
// wasm is sent precompressed, every request stays under the sub-path,
// tokens match token.Generate, the local features say they are
// unavailable, and the page talks to a ws:// broker on another origin.
func TestDistStaticHost(t *testing.T) {
	dir, _ := distDir(t)
	b, wsURL := wsBroker(t)
	h := startStaticHost(t, dir)

	// The .gz siblings are what a host with precompression sends.
	c := &http.Client{Timeout: time.Minute}
	defer c.CloseIdleConnections()
	raw, err := os.ReadFile(filepath.Join(dir, "core.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", h.url+"core.wasm", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if ce, ct := resp.Header.Get("Content-Encoding"), resp.Header.Get("Content-Type"); ce != "gzip" || ct != "application/wasm" {
		t.Errorf("core.wasm: Content-Encoding %q, Content-Type %q; want gzip, application/wasm", ce, ct)
	} else if zr, err := gzip.NewReader(resp.Body); err != nil {
		t.Errorf("core.wasm.gz: %v", err)
	} else if got, err := io.ReadAll(zr); err != nil || !bytes.Equal(got, raw) {
		t.Errorf("core.wasm.gz does not decompress to core.wasm (%d bytes, %v)", len(got), err)
	}
	resp.Body.Close()

	e := newBrowserEnv(t)
	e.openURL(h.url)
	e.checkTokens()
	e.checkVersion()
	e.checkNoLocal()
	e.connectURL(b, wsURL)
	// The payload editor's bundle, loaded when the raw payload is shown.
	e.rawEditor()

	// Relative paths only: nothing outside the sub-path was asked for
	// (but the favicon, which browsers ask the host's root for).
	paths, sent := h.requests()
	t.Logf("nginx: %d requests, %.2f MB sent (the .gz wasm, and the service worker's copy of the page)", len(paths), float64(sent)/1e6)
	var outside []string
	for _, p := range paths {
		if !strings.HasPrefix(p, subPath) && p != "/favicon.ico" {
			outside = append(outside, p)
		}
	}
	if len(outside) > 0 {
		t.Errorf("requests outside %s: %q", subPath, outside)
	}
}

// TestDistFileURL: opened from file://, the page says why it cannot run
// and how to serve it, instead of staying blank.
func TestDistFileURL(t *testing.T) {
	dir, _ := distDir(t)
	e := newBrowserEnv(t)
	u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(dir, "index.html"))}).String()
	e.run(chromedp.Navigate(u))
	e.waitJS(`document.body.dataset.ready === "file"`, "the file:// explanation")
	if eval[bool](e, `document.getElementById("banner").hidden`) {
		t.Fatal("the banner is hidden")
	}
	banner := e.text("banner")
	for _, want := range []string{"file://", "python3 -m http.server", "make run", dir} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner %q does not mention %q", banner, want)
		}
	}
	// (In the browser's language: check what both say.)
	if cls := eval[string](e, `document.getElementById("load-status").className`); cls != "status error" {
		t.Errorf("load status %q is %q, want an error", e.text("load-status"), cls)
	}
}

// cacheReady waits until the service worker controls the page and has
// cached exactly the files of build b under the page's sub-path.
func (e *env) cacheReady(b pagefiles.Build) { e.cacheReadyAt(subPath, b) }

func (e *env) cacheReadyAt(subPath string, b pagefiles.Build) {
	e.t.Helper()
	name := "onenet " + subPath + " " + b.ID
	e.waitAsync(fmt.Sprintf(`(async () => {
		if (!navigator.serviceWorker.controller) return false;
		const names = (await caches.keys()).filter((n) => n.startsWith("onenet "));
		if (names.length !== 1 || names[0] !== %q) return false;
		const c = await caches.open(names[0]);
		return (await c.keys()).length === %d;
	})()`, name, len(b.Files)), "the service worker to cache build "+b.ID)
	got := eval[[]string](e, fmt.Sprintf(`caches.open(%q).then((c) => c.keys()).then((ks) => ks.map((r) => r.url.slice(location.origin.length + %d)).sort())`, name, len(subPath)))
	if strings.Join(got, " ") != strings.Join(b.Files, " ") {
		e.t.Errorf("cached %q\nwant %q", got, b.Files)
	}
}

// TestDistOffline: after one load from the static host, with the host
// stopped, a reload brings the page up from the service worker's cache;
// it computes tokens and connects to a broker on the local network.
func TestDistOffline(t *testing.T) {
	dir, build := distDir(t)
	b, wsURL := wsBroker(t)
	h := startStaticHost(t, dir)
	e := newBrowserEnv(t)
	e.openURL(h.url)
	e.cacheReady(build)
	for _, f := range build.Files {
		if f == pagefiles.LocalInfo || f == pagefiles.BuildScript || f == pagefiles.ServiceWorker {
			t.Errorf("the service worker caches %s", f)
		}
	}

	h.stop()
	e.run(chromedp.Reload())
	e.waitJS(`document.body.dataset.ready === "all"`, "the page to come up offline")
	if !eval[bool](e, fmt.Sprintf(`fetch(%q).then(() => false, () => true)`, h.url+"local.json")) {
		t.Fatal("the static host still answers after it was stopped")
	}
	e.checkTokens()
	e.checkNoLocal()
	e.connectURL(b, wsURL)
	// The payload editor too, from the cache.
	e.rawEditor()
}

// TestDistUpdate: a new build on the host replaces the cached one.
func TestDistUpdate(t *testing.T) {
	dir, _ := distDir(t)
	root := filepath.Join(t.TempDir(), "onenet")
	st, err := pagefiles.WriteDist(dir, root)
	if err != nil {
		t.Fatal(err)
	}
	h := startStaticHost(t, root)
	e := newBrowserEnv(t)
	e.openURL(h.url)
	e.cacheReady(st.Build)

	// A new build: one file changes, and build.js with it.
	const mark = "globalThis.nextBuild = true;"
	f, err := os.OpenFile(filepath.Join(root, "app.js"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "\n"+mark)
	f.Close()
	next, err := pagefiles.Compute(os.DirFS(root))
	if err != nil {
		t.Fatal(err)
	}
	if next.ID == st.Build.ID {
		t.Fatal("changing app.js did not change the build id")
	}
	if err := os.WriteFile(filepath.Join(root, pagefiles.BuildScript), next.Script(), 0o644); err != nil {
		t.Fatal(err)
	}

	// The next visit finds it; the one after runs it.
	e.openURL(h.url)
	e.cacheReady(next)
	e.openURL(h.url)
	if !eval[bool](e, `globalThis.nextBuild === true`) {
		t.Error("after the update, the page runs the old app.js")
	}
}

// TestServerServiceWorker: the local server generates build.js from the
// files it serves, serves it and sw.js like every file (no-cache, CSP), and
// the page's service worker caches the page there too, never local.json.
func TestServerServiceWorker(t *testing.T) {
	e := newEnv(t, server.Config{})
	c := &http.Client{Timeout: time.Minute}
	defer c.CloseIdleConnections()
	var build pagefiles.Build
	for _, f := range []string{pagefiles.ServiceWorker, pagefiles.BuildScript} {
		resp, err := c.Get(e.http.URL + "/" + f)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-cache" ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") || resp.Header.Get("Content-Security-Policy") != server.ContentSecurityPolicy {
			t.Errorf("%s: %s, headers %v", f, resp.Status, resp.Header)
		}
		if f == pagefiles.BuildScript {
			if build, err = pagefiles.ParseScript(body); err != nil {
				t.Fatalf("build.js: %v\n%s", err, body)
			}
		}
	}
	if !slices.Contains(build.Files, "mqtt.wasm") || !slices.Contains(build.Files, "index.html") || slices.Contains(build.Files, pagefiles.LocalInfo) {
		t.Errorf("build.js lists %q", build.Files)
	}
	e.open("/")
	e.cacheReadyAt("/", build)
	// local.json is the server's, asked for afresh at every start.
	if eval[bool](e, `caches.match(new URL("local.json", location.href)).then((r) => !!r)`) {
		t.Error("local.json is cached")
	}
}
