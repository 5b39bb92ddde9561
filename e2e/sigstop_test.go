package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestPageThroughServerStopAndTerm (issue: "the page during SIGSTOP/SIGCONT
// and SIGTERM of the server, in Chromium"): the page is connected to the
// onenet-web command's broker with a 10 s keepalive. SIGSTOP: the page
// notices (no PINGRESP), says it is reconnecting, and keeps working
// offline (a token is computed); a publish made meanwhile is queued.
// SIGCONT: the page logs in again, its subscription is restored and the
// queued publish is answered. SIGTERM: the page is told the server went
// away, and the server exits 0.
func TestPageThroughServerStopAndTerm(t *testing.T) {
	dir := t.TempDir()
	regJSON, _ := json.Marshal(testRegistry())
	reg := filepath.Join(dir, "devices.json")
	if err := os.WriteFile(reg, regJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	addr, cmd, logs := startOnenetWeb(t, "-addr", "127.0.0.1:0", "-mqtt-addr", "", "-devices", reg, "-rate-limits=false")
	stopped := false
	t.Cleanup(func() {
		if stopped {
			cmd.Process.Signal(syscall.SIGCONT)
		}
		if t.Failed() {
			t.Logf("onenet-web log:\n%s", logs.String())
		}
	})
	e := &env{t: t, logs: &logBuffer{}}
	e.ctx, e.cancel = newBrowser(t)
	t.Cleanup(e.cancel)
	e.openURL("http://" + addr + "/")
	e.set("keepAlive", "10")
	e.connectLocal(deviceKey)
	e.waitJS(fmt.Sprintf(stateIs, "connected"), "connected")
	e.set("sub-preset", "dp/post/json/+")
	e.click("subscribe")
	e.waitJS(`document.querySelectorAll("#subs li").length === 1`, "the subscription")
	e.set("pub-kind", "dp/post/json")
	e.click("tab-builder")
	e.click("publish")
	e.waitJS(acceptedPubs+` === 1`, "the first publish to be accepted")

	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped = true
	e.waitJS(fmt.Sprintf(stateIs, "reconnecting"), "the page to notice the stopped server (keepalive)")
	t.Logf("while the server is stopped: %s / %s", e.text("conn-state"), e.text("conn-msgs"))
	// The page still works offline: a token for another device.
	before := e.value("token-out")
	e.set("deviceName", "other_dev")
	e.waitJS(fmt.Sprintf(`document.getElementById("token-out").value !== %q && document.getElementById("token-out").value.includes("other_dev")`, before), "a token computed while the server is stopped")
	e.set("deviceName", deviceName)
	e.click("publish")
	e.waitJS(`document.querySelectorAll("#pub-history li").length === 2`, "the publish made while the server is stopped to be listed")

	if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	stopped = false
	e.waitJS(fmt.Sprintf(stateIs, "connected"), "the page to log in again after SIGCONT")
	e.waitJS(acceptedPubs+` === 2`, "the queued publish to be answered on /accepted (subscription restored)")

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the server did not exit after SIGTERM")
	}
	e.waitJS(fmt.Sprintf(`%s || %s`, fmt.Sprintf(stateIs, "reconnecting"), fmt.Sprintf(stateIs, "closed")), "the page to notice the server went away")
	if msg := e.text("conn-msgs"); msg == "" {
		t.Error("no reason shown after SIGTERM")
	} else {
		t.Logf("after SIGTERM: %s / %s", e.text("conn-state"), msg)
	}
	if l := logs.String(); !strings.Contains(l, "shutting down") {
		t.Errorf("the server's log does not say it shut down:\n%s", l)
	}
}
