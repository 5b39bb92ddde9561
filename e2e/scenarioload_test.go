package e2e

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/onenet-wasm/onenet-wasm/broker"
	"github.com/onenet-wasm/onenet-wasm/server"
)

// TestScenarioPageLoad measures how many simulated devices one page
// sustains at 1 msg/s (docs/BENCHMARKS.md, "Simulated devices"): for each
// N in SIM_PAGE_DEVICES (e.g. "200 500 1000"), N devices of a scenario
// publish a QoS 1 datapoint every second from the page's Scenarios panel
// to the local broker, and the accepted uploads per second over
// SIM_PAGE_SECONDS (default 30) after all are online are logged. It is a
// measurement, run on demand: without SIM_PAGE_DEVICES it is skipped.
func TestScenarioPageLoad(t *testing.T) {
	list := strings.Fields(os.Getenv("SIM_PAGE_DEVICES"))
	if len(list) == 0 {
		t.Skip("a measurement: set SIM_PAGE_DEVICES=\"200 500 1000\" to run it")
	}
	secs := 30
	if s, err := strconv.Atoi(os.Getenv("SIM_PAGE_SECONDS")); err == nil && s > 0 {
		secs = s
	}
	maxN := 0
	for _, s := range list {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("SIM_PAGE_DEVICES: %q", s)
		}
		maxN = max(maxN, n)
	}
	reg := testRegistry()
	for i := 1; i <= maxN; i++ {
		reg.Products[0].Devices = append(reg.Products[0].Devices, broker.Device{Name: fmt.Sprintf("load%d", i)})
	}
	e := newEnv(t, server.Config{Registry: reg})
	e.open("/")
	e.waitJS(`document.body.dataset.ready === "all"`, "the MQTT module")
	for _, s := range list {
		n, _ := strconv.Atoi(s)
		e.set("scen-text", fmt.Sprintf(`{"name":"load","target":"local","devices":[{"product":%q,"device":"load{n}","count":%d,
		  "key":{"value":%q,"scope":"product"},"publish":[{"every":1,"jitter":0.1,"dp":{"temp":{"random":{"min":10,"max":30}}}}]}]}`, productID, n, productKey))
		e.click("scen-start")
		start := time.Now()
		e.waitJSLong(fmt.Sprintf(`(() => { const s = document.getElementById("scen-summary").textContent; return s.includes(" %d of %d devices online") })()`, n, n), "every device online", 5*time.Minute)
		ramp := time.Since(start)
		t0 := time.Now()
		acc0 := e.accepted()
		time.Sleep(time.Duration(secs) * time.Second)
		acc1 := e.accepted()
		el := time.Since(t0).Seconds()
		rate := float64(acc1-acc0) / el
		e.click("scen-stop")
		e.waitJSLong(`document.body.dataset.scenario === "stopped"`, "the scenario to stop", 2*time.Minute)
		load, _ := os.ReadFile("/proc/loadavg")
		t.Logf("N=%d: all online after %s; %.0f accepted/s over %.0f s (%.0f%% of N); %s; load %s", n, ramp.Round(time.Second), rate, el, 100*rate/float64(n), e.text("scen-summary"), strings.Fields(string(load))[0])
	}
}

// accepted reads the run's accepted uploads from the Scenarios panel's
// summary (English).
func (e *env) accepted() int {
	e.t.Helper()
	return eval[int](e, `+(document.getElementById("scen-summary").textContent.match(/accepted (\d+)/) || [0, 0])[1]`)
}

// waitJSLong is waitJS with a longer bound, for a measurement.
func (e *env) waitJSLong(cond, what string, d time.Duration) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, d)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingInterval(200*time.Millisecond))); err != nil {
		e.t.Fatalf("waiting for %s: %v\npage state: %s", what, err, e.pageState())
	}
}
