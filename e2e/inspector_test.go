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
	e.waitJS(`document.getElementById("insp-meta").textContent !== "" && document.querySelector("#msg-list .msg[aria-selected=true]") !== null`, "the reply opened from Sent")
	if p := eval[string](e, `new TextDecoder().decode(document.querySelector("#msg-list .msg[aria-selected=true]")._entry.payload)`); !strings.Contains(p, `"id":1`) {
		t.Errorf("Sent's reply button opened %q", p)
	}

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
}
