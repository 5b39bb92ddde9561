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
		{"foreign device", "$sys/prod1/dev2/dp/post/json", 0, false, `{}`, "outside the device's own $sys/prod1/dev1/"},
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
	if _, err := conn.Write([]byte{0x40, 0x02, 0x00, 0x07}); err != nil { // PUBACK id 7
		t.Fatal(err)
	}
	expectClosed(t, conn)
	e.log.waitFor(t, "disconnected: device prod1/dev1", "PUBACK for unknown packet id 7")
}

// TestSubscribeRules: illegal filters get SUBACK 0x80, granted QoS is at
// most 1 (docs/PROTOCOL.md §5.2), and the connection stays open.
func TestSubscribeRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	for _, via := range []string{"tcp", "ws"} {
		c := e.mustDial(t, via, "prod1", "dev1")
		tests := []struct {
			filter string
			qos    byte
			want   byte
		}{
			{"$sys/prod1/dev1/#", 1, 1},
			{"$sys/prod1/dev1/cmd/request/+", 0, 0},
			{"$sys/prod1/dev1/dp/post/json/+", 2, 1},
			{"$sys/prod1/dev1/dp/post/json/accepted", 1, 1},
			{"#", 0, 0x80},
			{"+/prod1/dev1/#", 0, 0x80},
			{"$sys/prod1/#", 0, 0x80},
			{"$sys/+/dev1/#", 0, 0x80},
			{"$sys/prod1/dev2/#", 0, 0x80},
			{"$sys/prod2/dev1/#", 0, 0x80},
			{"$SYS/#", 0, 0x80},
			{"hello", 0, 0x80},
			{"$sys/prod1/dev1/a/b/c/d/e/f", 0, 0x80},
			{"$sys/prod1/dev1/" + strings.Repeat("a", 600), 0, 0x80},
		}
		for _, tt := range tests {
			got := c.sub(t, tt.qos, tt.filter)
			if got[0] != tt.want {
				t.Errorf("%s: subscribe %.40q at QoS %d: SUBACK %#x, want %#x", via, tt.filter, tt.qos, got[0], tt.want)
			}
		}
		// 9 filters in one SUBSCRIBE: all refused.
		var nine []string
		for i := range 9 {
			nine = append(nine, "$sys/prod1/dev1/thing/x"+string(rune('0'+i)))
		}
		for i, code := range c.sub(t, 0, nine...) {
			if code != 0x80 {
				t.Errorf("%s: 9 filters: filter %d granted %#x, want 0x80", via, i, code)
			}
		}
		if !c.IsConnectionOpen() {
			t.Fatalf("%s: disconnected after refused subscriptions", via)
		}
		c.Disconnect(0)
	}
	e.log.waitFor(t, "subscribe refused: device prod1/dev1", "wildcard at level 1")
}

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
	want := RateLimits{Window: 5 * time.Second, Connects: 10, QoS0: 300, QoS1: 100, Ban: 5 * time.Minute, FailedLogins: 10, AddressBlock: time.Minute}
	if b.opts.Limits != want {
		t.Errorf("limits %+v, want %+v", b.opts.Limits, want)
	}
}
