package e2e

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/onenet-wasm/onenet-wasm/onenet"
	"github.com/onenet-wasm/onenet-wasm/server"
	"github.com/onenet-wasm/onenet-wasm/token"
)

// The seed document's datapoint payload: trailing commas, not valid JSON.
const seedPayload = `{
    "id": 123,        
    "dp": {             
        "temperatrue": [{     
            "v": 30,
        }],
        "power": [{     
            "v": 4.5,        
        }]
    }
}`

// fillToken fills the token panel for a device and an absolute expiry.
func (e *env) fillToken(kind, pid, dev, key, method string, et int64) {
	e.t.Helper()
	e.set("resKind", kind)
	e.set("productId", pid)
	e.set("deviceName", dev)
	e.set("key", key)
	e.set("method", method)
	e.check("input[name=etMode][value=unix]", true)
	e.set("etUnix", fmt.Sprint(et))
}

// TestCoreCompiledEarly: the page takes the core.wasm that onenet/early.js
// started compiling before the modules had loaded, fetched once, and the
// tokens work from it.
func TestCoreCompiledEarly(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	if n := eval[int](e, `performance.getEntriesByName("onenet:core.wasm:early").length`); n != 1 {
		t.Errorf("the early compiled core.wasm was taken %d times, want once", n)
	}
	if n := eval[int](e, `performance.getEntriesByType("resource").filter((r) => new URL(r.name).pathname === "/core.wasm").length`); n != 1 {
		t.Errorf("core.wasm was fetched %d times, want once", n)
	}
	e.fillToken("device", "469948", "Chic_D", deviceKey, "sha1", 1673053248)
	want, err := token.Generate(token.Params{Res: "products/469948/devices/Chic_D", Key: deviceKey, Method: "sha1", ET: 1673053248})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.value("token-out"); got != want {
		t.Errorf("token = %q, want %q", got, want)
	}
}

// TestLocalProductProposed: the local server's first product and device
// fill the empty token panel once local.json has arrived (after the panel
// works: it does not wait for that answer), and a fresh page shows no
// other product. Fields already filled are left alone (TestPlatformDemoKey,
// TestReloadKeepsFieldsForgetsKey).
func TestLocalProductProposed(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	if got := []string{e.value("productId"), e.value("deviceName")}; got[0] != productID || got[1] != deviceName {
		t.Errorf("product and device %q, want the local server's %q, %q", got, productID, deviceName)
	}
	e.set("key", deviceKey)
	if got := e.value("token-out"); !strings.Contains(got, "res=products%2F"+productID+"%2Fdevices%2F"+deviceName) {
		t.Errorf("the token %q is not for the proposed device", got)
	}
}

func TestTokenMatchesGo(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	for _, tc := range []struct {
		kind, pid, dev, key, method string
		et                          int64
	}{
		{"device", "469948", "Chic_D", deviceKey, "sha1", 1673053248}, // the seed's example password
		{"device", "Ck2AF9QD2K", "test", otherKey, "md5", 32472115200},
		{"device", "Ck2AF9QD2K", "test", otherKey, "sha256", 32472115200},
		{"device", "469948", "温度 sensor~1", deviceKey, "sha256", 2000000000},
		{"product", "469948", "", productKey, "sha1", 1700000000},
	} {
		e.fillToken(tc.kind, tc.pid, tc.dev, tc.key, tc.method, tc.et)
		res, err := token.Resource(tc.pid, tc.dev)
		if err != nil {
			t.Fatal(err)
		}
		want, err := token.Generate(token.Params{Res: res, Key: tc.key, Method: tc.method, ET: tc.et})
		if err != nil {
			t.Fatal(err)
		}
		if got := e.value("token-out"); got != want {
			t.Errorf("%+v: page token\n %s\nwant\n %s\nmessages: %s", tc, got, want, e.text("token-msgs"))
		}
	}
	// The seed's expiry has passed: the page still shows the token and warns.
	e.fillToken("device", "469948", "Chic_D", deviceKey, "sha1", 1673053248)
	if msgs := e.text("token-msgs"); !strings.Contains(msgs, "1104") {
		t.Errorf("past expiry: messages %q do not warn of OneNET's expired reason (1104)", msgs)
	}
	// A millisecond expiry is refused with a message naming the problem.
	e.set("etUnix", "1700000000000")
	if msgs := e.text("token-msgs"); !strings.Contains(msgs, "milliseconds") || e.value("token-out") != "" {
		t.Errorf("millisecond et: token %q, messages %q", e.value("token-out"), msgs)
	}
	// A key that is not base64 marks the key field.
	e.set("etUnix", "2000000000")
	e.set("key", "not*base64")
	if inv := eval[string](e, `document.getElementById("key").getAttribute("aria-invalid") || ""`); inv != "true" {
		t.Errorf("bad key: key field not marked invalid; messages %q", e.text("token-msgs"))
	}
}

func TestSeedPayloadError(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	e.fillToken("device", productID, deviceName, deviceKey, "sha1", 2000000000)
	e.set("pub-kind", "dp/post/json")
	e.click("tab-raw")
	e.set("payload", seedPayload)
	got := e.text("payload-err")
	// The Go checker and the page must agree, and point at line 5, the
	// comma after "v": 30.
	err := onenet.CheckJSON([]byte(seedPayload))
	var se *onenet.SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("CheckJSON(seed) = %v, want a *onenet.SyntaxError", err)
	}
	line, col := se.Line, se.Column
	if line != 5 {
		t.Errorf("Go reports line %d, want 5", line)
	}
	want := fmt.Sprintf("Line %d, column %d", line, col)
	if !strings.Contains(got, want) {
		t.Errorf("payload error %q does not contain %q", got, want)
	}
	if inv := eval[string](e, `document.getElementById("payload").getAttribute("aria-invalid") || ""`); inv != "true" {
		t.Error("the payload editor is not marked invalid")
	}
}

// connect fills the token panel for the test device and connects to the
// local broker.
func (e *env) connectLocal(key string) {
	e.t.Helper()
	e.set("resKind", "device")
	e.set("productId", productID)
	e.set("deviceName", deviceName)
	e.set("key", key)
	e.check("input[name=etMode][value=ttl]", true)
	e.check("input[name=target][value=local]", true)
	e.check("#cred-auto", true)
	e.click("connect")
}

func TestPublishAcceptedAndLinked(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	e.connectLocal(deviceKey)
	e.waitJS(`document.getElementById("conn-state").dataset.state === "connected"`, "connected")
	e.set("sub-preset", "dp/post/json/+")
	if f := e.value("sub-filter"); f != "$sys/469948/Chic_D/dp/post/json/+" {
		t.Fatalf("preset filter = %q", f)
	}
	e.click("subscribe")
	e.waitJS(`document.querySelectorAll("#subs li").length === 1`, "the subscription to be listed")
	if s := e.text("subs"); !strings.Contains(s, "granted QoS 0") { // OneNET grants QoS 0 at most (docs/PROTOCOL.md §4.7)
		t.Errorf("subscription shows %q, want granted QoS 0", s)
	}
	e.set("pub-kind", "dp/post/json")
	e.click("tab-builder")
	e.click("publish")
	e.waitJS(`[...document.querySelectorAll("#pub-history li")].some(li => li.classList.contains("accepted"))`, "the publish to be marked accepted")
	e.waitJS(`[...document.querySelectorAll("#msg-list .msg")].some(m => m.textContent.includes("/dp/post/json/accepted") && m.classList.contains("accepted"))`, "the /accepted reply in the log, linked")
	hist := e.text("pub-history")
	if !strings.Contains(hist, "id 1") || !strings.Contains(hist, "acknowledged") {
		t.Errorf("history = %q", hist)
	}
	// The broker stored the datapoints.
	pts := e.srv.Broker().Datapoints(productID, deviceName)
	if len(pts["temperature"]) != 1 {
		t.Errorf("broker stored %v, want one temperature point", pts)
	}
}

func TestPlatformChart(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	e.connectLocal(deviceKey)
	e.waitJS(`document.getElementById("conn-state").dataset.state === "connected"`, "connected")
	e.set("pub-kind", "dp/post/json")
	e.click("tab-builder")
	for i := 0; i < 3; i++ {
		e.click("publish")
		e.waitJS(fmt.Sprintf(`document.querySelectorAll("#pub-history li.acked, #pub-history li.accepted").length >= %d`, i+1), "the publish to be acknowledged")
	}
	// Without the product key the API refuses, and the page says why.
	e.click("plat-refresh")
	e.waitJS(`document.getElementById("plat-err").textContent !== ""`, "the missing product key to be explained")
	e.set("plat-key", productKey)
	e.click("plat-refresh")
	e.waitJS(`document.querySelectorAll("#plat-charts canvas").length >= 2`, "a chart per numeric datastream")
	caps := e.text("plat-charts")
	if !strings.Contains(caps, "temperature") || !strings.Contains(caps, "3 points") {
		t.Errorf("charts caption %q", caps)
	}
}

func TestWrongKeyRefused(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	e.connectLocal(otherKey)
	e.waitJS(`document.getElementById("conn-msgs").textContent.includes("CONNACK 4")`, "the refused login")
	msg := e.text("conn-msgs")
	// MQTT 3.1.1 gives the page only the code; the reason is the server's.
	for _, want := range []string{"CONNACK 4", "access key"} {
		if !strings.Contains(msg, want) {
			t.Errorf("refused login message %q lacks %q", msg, want)
		}
	}
	if st := eval[string](e, `document.getElementById("conn-state").dataset.state`); st != "closed" {
		t.Errorf("state after refusal = %q, want closed", st)
	}
	if !strings.Contains(e.logs.String(), "1106") {
		t.Errorf("server log does not give OneNET's reason 1106:\n%s", e.logs.String())
	}
}

func TestCommandRoundTrip(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	e.connectLocal(deviceKey)
	e.waitJS(`document.getElementById("conn-state").dataset.state === "connected"`, "connected")
	e.set("sub-preset", "cmd/request/+")
	e.click("subscribe")
	e.waitJS(`document.querySelectorAll("#subs li").length === 1`, "the subscription")
	e.set("plat-key", productKey)
	e.set("plat-cmd", `{"led":"on"}`)
	e.click("plat-send")
	e.waitJS(`[...document.querySelectorAll("#msg-list .msg")].some(m => m.textContent.includes("/cmd/request/"))`, "the command to reach the page")
	// The page fills the response template with the command's id.
	e.waitJS(`document.getElementById("pub-kind").value === "cmd/response/{cmdid}" && document.getElementById("pub-arg").value !== ""`, "the response template")
	e.click("tab-raw")
	e.set("payload", "led is on")
	e.click("publish")
	e.waitJS(`document.getElementById("plat-out").textContent.includes("led is on")`, "the response at the platform panel")
}

func TestReloadKeepsFieldsForgetsKey(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	e.fillToken("device", "123456", "my-device", deviceKey, "sha256", 2000000000)
	e.set("keepAlive", "120")
	e.open("/")
	for id, want := range map[string]string{"productId": "123456", "deviceName": "my-device", "method": "sha256", "etUnix": "2000000000", "keepAlive": "120", "key": ""} {
		if got := e.value(id); got != want {
			t.Errorf("after reload %s = %q, want %q", id, got, want)
		}
	}
	// With "remember" ticked, the key stays.
	e.set("key", deviceKey)
	e.set("key-store", "plain")
	e.open("/")
	if got := e.value("key"); got != deviceKey {
		t.Errorf("remembered key = %q", got)
	}
}

// TestScreenshot writes docs/screenshot.png, shown by the README, when
// UPDATE_SCREENSHOT=1.
func TestScreenshot(t *testing.T) {
	if os.Getenv("UPDATE_SCREENSHOT") == "" {
		t.Skip("set UPDATE_SCREENSHOT=1 to write docs/screenshot.png")
	}
	e := newEnv(t, server.Config{})
	e.open("/")
	e.connectLocal(deviceKey)
	e.waitJS(`document.getElementById("conn-state").dataset.state === "connected"`, "connected")
	e.set("sub-preset", "#")
	e.click("subscribe")
	e.waitJS(`document.querySelectorAll("#subs li").length === 1`, "the subscription")
	for i := 0; i < 3; i++ {
		e.click("publish")
		time.Sleep(300 * time.Millisecond)
	}
	e.waitJS(`document.querySelectorAll("#msg-list .msg.accepted").length >= 3`, "replies")
	buf, err := chromedp.Run(e.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("..", "docs", "screenshot.png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}
