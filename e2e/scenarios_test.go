package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/onenet-wasm/onenet-wasm/broker"
	"github.com/onenet-wasm/onenet-wasm/server"
)

// TestScenarioPanel: a two-device scenario (docs/SCENARIOS.md) runs from the
// page while the page's own client publishes and subscribes and the page's
// platform panel sends commands (to the page's device and to a simulated
// one) and draws a simulated device's datapoints; the panel shows each
// device's state and counts; stopping stops every device; a bad file is
// refused naming the path, in both languages.
func TestScenarioPanel(t *testing.T) {
	reg := testRegistry()
	reg.Products[0].Devices = append(reg.Products[0].Devices, broker.Device{Name: "sim1"}, broker.Device{Name: "sim2"})
	e := newEnv(t, server.Config{Registry: reg})
	e.open("/")
	e.connectLocal(deviceKey)
	e.waitJS(`document.getElementById("conn-state").dataset.state === "connected"`, "connected")

	// Built from the device of the token panel, without its key.
	e.click("scen-current")
	if s := e.value("scen-text"); !strings.Contains(s, `"product": "`+productID+`"`) || !strings.Contains(s, `"prompt": true`) || strings.Contains(s, deviceKey) {
		t.Errorf("scenario from the current device:\n%s", s)
	}

	// A bad file: the problem named by its path, in English and in Chinese.
	e.set("scen-text", `{"devices":[{"product":"469948","device":"sim1","key":{"value":"x"},"publish":[{"every":-1,"dp":{"t":{"constant":1}}}]}]}`)
	e.click("scen-start")
	e.waitJS(`document.getElementById("scen-err").textContent.includes("devices[0].publish[0].every")`, "the bad file's problem")
	e.setLang("zh")
	e.click("scen-start")
	e.waitJS(`document.getElementById("scen-err").textContent.includes("场景无法运行")`, "the refusal in Chinese")
	e.setLang("en")
	// More devices than a browser has WebSockets for: refused, pointing at onenet-sim.
	e.set("scen-text", fmt.Sprintf(`{"devices":[{"product":%q,"device":"x{n}","count":251,"key":{"value":"x"}}]}`, productID))
	e.click("scen-start")
	e.waitJS(`document.getElementById("scen-err").textContent.includes("at most 250: run bigger scenarios with onenet-sim")`, "the refusal of 251 devices")

	e.set("scen-text", fmt.Sprintf(`{"name":"two","target":"local","devices":[
	  {"product":%q,"device":"sim{n}","count":2,"key":{"value":%q,"scope":"product"},
	   "publish":[{"every":0.5,"dp":{"temp":{"random":{"min":1,"max":9}}}}],
	   "answers":{"command":{"reply":"ok"}}}]}`, productID, productKey))
	e.click("scen-start")
	e.waitJS(`document.body.dataset.scenario === "running"`, "the scenario to start")
	e.waitJS(`[...document.querySelectorAll("#scen-rows tr")].filter(r => r.dataset.state === "online" && +r.children[3].textContent > 0).length === 2`,
		"both simulated devices online with accepted uploads")

	// Meanwhile the page's own client publishes, and the platform sends a
	// simulated device a command, which it answers.
	e.set("sub-preset", "dp/post/json/+")
	e.click("subscribe")
	e.waitJS(`document.querySelectorAll("#subs li").length === 1`, "the page's subscription")
	e.set("pub-kind", "dp/post/json")
	e.click("tab-builder")
	e.click("publish")
	e.waitJS(`[...document.querySelectorAll("#pub-history li")].some(li => li.classList.contains("accepted"))`, "the page's own publish accepted")
	e.waitJS(`[...document.querySelectorAll("#msg-list .msg")].some(m => m.textContent.includes("/dp/post/json/accepted"))`, "the /accepted reply in the message list")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if resp, err := e.srv.Broker().SendCommand(ctx, productID, "sim2", []byte("hi")); err != nil || string(resp) != "ok" {
		t.Errorf("command to sim2: %q, %v", resp, err)
	}
	e.waitJS(`document.querySelector('#scen-rows tr[data-device="469948/sim2"] .request').textContent.match(/^cmd\/request\/[0-9a-f-]+ hi$/)`, "sim2's last request: the command")

	// The page's platform panel, used meanwhile: a command to the page's
	// own device, seen in the message list and echoed back by the page...
	e.set("plat-key", productKey)
	e.set("auto-cmd", "echo")
	e.set("sub-preset", "cmd/request/+")
	e.click("subscribe")
	e.waitJS(`document.querySelectorAll("#subs li").length === 2`, "the page's subscription to its commands")
	e.set("plat-cmd", `{"led":"page"}`)
	e.click("plat-send")
	e.waitJS(`[...document.querySelectorAll("#msg-list .msg")].some(m => m.textContent.includes("/cmd/request/") && m.textContent.includes('{"led":"page"}'))`, "the platform panel's command in the message list")
	e.waitJS(`document.getElementById("plat-out").textContent.includes('{"led":"page"}')`, "the page's echo at the platform panel")
	// ...then, with the token panel's device name set to a simulated one,
	// a command that the simulated device answers, and its datapoints.
	e.set("deviceName", "sim1")
	e.set("plat-cmd", "from the panel")
	e.click("plat-send")
	e.waitJS(`document.getElementById("plat-out").textContent.endsWith(": ok")`, "sim1's answer at the platform panel")
	if s := e.text("plat-err"); s != "" {
		t.Errorf("platform panel: %s", s)
	}
	e.waitJS(`document.querySelector('#scen-rows tr[data-device="469948/sim1"] .request').textContent.endsWith(" from the panel")`, "sim1's last request: the panel's command")
	e.click("plat-refresh")
	e.waitJS(`[...document.querySelectorAll("#plat-charts figure")].some(f => f.textContent.startsWith("temp"))`, "sim1's temp chart")
	e.set("deviceName", deviceName)
	if s := e.text("plat-err"); s != "" {
		t.Errorf("platform panel: %s", s)
	}

	e.click("scen-stop")
	e.waitJS(`document.body.dataset.scenario === "stopped"`, "the scenario to stop")
	e.waitJS(`[...document.querySelectorAll("#scen-rows tr")].every(r => r.dataset.state === "stopped")`, "every device stopped")
	if s := e.text("scen-summary"); !strings.Contains(s, "Stopped after") || !strings.Contains(s, "errors 0") {
		t.Errorf("summary %q", s)
	}
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		online := 0
		for _, st := range e.srv.Broker().Devices(productID) {
			if st.Online && st.Name != deviceName {
				online++
			}
		}
		if online == 0 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("%d simulated devices still online on the broker after Stop", online)
		}
	}
	// The page's own connection is untouched.
	if s := eval[string](e, `document.getElementById("conn-state").dataset.state`); s != "connected" {
		t.Errorf("the page's connection: %s", s)
	}
}

// TestScenarioPanelFiles: a scenario opened with the CSV file it names (one
// choice of two files) replays the file's column from the page.
func TestScenarioPanelFiles(t *testing.T) {
	reg := testRegistry()
	reg.Products[0].Devices = append(reg.Products[0].Devices, broker.Device{Name: "sim1"})
	e := newEnv(t, server.Config{Registry: reg})
	dir := t.TempDir()
	scen := filepath.Join(dir, "replay.json")
	csv := filepath.Join(dir, "power.csv")
	if err := os.WriteFile(scen, []byte(fmt.Sprintf(`{"devices":[{"product":%q,"device":"sim1","key":{"value":%q,"scope":"product"},
	  "publish":[{"every":0.5,"dp":{"w":{"csv":{"file":"power.csv","column":"watts"}}}}]}]}`, productID, productKey)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(csv, []byte("t,watts\n1,7.5\n2,8.25\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.open("/")
	e.waitJS(`document.body.dataset.ready === "all"`, "the MQTT module")
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.SetUploadFiles(chromedp.ID("scen-file"), []string{scen, csv})); err != nil {
		t.Fatal(err)
	}
	e.waitJS(`document.getElementById("scen-files").textContent.includes("power.csv") && document.getElementById("scen-text").value.includes("power.csv")`, "the scenario and its CSV file opened")
	e.click("scen-start")
	e.waitJS(`[...document.querySelectorAll("#scen-rows tr")].some(r => r.dataset.state === "online" && +r.children[3].textContent >= 2)`, "sim1 online with two uploads accepted")
	e.click("scen-stop")
	e.waitJS(`document.body.dataset.scenario === "stopped"`, "the scenario to stop")
	got := map[string]bool{}
	for _, p := range e.srv.Broker().Datapoints(productID, "sim1")["w"] {
		got[string(p.Value)] = true
	}
	if !got["7.5"] || !got["8.25"] || len(got) != 2 {
		t.Errorf("sim1's datapoints %v, want the CSV column's 7.5 and 8.25", got)
	}
}
