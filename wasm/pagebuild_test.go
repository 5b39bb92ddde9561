package wasm

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPageBuildLeavesOutWebSocket: the MQTT module is built with the tag
// mqttws_dialonly (Makefile, wasm target) so that mqttws's own WebSocket,
// and with it net/http and crypto/tls, stay out of it: the page gives the
// client its WebSocket through Options.Dial (mqtt/jsws.go). They were a
// third of the module (docs/BENCHMARKS.md).
func TestPageBuildLeavesOutWebSocket(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-tags", "mqttws_dialonly", "./mqtt")
	cmd.Env = append(cmd.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, d := range strings.Fields(string(out)) {
		switch {
		case d == "net/http", d == "crypto/tls", strings.HasPrefix(d, "github.com/coder/websocket"),
			strings.HasPrefix(d, "github.com/eclipse/paho"):
			t.Errorf("the page's MQTT module depends on %s", d)
		}
	}
}
