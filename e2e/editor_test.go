package e2e

// The raw payload's editor (web/editor.js, CodeMirror from web/vendor):
// line numbers, JSON colours, errors marked where the checks put them,
// Format, Ctrl+Enter, leaving it with Tab, and the plain text field when
// the editor's bundle cannot load.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/onenet-wasm/onenet-wasm/onenet"
	"github.com/onenet-wasm/onenet-wasm/server"
)

// editorRoot is the editor's shadow root, in JavaScript.
const editorRoot = `document.getElementById("payload-editor").shadowRoot`

// rawEditor shows the raw payload and waits for the editor to load.
func (e *env) rawEditor() {
	e.t.Helper()
	e.set("pub-kind", "dp/post/json")
	e.click("tab-raw")
	e.waitJS(`document.getElementById("raw").dataset.editor === "ready"`, "the payload editor to load")
}

// focusEditor puts the keyboard focus in the editor, as a click would.
func (e *env) focusEditor() {
	e.t.Helper()
	eval[bool](e, `(`+editorRoot+`.querySelector(".cm-content").focus(), true)`)
	e.waitJS(`document.activeElement && document.activeElement.id === "payload-editor" && `+editorRoot+`.activeElement === `+editorRoot+`.querySelector(".cm-content")`, "the focus in the editor")
}

// editorText is what the editor shows, line by line.
func (e *env) editorText() string {
	e.t.Helper()
	return eval[string](e, `[...`+editorRoot+`.querySelectorAll(".cm-content > .cm-line")].map((l) => l.textContent).join("\n")`)
}

// highlighted reports whether the key, number and literal colours (the
// text's last) differ as JSON highlighting makes them.
func highlighted(c []string) bool {
	return c[0] != "none" && c[0] != c[3] && c[1] != c[0] && c[2] != c[0]
}

// TestPayloadCodeEditor: the editor replaces the textarea, numbers its
// lines, colours the JSON, marks a syntax error and a rule's error at the
// line the checks give, formats, publishes with Ctrl+Enter (no line break
// added), takes typing like a user's into the form, is left with Tab,
// has no serious accessibility violation in light and dark, keeps to the
// page's Content-Security-Policy, and fits 390 px.
func TestPayloadCodeEditor(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	e.connected("dp/post/json/+")
	// The server's policy (no inline styles) lets the editor style itself.
	eval[bool](e, `(window.__violations = [], document.addEventListener("securitypolicyviolation", (ev) => window.__violations.push(ev.violatedDirective + " " + (ev.blockedURI || "inline"))), true)`)
	e.rawEditor()
	if !eval[bool](e, `document.getElementById("payload").hidden && !document.getElementById("payload-editor").hidden`) {
		t.Fatal("the editor is loaded but the textarea is still shown (or the editor hidden)")
	}

	// Line numbers and colours.
	e.set("payload", "{\n  \"id\": 1,\n  \"dp\": {\"t\": [{\"v\": true}]}\n}")
	if nums := eval[string](e, `[...`+editorRoot+`.querySelectorAll(".cm-lineNumbers .cm-gutterElement")].map((g) => g.textContent).filter((s) => s).join(",")`); !strings.HasPrefix(nums, "1,2,3,4") && !strings.Contains(nums, ",1,2,3,4") {
		t.Errorf("line numbers %q, want 1,2,3,4", nums)
	}
	if got := e.editorText(); got != e.value("payload") {
		t.Errorf("the editor shows %q, the form holds %q", got, e.value("payload"))
	}
	// The editor parses (and so colours) in slices of time, finishing in
	// the background on a busy machine: wait for the colours, up to 10 s.
	var colours []string
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		colours = eval[[]string](e, `(() => { const c = `+editorRoot+`.querySelector(".cm-content"); const at = (text) => { const s = [...c.querySelectorAll("span")].find((el) => el.textContent === text); return s ? getComputedStyle(s).color : "none"; }; return [at('"id"'), at("1"), at("true"), getComputedStyle(c).color]; })()`)
		if highlighted(colours) || time.Now().After(end) {
			break
		}
	}
	if !highlighted(colours) {
		t.Errorf("JSON not highlighted: key, number, literal, text colours %q", colours)
	}

	// A syntax error is marked at the line and column the Go check gives.
	var se *onenet.SyntaxError
	if err := onenet.CheckJSON([]byte(seedPayload)); !errors.As(err, &se) {
		t.Fatalf("CheckJSON(seed) = %v", err)
	}
	e.set("payload", seedPayload)
	e.waitJS(`!!`+editorRoot+`.querySelector(".cm-lintRange-error")`, "the error's mark")
	markAt := `(() => { const r = ` + editorRoot + `.querySelector(".cm-lintRange-error"); const line = r.closest(".cm-line"); const lines = [...line.parentNode.querySelectorAll(":scope > .cm-line")]; let col = 1; const w = document.createTreeWalker(line, NodeFilter.SHOW_TEXT); for (let n = w.nextNode(); n && !r.contains(n); n = w.nextNode()) col += n.textContent.length; return [lines.indexOf(line) + 1, col]; })()`
	if at := eval[[]int](e, markAt); at[0] != se.Line || at[1] != se.Column {
		t.Errorf("error marked at line %d, column %d; the check says line %d, column %d", at[0], at[1], se.Line, se.Column)
	}
	if !strings.Contains(e.text("payload-err"), fmt.Sprintf("Line %d, column %d", se.Line, se.Column)) {
		t.Errorf("error text %q", e.text("payload-err"))
	}
	if !eval[bool](e, editorRoot+`.querySelector(".cm-lint-marker-error") !== null && `+editorRoot+`.querySelector(".cm-content").getAttribute("aria-invalid") === "true"`) {
		t.Error("no error marker in the gutter, or the editor not marked invalid")
	}
	// A rule's error (no syntax error): the offending value is marked, on its line.
	e.set("payload", "{\n  \"id\": \"x\",\n  \"dp\": {\"a\": [{\"v\": 1}]}\n}")
	e.waitJS(`!!`+editorRoot+`.querySelector(".cm-lintRange-error")`, "the id's mark")
	if at, mark := eval[[]int](e, markAt), eval[string](e, editorRoot+`.querySelector(".cm-lintRange-error").textContent`); at[0] != 2 || mark != `"x"` {
		t.Errorf("the string id marked at line %d as %q, want line 2, \"x\"", at[0], mark)
	}
	// Corrected: the marks go.
	e.set("payload", `{"id":7,"dp":{"t":[{"v":1}]}}`)
	e.waitJS(`!`+editorRoot+`.querySelector(".cm-lintRange-error") && `+editorRoot+`.querySelector(".cm-content").getAttribute("aria-invalid") === null`, "the marks to go")

	// Format, shown in the editor.
	e.click("pub-format")
	if got := e.editorText(); !strings.Contains(got, "\n  \"id\": 7,\n") || got != e.value("payload") {
		t.Errorf("formatted: editor %q, form %q", got, e.value("payload"))
	}

	// Ctrl+Enter in the editor publishes, and adds no line.
	before := e.value("payload")
	e.focusEditor()
	e.run(chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	e.waitJS(`document.querySelectorAll("#pub-history li.accepted").length === 1`, "Ctrl+Enter in the editor to publish")
	if after := e.value("payload"); after != before {
		t.Errorf("Ctrl+Enter changed the payload: %q → %q", before, after)
	}

	// Typed like a user: the form follows; then Ctrl+Enter sends what was typed.
	e.focusEditor()
	e.run(chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)), chromedp.KeyEvent(kb.Delete))
	typed := `{"id":8,"dp":{"typed":[{"v":5}]}}`
	e.run(chromedp.KeyEvent(typed))
	if got := e.value("payload"); got != typed {
		t.Fatalf("typed %q, the form holds %q", typed, got)
	}
	if e.text("payload-err") != "" {
		t.Errorf("a valid typed payload gives %q", e.text("payload-err"))
	}
	e.run(chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	e.waitJS(`[...document.querySelectorAll("#pub-history li.accepted")].some((li) => li.textContent.includes("id 8"))`, "the typed payload published")

	// Tab leaves the editor (to Format); Shift+Tab comes back.
	e.focusEditor()
	e.run(chromedp.KeyEvent(kb.Tab))
	if id := eval[string](e, `document.activeElement ? document.activeElement.id : ""`); id != "pub-format" {
		t.Errorf("Tab from the editor went to #%s, want #pub-format", id)
	}
	if got := e.value("payload"); got != typed {
		t.Errorf("Tab changed the payload to %q", got)
	}
	e.run(chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)))
	e.waitJS(`document.activeElement && document.activeElement.id === "payload-editor"`, "Shift+Tab back into the editor")

	// Labelled, and no serious accessibility violation, light and dark, with an error shown.
	if label := eval[string](e, editorRoot+`.querySelector(".cm-content").getAttribute("aria-label") || ""`); label == "" {
		t.Error("the editor has no accessible name")
	}
	e.set("lang", "zh")
	if label := eval[string](e, editorRoot+`.querySelector(".cm-content").getAttribute("aria-label") || ""`); label != "Payload（JSON 编辑器）" {
		t.Errorf("in Chinese the editor is labelled %q", label)
	}
	e.set("lang", "en")
	e.set("payload", seedPayload)
	for _, th := range []string{"light", "dark"} {
		e.set("theme", th)
		for _, v := range e.axe() {
			t.Errorf("%s: %s", th, v)
		}
	}
	// Dark follows the switch: the editor's background is the page's dark field.
	if bg := eval[string](e, `getComputedStyle(`+editorRoot+`.querySelector(".cm-editor")).backgroundColor`); bg != "rgb(15, 20, 25)" {
		t.Errorf("dark editor background %s", bg)
	}
	e.set("theme", "auto")
	if v := eval[[]string](e, `window.__violations`); len(v) > 0 {
		t.Errorf("the editor broke the page's policy: %q", v)
	}

	// 390 px: the editor fits, a long line wraps instead of scrolling sideways.
	e.run(chromedp.EmulateViewport(390, 844))
	e.click("view-act")
	e.set("payload", `{"id":9,"dp":{"a_long_datastream_name":[{"v":"`+strings.Repeat("long text ", 20)+`"}]}}`)
	if fit := eval[[]float64](e, `(() => { const ed = `+editorRoot+`.querySelector(".cm-editor"), sc = `+editorRoot+`.querySelector(".cm-scroller"); return [ed.getBoundingClientRect().left, ed.getBoundingClientRect().right, innerWidth, sc.scrollWidth - sc.clientWidth]; })()`); fit[0] < 0 || fit[1] > fit[2] || fit[3] > 1 {
		t.Errorf("at 390 px the editor spans %.0f–%.0f of %.0f px, scrolls sideways by %.0f px", fit[0], fit[1], fit[2], fit[3])
	}
}

// TestPayloadEditorFallback: when the editor's bundle cannot load, the
// textarea stays, takes typing and publishes with Ctrl+Enter.
func TestPayloadEditorFallback(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.run(func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return chromedp.Void{}, err
		}
		_, err := cdp.Call(ctx, tg, network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: []*network.BlockPattern{{URLPattern: e.http.URL + "/vendor/codemirror.js", Block: true}}})
		return chromedp.Void{}, err
	})
	e.open("/")
	e.connected("dp/post/json/+")
	e.set("pub-kind", "dp/post/json")
	e.click("tab-raw")
	e.waitJS(`document.getElementById("raw").dataset.editor === "textarea"`, "the editor's load to fail")
	if !eval[bool](e, `!document.getElementById("payload").hidden && document.getElementById("payload-editor").hidden`) {
		t.Fatal("the bundle failed but the textarea is not shown")
	}
	e.set("payload", "")
	eval[bool](e, `(document.getElementById("payload").focus(), true)`)
	typed := `{"id":5,"dp":{"plain":[{"v":1}]}}`
	e.run(chromedp.KeyEvent(typed))
	if got := e.value("payload"); got != typed {
		t.Fatalf("typed %q, the textarea holds %q", typed, got)
	}
	e.run(chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	e.waitJS(`[...document.querySelectorAll("#pub-history li.accepted")].some((li) => li.textContent.includes("id 5"))`, "Ctrl+Enter in the textarea to publish")
	e.set("payload", seedPayload)
	if !strings.Contains(e.text("payload-err"), "Line 5") {
		t.Errorf("error %q", e.text("payload-err"))
	}
}
