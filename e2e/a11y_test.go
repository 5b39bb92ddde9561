package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/onenet-wasm/onenet-wasm/server"
)

// axe runs axe-core (npm, pinned in package-lock.json) on the page and
// returns its serious and critical violations, one line each.
func (e *env) axe() []string {
	e.t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		e.t.Fatalf("axe-core is not installed (make build runs npm ci): %v", err)
	}
	if !eval[bool](e, `typeof window.axe === "object"`) {
		eval[bool](e, string(src)+"\n;true")
	}
	out := eval[string](e, `axe.run(document, { resultTypes: ["violations"] }).then((r) => JSON.stringify(r.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.impact + " " + v.id + ": " + v.help + " — " + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", "))))`)
	var v []string
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		e.t.Fatal(err)
	}
	return v
}

// TestAccessibility: axe-core finds no serious or critical violation on the
// page in English and Chinese, at 1280 and 390 px (each view of the tabs),
// in light and dark, with messages, a request and the inspector open.
func TestAccessibility(t *testing.T) {
	for _, lang := range []string{"en", "zh"} {
		for _, width := range []int64{1280, 390} {
			t.Run(fmt.Sprintf("%s-%d", lang, width), func(t *testing.T) {
				e := newEnvLang(t, map[string]string{"en": "en-GB", "zh": "zh-CN"}[lang])
				e.run(chromedp.EmulateViewport(width, 900))
				e.open("/")
				check := func(when string) {
					for _, v := range e.axe() {
						t.Errorf("%s, %s: %s", lang, when, v)
					}
				}
				check("on load")
				e.workspace()
				e.click("insp-close")
				eval[bool](e, `(document.querySelector("#msg-list .msg").click(), true)`)
				e.waitJS(`!document.getElementById("inspector").hidden`, "the inspector")
				themes := []string{"light", "dark"}
				if width < 900 {
					for _, v := range []string{"setup", "act", "see"} {
						e.click("view-" + v)
						check("view " + v)
					}
					themes = themes[1:]
					e.click("view-see")
				}
				for _, th := range themes {
					e.set("theme", th)
					check(th)
				}
				e.set("theme", "auto")
			})
		}
	}
}

// tabTo presses Tab until the element with the id has the focus, and
// returns how many presses it took.
func (e *env) tabTo(id string) int {
	e.t.Helper()
	for n := 1; n <= 120; n++ {
		e.run(chromedp.KeyEvent(kb.Tab))
		if eval[string](e, `document.activeElement ? document.activeElement.id : ""`) == id {
			return n
		}
	}
	e.t.Fatalf("#%s not reached with 120 Tab presses", id)
	return 0
}

// TestKeyboardMainLoop: the main loop with the keyboard only — the key
// typed into the token panel, Connect, Subscribe, Publish, and the reply
// opened in the inspector — counting the Tab presses.
func TestKeyboardMainLoop(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	tabs := 0
	n := e.tabTo("key")
	tabs += n
	e.run(chromedp.KeyEvent(deviceKey))
	if e.value("token-out") == "" {
		t.Fatalf("no token after typing the key: %s", e.text("token-msgs"))
	}
	n = e.tabTo("connect")
	tabs += n
	e.run(chromedp.KeyEvent(kb.Enter))
	e.waitJS(`document.getElementById("conn-state").dataset.state === "connected"`, "connected")
	e.waitJS(`document.activeElement && document.activeElement.id === "subscribe"`, "focus on Subscribe, the next step")
	e.run(chromedp.KeyEvent(kb.Enter))
	e.waitJS(`document.querySelectorAll("#subs li").length === 1`, "the subscription")
	n = e.tabTo("publish")
	tabs += n
	e.run(chromedp.KeyEvent(kb.Enter))
	e.waitJS(`document.querySelectorAll("#pub-history li.accepted").length === 1`, "the reply")
	n = e.tabTo("msg-list")
	tabs += n
	e.run(chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.Enter))
	e.waitJS(`!document.getElementById("inspector").hidden`, "the inspector")
	if meta := e.text("insp-meta"); !strings.Contains(meta, "/dp/post/json/accepted") {
		t.Errorf("the inspector shows %q", meta)
	}
	t.Logf("main loop with the keyboard: %d Tab presses (to the key, Connect, Publish, the message list)", tabs)
}
