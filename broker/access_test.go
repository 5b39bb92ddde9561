package broker

import (
	"strings"
	"testing"
	"time"

	"github.com/onenet-wasm/onenet-wasm/onenet"
)

// TestDisconnectRules: what makes OneNET disconnect a device (docs/PROTOCOL.md §5).
func TestDisconnectRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	const dp = "$sys/prod1/dev1/dp/post/json"
	tests := []struct {
		name    string
		topic   string
		qos     byte
		retain  bool
		payload string
		log     string
	}{
		{"foreign device", "$sys/prod1/dev2/dp/post/json", 0, false, `{}`, "outside the device's own tree $sys/prod1/dev1/"}, // the message of onenet.CheckPublishTopic
		{"foreign product", "$sys/prod2/dev1/dp/post/json", 1, false, `{}`, "outside"},
		{"plain topic", "hello/world", 0, false, `x`, "outside"},
		{"upper-case $SYS", "$SYS/prod1/dev1/dp/post/json", 0, false, `x`, "outside"},
		{"QoS 2", dp, 2, false, `{}`, "QoS 2 publish"},
		{"retain", dp, 0, true, `{}`, "retained publish"},
		{"too many levels", "$sys/prod1/dev1/a/b/c/d/e/f", 0, false, `x`, "levels"},
		{"oversize payload", dp, 0, false, strings.Repeat("x", onenet.MaxPayload+1), "payload of 262145 bytes"},
		{"far oversize payload", dp, 0, false, strings.Repeat("x", maxPacket+1), "larger than"},
	}
	for _, via := range []string{"tcp", "ws"} {
		for _, tt := range tests {
			t.Run(via+"/"+tt.name, func(t *testing.T) {
				n := e.log.mark()
				c := e.mustDial(t, via, "prod1", "dev1")
				c.Publish(tt.topic, tt.qos, tt.retain, tt.payload) // no PUBACK will come
				c.waitLost(t, tt.name)
				e.log.waitAfter(t, n, "disconnected: device prod1/dev1", tt.log)
			})
		}
	}
	// The broker still works, and the log never held a payload.
	c := e.mustDial(t, "tcp", "prod1", "dev1")
	c.pub(t, dp, 1, `{"id":1,"dp":{"x":[{"v":1}]}}`)
	for _, l := range e.log.all() {
		if strings.Contains(l, "xxxxxxxx") {
			t.Fatalf("a payload in the log: %.100s", l)
		}
	}
}

// TestUnknownPuback: a PUBACK for a packet the broker never sent
// disconnects (docs/PROTOCOL.md §5.5).
func TestUnknownPuback(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	conn := rawLogin(t, e.tcp, "prod1", "dev1", devTok(t, "prod1", "dev1", keyD1))
	if _, err := conn.Write(pubackPacket(7)); err != nil {
		t.Fatal(err)
	}
	expectClosed(t, conn)
	e.log.waitFor(t, "disconnected: device prod1/dev1", "PUBACK for unknown packet id 7")
}

// TestRuleQoS2Flow: PUBREC, PUBREL and PUBCOMP, the packets of QoS 2,
// which OneNET does not support, close the connection, and the log names
// the rule (docs/PROTOCOL.md §5.5). The broker never sends QoS 2, so a
// device sends them only by mistake; they are written by hand.
func TestRuleQoS2Flow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	for _, tt := range []struct {
		name string
		pkt  []byte
	}{
		{"PUBREC", []byte{0x50, 0x02, 0x00, 0x01}},
		{"PUBREL", []byte{0x62, 0x02, 0x00, 0x01}},
		{"PUBCOMP", []byte{0x70, 0x02, 0x00, 0x01}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n := e.log.mark()
			conn := rawLogin(t, e.tcp, "prod1", "dev1", devTok(t, "prod1", "dev1", keyD1))
			if _, err := conn.Write(tt.pkt); err != nil {
				t.Fatal(err)
			}
			expectClosed(t, conn)
			e.log.waitAfter(t, n, "disconnected: device prod1/dev1", "QoS 2 flow packet", "(qos2.flow, docs/PROTOCOL.md §5.5)")
		})
	}
}

// TestSubscribeRules was here: it expected SUBACK 0x80 and granted QoS 1
// where OneNET disconnects and grants QoS 0. TestRuleGrantedQoSZero,
// TestRuleFilterLimitsDisconnect and TestRuleIllegalFilterFails
// (fidelity_test.go) replace it.

// TestRateLimits: exceeding a per-device limit disconnects and bans the
// device; the ban ends (docs/PROTOCOL.md §5.6).
func TestRateLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *Options) {
		o.Limits = RateLimits{Window: time.Hour, Connects: 3, QoS0: 5, QoS1: 3, Ban: time.Minute}
	})
	const dp = "$sys/prod1/dev1/dp/post/json"
	payload := `{"id":1,"dp":{"x":[{"v":1}]}}`

	t.Run("QoS 0", func(t *testing.T) {
		c := e.mustDial(t, "tcp", "prod1", "dev1")
		c.sub(t, 0, dp+"/accepted")
		for range 5 {
			c.pub(t, dp, 0, payload)
			c.expect(t, dp+"/accepted")
		}
		c.Publish(dp, 0, false, payload)
		c.waitLost(t, "6th QoS 0 publish")
		e.log.waitFor(t, "disconnected: device prod1/dev1", "more than 5 QoS 0 publishes")
		_, code, _ := e.dial(t, "tcp", "prod1", "dev1", devTok(t, "prod1", "dev1", keyD1))
		if code != 3 {
			t.Fatalf("login while banned: CONNACK %d, want 3", code)
		}
		e.clock.Add(2 * time.Minute)
		c = e.mustDial(t, "ws", "prod1", "dev1")
		c.pub(t, dp, 1, payload)
	})
	t.Run("QoS 1", func(t *testing.T) {
		c := e.mustDial(t, "tcp", "prod1", "dev2")
		for range 3 {
			c.pub(t, "$sys/prod1/dev2/dp/post/json", 1, payload)
		}
		c.Publish("$sys/prod1/dev2/dp/post/json", 1, false, payload)
		c.waitLost(t, "4th QoS 1 publish")
		e.log.waitFor(t, "disconnected: device prod1/dev2", "more than 3 QoS 1 publishes")
	})
	t.Run("logins", func(t *testing.T) {
		pw := devTok(t, "prod2", "dev1", keyP2D1)
		for range 3 {
			c, code, err := e.dial(t, "tcp", "prod2", "dev1", pw)
			if code != 0 {
				t.Fatalf("login: CONNACK %d, %v", code, err)
			}
			c.Disconnect(0)
		}
		_, code, _ := e.dial(t, "tcp", "prod2", "dev1", pw)
		if code != 3 {
			t.Fatalf("4th login: CONNACK %d, want 3", code)
		}
		e.log.waitFor(t, "login refused", "more than 3 logins")
	})
}

// TestDefaultLimits: the zero RateLimits are OneNET's (docs/PROTOCOL.md §5.6).
func TestDefaultLimits(t *testing.T) {
	b, err := New(Options{Registry: testRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	want := RateLimits{Window: 5 * time.Second, Connects: 10, QoS0: 300, QoS1: 100, Subscribes: 15, Unsubscribes: 10, Pings: 10, Ban: 5 * time.Minute, FailedLogins: 10, AddressBlock: time.Minute}
	if b.opts.Limits != want {
		t.Errorf("limits %+v, want %+v", b.opts.Limits, want)
	}
}
