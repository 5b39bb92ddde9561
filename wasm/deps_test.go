// Package wasm holds the js/wasm mains (core, mqtt) and the code they share
// (jsbridge). This test keeps server-only code out of them.
package wasm

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoServerCodeInWasm fails when a package that belongs to the server or
// to tests reaches a wasm module: the broker, the relay, mochi, the test
// framework, chromedp.
func TestNoServerCodeInWasm(t *testing.T) {
	forbidden := []string{
		"github.com/onenet-wasm/onenet-wasm/broker",
		"github.com/onenet-wasm/onenet-wasm/bridge",
		"github.com/onenet-wasm/onenet-wasm/server",
		"github.com/mochi-mqtt/",
		"github.com/chromedp/",
		"testing",
	}
	for _, main := range []string{"./core", "./mqtt"} {
		cmd := exec.Command("go", "list", "-deps", main)
		cmd.Env = append(cmd.Environ(), "GOOS=js", "GOARCH=wasm")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", main, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 10 {
			t.Fatalf("go list -deps %s listed only %v", main, deps)
		}
		for _, d := range deps {
			for _, f := range forbidden {
				if d == f || strings.HasPrefix(d, f+"/") || (strings.HasSuffix(f, "/") && strings.HasPrefix(d, f)) {
					t.Errorf("%s (js/wasm) depends on %s", main, d)
				}
			}
		}
		// The core module must stay small: no MQTT client in it.
		if main == "./core" {
			for _, d := range deps {
				if strings.Contains(d, "paho") || strings.Contains(d, "coder/websocket") {
					t.Errorf("core depends on %s: the MQTT client belongs in the mqtt module", d)
				}
			}
		}
	}
}
