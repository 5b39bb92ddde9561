//go:build !js

package mqttws

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startMosquitto runs Debian's Mosquitto with a WebSocket listener on
// 127.0.0.1 and returns its ws:// URL. Mosquitto is a broker nobody here
// wrote: what this client speaks is checked against it.
func startMosquitto(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		for _, p := range []string{"/usr/sbin/mosquitto", "/usr/bin/mosquitto"} {
			if _, err := os.Stat(p); err == nil {
				bin = p
			}
		}
	}
	if bin == "" {
		t.Fatal("mosquitto not found: install Debian's mosquitto package (make deps)")
	}
	wsAddr, tcpAddr := freeAddr(t), freeAddr(t)
	_, wsPort, _ := net.SplitHostPort(wsAddr)
	_, tcpPort, _ := net.SplitHostPort(tcpAddr)
	dir := t.TempDir()
	conf := filepath.Join(dir, "mosquitto.conf")
	// Mosquitto 2.0 will not start with only a WebSocket listener, and
	// socket_domain keeps it on IPv4 loopback.
	cfg := fmt.Sprintf(`per_listener_settings false
allow_anonymous true
persistence false
log_dest stderr
listener %s 127.0.0.1
listener %s 127.0.0.1
protocol websockets
socket_domain ipv4
`, tcpPort, wsPort)
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cmd := exec.Command(bin, "-c", conf)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("mosquitto log:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", wsAddr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mosquitto did not listen on %s: %v\n%s", wsAddr, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "ws://" + wsAddr + "/mqtt"
}

func TestMosquittoInterop(t *testing.T) {
	url := startMosquitto(t)
	got := make(chan Message, 100)
	sub := dial(t, url, &Options{ClientID: newID("sub"), OnMessage: func(m Message) { got <- m }})
	pub := dial(t, url, &Options{ClientID: newID("pub")})
	ctx := testCtx(t)
	for _, qos := range []byte{0, 1, 2} {
		if g, err := sub.Subscribe(ctx, fmt.Sprintf("interop/%d/+", qos), qos); err != nil || g != qos {
			t.Fatalf("subscribe QoS %d: granted %d, %v", qos, g, err)
		}
	}
	big := bytes.Repeat([]byte("x"), 256*1024)
	for _, tc := range []struct {
		qos     byte
		payload []byte
	}{{0, []byte("zero")}, {1, []byte("one")}, {2, []byte("two")}, {1, big}, {2, nil}} {
		topic := fmt.Sprintf("interop/%d/t", tc.qos)
		if err := pub.Publish(ctx, topic, tc.payload, tc.qos, false); err != nil {
			t.Fatalf("publish QoS %d: %v", tc.qos, err)
		}
		select {
		case m := <-got:
			if m.Topic != topic || m.QoS != tc.qos || !bytes.Equal(m.Payload, tc.payload) {
				t.Errorf("QoS %d: got %q QoS %d, %d bytes; want %q, %d bytes", tc.qos, m.Topic, m.QoS, len(m.Payload), topic, len(tc.payload))
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("QoS %d: nothing received", tc.qos)
		}
	}
	// Retained messages come to a new subscription with the retain flag.
	if err := pub.Publish(ctx, "interop/retained", []byte("kept"), 1, true); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.Subscribe(ctx, "interop/retained", 1); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if !m.Retained || string(m.Payload) != "kept" {
			t.Errorf("retained: %+v", m)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("retained message not received")
	}
	// After unsubscribing, nothing more arrives on that filter.
	if err := sub.Unsubscribe(ctx, "interop/0/+"); err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(ctx, "interop/0/t", []byte("after"), 0, false); err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(ctx, "interop/1/t", []byte("marker"), 1, false); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if !strings.HasPrefix(m.Topic, "interop/1/") {
			t.Errorf("after unsubscribe got %q", m.Topic)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("marker not received")
	}
}
