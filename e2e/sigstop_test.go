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

	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/onenet-wasm/onenet-wasm/server"
)

// TestPageThroughServerStopAndTerm (issue: "the page during SIGSTOP/SIGCONT
// and SIGTERM of the server, in Chromium"): the page is connected to the
// onenet-web command's broker with a 10 s keepalive. SIGSTOP: the page
// notices (no PINGRESP), says it is reconnecting, and keeps working
// offline (a token is computed); a publish made meanwhile is queued.
// SIGCONT: the page logs in again, its subscription is restored and the
// queued publish is answered. SIGTERM: the server exits 0 and the page says
// the local server has shut down.
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
	// conn.serverStopped in web/i18n/en.js: the page asked local.json and
	// nothing answered.
	e.waitJS(`document.getElementById("conn-msgs").textContent.includes("The local server has shut down")`, "the page to say the local server has shut down")
	msg := e.text("conn-msgs")
	t.Logf("after SIGTERM: %s / %s", e.text("conn-state"), msg)
	if !strings.Contains(msg, addr) || strings.Contains(msg, "close code 0") {
		t.Errorf("after SIGTERM: %q does not name the server %s", msg, addr)
	}
	if l := logs.String(); !strings.Contains(l, "shutting down") {
		t.Errorf("the server's log does not say it shut down:\n%s", l)
	}
}

// TestServerShutdownExplained: a connection lost was explained as "close
// code 0". Now, in English and Chinese: a broker that ends the session
// (mochi-mqtt sends DISCONNECT) says so; a server killed without a closing
// handshake is an abnormal closure (1006) in words; and when the page's own
// server shuts down (SIGTERM of onenet-web) the page says that it did.
func TestServerShutdownExplained(t *testing.T) {
	// lost connects the page to url (another broker: no probe of the local
	// server), runs stop, and returns the explanation in en and zh.
	lost := func(t *testing.T, e *env, url string, stop func()) (string, string) {
		e.check("input[name=target][value=url]", true)
		e.set("url", url)
		e.check("#cred-auto", true)
		e.click("connect")
		e.waitJS(fmt.Sprintf(stateIs, "connected"), "connected")
		stop()
		e.waitJS(`document.getElementById("conn-msgs").textContent.includes("Connection lost")`, "the loss to be explained")
		en := e.text("conn-msgs")
		e.setLang("zh")
		return en, e.text("conn-msgs")
	}
	t.Run("disconnect", func(t *testing.T) {
		u, b := plainWSBrokerServer(t)
		e := newEnv(t, server.Config{})
		e.open("/")
		en, zh := lost(t, e, u, func() {
			for _, cl := range b.Clients.GetAll() {
				b.DisconnectClient(cl, packets.ErrServerShuttingDown)
			}
		})
		if strings.Contains(en, "close code 0") || !strings.Contains(en, "ended the session") || !strings.Contains(zh, "结束了会话") {
			t.Errorf("a broker's DISCONNECT explained as %q / %q", en, zh)
		}
	})
	t.Run("abnormal", func(t *testing.T) {
		addr, cmd, _ := startOnenetWeb(t, "-addr", "127.0.0.1:0", "-mqtt-addr", "", "-rate-limits=false")
		e := &env{t: t, logs: &logBuffer{}}
		e.ctx, e.cancel = newBrowser(t)
		t.Cleanup(e.cancel)
		e.openURL("http://" + addr + "/")
		e.click("demo-fill")
		e.waitJS(`document.getElementById("key").value !== ""`, "the demo device")
		en, zh := lost(t, e, "ws://"+addr+"/mqtt", func() { cmd.Process.Kill() })
		if strings.Contains(en, "close code 0") || !strings.Contains(en, "1006") || !strings.Contains(en, "abnormal closure") || !strings.Contains(zh, "异常关闭") {
			t.Errorf("a killed server explained as %q / %q", en, zh)
		}
	})
	t.Run("shutdown", func(t *testing.T) {
		addr, cmd, _ := startOnenetWeb(t, "-addr", "127.0.0.1:0", "-mqtt-addr", "", "-rate-limits=false")
		e := &env{t: t, logs: &logBuffer{}}
		e.ctx, e.cancel = newBrowser(t)
		t.Cleanup(e.cancel)
		e.openURL("http://" + addr + "/")
		e.click("demo-fill")
		e.waitJS(`document.getElementById("key").value !== ""`, "the demo device")
		e.check("input[name=target][value=local]", true)
		e.click("connect")
		e.waitJS(fmt.Sprintf(stateIs, "connected"), "connected")
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		e.waitJS(`document.getElementById("conn-msgs").textContent.includes("shut down")`, "the page to say the server shut down")
		if msg := e.text("conn-msgs"); strings.Contains(msg, "close code 0") || !strings.Contains(msg, addr) {
			t.Errorf("after SIGTERM: %q", msg)
		}
		e.setLang("zh")
		if msg := e.text("conn-msgs"); !strings.Contains(msg, "本地服务器已关闭") {
			t.Errorf("in Chinese: %q", msg)
		}
	})
}
