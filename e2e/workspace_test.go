package e2e

// The page as a workspace: the layout at 1280 and 390 px, the folding setup
// panels, the theme, and the buttons of the connection and platform panels
// that the other tests do not press.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/onenet-wasm/onenet-wasm/server"
)

// emulateColorScheme makes the page see prefers-color-scheme as light or dark.
func (e *env) emulateColorScheme(scheme string) {
	e.t.Helper()
	e.run(func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
		return chromedp.Void{}, err
	})
}

// sectionBackground is the background colour of the page's panels.
func (e *env) sectionBackground() string {
	e.t.Helper()
	return eval[string](e, `getComputedStyle(document.getElementById("subscribe-panel")).backgroundColor`)
}

// The panels' backgrounds (style.css --card) in the light and dark themes.
const (
	lightCard = "rgb(255, 255, 255)"
	darkCard  = "rgb(23, 29, 36)"
)

// onScreenJS says, for an element id, whether it is shown and wholly inside
// the viewport (without scrolling the page or its column) and really seen
// there: the element at its centre is itself or inside it, not another
// element covering it or the column's clipped overflow.
const onScreenJS = `((id) => {
  const el = document.getElementById(id);
  if (!el || el.offsetParent === null) return id + ": not shown";
  const r = el.getBoundingClientRect();
  const where = id + " at " + Math.round(r.left) + "," + Math.round(r.top) + "–" + Math.round(r.right) + "," + Math.round(r.bottom) + " of " + innerWidth + "×" + innerHeight;
  if (r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > innerWidth) return where + ": off the screen";
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  if (!hit || !el.contains(hit)) return where + ": covered by " + (hit ? hit.tagName + "#" + hit.id + "." + hit.className : "nothing");
  return "";
})`

// shownColumns lists the columns (setup, act, see) that are displayed.
func (e *env) shownColumns() string {
	e.t.Helper()
	return eval[string](e, `["setup", "act", "see"].filter((v) => getComputedStyle(document.getElementById("col-" + v)).display !== "none").join(",")`)
}

// noHorizontalScroll fails the test when the page is wider than the screen.
func (e *env) noHorizontalScroll(when string) {
	e.t.Helper()
	if got := eval[[]int](e, `[document.documentElement.scrollWidth, innerWidth]`); got[0] > got[1] {
		e.t.Errorf("%s: the page is %d px wide on a %d px screen (it scrolls sideways)", when, got[0], got[1])
	}
}

// TestWorkspaceLayout: at 1280×900, once connected, the token and
// connection panels fold to one-line summaries that reopen (click, Enter);
// Subscribe, Publish, the requests and the message list are on the one
// screen; the theme switch is remembered, and "As the system" follows
// prefers-color-scheme. At 390 px the three views are tabs, one column at a
// time, switched with the keyboard, and a message opened in the inspector
// fits the screen.
func TestWorkspaceLayout(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.run(chromedp.EmulateViewport(1280, 900))
	e.open("/")
	if cols := e.shownColumns(); cols != "setup,act,see" {
		t.Errorf("at 1280 px the columns shown are %q, want all three", cols)
	}
	if eval[bool](e, `document.getElementById("views").offsetParent !== null`) {
		t.Error("at 1280 px the view tabs are shown")
	}
	e.workspace()

	// Both setup panels folded to a summary line.
	folded := func(id string) bool {
		return eval[bool](e, fmt.Sprintf(`document.getElementById(%q).classList.contains("collapsed")`, id+"-panel"))
	}
	summary := func(id string) (text string, lines float64, expanded string) {
		got := eval[[]any](e, fmt.Sprintf(`(() => { const s = document.getElementById(%q); const cs = getComputedStyle(s); const inner = s.clientHeight - parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom); return [s.offsetParent === null ? "" : s.textContent, inner / parseFloat(cs.lineHeight === "normal" ? parseFloat(cs.fontSize) * 1.2 : cs.lineHeight), s.getAttribute("aria-expanded")]; })()`, id+"-summary"))
		return got[0].(string), got[1].(float64), got[2].(string)
	}
	for _, tc := range []struct{ id, hidden, want string }{
		{"token", "key", "products/" + productID + "/devices/" + deviceName},
		{"connect", "connect", "Connected"},
	} {
		if !folded(tc.id) {
			t.Errorf("connected: the %s panel is not folded", tc.id)
		}
		if eval[bool](e, fmt.Sprintf(`document.getElementById(%q).offsetParent !== null`, tc.hidden)) {
			t.Errorf("connected: #%s is still shown in the folded %s panel", tc.hidden, tc.id)
		}
		text, lines, expanded := summary(tc.id)
		if !strings.Contains(text, tc.want) || expanded != "false" {
			t.Errorf("the %s summary reads %q (aria-expanded %s), want %q, folded", tc.id, text, expanded, tc.want)
		}
		if lines > 1.5 {
			t.Errorf("the %s summary %q takes %.1f lines, want one", tc.id, text, lines)
		}
		if title := eval[string](e, fmt.Sprintf(`document.getElementById(%q).title`, tc.id+"-summary")); title != text {
			t.Errorf("the %s summary's title is %q, want the whole line %q", tc.id, title, text)
		}
		if h := eval[float64](e, fmt.Sprintf(`document.getElementById(%q).getBoundingClientRect().height`, tc.id+"-panel")); h > 120 {
			t.Errorf("the folded %s panel is %.0f px tall", tc.id, h)
		}
	}

	// Everything of the main loop on the one screen.
	for _, id := range []string{"subscribe", "publish", "requests-panel", "msg-list"} {
		if msg := eval[string](e, onScreenJS+`(`+fmt.Sprintf("%q", id)+`)`); msg != "" {
			t.Errorf("at 1280×900, connected: %s", msg)
		}
	}

	// A click on the summary reopens its panel (and folds it again); so does Enter.
	e.click("token-summary")
	if folded("token") || !eval[bool](e, `document.getElementById("key").offsetParent !== null`) {
		t.Error("a click on the token summary does not reopen the panel")
	}
	if _, _, exp := summary("token"); exp != "true" {
		t.Errorf("reopened token panel: aria-expanded %s", exp)
	}
	e.click("token-summary")
	if !folded("token") {
		t.Error("a second click on the token summary does not fold the panel")
	}
	eval[bool](e, `(document.getElementById("connect-summary").focus(), true)`)
	e.run(chromedp.KeyEvent(kb.Enter))
	if folded("connect") || !eval[bool](e, `document.getElementById("disconnect").offsetParent !== null`) {
		t.Error("Enter on the connection summary does not reopen the panel")
	}
	e.run(chromedp.KeyEvent(kb.Enter))
	if !folded("connect") {
		t.Error("Enter again on the connection summary does not fold the panel")
	}

	// The theme: the switch is remembered; "As the system" follows the system.
	e.emulateColorScheme("light")
	if bg := e.sectionBackground(); bg != lightCard {
		t.Errorf("light system, theme auto: panels %s, want %s", bg, lightCard)
	}
	e.set("theme", "dark")
	if bg := e.sectionBackground(); bg != darkCard {
		t.Errorf("theme dark: panels %s, want %s", bg, darkCard)
	}
	e.open("/")
	if v, bg := e.value("theme"), e.sectionBackground(); v != "dark" || bg != darkCard {
		t.Errorf("after a reload the theme is %q with panels %s, want dark, %s", v, bg, darkCard)
	}
	e.set("theme", "auto")
	if bg := e.sectionBackground(); bg != lightCard {
		t.Errorf("theme auto, light system: panels %s, want %s", bg, lightCard)
	}
	e.emulateColorScheme("dark")
	if bg := e.sectionBackground(); bg != darkCard {
		t.Errorf("theme auto, dark system: panels %s, want %s", bg, darkCard)
	}
	e.set("theme", "light")
	if bg := e.sectionBackground(); bg != lightCard {
		t.Errorf("theme light on a dark system: panels %s, want %s", bg, lightCard)
	}
	e.set("theme", "auto")
	e.emulateColorScheme("light")
	if bg := e.sectionBackground(); bg != lightCard {
		t.Errorf("theme auto, back to a light system: panels %s, want %s", bg, lightCard)
	}

	// Phone width: the views are tabs.
	e.run(chromedp.EmulateViewport(390, 844))
	e.open("/")
	if cols := e.shownColumns(); cols != "setup" {
		t.Errorf("at 390 px before connecting the columns shown are %q, want setup", cols)
	}
	if msg := eval[string](e, onScreenJS+`("views")`); msg != "" {
		t.Errorf("at 390 px the view tabs: %s", msg)
	}
	e.noHorizontalScroll("390 px, setup")
	e.workspace()
	if cols := e.shownColumns(); cols != "act" {
		t.Errorf("at 390 px, connected: the columns shown are %q, want act (the next step)", cols)
	}
	e.noHorizontalScroll("390 px, act")
	// The keyboard: the selected tab has the focus; arrows, Home and End move.
	eval[bool](e, `(document.getElementById("view-act").focus(), true)`)
	for _, step := range []struct {
		key  string
		name string
		want string
	}{
		{kb.ArrowRight, "ArrowRight", "see"},
		{kb.ArrowRight, "ArrowRight", "setup"},
		{kb.ArrowLeft, "ArrowLeft", "see"},
		{kb.Home, "Home", "setup"},
		{kb.End, "End", "see"},
		{kb.ArrowLeft, "ArrowLeft", "act"},
	} {
		e.run(chromedp.KeyEvent(step.key))
		got := eval[[]string](e, `[document.activeElement.id, document.querySelector("#views [aria-selected=true]").id, document.querySelector("main").dataset.view]`)
		if cols := e.shownColumns(); got[0] != "view-"+step.want || got[1] != "view-"+step.want || cols != step.want {
			t.Errorf("%s: focus %s, selected %s, view %s, columns shown %q; want %s", step.name, got[0], got[1], got[2], cols, step.want)
		}
	}
	// A message read at 390 px: the row fits, and so does the inspector.
	e.click("view-see")
	if msg := eval[string](e, onScreenJS+`("msg-list")`); msg != "" {
		t.Errorf("at 390 px, the message list: %s", msg)
	}
	if r := eval[[]float64](e, `(() => { const r = document.querySelector("#msg-list .msg:not([hidden])").getBoundingClientRect(); return [r.left, r.right]; })()`); r[0] < 0 || r[1] > 390 {
		t.Errorf("at 390 px a message row spans %.0f–%.0f px", r[0], r[1])
	}
	eval[bool](e, `(document.querySelector("#msg-list .msg:not([hidden])").click(), true)`)
	e.waitJS(`!document.getElementById("inspector").hidden`, "the inspector")
	got := eval[[]any](e, `(() => {
		const i = document.getElementById("inspector").getBoundingClientRect();
		const v = document.getElementById("insp-view");
		const wide = [...document.querySelectorAll("#inspector *")].filter((el) => el.offsetParent !== null && !v.contains(el)).map((el) => [el, el.getBoundingClientRect()]).filter(([, r]) => r.right > innerWidth + 0.5 || r.left < -0.5).map(([el]) => el.tagName + "#" + el.id);
		return [i.left, i.right, wide.join(" "), v.scrollWidth - v.clientWidth, v.textContent, document.getElementById("insp-meta").textContent];
	})()`)
	if got[0].(float64) < 0 || got[1].(float64) > 390 || got[2] != "" {
		t.Errorf("at 390 px the inspector spans %.0f–%.0f px; past the screen: %q", got[0], got[1], got[2])
	}
	if got[3].(float64) > 0 {
		t.Errorf("at 390 px the payload needs a sideways scroll of %.0f px", got[3])
	}
	if !strings.Contains(got[4].(string), "id") || !strings.Contains(got[5].(string), "/dp/post/json/accepted") {
		t.Errorf("at 390 px the inspector shows %q, %q", got[5], got[4])
	}
	e.noHorizontalScroll("390 px, the inspector open")
}

// TestReconnectNow: "Reconnect now" drops the connection and logs in again
// at once: a new Connected entry in the connection log, a second login at
// the broker, and the page connected.
func TestReconnectNow(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	e.connected("")
	if eval[bool](e, `document.getElementById("reconnect").disabled`) {
		t.Fatal("connected: Reconnect now is disabled")
	}
	e.waitJS(`document.querySelectorAll("#conn-log li.log-connected").length === 1`, "the first Connected entry")
	// The broker logs a login after its CONNACK, so perhaps after the page
	// shows it: the count waits for the line.
	logins := func(l string) int { return strings.Count(l, "login accepted") }
	if !e.waitLog(func(l string) bool { return logins(l) >= 1 }) {
		t.Fatalf("the page's login is not in the broker's log:\n%s", e.logs.String())
	}
	before := logins(e.logs.String())
	e.click("reconnect")
	e.waitJS(`document.getElementById("conn-state").dataset.state === "connected" && document.querySelectorAll("#conn-log li.log-connected").length === 2`, "a second Connected entry after Reconnect now")
	if last := eval[string](e, `[...document.querySelectorAll("#conn-log li")].at(-1).textContent`); !strings.Contains(last, "Connected") {
		t.Errorf("the last log entry is %q", last)
	}
	if !e.waitLog(func(l string) bool { return logins(l) > before }) {
		t.Errorf("no new login at the broker after Reconnect now (%d before):\n%s", before, e.logs.String())
	}
	if msg := e.text("conn-msgs"); !strings.Contains(msg, "Connected to") {
		t.Errorf("after Reconnect now the connection says %q", msg)
	}
}

// TestTakeOverButton: once the take-over guard has stopped reconnecting
// (another client logging in as the device again and again, as in
// TestTakeOverGuard), "Reconnect and take over" logs in again: the page is
// connected, the other client is closed, and the guard's message is gone.
func TestTakeOverButton(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	e.connected("")
	lost := make(chan struct{}, 1)
	e.tugOfWar(func() {
		select {
		case lost <- struct{}{}:
		default:
		}
	})
	if st := eval[string](e, `document.getElementById("conn-state").dataset.state`); st != "closed" {
		t.Fatalf("state %q after the guard, want closed", st)
	}
	connects := eval[int](e, `document.querySelectorAll("#conn-log li.log-connected").length`)
	e.click("takeover")
	e.waitJS(`document.getElementById("conn-state").dataset.state === "connected" && document.querySelectorAll("#conn-log li.log-connected").length === `+fmt.Sprint(connects+1), "connected after Reconnect and take over")
	if !eval[bool](e, `document.getElementById("takeover-box").hidden`) {
		t.Error("connected again, the take-over button is still offered")
	}
	if msg := e.text("conn-msgs"); strings.Contains(msg, "Another client") || !strings.Contains(msg, "Connected to") {
		t.Errorf("after taking over the connection says %q", msg)
	}
	select {
	case <-lost:
	case <-time.After(10 * time.Second):
		t.Error("the other client was not closed by the take-over")
	}
}

// TestPlatformDemoKey: with the demo registry, "Use the demo product's key"
// fills the platform panel's product key (and nothing of the token panel),
// and a command sent with it reaches the device and comes back answered.
// Without the demo registry the button is not offered.
func TestPlatformDemoKey(t *testing.T) {
	t.Run("without", func(t *testing.T) {
		e := newEnv(t, server.Config{})
		e.open("/")
		if !eval[bool](e, `document.getElementById("plat-demo-row").hidden`) {
			t.Error("the demo product's key is offered with a -devices registry")
		}
	})
	e := newEnv(t, server.Config{Demo: true})
	e.open("/")
	if eval[bool](e, `document.getElementById("plat-demo-row").hidden`) {
		t.Fatal("with the demo registry, Use the demo product's key is not offered")
	}
	e.set("productId", "111")
	e.set("deviceName", "typed")
	before := eval[[]string](e, `["resKind", "productId", "deviceName", "key"].map((id) => document.getElementById(id).value)`)
	if e.value("plat-key") != "" {
		t.Fatalf("the product key is filled before the click: %q", e.value("plat-key"))
	}
	e.click("plat-demo")
	e.waitJS(`document.getElementById("plat-key").value !== ""`, "the demo product's key")
	if got := e.value("plat-key"); got != productKey {
		t.Errorf("the product key is %q, want the demo product's %q", got, productKey)
	}
	if after := eval[[]string](e, `["resKind", "productId", "deviceName", "key"].map((id) => document.getElementById(id).value)`); strings.Join(after, "|") != strings.Join(before, "|") {
		t.Errorf("the token panel changed from %q to %q", before, after)
	}
	// The key works: a command reaches the connected device and its answer comes back.
	e.connected("cmd/request/+")
	e.set("auto-cmd", "echo")
	e.set("plat-cmd", `{"led":"demo"}`)
	e.click("plat-send")
	e.waitJS(`document.getElementById("plat-out").textContent.includes("demo") || document.getElementById("plat-err").textContent !== ""`, "the command's answer")
	if out, msg := e.text("plat-out"), e.text("plat-err"); !strings.Contains(out, `{"led":"demo"}`) || msg != "" {
		t.Errorf("a command with the demo product's key: result %q, error %q", out, msg)
	}
}

// TestPlatformCommandDeviceOffline: a command to a device nobody is
// connected as gives the platform's error, with no "Waiting for the
// device…" left standing; an answered command afterwards replaces the
// error with its result, and a failed one the result with its error.
func TestPlatformCommandDeviceOffline(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	e.set("resKind", "device")
	e.set("productId", productID)
	e.set("deviceName", deviceName)
	e.set("plat-key", productKey)
	e.set("plat-cmd", `{"led":"on"}`)
	send := func(when string) (string, string) {
		t.Helper()
		e.click("plat-send")
		e.waitJS(`document.getElementById("plat-err").textContent !== "" || (document.getElementById("plat-out").textContent !== "" && !document.getElementById("plat-out").textContent.includes("Waiting"))`, "the platform's answer "+when)
		return e.text("plat-out"), e.text("plat-err")
	}
	out, msg := send("to an offline device")
	if out != "" || !strings.Contains(msg, "offline") {
		t.Errorf("a command to an offline device: result %q, error %q; want no result and the offline error", out, msg)
	}
	e.connected("cmd/request/+")
	e.set("auto-cmd", "echo")
	out, msg = send("from the connected device")
	if !strings.Contains(out, `{"led":"on"}`) || msg != "" {
		t.Errorf("a command answered by the device: result %q, error %q", out, msg)
	}
	e.click("disconnect")
	e.waitJS(`document.getElementById("conn-state").dataset.state === "closed"`, "disconnected")
	out, msg = send("after disconnecting")
	if out != "" || !strings.Contains(msg, "offline") {
		t.Errorf("a command after disconnecting: result %q, error %q; want the error alone", out, msg)
	}
}
