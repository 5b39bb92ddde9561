package e2e

import (
	"net"
	"strings"
	"testing"

	"github.com/onenet-wasm/onenet-wasm/bridge"
	"github.com/onenet-wasm/onenet-wasm/server"
)

// TestRelayTargetTimeoutNamesTarget (issue: "when the relay's target never
// answers, the page's timeout names the relay rather than the target"): a
// target that accepts the connection and never answers the CONNECT; the
// page's timeout message names the target, not the relay's address.
func TestRelayTargetTimeoutNamesTarget(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// The accepting goroutine owns the held connections and closes them
	// once the listener is closed (at the end of the test).
	done := make(chan struct{})
	go func() {
		defer close(done)
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c) // accepted, never answered
		}
	}()
	defer func() { ln.Close(); <-done }()
	target := ln.Addr().String()

	e := newEnv(t, server.Config{BridgeTargets: []bridge.Target{{Addr: target}}})
	e.open("/")
	e.set("resKind", "device")
	e.set("productId", productID)
	e.set("deviceName", deviceName)
	e.set("key", deviceKey)
	e.check("input[name=target][value=url]", true)
	e.set("url", "ws"+strings.TrimPrefix(e.http.URL, "http")+"/bridge?target="+target)
	e.check("#cred-auto", true)
	e.click("connect")
	e.waitJS(`/Timeout/.test(document.getElementById("conn-msgs").textContent)`, "the page's timeout message")
	msg := e.text("conn-msgs")
	relay := strings.TrimPrefix(e.http.URL, "http://")
	if !strings.Contains(msg, target) || strings.Contains(msg, relay) {
		t.Errorf("timeout message %q: want the target %s named, not the relay %s", msg, target, relay)
	}
}
