package e2e

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/onenet-wasm/onenet-wasm/bridge"
	"github.com/onenet-wasm/onenet-wasm/broker"
	"github.com/onenet-wasm/onenet-wasm/server"
)

// netLog is what the browser sent and received, from the DevTools
// protocol's Network domain.
type netLog struct {
	mu       sync.Mutex
	urls     []string // requests and WebSocket URLs
	headers  []string // "name: value" of requests and WebSocket handshakes
	bodies   [][]byte // request bodies
	sent     [][]byte // WebSocket frames sent
	received [][]byte // WebSocket frames received
	posts    []network.RequestID
}

// recordNetwork enables the Network domain and records its events.
func (e *env) recordNetwork() *netLog {
	e.t.Helper()
	l := &netLog{}
	if err := chromedp.Listen(e.ctx, func(ev any) {
		l.mu.Lock()
		defer l.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			r := ev.Request
			l.urls = append(l.urls, r.URL+r.URLFragment)
			for k, v := range r.Headers {
				l.headers = append(l.headers, fmt.Sprintf("%s: %v", k, v))
			}
			for _, p := range r.PostDataEntries {
				l.bodies = append(l.bodies, p.Bytes)
			}
			if r.HasPostData && len(r.PostDataEntries) == 0 {
				l.posts = append(l.posts, ev.RequestID)
			}
		case *network.EventWebSocketCreated:
			l.urls = append(l.urls, ev.URL)
		case *network.EventWebSocketWillSendHandshakeRequest:
			for k, v := range ev.Request.Headers {
				l.headers = append(l.headers, fmt.Sprintf("%s: %v", k, v))
			}
		case *network.EventWebSocketFrameSent:
			l.sent = append(l.sent, ev.Response.PayloadData)
		case *network.EventWebSocketFrameReceived:
			l.received = append(l.received, ev.Response.PayloadData)
		}
	}); err != nil {
		e.t.Fatal(err)
	}
	e.run(func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{})
		return chromedp.Void{}, err
	})
	return l
}

// all returns every recorded string and byte slice, labelled.
func (l *netLog) all() map[string][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string][]byte{}
	add := func(kind string, items [][]byte) {
		for i, b := range items {
			out[fmt.Sprintf("%s #%d", kind, i)] = b
		}
	}
	for i, u := range l.urls {
		out[fmt.Sprintf("URL #%d", i)] = []byte(u)
	}
	for i, h := range l.headers {
		out[fmt.Sprintf("header #%d", i)] = []byte(h)
	}
	add("request body", l.bodies)
	add("frame sent", l.sent)
	add("frame received", l.received)
	return out
}

// secretForms are the ways a base64 access key could appear on the wire:
// as typed, URL- and percent-encoded, re-encoded, JSON-escaped, decoded.
func secretForms(t *testing.T, key string) map[string][]byte {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(key)
	if err != nil {
		t.Fatal(err)
	}
	var pctUpper, pctLower strings.Builder
	for _, c := range []byte(key) {
		fmt.Fprintf(&pctUpper, "%%%02X", c)
		fmt.Fprintf(&pctLower, "%%%02x", c)
	}
	return map[string][]byte{
		"base64":                 []byte(key),
		"query-escaped":          []byte(url.QueryEscape(key)),
		"path-escaped":           []byte(url.PathEscape(key)),
		"double-escaped":         []byte(strings.ReplaceAll(url.QueryEscape(key), "%", "%25")),
		"percent (upper)":        []byte(pctUpper.String()),
		"percent (lower)":        []byte(pctLower.String()),
		"JSON-escaped":           []byte(strings.ReplaceAll(key, "/", `\/`)),
		"base64 without padding": []byte(base64.RawStdEncoding.EncodeToString(raw)),
		"URL-safe base64":        []byte(base64.RawURLEncoding.EncodeToString(raw)),
		"hex":                    []byte(hex.EncodeToString(raw)),
		"decoded bytes":          raw,
	}
}

// findSecrets reports every haystack holding a form of a secret.
func findSecrets(t *testing.T, where string, haystacks map[string][]byte, secrets map[string]string) {
	t.Helper()
	for name, key := range secrets {
		for form, needle := range secretForms(t, key) {
			for label, hay := range haystacks {
				if strings.Contains(strings.ToLower(string(hay)), strings.ToLower(string(needle))) && (form != "decoded bytes" || strings.Contains(string(hay), string(needle))) {
					t.Errorf("%s: %s holds the %s (%s): %.200q", where, label, name, form, hay)
				}
			}
		}
	}
}

const (
	dpMarker   = "dpMarker7f3a"
	cmdMarker  = "cmdMarker91c2"
	respMarker = "respMarker4411"
)

// TestAccessKeyNeverLeavesTheBrowser runs the whole flow — token, decode,
// connect to the local broker, subscribe, publish, the platform panel (an
// API token computed from the product key), a command and its answer, a
// connection through the relay — and checks the browser's network log: no
// URL, header, request body or WebSocket frame carries the device key or
// the product key in any form, and every request goes to the page's own
// origin. Then the server's log: no key, token, sign or payload. Then the
// browser's storage: no key unless "remember" is ticked, and then only the
// device key in its own entry.
func TestAccessKeyNeverLeavesTheBrowser(t *testing.T) {
	targetLogs := &logBuffer{}
	target, err := broker.New(broker.Options{Registry: testRegistry(), Limits: broker.RateLimits{Disabled: true}, Logf: targetLogs.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	taddr, err := target.ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, server.Config{BridgeTargets: []bridge.Target{{Addr: taddr.String()}}})
	net := e.recordNetwork()
	e.open("/")
	e.recordTokens()

	// Token panel, and the decoder checking a pasted token with the key.
	e.fillToken("device", productID, deviceName, deviceKey, "sha256", 2000000000)
	e.set("decode-in", e.value("token-out"))
	e.waitJS(`document.getElementById("decode-out").textContent.includes("2000000000")`, "the decoded token")

	// Local broker: connect, subscribe to everything, publish a datapoint.
	e.connectLocal(deviceKey)
	e.waitJS(fmt.Sprintf(stateIs, "connected"), "connected")
	e.set("sub-preset", "#")
	e.click("subscribe")
	e.waitJS(`document.querySelectorAll("#subs li").length === 1`, "the subscription")
	e.set("pub-kind", "dp/post/json")
	e.click("tab-builder")
	eval[bool](e, fmt.Sprintf(`(() => { const v = document.querySelector("#dp-rows .dp-value"); v.value = %q; v.dispatchEvent(new Event("input", {bubbles: true})); return true })()`, dpMarker))
	e.click("publish")
	e.waitJS(acceptedPubs+` >= 1`, "the publish to be accepted")

	// Platform panel: the product key makes an API token in the page.
	e.set("plat-key", productKey)
	e.click("plat-refresh")
	e.waitJS(`document.querySelectorAll("#plat-charts figure").length >= 1`, "the stored datapoints")
	e.set("plat-cmd", `{"`+cmdMarker+`":1}`)
	e.click("plat-send")
	e.waitJS(`[...document.querySelectorAll("#msg-list .msg")].some(m => m.textContent.includes("/cmd/request/"))`, "the command to reach the page")
	e.waitJS(`document.getElementById("pub-kind").value === "cmd/response/{cmdid}" && document.getElementById("pub-arg").value !== ""`, "the response template")
	e.click("tab-raw")
	e.set("payload", respMarker)
	e.click("publish")
	e.waitJS(fmt.Sprintf(`document.getElementById("plat-out").textContent.includes(%q)`, respMarker), "the response at the platform panel")
	e.click("disconnect")
	e.waitJS(fmt.Sprintf(stateIs, "closed"), "disconnected")

	// Through the relay to a plain MQTT broker.
	e.check("input[name=target][value=url]", true)
	e.set("url", "ws"+strings.TrimPrefix(e.http.URL, "http")+"/bridge?target="+taddr.String())
	e.click("connect")
	e.waitJS(fmt.Sprintf(stateIs, "connected"), "connected through the relay")
	e.click("disconnect")
	e.waitJS(fmt.Sprintf(stateIs, "closed"), "disconnected from the relay")

	// The network log.
	secrets := map[string]string{"device key": deviceKey, "product key": productKey}
	log := net.all()
	findSecrets(t, "network", log, secrets)
	// It must have caught what it is meant to inspect, or the check above
	// proves nothing.
	var sawLogin, sawAuth, sawBody bool
	for label, b := range log {
		s := string(b)
		sawLogin = sawLogin || strings.HasPrefix(label, "frame sent") && strings.Contains(s, "version=2018-10-31&res=products%2F"+productID+"%2Fdevices%2F"+deviceName)
		sawAuth = sawAuth || strings.HasPrefix(strings.ToLower(s), "authorization: version=")
		sawBody = sawBody || strings.HasPrefix(label, "request body") && strings.Contains(s, cmdMarker)
	}
	if !sawLogin || !sawAuth || !sawBody {
		t.Errorf("the network log is incomplete: a CONNECT frame with the token %v, an authorization header %v, the command's body %v (%d entries)", sawLogin, sawAuth, sawBody, len(log))
	}
	// Same origin only: the page, its wasm, local.json, /api/, /mqtt, /bridge.
	host := strings.TrimPrefix(e.http.URL, "http://")
	for label, b := range log {
		if !strings.HasPrefix(label, "URL") {
			continue
		}
		u, err := url.Parse(string(b))
		if err != nil || (u.Host != host && u.Scheme != "data" && u.Scheme != "blob") {
			t.Errorf("a request to another origin: %s", b)
		}
	}

	// The server's log (and the relay target's): no key, no token, no
	// payload.
	tokens := e.tokens()
	if len(tokens) < 3 {
		t.Fatalf("only %d tokens recorded", len(tokens))
	}
	logs := map[string][]byte{"server log": []byte(e.logs.String()), "relay target's log": []byte(targetLogs.String())}
	findSecrets(t, "logs", logs, secrets)
	for label, l := range logs {
		for _, bad := range append([]string{"sign=", "version=2018", "et=", dpMarker, cmdMarker, respMarker}, tokens...) {
			if strings.Contains(string(l), bad) {
				t.Errorf("%s holds %.60q:\n%s", label, bad, l)
			}
		}
	}

	// Storage: the key is not kept without "remember".
	store := e.storage()
	findSecrets(t, "storage without remember", map[string][]byte{"storage": []byte(store)}, secrets)
	// With it: the device key, in its own entry only; never the product key.
	e.set("key-store", "plain")
	e.open("/")
	var st struct {
		Local map[string]string `json:"local"`
	}
	store = e.storage()
	if err := json.Unmarshal([]byte(store), &st); err != nil {
		t.Fatal(err)
	}
	if st.Local["onenet-tool:key"] != deviceKey {
		t.Errorf("with remember, the key entry is %q", st.Local["onenet-tool:key"])
	}
	delete(st.Local, "onenet-tool:key")
	rest, _ := json.Marshal(st.Local)
	findSecrets(t, "storage with remember", map[string][]byte{"other entries": rest, "all": []byte(store)}, map[string]string{"product key": productKey})
	findSecrets(t, "storage with remember", map[string][]byte{"other entries": rest}, map[string]string{"device key": deviceKey})
}

// storage returns the page's localStorage, sessionStorage, cookies,
// IndexedDB databases and Cache Storage (request URLs) as JSON.
func (e *env) storage() string {
	e.t.Helper()
	return eval[string](e, `(async () => {
		const dump = (s) => Object.fromEntries(Object.keys(s).map((k) => [k, s.getItem(k)]));
		const out = { local: dump(localStorage), session: dump(sessionStorage), cookies: document.cookie, idb: [], caches: {} };
		if (indexedDB.databases) out.idb = (await indexedDB.databases()).map((d) => d.name);
		if (typeof caches !== "undefined") {
			for (const n of await caches.keys()) out.caches[n] = (await (await caches.open(n)).keys()).map((r) => r.url);
		}
		return JSON.stringify(out);
	})()`)
}

// TestContentSecurityPolicy: the page is served with a policy that blocks
// inline script (a <script> element and an inline event handler injected
// into the page do not run, and the browser reports the violation) and
// requests to other origins (fetch, image, script: the other origin, a
// second local server, is never reached).
func TestContentSecurityPolicy(t *testing.T) {
	var hits atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Access-Control-Allow-Origin", "*")
		fmt.Fprint(w, "window.__otherRan = true")
	}))
	defer other.Close()

	e := newEnv(t, server.Config{})
	resp, err := http.Get(e.http.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); csp != server.ContentSecurityPolicy || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("CSP %q", csp)
	}
	e.open("/")
	got := eval[string](e, fmt.Sprintf(`(async () => {
		const violations = [];
		document.addEventListener("securitypolicyviolation", (ev) => violations.push(ev.violatedDirective + " " + (ev.blockedURI || "inline")));
		const s = document.createElement("script");
		s.textContent = "window.__inlineRan = true";
		document.head.append(s);
		const img = document.createElement("img");
		img.setAttribute("onerror", "window.__handlerRan = true");
		img.src = "no-such-image.png";
		document.body.append(img);
		let fetched = "blocked";
		try { await fetch(%[1]q + "/fetch"); fetched = "loaded"; } catch {}
		const other = document.createElement("img");
		other.src = %[1]q + "/image.png";
		document.body.append(other);
		const ext = document.createElement("script");
		ext.src = %[1]q + "/script.js";
		document.head.append(ext);
		await new Promise((r) => setTimeout(r, 1000));
		return JSON.stringify({ inline: !!window.__inlineRan, handler: !!window.__handlerRan, other: !!window.__otherRan, fetched, violations });
	})()`, other.URL))
	var r struct {
		Inline, Handler, Other bool
		Fetched                string
		Violations             []string
	}
	if err := json.Unmarshal([]byte(got), &r); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", got)
	if r.Inline || r.Handler || r.Other || r.Fetched != "blocked" {
		t.Errorf("the policy let through: inline script %v, inline handler %v, other origin's script %v, fetch %s", r.Inline, r.Handler, r.Other, r.Fetched)
	}
	want := map[string]bool{"script-src-elem inline": false, "script-src-attr inline": false, "connect-src": false, "img-src": false, "script-src-elem " + other.URL: false}
	for _, v := range r.Violations {
		for w := range want {
			if strings.HasPrefix(v, w) {
				want[w] = true
			}
		}
	}
	for w, seen := range want {
		if !seen {
			t.Errorf("no violation reported for %s; reported: %q", w, r.Violations)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the other origin was reached %d times", n)
	}
	// The page still works after the blocked attempts.
	e.fillToken("device", productID, deviceName, deviceKey, "sha1", 2000000000)
	if e.value("token-out") == "" {
		t.Error("no token after the blocked attempts")
	}
}
