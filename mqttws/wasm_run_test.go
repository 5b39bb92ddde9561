//go:build !js

package mqttws

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// TestWasm builds this package's tests for GOOS=js and runs TestBrowser in
// Node, whose WebSocket (--experimental-websocket, Node 20+) behaves like a
// browser's: it hides why a connection failed. Building takes a while, so
// it runs only with MQTTWS_WASM_TEST=1.
func TestWasm(t *testing.T) {
	if os.Getenv("MQTTWS_WASM_TEST") == "" {
		t.Skip("set MQTTWS_WASM_TEST=1 to run the js/wasm tests in Node")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found")
	}
	b := newBroker(t)
	servers := newBadServers(t)
	// A client publishing to "cut" gets its connection dropped.
	err = b.srv.Subscribe("cut", 1, func(_ *mqtt.Client, _ packets.Subscription, pk packets.Packet) {
		if cl, ok := b.srv.Clients.Get(pk.Origin); ok {
			cl.Stop(io.ErrUnexpectedEOF)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	bin := filepath.Join(t.TempDir(), "mqttws_js.test")
	build := exec.CommandContext(ctx, "go", "test", "-c", "-o", bin, ".")
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the js/wasm tests: %v\n%s", err, out)
	}
	goroot, err := exec.CommandContext(ctx, "go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	execJS := filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec_node.js")
	run := exec.CommandContext(ctx, node, "--experimental-websocket", "--stack-size=8192", execJS, bin, "-test.run=TestBrowser", "-test.v")
	run.Env = append(os.Environ(),
		"MQTTWS_BROKER="+b.url,
		"MQTTWS_REFUSED=ws://"+freeAddr(t)+"/mqtt",
		"MQTTWS_NOTFOUND="+servers.notFound,
		"MQTTWS_NOSUBPROTOCOL="+servers.noSubprotocol,
		"MQTTWS_HANGUP="+servers.hangUp,
	)
	out, err := run.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("js/wasm tests: %v", err)
	}
}
