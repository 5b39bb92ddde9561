package e2e

// The page as one HTML file (issue 15): written as `make single` writes it,
// opened from file:// with no server, no request but the broker's WebSocket.

import (
	"bytes"
	"context"
	"fmt"
	"net"
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

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/onenet-wasm/onenet-wasm/broker"
	"github.com/onenet-wasm/onenet-wasm/internal/singlepage"
	"github.com/onenet-wasm/onenet-wasm/token"
)

// singleFile writes the single file from web/ into a temporary folder, as
// `make single` does, and returns its file:// URL.
func singleFile(t *testing.T) (string, singlepage.Result) {
	t.Helper()
	res, err := singlepage.Build(singlepage.Options{From: webDir(t)})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "onenet-tool.html")
	if err := os.WriteFile(p, res.HTML, 0o644); err != nil {
		t.Fatal(err)
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String(), res
}

// startMosquitto runs Debian's Mosquitto with a WebSocket listener on
// 127.0.0.1 (and the TCP listener Mosquitto 2 needs); it returns the ws://
// URL.
func startMosquitto(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		for _, p := range []string{"/usr/sbin/mosquitto", "/usr/bin/mosquitto"} {
			if _, err := os.Stat(p); err == nil {
				bin = p
			}
		}
	}
	if bin == "" {
		t.Fatal("mosquitto not found: install Debian's mosquitto package (make deps)")
	}
	free := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}
	wsAddr, tcpAddr := free(), free()
	_, wsPort, _ := net.SplitHostPort(wsAddr)
	_, tcpPort, _ := net.SplitHostPort(tcpAddr)
	conf := filepath.Join(t.TempDir(), "mosquitto.conf")
	cfg := fmt.Sprintf("per_listener_settings false\nallow_anonymous true\npersistence false\nlog_dest stderr\n"+
		"listener %s 127.0.0.1\nlistener %s 127.0.0.1\nprotocol websockets\nsocket_domain ipv4\n", tcpPort, wsPort)
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cmd := exec.Command(bin, "-c", conf)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("mosquitto log:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", wsAddr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mosquitto did not listen on %s: %v\n%s", wsAddr, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "ws://" + wsAddr + "/mqtt"
}

// watchSingle is evaluated before the page's own scripts: it records when
// the token generator first works (the page marks itself ready "core" after
// computing the first token) and whether the MQTT module had started to be
// unpacked by then, and the CSP violations.
const watchSingle = `(() => {
  const w = (window.__single = { violations: [] });
  document.addEventListener("securitypolicyviolation", (e) => w.violations.push(e.violatedDirective + " " + e.blockedURI));
  new MutationObserver(() => {
    if (w.allAt === undefined && document.body && document.body.dataset.ready === "all") w.allAt = performance.now();
    if (w.coreAt === undefined && document.body && document.body.dataset.ready === "core") {
      w.coreAt = performance.now();
      w.unpackedAtCore = (globalThis.onenetEmbedded.unpacked || []).slice();
      try {
        w.tokenAtCore = globalThis.onenet.token({ resKind: "device", productId: "469948", deviceName: "Chic_D", key: "rs2FaE5BuygJZkWKDA5okKt1RFpwOx53hbu6hwyCS4U=", method: "sha1", et: 2000000000 });
      } catch (e) {
        w.tokenAtCore = "error: " + e.message;
      }
      // Topics are in the MQTT module: before it has started, a clear error.
      try {
        w.topicAtCore = "value: " + globalThis.onenet.topic("dp/post/json", { productId: "469948", deviceName: "Chic_D" });
      } catch (e) {
        w.topicAtCore = "error " + e.code + ": " + e.message;
      }
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-ready"] });
})()`

// TestSingleFile: the single file from file://: tokens equal token.Generate
// before the MQTT module is unpacked and the published vectors literally,
// the page shows its version, decode/verify and payload checks
// work, the local features say how to get them, the sample thing model is
// in the file, a publish through
// Mosquitto's WebSocket listener comes back, the only request is that
// WebSocket, and the CSP blocks an injected inline script.
func TestSingleFile(t *testing.T) {
	fileURL, res := singleFile(t)
	mqURL := startMosquitto(t)
	e := newBrowserEnv(t)

	var mu sync.Mutex
	var requests, sockets []string
	if err := chromedp.Listen(e.ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			requests = append(requests, ev.Request.URL)
		case *network.EventWebSocketCreated:
			sockets = append(sockets, ev.URL)
		}
	}); err != nil {
		t.Fatal(err)
	}
	e.run(func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return chromedp.Void{}, err
		}
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: watchSingle})
		return chromedp.Void{}, err
	})
	e.run(chromedp.Navigate(fileURL))
	e.waitJS(`document.body.dataset.ready === "all"`, "the single file to load both wasm modules")

	coreAt := eval[float64](e, `window.__single.coreAt`)
	allAt := eval[float64](e, `window.__single.allAt`)
	unpacked := eval[[]string](e, `window.__single.unpackedAtCore`)
	want, err := token.Generate(token.Params{Res: "products/" + productID + "/devices/" + deviceName, Key: deviceKey, Method: "sha1", ET: 2000000000})
	if err != nil {
		t.Fatal(err)
	}
	if tok := eval[string](e, `window.__single.tokenAtCore`); tok != want {
		t.Errorf("token when the page said the token generator works: %q, want %q", tok, want)
	}
	if !slices.Contains(unpacked, "core.wasm") {
		t.Errorf("unpacked when the token generator worked: %q, want core.wasm among them", unpacked)
	}
	for _, f := range unpacked {
		if f != "core.wasm" {
			t.Errorf("%s was unpacked before the token generator worked (unpacked: %q)", f, unpacked)
		}
	}
	if got := eval[string](e, `window.__single.topicAtCore`); !strings.HasPrefix(got, "error loading: ") || !strings.Contains(got, "mqttReady") {
		t.Errorf("onenet.topic before the MQTT module started: %q, want an error with code loading that says to await onenet.mqttReady", got)
	}
	if got := eval[string](e, `onenet.topic("dp/post/json", { productId: "469948", deviceName: "Chic_D" })`); got != "$sys/469948/Chic_D/dp/post/json" {
		t.Errorf("onenet.topic once the MQTT module started: %q", got)
	}
	t.Logf("single file: %.2f MB; token generator working %.0f ms after navigation, MQTT module %.0f ms (Chromium, headless, shared machine)", float64(len(res.HTML))/1e6, coreAt, allAt)

	e.checkTokens()
	e.checkPublishedVectors()
	e.checkVersion()
	// Decode and verify the last token against its key.
	e.fillToken("device", productID, deviceName, deviceKey, "sha1", 2000000000)
	e.set("decode-in", e.value("token-out"))
	if !eval[bool](e, `!!document.querySelector("#decode-out dd.ok")`) {
		t.Errorf("decode/verify: %q", e.text("decode-out"))
	}
	// A payload check.
	e.set("pub-kind", "dp/post/json")
	e.click("tab-raw")
	e.set("payload", `{"id":1,"dp":{"t":[{"v":1,}]}}`)
	if msg := e.text("payload-err"); msg == "" {
		t.Error("an invalid payload gives no message")
	}
	// The payload editor is in the file too, styled under its policy (the
	// violations are counted below), and marks the error.
	e.waitJS(`document.getElementById("raw").dataset.editor === "ready"`, "the payload editor in the single file")
	e.waitJS(`!!`+editorRoot+`.querySelector(".cm-lintRange-error")`, "the error marked in the editor")
	if !eval[bool](e, `getComputedStyle(`+editorRoot+`.querySelector(".cm-gutters")).display === "flex"`) {
		t.Error("the editor's own styles are not applied in the single file")
	}
	e.checkNoLocal()

	// The sample thing model is in the file: "Use the sample" builds the
	// forms without a request.
	if len(res.Data) != 1 || res.Data[0].Name != "thingmodel-sample.json" {
		t.Errorf("data files embedded: %+v, want the sample thing model", res.Data)
	}
	e.click("tm-sample")
	e.waitJS(`!document.getElementById("tm-forms").hidden && document.querySelectorAll("#tm-card tbody tr").length === 7`, "the forms of the sample thing model in the single file")
	if s := e.text("tm-err"); s != "" {
		t.Errorf("the sample thing model: %q", s)
	}

	// MQTT through Mosquitto's WebSocket listener: what the page publishes
	// comes back on its own subscription.
	e.check("input[name=target][value=url]", true)
	e.set("url", mqURL)
	e.check("#cred-auto", true)
	e.click("connect")
	e.waitJS(`document.getElementById("conn-state").dataset.state === "connected"`, "the connection to Mosquitto")
	topic := "$sys/" + productID + "/" + deviceName + "/dp/post/json"
	e.set("sub-filter", topic)
	e.click("subscribe")
	e.waitJS(`document.querySelectorAll("#subs li").length === 1`, "the subscription")
	e.set("payload", `{"id":7,"dp":{"single":[{"v":42}]}}`)
	e.click("publish")
	e.waitJS(`[...document.querySelectorAll("#msg-list .msg")].some(m => m.textContent.includes('"single"'))`, "the publish to come back from Mosquitto")
	e.click("disconnect")
	e.waitJS(`document.getElementById("conn-state").dataset.state === "closed"`, "the disconnection")

	// The local broker, when it accepts the origin "null" of a page opened
	// from disk (onenet-web -allow-origin null): the datapoint is stored and
	// answered on /accepted.
	b, err := broker.New(broker.Options{Registry: testRegistry(), Limits: broker.RateLimits{Disabled: true}, WebSocketOrigins: []string{"null"}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(b.WebSocketHandler())
	defer func() {
		b.Close()
		hs.Close()
	}()
	e.set("sub-filter", "")
	e.click("msg-clear")
	e.connectURL(b, "ws://"+strings.TrimPrefix(hs.URL, "http://")+"/mqtt")

	// An injected inline script does not run, and the policy says so.
	eval[bool](e, `(() => { const s = document.createElement("script"); s.textContent = "window.__injected = true"; document.body.append(s); return true })()`)
	e.waitJS(`window.__single.violations.some(v => v.startsWith("script-src"))`, "the CSP violation report of the injected script")
	if eval[bool](e, `window.__injected === true`) {
		t.Error("an injected inline script ran")
	}
	if v := eval[[]string](e, `window.__single.violations`); len(v) != 1 {
		t.Errorf("CSP violations %q, want only the injected script's", v)
	}

	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(requests, fileURL) {
		t.Errorf("the network log %q lacks the file itself: requests are not being recorded", requests)
	}
	for _, r := range requests {
		if r != fileURL && !strings.HasPrefix(r, "data:") {
			t.Errorf("request to %s: the single file must make none but the broker's WebSocket", r)
		}
	}
	if len(sockets) != 2 || sockets[0] != mqURL || !strings.HasPrefix(sockets[1], "ws://127.0.0.1:") {
		t.Errorf("WebSockets %q, want only Mosquitto's (%s) and the local broker's", sockets, mqURL)
	}
}
