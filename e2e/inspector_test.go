package e2e

import (
	"context"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/onenet-wasm/onenet-wasm/server"
)

// sendCommand sends a command from the platform side without waiting for
// the device's answer.
func (e *env) sendCommand(payload []byte) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	e.srv.Broker().SendCommand(ctx, productID, deviceName, payload) // nobody answers: times out
}

// TestMessageInspector: a row opened with the keyboard shows the message in
// full (time to the millisecond, topic, QoS, size), as a JSON tree, text,
// hex, base64, the difference from the previous message on its topic, and
// the link from the reply to the publish it answers and back; binary
// payloads whole; the filter reads \uXXXX as characters.
func TestMessageInspector(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	e.workspace()
	if tm := eval[string](e, `document.querySelector("#msg-list .msg .m-time").textContent`); !regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{3}$`).MatchString(tm) {
		t.Errorf("row time %q has no milliseconds", tm)
	}
	// Keyboard: focus the list, arrow down to the newest, Enter.
	eval[bool](e, `(document.getElementById("msg-list").focus(), true)`)
	e.run(chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent("\r"))
	e.waitJS(`!document.getElementById("inspector").hidden`, "the inspector to open")
	meta := e.text("insp-meta")
	for _, want := range []string{"/dp/post/json/accepted", "bytes"} {
		if !strings.Contains(meta, want) {
			t.Errorf("inspector details %q lack %q", meta, want)
		}
	}
	if !regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}`).MatchString(meta) {
		t.Errorf("inspector time in %q has no date and milliseconds", meta)
	}
	payload := eval[string](e, `new TextDecoder().decode(document.querySelector("#msg-list .msg.cur")._entry.payload)`)
	if tree := e.text("insp-view"); !strings.Contains(tree, `"id"`) || !strings.Contains(tree, "3") {
		t.Errorf("tree view %q of %s", tree, payload)
	}
	e.click("insp-tab-hex")
	if hex := e.text("insp-view"); !strings.Contains(hex, "7b 22 69 64") {
		t.Errorf("hex view %q of %s", hex, payload)
	}
	e.click("insp-tab-base64")
	if b64 := e.text("insp-view"); b64 != base64.StdEncoding.EncodeToString([]byte(payload)) {
		t.Errorf("base64 view %q of %s", b64, payload)
	}
	e.click("insp-tab-diff")
	if d := e.text("insp-view"); !strings.Contains(d, "id: 2 → 3") {
		t.Errorf("diff with the previous reply: %q", d)
	}
	// Copy takes the whole payload.
	eval[bool](e, `(() => { window.__copied = null; Object.defineProperty(navigator, "clipboard", { value: { writeText: (s) => { window.__copied = s; return Promise.resolve(); } } }); return true })()`)
	e.click("insp-tab-raw")
	e.click("insp-copy")
	e.waitJS(`window.__copied !== null`, "the copy")
	if c := eval[string](e, `window.__copied`); c != payload {
		t.Errorf("copied %q, want %q", c, payload)
	}
	// From the reply to the publish, and back.
	e.click("insp-reply")
	e.waitJS(`document.activeElement && document.activeElement.closest && document.activeElement.closest("#pub-history") !== null`, "the publish the reply answers")
	if li := eval[string](e, `document.activeElement.textContent`); !strings.Contains(li, "id 3") {
		t.Errorf("the reply links to %q", li)
	}
	eval[bool](e, `(() => { [...document.querySelectorAll("#pub-history li")].find((li) => li.textContent.includes("id 1")).querySelector("button:last-child").click(); return true })()`)
	e.waitJS(`(() => { const r = document.querySelector("#msg-list .msg[aria-selected=true]"); return r !== null && new TextDecoder().decode(r._entry.payload).includes('"id":1') })()`, "the reply to id 1 opened from Sent")

	// A binary payload, whole; a payload with \u escapes found by its characters.
	e.set("sub-preset", "cmd/request/+")
	e.click("subscribe")
	e.waitJS(`document.querySelectorAll("#subs li").length === 2`, "the command subscription")
	bin := make([]byte, 300)
	for i := range bin {
		bin[i] = byte(i)
	}
	e.sendCommand(bin)
	e.sendCommand([]byte(`{"name":"\u6e29\u5ea6"}`))
	e.waitJS(`document.getElementById("msg-count").textContent.startsWith("5 ")`, "the commands")
	e.set("msg-filter", "温度")
	e.waitJS(`document.getElementById("msg-count").textContent.startsWith("1 ")`, "the filter to find the escaped characters")
	e.set("msg-filter", "")
	e.waitJS(`document.getElementById("msg-count").textContent.startsWith("5 ")`, "all messages again")
	eval[bool](e, `(() => { const row = [...document.querySelectorAll("#msg-list .msg")].find((r) => r._entry && r._entry.payload.length === 300); row.click(); return true })()`)
	e.click("insp-tab-hex")
	hex := e.text("insp-view")
	for _, want := range []string{"00000000  00 01 02 03", "000000f0  f0 f1", "00000120  20 21 22 23 24 25 26 27  28 29 2a 2b"} {
		if !strings.Contains(hex, want) {
			t.Errorf("hex view of 300 bytes lacks %q: %.200q…", want, hex)
		}
	}
	if strings.Contains(hex, "…") {
		t.Error("hex view of 300 bytes is cut")
	}
	if meta := e.text("insp-meta"); !strings.Contains(meta, "300 bytes") {
		t.Errorf("inspector details of 300 bytes: %q", meta)
	}
	// One byte is "1 byte" (Intl.PluralRules), not "1 bytes".
	e.sendCommand([]byte("x"))
	e.waitJS(`document.getElementById("msg-count").textContent.startsWith("6 ")`, "the one-byte command")
	eval[bool](e, `(() => { const row = [...document.querySelectorAll("#msg-list .msg")].find((r) => r._entry && r._entry.payload.length === 1); row.click(); return true })()`)
	if meta := e.text("insp-meta"); !strings.Contains(meta, "Size1 byte") || strings.Contains(meta, "1 bytes") {
		t.Errorf("inspector details of 1 byte: %q", meta)
	}
	e.setLang("zh")
	if meta := e.text("insp-meta"); !strings.Contains(meta, "1 字节") {
		t.Errorf("inspector details of 1 byte in Chinese: %q", meta)
	}
}

// TestPreparedReplies: the demo device in one click (only with the demo
// registry); each platform request gets a reply ready beside the messages,
// with a countdown; auto-answer answers hands-free.
func TestPreparedReplies(t *testing.T) {
	e := newEnv(t, server.Config{Demo: true})
	e.open("/")
	e.set("productId", "")
	e.click("demo-fill")
	e.waitJS(`document.getElementById("key").value !== "" && document.getElementById("plat-key").value !== ""`, "the demo device to be filled in")
	if got := e.value("deviceName") + " " + e.value("key") + " " + e.value("plat-key"); got != deviceName+" "+deviceKey+" "+productKey {
		t.Errorf("demo device filled in as %q", got)
	}
	e.check("input[name=target][value=local]", true)
	e.click("connect")
	e.waitJS(`document.getElementById("conn-state").dataset.state === "connected"`, "connected")
	e.set("sub-preset", "#")
	e.click("subscribe")
	e.waitJS(`document.querySelectorAll("#subs li").length === 1`, "the subscription")

	// A command, answered by hand from its card.
	e.set("plat-cmd", `{"led":"on"}`)
	e.click("plat-send")
	e.waitJS(`document.querySelectorAll("#requests .req").length === 1`, "the command's card")
	card := eval[string](e, `document.querySelector("#requests .req").textContent`)
	if !strings.Contains(card, "cmd/request/") || !strings.Contains(card, "cmd/response/") || !strings.Contains(card, "s left") {
		t.Errorf("command card: %q", card)
	}
	eval[bool](e, `(() => { const c = document.querySelector("#requests .req"); c.querySelector("textarea").value = "led is on"; c.querySelector("button").click(); return true })()`)
	e.waitJS(`document.getElementById("plat-out").textContent.includes("led is on")`, "the answer at the platform panel")

	// Auto-answer: a property set and an echoed command, hands-free.
	e.set("auto-set", "success")
	e.set("auto-cmd", "echo")
	e.set("plat-prop", `{"Power":"off"}`)
	e.click("plat-set")
	e.waitJS(`document.getElementById("plat-out").textContent.includes("200") || document.getElementById("plat-err").textContent !== ""`, "the property set's answer")
	if errText := e.text("plat-err"); errText != "" {
		t.Errorf("auto-answered property set: %s", errText)
	}
	e.set("plat-cmd", `{"led":"blink"}`)
	e.click("plat-send")
	e.waitJS(`document.getElementById("plat-out").textContent.includes("blink")`, "the echoed command")
	if n := eval[int](e, `document.querySelectorAll("#requests .req-state.autoSent").length`); n != 2 {
		t.Errorf("%d requests answered automatically, want 2", n)
	}
	// A service call from the platform side, auto-answered with success.
	e.set("auto-service", "success")
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	r, err := e.srv.Broker().InvokeService(ctx, productID, deviceName, "reboot", []byte(`{"delay":1}`))
	if err != nil || r == nil || r.Code != 200 {
		t.Errorf("service call: %+v, %v", r, err)
	}
	// A property get: answered with the values the device last posted (none: 0).
	e.set("auto-get", "success")
	g, err := e.srv.Broker().GetProperty(ctx, productID, deviceName, []string{"Power"})
	if err != nil || g == nil || g.Code != 200 {
		t.Errorf("property get: %+v, %v", g, err)
	}
}

// TestDemoDeviceOnlyWithDemoRegistry: with a registry of its own (-devices)
// the page offers no demo device and /demo.json gives nothing.
func TestDemoDeviceOnlyWithDemoRegistry(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	if !eval[bool](e, `document.getElementById("demo-row").hidden`) {
		t.Error("the demo device is offered with a -devices registry")
	}
	if st := eval[int](e, `fetch("demo.json").then((r) => r.status)`); st != 404 {
		t.Errorf("/demo.json answered %d", st)
	}
}

// TestPayloadEditor: Format indents the payload, Ctrl+Enter publishes, an
// invalid payload is refused with its line and column and can be sent
// anyway, and a Sent entry goes back into the form.
func TestPayloadEditor(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	e.connected("dp/post/json/+")
	e.rawEditor()
	e.set("payload", `{"id":7,"dp":{"t":[{"v":1}]}}`)
	e.click("pub-format")
	if p := e.value("payload"); !strings.Contains(p, "\n  \"id\": 7") {
		t.Errorf("formatted payload %q", p)
	}
	e.focusEditor()
	e.run(chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	e.waitJS(`document.querySelectorAll("#pub-history li.accepted").length === 1`, "Ctrl+Enter to publish")
	// Invalid: refused at its line and column, then sent anyway.
	e.set("payload", seedPayload)
	e.click("publish")
	if !strings.Contains(e.text("payload-err"), "Line 5") || eval[bool](e, `document.getElementById("pub-anyway").hidden`) {
		t.Fatalf("invalid payload: error %q, no Send anyway", e.text("payload-err"))
	}
	e.click("pub-anyway")
	e.waitJS(`document.querySelectorAll("#pub-history li").length === 2`, "the invalid payload sent anyway")
	// A snippet saved for the topic template comes back.
	e.set("payload", `{"id":9,"dp":{"s":[{"v":2}]}}`)
	e.click("snippet-save")
	e.set("payload", "")
	if n := eval[int](e, `document.getElementById("snippet").options.length`); n != 2 {
		t.Fatalf("%d snippet options after saving one", n)
	}
	e.set("snippet", "0")
	if p := e.value("payload"); p != `{"id":9,"dp":{"s":[{"v":2}]}}` || e.editorText() != p {
		t.Errorf("snippet gave %q, the editor shows %q", p, e.editorText())
	}
	// Again: the first entry back in the form.
	e.set("payload", "")
	eval[bool](e, `(() => { [...document.querySelectorAll("#pub-history li")].find((li) => li.textContent.includes("id 7")).querySelector("button").click(); return true })()`)
	if p := e.value("payload"); !strings.Contains(p, `"id": 7`) {
		t.Errorf("Again put %q in the form", p)
	}
	if got := e.editorText(); got != e.value("payload") {
		t.Errorf("after Again the editor shows %q, the form holds %q", got, e.value("payload"))
	}
	e.waitJS(`document.activeElement && document.activeElement.id === "payload-editor"`, "the focus in the editor after Again")
}
