// Package e2e tests the page in a real headless Chromium (Debian's chromium,
// driven by chromedp) against the real local server on 127.0.0.1.
package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/onenet-wasm/onenet-wasm/broker"
	"github.com/onenet-wasm/onenet-wasm/server"
)

// The test registry: fixed ids and keys, so that tokens can be compared.
const (
	productID  = "469948"
	productKey = "kKsubaG7FzMgzR6N3eUD53319Qu+K4MCvw6KzOYc5eI="
	deviceName = "Chic_D"
	deviceKey  = "rs2FaE5BuygJZkWKDA5okKt1RFpwOx53hbu6hwyCS4U="
	otherKey   = "KuF3NT/jUBJ62LNBB/A8XZA9CqS3Cu79B/ABmfA1UCw="
)

func testRegistry() *broker.Registry {
	return &broker.Registry{Products: []broker.Product{{
		ID: productID, Key: productKey,
		Devices: []broker.Device{{Name: deviceName, Key: deviceKey}},
	}}}
}

// chromiumPath finds Debian's Chromium; the tests fail (not skip) without it.
func chromiumPath(t testing.TB) string {
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Fatal("Chromium not found: install Debian's chromium package (make deps)")
	return ""
}

// webDir is the page's folder, which must hold the built wasm.
func webDir(t testing.TB) string {
	dir, err := filepath.Abs("../web")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"core.wasm", "mqtt.wasm", "wasm_exec.js", "vendor/uPlot.esm.js", "vendor/codemirror.js"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("web/%s is missing: run `make build` first (make test does)", f)
		}
	}
	return dir
}

// env is one local server and one browser for a test.
type env struct {
	t      *testing.T
	srv    *server.Server
	http   *httptest.Server
	ctx    context.Context
	cancel context.CancelFunc
	logs   *logBuffer
}

type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuffer) Logf(format string, args ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func newEnv(t *testing.T, cfg server.Config) *env {
	t.Helper()
	e := &env{t: t, logs: &logBuffer{}}
	if cfg.Registry == nil {
		cfg.Registry = testRegistry()
	}
	if cfg.Files == nil {
		cfg.Files = os.DirFS(webDir(t))
	}
	if cfg.Limits == (broker.RateLimits{}) {
		cfg.Limits.Disabled = true // a test that wants OneNET's limits sets them
	}
	cfg.Logf = e.logs.Logf
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	e.http = httptest.NewServer(srv.Handler())
	e.ctx, e.cancel = newBrowser(t)
	t.Cleanup(func() {
		e.cancel()
		e.srv.Close()
		e.http.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", e.logs.String())
		}
	})
	return e
}

// newBrowser starts a headless Chromium with a fresh profile; extra options
// (e.g. the browser's languages) are added to the defaults.
func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) (context.Context, context.CancelFunc) {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 1800),
	}
	opts = append(opts, extra...)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	// The first Do starts the browser; its context must have no deadline.
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		acancel()
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx, func() { cancel(); acancel() }
}

// open navigates to the page and waits for both wasm modules.
func (e *env) open(path string) {
	e.t.Helper()
	e.run(chromedp.Navigate(e.http.URL + path))
	e.waitJS(`document.body.dataset.ready === "all"`, "the page to load both wasm modules")
}

func (e *env) run(actions ...chromedp.Action[chromedp.Void]) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		e.t.Fatalf("browser: %v", err)
	}
}

// eval evaluates a JavaScript expression (awaiting a Promise) into T.
func eval[T any](e *env, expr string) T {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, time.Minute)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		e.t.Fatalf("evaluate %s: %v\npage state: %s", clip(expr), err, e.pageState())
	}
	return v
}

// waitJS polls a JavaScript condition until it is true (or 30s pass).
func (e *env) waitJS(cond, what string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 40*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, chromedp.ErrPollingTimeout) {
			e.t.Fatalf("timed out waiting for %s (%s)\npage state: %s", what, cond, e.pageState())
		}
		e.t.Fatalf("waiting for %s: %v", what, err)
	}
}

// waitLog waits (40 s at most) until the server's log satisfies ok and
// reports whether it did. The broker writes some lines after the page can
// see what they tell of: "login accepted" after the CONNACK, the reason for
// a disconnection (a ban) after the connection is closed.
func (e *env) waitLog(ok func(log string) bool) bool {
	for end := time.Now().Add(40 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if ok(e.logs.String()) {
			return true
		}
		if time.Now().After(end) {
			return false
		}
	}
}

// pageState is what a failing test prints: the visible messages.
func (e *env) pageState() string {
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll(".msgs li, .err, #conn-state, #load-status, #banner, #plat-out")].map(el => (el.id || el.className) + ": " + el.textContent).filter(s => !s.endsWith(": ")).join("\n")`))
	return s
}

// set types a value into a form field and fires its input event.
func (e *env) set(id, value string) {
	e.t.Helper()
	js := fmt.Sprintf(`(() => { const el = document.getElementById(%q); el.value = %q; el.dispatchEvent(new Event("input", {bubbles: true})); el.dispatchEvent(new Event("change", {bubbles: true})); return true })()`, id, value)
	eval[bool](e, js)
}

func (e *env) check(selector string, on bool) {
	e.t.Helper()
	eval[bool](e, fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (el.checked !== %v) el.click(); return true })()`, selector, on))
}

func (e *env) click(id string) {
	e.t.Helper()
	eval[bool](e, fmt.Sprintf(`(() => { document.getElementById(%q).click(); return true })()`, id))
}

func (e *env) text(id string) string {
	e.t.Helper()
	return eval[string](e, fmt.Sprintf(`document.getElementById(%q).textContent`, id))
}

func (e *env) value(id string) string {
	e.t.Helper()
	return eval[string](e, fmt.Sprintf(`document.getElementById(%q).value`, id))
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
