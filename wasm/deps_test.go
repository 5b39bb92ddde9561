// Package wasm holds the js/wasm mains (core, mqtt) and the code they share
// (jsbridge, checks). This test keeps server-only code out of them.
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
		// The core module must stay small: tokens only. No MQTT client, no
		// protocol checks (they come with the mqtt module, wasm/checks), and
		// none of the packages that weigh most in a Go wasm after the
		// runtime: fmt and reflect (which fmt, encoding/json and
		// runtime/debug bring in).
		if main == "./core" {
			heavy := []string{"fmt", "reflect", "encoding/json", "runtime/debug",
				"github.com/onenet-wasm/onenet-wasm/onenet", "github.com/onenet-wasm/onenet-wasm/wasm/checks"}
			for _, d := range deps {
				if strings.Contains(d, "paho") || strings.Contains(d, "coder/websocket") {
					t.Errorf("core depends on %s: the MQTT client belongs in the mqtt module", d)
				}
				for _, h := range heavy {
					if d == h || strings.HasPrefix(d, h+"/") {
						t.Errorf("core depends on %s: the token module must not link it (docs/BENCHMARKS.md)", d)
					}
				}
			}
		}
	}
}
