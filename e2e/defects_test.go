package e2e

// The page's defects listed in the workspace issue (numbered 1–15) and the
// page's part of the reliability issue (7, 8, 9): each test is named after
// its defect and failed before the fix.

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/onenet-wasm/onenet-wasm/server"
	"github.com/onenet-wasm/onenet-wasm/token"
)

// connected connects to the local broker with the test device and
// subscribes to a preset (the suffix of $sys/{pid}/{dev}/).
func (e *env) connected(preset string) {
	e.t.Helper()
	e.connectLocal(deviceKey)
	e.waitJS(`document.getElementById("conn-state").dataset.state === "connected"`, "connected")
	if preset == "" {
		return
	}
	e.set("sub-preset", preset)
	e.click("subscribe")
	e.waitJS(`document.querySelectorAll("#subs li").length >= 1`, "the subscription")
}

// TestSavedSettingsUnexpectedStuckLoading (reliability defect 7): saved
// settings of an unexpected shape left the page on "Loading…". Each is
// now read field by field: what is wrong is dropped (and said once), the
// rest kept.
func TestSavedSettingsUnexpectedStuckLoading(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	for _, tc := range []struct {
		saved   string
		dropped []string // named in the notice ("" for an unreadable entry)
		keep    map[string]string
	}{
		{`{"etMode":"week"}`, []string{"etMode"}, nil},
		{`null`, nil, nil},
		{`[1,2,3]`, nil, nil},
		{`not json`, nil, nil},
		{`{"ttl":"abc","method":"sha999","userId":42,"credAuto":"yes","target":{"x":1},"productId":"123","deviceName":"dev-ok","keepAlive":"90"}`,
			[]string{"ttl", "method", "userId", "credAuto", "target"}, map[string]string{"deviceName": "dev-ok", "keepAlive": "90", "method": "sha1"}},
		{`{"pub-kind":"no/such/kind","endpoint":7,"lang":"xx"}`, []string{"pub-kind", "endpoint", "lang"}, nil},
	} {
		eval[bool](e, fmt.Sprintf(`(localStorage.setItem("onenet-tool:v1", %q), true)`, tc.saved))
		e.open("/")
		notice := e.text("settings-msgs")
		if notice == "" {
			t.Errorf("saved %s: the page says nothing of the settings it dropped", tc.saved)
		}
		for _, f := range tc.dropped {
			if !strings.Contains(notice, f) {
				t.Errorf("saved %s: the notice %q does not name %s", tc.saved, notice, f)
			}
		}
		for id, want := range tc.keep {
			if got := e.value(id); got != want {
				t.Errorf("saved %s: %s = %q, want %q", tc.saved, id, got, want)
			}
		}
		if e.value("token-out") == "" && e.value("key") != "" {
			t.Errorf("saved %s: the token panel does not work", tc.saved)
		}
		// Said once: the next load is quiet.
		e.open("/")
		if n := e.text("settings-msgs"); n != "" {
			t.Errorf("saved %s: the notice is shown again on the next load: %q", tc.saved, n)
		}
	}
}

// TestPayloadRenderingUnbounded (reliability defect 8): a 27 KB message
// nested 4,500 deep became a 40 M-character tooltip. Whatever shows a
// payload now does a bounded amount of work for it.
func TestPayloadRenderingUnbounded(t *testing.T) {
	url, broker := plainWSBrokerServer(t)
	e := newEnv(t, server.Config{})
	e.open("/")
	e.check("input[name=target][value=url]", true)
	e.set("url", url)
	e.click("connect")
	e.waitJS(`document.getElementById("conn-state").dataset.state === "connected"`, "connected")
	e.set("sub-filter", "#")
	e.click("subscribe")
	e.waitJS(`document.querySelectorAll("#subs li").length === 1`, "the subscription")
	// 27 KB nested 4,500 deep, and a wide one.
	deep := strings.Repeat(`{"a":`, 4500) + "1" + strings.Repeat("}", 4500)
	wide := `{"x":"` + strings.Repeat("w", 60000) + `"}`
	// How long the page blocks on them: every main-thread task over 50 ms
	// (the browser's long tasks). Logged, not asserted (a measurement on a
	// shared machine; docs/RELIABILITY.md records it).
	observed := eval[bool](e, `(() => {
		window.__longtasks = [];
		if (!PerformanceObserver.supportedEntryTypes.includes("longtask")) return false;
		new PerformanceObserver((l) => {
			for (const t of l.getEntries()) window.__longtasks.push([t.startTime, t.duration]);
		}).observe({ type: "longtask" });
		return true;
	})()`)
	start := eval[float64](e, `performance.now()`)
	for i := 0; i < 25; i++ {
		p := deep
		if i%5 == 0 {
			p = wide
		}
		if err := broker.Publish("hostile/"+fmt.Sprint(i), []byte(p), false, 0); err != nil {
			t.Fatal(err)
		}
	}
	e.waitJS(`document.getElementById("msg-count").textContent.startsWith("25 ")`, "the 25 messages to be listed")
	listed := eval[float64](e, `performance.now()`)
	// Opened in the inspector, too.
	eval[bool](e, `(document.querySelector("#msg-list .msg").click(), true)`)
	e.waitJS(`!document.getElementById("inspector").hidden`, "the inspector")
	if observed {
		// Long tasks are reported after they end: a frame later.
		tasks := eval[[][2]float64](e, `new Promise((r) => setTimeout(() => r(window.__longtasks), 200))`)
		var listLongest, listTotal, inspLongest float64
		listN := 0
		for _, lt := range tasks {
			switch {
			case lt[0] >= listed:
				inspLongest = max(inspLongest, lt[1])
			case lt[0] >= start:
				listLongest = max(listLongest, lt[1])
				listTotal += lt[1]
				listN++
			}
		}
		t.Logf("25 hostile messages listed %.0f ms after the first was sent; long tasks (over 50 ms) meanwhile: %d of them, longest %.0f ms, %.0f ms in all; opening one in the inspector: longest %.0f ms",
			listed-start, listN, listLongest, listTotal, inspLongest)
	} else {
		t.Log("this browser reports no long tasks")
	}
	// Every element of the panel: text and attributes bounded.
	longest := eval[int](e, `(() => {
		let max = 0;
		for (const el of document.querySelectorAll("#messages-panel *")) {
			if (el.children.length === 0) max = Math.max(max, el.textContent.length);
			for (const a of el.attributes) max = Math.max(max, a.value.length);
		}
		return max;
	})()`)
	// Linear in the payload at most (the inspector shows it whole), not the
	// square of its depth.
	if longest > 2*len(wide) {
		t.Errorf("an element of the message panel holds %d characters for a 27 KB message", longest)
	}
}

// TestRememberedKeyPlainAndUnsaid (reliability defect 9): the remembered key
// was plain text in localStorage, and the page did not say so. It now says
// where the key is kept, and offers a session-only and an encrypted choice.
func TestRememberedKeyPlainAndUnsaid(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	origin := e.http.URL
	e.set("key", deviceKey)
	e.set("key-store", "plain")
	if w := e.text("key-where"); !strings.Contains(w, origin) || !strings.Contains(w, "localStorage") || !strings.Contains(w, "onenet-tool:key") {
		t.Errorf("plain: %q does not say where the key is kept", w)
	}
	// Session only: in sessionStorage, not in localStorage.
	e.set("key-store", "session")
	var st struct {
		Local, Session map[string]string
	}
	if err := json.Unmarshal([]byte(e.storage()), &st); err != nil {
		t.Fatal(err)
	}
	if st.Session["onenet-tool:key"] != deviceKey {
		t.Errorf("session: sessionStorage holds %q", st.Session["onenet-tool:key"])
	}
	findSecrets(t, "session mode", map[string][]byte{"localStorage": mustJSON(st.Local)}, map[string]string{"device key": deviceKey})
	if w := e.text("key-where"); !strings.Contains(w, "sessionStorage") {
		t.Errorf("session: %q", w)
	}
	// Encrypted: a short passphrase is refused; then nothing readable is stored.
	e.set("key-store", "encrypted")
	e.set("key-pass", "short")
	e.click("key-lock")
	e.waitJS(`document.getElementById("key-where").textContent.includes("8")`, "the short passphrase to be refused")
	e.set("key-pass", "correct horse battery")
	e.click("key-lock")
	e.waitJS(`localStorage.getItem("onenet-tool:key-enc") !== null && document.getElementById("key-pass").value === ""`, "the key to be stored encrypted")
	store := e.storage()
	findSecrets(t, "encrypted mode", map[string][]byte{"storage": []byte(store)}, map[string]string{"device key": deviceKey})
	if strings.Contains(store, "correct horse") {
		t.Error("the passphrase is stored")
	}
	// After a reload the key is locked until the passphrase is given.
	e.open("/")
	if k := e.value("key"); k != "" {
		t.Errorf("encrypted key filled without the passphrase: %q", k)
	}
	e.set("key-pass", "wrong passphrase")
	e.click("key-unlock")
	e.waitJS(`document.getElementById("key-pass").getAttribute("aria-invalid") === "true"`, "the wrong passphrase to be refused")
	e.set("key-pass", "correct horse battery")
	e.click("key-unlock")
	e.waitJS(`document.getElementById("key").value !== ""`, "the key to be unlocked")
	if k := e.value("key"); k != deviceKey {
		t.Errorf("unlocked key = %q", k)
	}
	if e.value("token-out") == "" {
		t.Error("no token after unlocking")
	}
	// Back to none: every copy is gone.
	e.set("key-store", "none")
	findSecrets(t, "none", map[string][]byte{"storage": []byte(e.storage())}, map[string]string{"device key": deviceKey})
	if s := e.storage(); strings.Contains(s, "onenet-tool:key") {
		t.Errorf("none: storage still has a key entry: %s", s)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// captureDownloads makes the page's download links record what they would
// save (window.__downloads: [{name, text}]).
func (e *env) captureDownloads() {
	e.t.Helper()
	eval[bool](e, `(() => {
		window.__downloads = [];
		const blobs = new Map();
		const create = URL.createObjectURL;
		URL.createObjectURL = (b) => { const u = create(b); blobs.set(u, b); return u; };
		HTMLAnchorElement.prototype.click = function () {
			const name = this.download;
			blobs.get(this.href).text().then((text) => window.__downloads.push({ name, text }));
		};
		return true;
	})()`)
}

type download struct{ Name, Text string }

func (e *env) download(n int) download {
	e.t.Helper()
	e.waitJS(fmt.Sprintf(`window.__downloads.length >= %d`, n), "the download")
	var d []download
	if err := json.Unmarshal([]byte(eval[string](e, `JSON.stringify(window.__downloads)`)), &d); err != nil {
		e.t.Fatal(err)
	}
	return d[n-1]
}

// TestExportIgnoresFilterAndPaused (workspace defect 3): export wrote every
// message, whatever the filter, without those that arrived while paused, to
// the same file name each time.
func TestExportIgnoresFilterAndPaused(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	e.connected("dp/post/json/+")
	e.captureDownloads()
	e.set("pub-kind", "dp/post/json")
	e.click("tab-builder")
	for i := 1; i <= 3; i++ {
		e.click("publish")
		e.waitJS(fmt.Sprintf(`document.querySelectorAll("#pub-history li.accepted").length === %d`, i), "the reply")
	}
	e.set("msg-filter", `"id":2`)
	e.click("msg-pause")
	e.click("publish")
	e.click("publish") // ids 4 and 5 arrive while paused
	e.waitJS(`document.querySelectorAll("#pub-history li.accepted").length === 5`, "the replies while paused")
	e.set("msg-filter", `accepted`)
	e.click("msg-export")
	d := e.download(1)
	var doc struct {
		Messages []struct {
			Topic, Payload string
			ReplyTo        *struct{ ID string }
		}
		Sent []struct {
			ID    string
			Reply *struct{ Kind string }
		}
	}
	if err := json.Unmarshal([]byte(d.Text), &doc); err != nil {
		t.Fatalf("export is not JSON: %v\n%.300s", err, d.Text)
	}
	if len(doc.Messages) != 5 {
		t.Errorf("export with the filter %q while paused has %d messages, want the 5 replies (2 of them paused)", "accepted", len(doc.Messages))
	}
	if len(doc.Sent) != 5 || doc.Sent[0].Reply == nil || doc.Sent[0].Reply.Kind != "accepted" {
		t.Errorf("sent messages in the export: %+v", doc.Sent)
	}
	e.set("msg-filter", `"id":2`)
	e.click("msg-export-csv")
	c := e.download(2)
	if !strings.HasSuffix(c.Name, ".csv") || strings.Count(c.Text, "received,") != 1 {
		t.Errorf("CSV export %s with the filter \"id\":2:\n%s", c.Name, c.Text)
	}
	if d.Name == "onenet-messages.json" || !strings.Contains(d.Name, time.Now().UTC().Format("2006-01-02")) {
		t.Errorf("export file name %q has no timestamp", d.Name)
	}
}

// TestStateEventsLostOnConnect (workspace defect 1): "onState threw
// ReferenceError: Cannot access 'client' before initialization" on every
// Connect; the first state events were lost. They are now in the
// connection log.
func TestStateEventsLostOnConnect(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	eval[bool](e, `(() => { window.__errors = []; const orig = console.error; console.error = (...a) => { window.__errors.push(a.map(String).join(" ")); orig(...a); }; return true })()`)
	e.connected("")
	if errs := eval[string](e, `window.__errors.join("\n")`); errs != "" {
		t.Errorf("console errors on connect:\n%s", errs)
	}
	e.waitJS(`document.querySelectorAll("#conn-log li").length >= 2`, "the connection log")
	log := e.text("conn-log")
	if !strings.Contains(log, "Connecting") || !strings.Contains(log, "Connected") {
		t.Errorf("connection log %q lacks connecting/connected", log)
	}
}

// TestErrorStaysAfterReconnect (workspace defect 2): the connection error
// stayed under the green "Connected" after a reconnection. The connection
// log says when the next attempt is (it never did: the reason it was read
// from is the error's explanation) and how many filters were subscribed
// again, in both languages.
func TestErrorStaysAfterReconnect(t *testing.T) {
	e, r := newRestartableEnv(t, server.Config{})
	e.open("/")
	e.connected("dp/post/json/+")
	r.stop()
	e.waitJS(`document.getElementById("conn-state").dataset.state === "reconnecting" && document.querySelector("#conn-msgs li.err") !== null`, "the lost connection to be explained")
	r.start()
	e.waitJS(`document.getElementById("conn-state").dataset.state === "connected"`, "the page to reconnect")
	if n := eval[int](e, `document.querySelectorAll("#conn-msgs li.err").length`); n != 0 {
		t.Errorf("after reconnecting, errors still shown: %q", e.text("conn-msgs"))
	}
	// The loss waits the first backoff, 1 s.
	if lost := eval[string](e, `document.querySelector("#conn-log li.log-reconnecting").textContent`); !strings.Contains(lost, "— next attempt in 1 s") {
		t.Errorf("the loss in the log says no next attempt: %q", lost)
	}
	e.waitJS(`document.querySelector("#conn-log li.log-resubscribed") !== null`, "the resubscription in the log")
	log := e.text("conn-log")
	if !strings.Contains(log, "Reconnecting") || strings.Count(log, "Connected") < 2 {
		t.Errorf("connection log: %q", log)
	}
	if got := eval[string](e, `document.querySelector("#conn-log li.log-resubscribed").textContent`); !strings.HasSuffix(got, "Resubscribed: 1 filter restored") {
		t.Errorf("resubscription entry %q, want \"Resubscribed: 1 filter restored\"", got)
	}
	if !eval[bool](e, `document.getElementById("conn-log").lastElementChild.classList.contains("log-resubscribed")`) {
		t.Errorf("the resubscription is not the last entry: %q", e.text("conn-log"))
	}
	e.setLang("zh")
	if got := eval[string](e, `document.querySelector("#conn-log li.log-resubscribed").textContent`); !strings.HasSuffix(got, "已重新订阅：恢复了 1 个订阅主题") {
		t.Errorf("resubscription entry in Chinese %q", got)
	}
	if lost := eval[string](e, `document.querySelector("#conn-log li.log-reconnecting").textContent`); !strings.Contains(lost, "1 秒后重试") {
		t.Errorf("the loss in the log in Chinese: %q", lost)
	}
}

// TestTypedExpiryIgnored (workspace defect 4): typing into "Unix seconds
// (et)" while "Valid for" was selected was silently ignored.
func TestTypedExpiryIgnored(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	e.set("key", deviceKey)
	e.check("input[name=etMode][value=ttl]", true)
	e.set("etUnix", "2000000000")
	if m := eval[string](e, `document.querySelector("input[name=etMode]:checked").value`); m != "unix" {
		t.Errorf("after typing into et, the option selected is %q", m)
	}
	if tok := e.value("token-out"); !strings.Contains(tok, "et=2000000000") {
		t.Errorf("token %q does not use the typed et", tok)
	}
	e.set("ttl", "3")
	if m := eval[string](e, `document.querySelector("input[name=etMode]:checked").value`); m != "ttl" {
		t.Errorf("after typing a duration, the option selected is %q", m)
	}
}

// TestEmptyKeyRedOnFirstVisit (workspace defect 5): the empty key field was
// red, with an error, on the first visit before anything was typed.
func TestEmptyKeyRedOnFirstVisit(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	if inv := eval[string](e, `document.getElementById("key").getAttribute("aria-invalid") || ""`); inv == "true" {
		t.Error("the empty key is marked invalid before anything was typed")
	}
	if n := eval[int](e, `document.querySelectorAll("#token-msgs li.err").length`); n != 0 {
		t.Errorf("errors on the first visit: %q", e.text("token-msgs"))
	}
	// Once typed and emptied, it is an error.
	e.set("key", "x")
	e.set("key", "")
	if inv := eval[string](e, `document.getElementById("key").getAttribute("aria-invalid") || ""`); inv != "true" {
		t.Error("the key emptied by the user is not marked")
	}
}

// plainWSBroker starts a broker that is not OneNET (mochi, anyone may log
// in) with a WebSocket listener; it returns its ws:// URL.
func plainWSBroker(t *testing.T) string {
	t.Helper()
	u, _ := plainWSBrokerServer(t)
	return u
}

// plainWSBrokerServer is plainWSBroker with the broker itself, which can
// publish (Options.InlineClient).
func plainWSBrokerServer(t *testing.T) (string, *mochi.Server) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := mochi.New(&mochi.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), InlineClient: true})
	if err := s.AddHook(new(allowAnyone), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.AddListener(listeners.NewWebsocket(listeners.Config{ID: "ws", Address: addr})); err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return "ws://" + addr + "/mqtt", s
}

// allowAnyone lets every client log in and use every topic.
type allowAnyone struct{ mochi.HookBase }

func (h *allowAnyone) ID() string { return "allow-anyone" }

func (h *allowAnyone) Provides(b byte) bool {
	return b == mochi.OnConnectAuthenticate || b == mochi.OnACLCheck
}

func (h *allowAnyone) OnConnectAuthenticate(*mochi.Client, packets.Packet) bool { return true }

func (h *allowAnyone) OnACLCheck(*mochi.Client, string, bool) bool { return true }

// TestPlainBrokerNeedsKey (workspace defect 6): connecting to a plain ws://
// broker with "credentials from the token panel" failed with "the access
// key is empty", and OneNET's warnings appeared for it.
func TestPlainBrokerNeedsKey(t *testing.T) {
	url := plainWSBroker(t)
	e := newEnv(t, server.Config{})
	e.open("/")
	e.check("input[name=target][value=url]", true)
	e.set("url", url)
	e.check("#cred-auto", true)
	e.set("keepAlive", "5") // below OneNET's 10 s: a OneNET warning, nothing to another broker
	e.click("connect")
	e.waitJS(`document.getElementById("conn-state").dataset.state === "connected" || document.querySelector("#conn-msgs li.err") !== null`, "the connection")
	if st := eval[string](e, `document.getElementById("conn-state").dataset.state`); st != "connected" {
		t.Fatalf("not connected to a plain broker without a key: %s", e.text("conn-msgs"))
	}
	if n := eval[int](e, `document.querySelectorAll("#conn-msgs li.warn").length`); n != 0 {
		t.Errorf("OneNET's warnings for another broker: %q", e.text("conn-msgs"))
	}
}

// TestTCPAddressReadAsScheme (workspace defect 7): mqtts.heclouds.com:1883
// typed in the URL box was read as a scheme.
func TestTCPAddressReadAsScheme(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	e.check("input[name=target][value=url]", true)
	e.set("url", "mqtts.heclouds.com:1883")
	msg := e.text("conn-msgs")
	if !strings.Contains(msg, "TCP") || !strings.Contains(msg, "relay") || strings.Contains(msg, "scheme") {
		t.Errorf("message for mqtts.heclouds.com:1883: %q", msg)
	}
	if hidden := eval[bool](e, `document.getElementById("url-relay").hidden`); hidden {
		t.Fatal("no offer to switch to the relay")
	}
	e.click("url-relay")
	if m := eval[string](e, `document.querySelector("input[name=target]:checked").value`); m != "relay" {
		t.Errorf("target after the offer: %q", m)
	}
	if ep := e.value("endpoint"); ep != "mqtts.heclouds.com:1883" {
		t.Errorf("endpoint after the offer: %q", ep)
	}
	// Another host:port is told to use a WebSocket URL.
	e.check("input[name=target][value=url]", true)
	e.set("url", "broker.example.com:1883")
	if msg := e.text("conn-msgs"); !strings.Contains(msg, "ws://broker.example.com:1883/mqtt") {
		t.Errorf("message for broker.example.com:1883: %q", msg)
	}
}

// TestCopyRefusedSilently (workspace defect 8): Copy gave no feedback when
// the clipboard was refused.
func TestCopyRefusedSilently(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	e.fillToken("device", productID, deviceName, deviceKey, "sha1", 2000000000)
	eval[bool](e, `(() => { Object.defineProperty(navigator, "clipboard", { value: { writeText: () => Promise.reject(new DOMException("denied", "NotAllowedError")) } }); return true })()`)
	e.click("token-copy")
	e.waitJS(`document.getElementById("token-copy-status").textContent !== ""`, "feedback on the refused copy")
	if s := e.text("token-copy-status"); !strings.Contains(s, "Ctrl+C") {
		t.Errorf("feedback %q does not offer the selection", s)
	}
	sel := eval[bool](e, `(() => { const ta = document.getElementById("token-out"); return document.activeElement === ta && ta.selectionStart === 0 && ta.selectionEnd === ta.value.length && ta.value.length > 0 })()`)
	if !sel {
		t.Error("the token is not selected for Ctrl+C")
	}
}

// TestDecodeQuotedOtherResource (workspace defect 9): a pasted token in
// quotes or with white space was not trimmed; a token for another device
// showed "Valid" without a word.
func TestDecodeQuotedOtherResource(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	e.fillToken("device", productID, deviceName, deviceKey, "sha1", 2000000000)
	tok := e.value("token-out")
	e.click("decode")
	e.set("decode-in", "  \""+tok[:40]+"\n"+tok[40:]+"\"  \n")
	if out := e.text("decode-out"); !strings.Contains(out, "Valid until") {
		t.Errorf("quoted, wrapped token: %q", out)
	}
	res, _ := tokenFor(t, "other-device")
	e.set("decode-in", res)
	out := e.text("decode-out")
	if !strings.Contains(out, "other-device") || !strings.Contains(out, "not for the resource in the form") {
		t.Errorf("token for another device: %q", out)
	}
}

// tokenFor is a device token for another device of the test product,
// signed with the test device's key.
func tokenFor(t *testing.T, dev string) (string, string) {
	t.Helper()
	res, err := token.Resource(productID, dev)
	if err != nil {
		t.Fatal(err)
	}
	s, err := token.Generate(token.Params{Res: res, Key: deviceKey, Method: "sha1", ET: 2000000000})
	if err != nil {
		t.Fatal(err)
	}
	return s, res
}

// TestKeyBlamedOnLength (workspace defect 10): "not*base64!key" was blamed
// on its length instead of its characters.
func TestKeyBlamedOnLength(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	e.fillToken("device", productID, deviceName, "not*base64!key", "sha1", 2000000000)
	msg := e.text("token-msgs")
	if !strings.Contains(msg, "*") || strings.Contains(msg, "multiple of 4") {
		t.Errorf("message for not*base64!key: %q", msg)
	}
}

var isoTime = regexp.MustCompile(`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}`)

// TestDatesForcedEnglish (workspace defect 11): dates were day/month in
// English while the date picker showed the browser's order; they are now
// in ISO 8601 order in both languages.
func TestDatesForcedEnglish(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	e.fillToken("device", productID, deviceName, deviceKey, "sha1", 2000000000)
	for _, lang := range []string{"en", "zh"} {
		e.set("lang", lang)
		if s := e.text("etAbs"); !isoTime.MatchString(s) {
			t.Errorf("%s: expiry %q is not in ISO 8601 order", lang, s)
		}
	}
	e.set("lang", "en")
}

// TestChartOnePoint (workspace defect 12): one point got a multi-year axis,
// "1 points", no values on hover, and the charts did not follow new data.
func TestChartOnePoint(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	e.connected("")
	e.set("pub-kind", "dp/post/json")
	e.click("tab-builder")
	e.click("publish")
	e.waitJS(`document.querySelectorAll("#pub-history li.acked, #pub-history li.accepted").length === 1`, "the publish")
	e.set("plat-key", productKey)
	e.click("plat-refresh")
	e.waitJS(`document.querySelectorAll("#plat-charts canvas").length >= 2`, "the charts")
	if caps := e.text("plat-charts"); !strings.Contains(caps, "(1 point)") {
		t.Errorf("captions %q", caps)
	}
	span := eval[float64](e, `(() => { const u = document.querySelector("#plat-charts figure")._chart; return u.scales.x.max - u.scales.x.min })()`)
	if span <= 0 || span > 3600 {
		t.Errorf("one point: the time axis spans %v s", span)
	}
	// Hovering shows the value.
	hover := eval[string](e, `(() => {
		const fig = [...document.querySelectorAll("#plat-charts figure")].find((f) => f.textContent.startsWith("temperature"));
		const over = fig.querySelector(".u-over");
		const r = over.getBoundingClientRect();
		over.dispatchEvent(new MouseEvent("mousemove", { clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true }));
		return fig.querySelector(".u-legend") ? fig.querySelector(".u-legend").textContent : "";
	})()`)
	if !strings.Contains(hover, "23.5") || !isoTime.MatchString(hover) {
		t.Errorf("legend under the pointer: %q", hover)
	}
	// A new datapoint: the charts follow.
	e.click("publish")
	e.waitJS(`document.getElementById("plat-charts").textContent.includes("(2 points)")`, "the charts to follow the new datapoint")
}

// TestFocusLostAfterConnect (workspace defect 13): after Connect, focus
// fell to the page's body; the unused date field cost 8 Tab stops.
func TestFocusLostAfterConnect(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	e.set("key", deviceKey)
	e.check("input[name=etMode][value=ttl]", true)
	// Tab from the duration's unit to the version: the date is not in the way.
	eval[bool](e, `(document.getElementById("ttlUnit").focus(), true)`)
	n := 0
	for ; n < 20 && eval[string](e, `document.activeElement.id`) != "version"; n++ {
		e.run(chromedp.KeyEvent("\t"))
	}
	if n > 3 {
		t.Errorf("%d Tab presses from the unit to the version with the date unused", n)
	}
	eval[bool](e, `(document.getElementById("connect").focus(), true)`)
	e.run(chromedp.KeyEvent("\r"))
	e.waitJS(`document.getElementById("conn-state").dataset.state === "connected"`, "connected")
	e.waitJS(`document.activeElement !== document.body`, "focus to move on after connecting")
}

// TestSentNumbersCut (workspace defect 14): the Sent list's numbers were cut
// off above 99.
func TestSentNumbersCut(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	e.connected("")
	e.set("pub-qos", "0")
	eval[bool](e, `(() => { for (let i = 0; i < 101; i++) document.getElementById("publish").click(); return true })()`)
	e.waitJS(`document.querySelectorAll("#pub-history li").length === 101`, "101 entries")
	got := eval[string](e, `(() => {
		const n = document.querySelector("#pub-history li .h-n");
		if (!n) return "no number";
		const list = document.getElementById("pub-history").getBoundingClientRect();
		const r = n.getBoundingClientRect();
		return n.textContent + (r.left >= list.left && n.scrollWidth <= n.clientWidth + 1 ? " fits" : " cut");
	})()`)
	if got != "101 fits" {
		t.Errorf("first entry's number: %q", got)
	}
}

// TestFaviconRequested (workspace defect 15): every load asked for
// /favicon.ico at the origin's root. The page links its own icon,
// relatively.
func TestFaviconRequested(t *testing.T) {
	e := newEnv(t, server.Config{})
	var mu sync.Mutex
	var paths []string
	h := e.http.Config.Handler
	e.http.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		h.ServeHTTP(w, r)
	})
	e.open("/")
	seen := func() (icon, ico bool) {
		mu.Lock()
		defer mu.Unlock()
		return slices.Contains(paths, "/icon.svg"), slices.Contains(paths, "/favicon.ico")
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if icon, ico := seen(); icon || ico {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	icon, ico := seen()
	if ico || !icon {
		t.Errorf("icon requested: %v; /favicon.ico requested: %v (paths %q)", icon, ico, paths)
	}
	if href := eval[string](e, `document.querySelector("link[rel=icon]")?.getAttribute("href") || ""`); strings.HasPrefix(href, "/") || href == "" {
		t.Errorf("icon link %q is not relative", href)
	}
}

// TestFilterPlaceholderCut: at 1280 px the message filter's placeholder
// was cut off; it fits, in both languages (and at 390 px).
func TestFilterPlaceholderCut(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	for _, width := range []int64{1280, 390} {
		e.run(chromedp.EmulateViewport(width, 900))
		if width < 900 {
			e.click("view-see") // the messages' tab
		}
		for _, lang := range []string{"en", "zh"} {
			e.setLang(lang)
			// The placeholder's width in the field's font, against the room
			// the field gives its text.
			got := eval[[]float64](e, `(() => {
				const i = document.getElementById("msg-filter");
				const cs = getComputedStyle(i);
				const c = document.createElement("canvas").getContext("2d");
				c.font = cs.font;
				const room = i.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
				return [c.measureText(i.placeholder).width, room];
			})()`)
			if got[0] > got[1] {
				t.Errorf("%d px, %s: the placeholder needs %.0f px, the field gives %.0f", width, lang, got[0], got[1])
			}
		}
	}
}
