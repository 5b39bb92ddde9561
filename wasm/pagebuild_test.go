package wasm

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPageBuildLeavesOutWebSocket: the MQTT and tools modules are built
// with the tag mqttws_dialonly (Makefile, wasm target) so that mqttws's own
// WebSocket, and with it net/http and crypto/tls, stay out of them: the
// page gives each module's clients their WebSockets through Options.Dial
// (jsws). They were a third of the MQTT module (docs/BENCHMARKS.md).
func TestPageBuildLeavesOutWebSocket(t *testing.T) {
	for _, main := range []string{"./mqtt", "./tools"} {
		cmd := exec.Command("go", "list", "-deps", "-tags", "mqttws_dialonly", main)
		cmd.Env = append(cmd.Environ(), "GOOS=js", "GOARCH=wasm")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", main, err, out)
		}
		for _, d := range strings.Fields(string(out)) {
			switch {
			case d == "net/http", d == "crypto/tls", strings.HasPrefix(d, "github.com/coder/websocket"),
				strings.HasPrefix(d, "github.com/eclipse/paho"):
				t.Errorf("the page's module %s depends on %s", main, d)
			}
		}
	}
}
