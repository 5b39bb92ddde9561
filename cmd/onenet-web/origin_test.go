package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/onenet-wasm/onenet-wasm/token"
)

// runServer runs onenet-web in this process with args and returns the
// host:port its page is served on; the server stops when the test ends.
func runServer(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"-addr", "127.0.0.1:0", "-mqtt-addr", ""}, args...), pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("onenet-web %s: %v", strings.Join(args, " "), err)
		}
	})
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "onenet-web: open http://"); ok {
			go io.Copy(io.Discard, pr)
			return strings.TrimSuffix(u, "/")
		}
	}
	t.Fatalf("onenet-web %s did not start", strings.Join(args, " "))
	return ""
}

// TestAllowOriginNull (README, "One file"): with -allow-origin null, a page
// opened from disk, whose Origin is "null" (onenet-tool.html), opens the
// broker's WebSocket at /mqtt and logs in, while other origins stay
// refused; without the option it is refused with 403 before any
// WebSocket.
func TestAllowOriginNull(t *testing.T) {
	reg := filepath.Join(t.TempDir(), "devices.json")
	if err := os.WriteFile(reg, []byte(registry), 0o600); err != nil {
		t.Fatal(err)
	}
	tok, err := token.Generate(token.Params{Res: "products/469948/devices/Chic_D", Key: "rs2FaE5BuygJZkWKDA5okKt1RFpwOx53hbu6hwyCS4U=", ET: time.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	connect := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, ProtocolVersion: 4, Connect: packets.ConnectParams{
		ProtocolName: []byte("MQTT"), Clean: true, Keepalive: 60, ClientIdentifier: "Chic_D",
		UsernameFlag: true, Username: []byte("469948"), PasswordFlag: true, Password: []byte(tok),
	}}
	var connectBytes bytes.Buffer
	if err := connect.ConnectEncode(&connectBytes); err != nil {
		t.Fatal(err)
	}
	// login dials /mqtt with origin and returns the upgrade's status and,
	// when upgraded, the broker's answer to the CONNECT.
	login := func(host, origin string) (int, []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c, resp, err := websocket.Dial(ctx, "ws://"+host+"/mqtt", &websocket.DialOptions{
			Subprotocols: []string{"mqtt"}, HTTPHeader: http.Header{"Origin": {origin}}})
		if err != nil {
			if resp != nil {
				return resp.StatusCode, nil
			}
			t.Fatalf("ws://%s/mqtt from %s: %v", host, origin, err)
		}
		defer c.CloseNow()
		if err := c.Write(ctx, websocket.MessageBinary, connectBytes.Bytes()); err != nil {
			t.Fatal(err)
		}
		_, ack, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("ws://%s/mqtt from %s: no CONNACK: %v", host, origin, err)
		}
		return resp.StatusCode, ack
	}
	connackOK := []byte{0x20, 2, 0, 0}

	allowed := runServer(t, "-devices", reg, "-rate-limits=false", "-allow-origin", "null")
	if code, ack := login(allowed, "null"); code != http.StatusSwitchingProtocols || !bytes.Equal(ack, connackOK) {
		t.Errorf("-allow-origin null, Origin null: %d, CONNACK % x; want 101 and a login", code, ack)
	}
	if code, ack := login(allowed, "http://"+allowed); code != http.StatusSwitchingProtocols || !bytes.Equal(ack, connackOK) {
		t.Errorf("-allow-origin null, the page's own origin: %d, CONNACK % x; want 101 and a login", code, ack)
	}
	if code, _ := login(allowed, "http://evil.test"); code != http.StatusForbidden {
		t.Errorf("-allow-origin null, Origin http://evil.test: %d, want 403", code)
	}

	plain := runServer(t, "-devices", reg)
	if code, _ := login(plain, "null"); code != http.StatusForbidden {
		t.Errorf("without -allow-origin, Origin null: %d, want 403", code)
	}
}
