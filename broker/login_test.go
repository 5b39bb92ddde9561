package broker

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// noConnack is TestLogin's code for a connection closed without a CONNACK
// (docs/PROTOCOL.md §3.7).
const noConnack = 0xff

// TestLogin checks each login rule of docs/PROTOCOL.md §3 with paho over TCP and over
// WebSocket: the CONNACK code, or a connection closed without one, and the
// OneNET reason in the log. (Keepalive, will, clean session and an empty
// field used to get CONNACK 5 or 4; OneNET's limits page says it
// disconnects, with no return code.)
func TestLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	expired := tokAt(t, "products/prod1/devices/dev1", keyD1, epoch.Add(-time.Minute).Unix(), "")
	tests := []struct {
		name      string
		pid, dev  string
		password  string
		mod       func(*paho.ClientOptions)
		code      byte
		logReason string // in the "login refused" line
	}{
		{name: "device key", pid: "prod1", dev: "dev1", password: devTok(t, "prod1", "dev1", keyD1)},
		{name: "product key, device res", pid: "prod1", dev: "dev2", password: devTok(t, "prod1", "dev2", keyP1)},
		{name: "product key, product res", pid: "prod1", dev: "dev1", password: tok(t, "products/prod1", keyP1)},
		{name: "device without key", pid: "prod1", dev: "nokey", password: devTok(t, "prod1", "nokey", keyP1)},
		{name: "same name, other product", pid: "prod2", dev: "dev1", password: devTok(t, "prod2", "dev1", keyP2D1)},

		{name: "wrong key", pid: "prod1", dev: "dev1", password: devTok(t, "prod1", "dev1", keyNone), code: 4, logReason: "1106 sign mismatch"},
		{name: "other device's key", pid: "prod1", dev: "dev1", password: devTok(t, "prod1", "dev1", keyD2), code: 4, logReason: "1106"},
		{name: "product key of other product", pid: "prod1", dev: "dev1", password: tok(t, "products/prod1", keyP2), code: 4, logReason: "1106"},
		{name: "expired", pid: "prod1", dev: "dev1", password: expired, code: 4, logReason: "1104 token expired"},
		{name: "unknown device", pid: "prod1", dev: "ghost", password: devTok(t, "prod1", "ghost", keyP1), code: 4, logReason: "1107 device not found"},
		{name: "unknown product", pid: "prodX", dev: "dev1", password: devTok(t, "prodX", "dev1", keyP1), code: 4, logReason: "1107"},
		{name: "res of other device", pid: "prod1", dev: "dev1", password: devTok(t, "prod1", "dev2", keyD2), code: 4, logReason: "1114"},
		{name: "res of other product", pid: "prod1", dev: "dev1", password: tok(t, "products/prod2", keyP2), code: 4, logReason: "1114"},
		{name: "empty password", pid: "prod1", dev: "dev1", password: "", code: noConnack, logReason: "1101 empty password"},
		{name: "not a token", pid: "prod1", dev: "dev1", password: "hello", code: 4, logReason: "1103 invalid token"},
		{name: "2022 version", pid: "prod1", dev: "dev1", password: tokAt(t, "products/prod1/devices/dev1", keyD1, epoch.Add(time.Hour).Unix(), "2022-05-01"), code: 4, logReason: "1111"},

		{name: "MQTT 3.1", pid: "prod1", dev: "dev1", password: devTok(t, "prod1", "dev1", keyD1), code: 1, logReason: "protocol level 3",
			mod: func(o *paho.ClientOptions) { o.SetProtocolVersion(3) }},
		{name: "keepalive 5", pid: "prod1", dev: "dev1", password: devTok(t, "prod1", "dev1", keyD1), code: noConnack, logReason: "keepalive 5 s",
			mod: func(o *paho.ClientOptions) { o.SetKeepAlive(5 * time.Second) }},
		{name: "keepalive 3600", pid: "prod1", dev: "dev1", password: devTok(t, "prod1", "dev1", keyD1), code: noConnack, logReason: "keepalive 3600 s",
			mod: func(o *paho.ClientOptions) { o.SetKeepAlive(time.Hour) }},
		{name: "will", pid: "prod1", dev: "dev1", password: devTok(t, "prod1", "dev1", keyD1), code: noConnack, logReason: "will",
			mod: func(o *paho.ClientOptions) { o.SetWill("$sys/prod1/dev1/dp/post/json", "x", 0, false) }},
		{name: "clean session 0", pid: "prod1", dev: "dev1", password: devTok(t, "prod1", "dev1", keyD1), code: noConnack, logReason: "clean session 0",
			mod: func(o *paho.ClientOptions) { o.SetCleanSession(false) }},
	}
	for _, via := range []string{"tcp", "ws"} {
		for _, tt := range tests {
			t.Run(via+"/"+tt.name, func(t *testing.T) {
				var mods []func(*paho.ClientOptions)
				if tt.mod != nil {
					mods = append(mods, tt.mod)
				}
				n := e.log.mark()
				c, code, err := e.dial(t, via, tt.pid, tt.dev, tt.password, mods...)
				if tt.code == noConnack {
					if err == nil {
						t.Fatal("connected, want the connection closed without a CONNACK")
					}
					e.log.waitAfter(t, n, "login refused", "client id \""+tt.dev+"\"", tt.logReason, "(connection closed without a CONNACK)")
					return
				}
				if code != tt.code {
					t.Fatalf("CONNACK %d (%v), want %d", code, err, tt.code)
				}
				if tt.code == 0 {
					if err != nil {
						t.Fatal(err)
					}
					c.Disconnect(0)
					return
				}
				if err == nil {
					t.Fatal("connected, want an error")
				}
				line := e.log.waitAfter(t, n, "login refused", "client id \""+tt.dev+"\"", tt.logReason)
				if want := "(CONNACK " + string('0'+tt.code) + ")"; !strings.Contains(line, want) {
					t.Errorf("log line %q lacks %q", line, want)
				}
			})
		}
	}
	// The log never holds a token, a sign or a key.
	secrets := []string{keyP1, keyD1, keyD2, keyP2, keyP2D1, keyNone, expired}
	for _, tt := range tests {
		if tt.password != "" && tt.password != "hello" {
			secrets = append(secrets, tt.password, tt.password[strings.Index(tt.password, "sign=")+5:])
		}
	}
	for _, line := range e.log.all() {
		for _, s := range secrets {
			if strings.Contains(line, s) {
				t.Errorf("log line %q holds a secret %q", line, s)
			}
		}
	}
}

// TestTakeOver: a second login of the same device disconnects the first
// (docs/PROTOCOL.md §3); the same name in another product is another device.
func TestTakeOver(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	first := e.mustDial(t, "tcp", "prod1", "dev1")
	other := e.mustDial(t, "tcp", "prod2", "dev1")
	second := e.mustDial(t, "ws", "prod1", "dev1")
	first.waitLost(t, "take-over")
	e.log.waitFor(t, "take-over: device prod1/dev1")
	e.log.waitFor(t, "disconnected: device prod1/dev1", "taken over")

	// The new session works and the device is online; the other product's
	// dev1 was not touched.
	second.sub(t, 1, "$sys/prod1/dev1/dp/post/json/accepted")
	second.pub(t, "$sys/prod1/dev1/dp/post/json", 1, `{"id":7,"dp":{"t":[{"v":1}]}}`)
	if m := second.expect(t, "$sys/prod1/dev1/dp/post/json/accepted"); string(m.payload) != `{"id":7}` {
		t.Errorf("accepted %s", m.payload)
	}
	if !other.IsConnectionOpen() {
		t.Error("prod2/dev1 was disconnected by prod1/dev1's login")
	}
	for _, s := range e.b.Devices("prod1") {
		if s.Name == "dev1" && !s.Online {
			t.Error("prod1/dev1 offline after the take-over")
		}
	}
	second.Disconnect(0)
	waitUntil(t, "dev1 offline", func() bool { return !e.b.Devices("prod1")[0].Online })
}

func noLimits(o *Options) { o.Limits.Disabled = true }

// waitUntil polls cond.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s", what, wait)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestLoginMQTT5: an MQTT 5 client gets the MQTT 5 CONNACK reason 0x84
// (unsupported protocol version) (docs/PROTOCOL.md §3.2, §3.7).
func TestLoginMQTT5(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	conn, err := net.DialTimeout("tcp", e.tcp, wait)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// CONNECT: "MQTT", level 5, clean start, keepalive 60, no properties,
	// client id "dev1".
	pkt := []byte{0x10, 17, 0, 4, 'M', 'Q', 'T', 'T', 5, 0x02, 0, 60, 0, 0, 4, 'd', 'e', 'v', '1'}
	_ = conn.SetDeadline(time.Now().Add(wait))
	if _, err := conn.Write(pkt); err != nil {
		t.Fatal(err)
	}
	ack := make([]byte, 5)
	if _, err := io.ReadFull(conn, ack); err != nil {
		t.Fatal(err)
	}
	if want := []byte{0x20, 3, 0, 0x84, 0}; !bytes.Equal(ack, want) {
		t.Errorf("CONNACK % x, want % x", ack, want)
	}
	expectClosed(t, conn)
	e.log.waitFor(t, "login refused", "protocol level 5", "(CONNACK 1)")
}

// TestQuickReconnectKeepsSubscriptions: a device that logs in again at once,
// after closing its connection or while it is still open (a take-over),
// gets what it subscribes to in the new session. Every session of a device
// has the same client id, and mochi drops a closed session's subscriptions
// by that id after the broker's OnDisconnect; a new login that overtook that
// clean-up used to lose its subscriptions to it.
//
// A hook that pauses in the closed session's clean-up widens the window that
// load opens now and then.
func TestQuickReconnectKeepsSubscriptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	if err := e.b.srv.AddHook(new(slowCleanup), nil); err != nil {
		t.Fatal(err)
	}
	const dp = "$sys/prod1/dev1/dp/post/json"
	for i := 1; i <= 30; i++ {
		via := []string{"tcp", "ws"}[i%2]
		c := e.mustDial(t, via, "prod1", "dev1")
		c.sub(t, 1, dp+"/accepted")
		c.pub(t, dp, 1, fmt.Sprintf(`{"id":%d,"dp":{"t":[{"v":1}]}}`, i))
		if m := c.expect(t, dp+"/accepted"); string(m.payload) != fmt.Sprintf(`{"id":%d}`, i) {
			t.Fatalf("round %d: accepted %s", i, m.payload)
		}
		if i%3 != 2 {
			c.Disconnect(0) // else the next login takes the session over
		}
	}
}

// slowCleanup pauses when mochi unsubscribes a closed client, between its
// removing the subscriptions and its removing the client.
type slowCleanup struct{ mqtt.HookBase }

func (*slowCleanup) ID() string { return "slow-cleanup" }

func (*slowCleanup) Provides(b byte) bool { return b == mqtt.OnUnsubscribed }

func (*slowCleanup) OnUnsubscribed(cl *mqtt.Client, _ packets.Packet) {
	if cl.Closed() {
		time.Sleep(100 * time.Millisecond)
	}
}
