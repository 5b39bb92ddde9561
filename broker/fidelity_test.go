package broker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// The tests named TestRule… prove one rule of docs/PROTOCOL.md each, with
// paho over TCP and over WebSocket; the fidelity table (docs/PROTOCOL.md
// §14) names them.

var vias = []string{"tcp", "ws"}

// TestRuleGrantedQoSZero: whatever QoS a device asks for, the granted QoS
// is 0 (docs/PROTOCOL.md §4.7).
func TestRuleGrantedQoSZero(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	for _, via := range vias {
		c := e.mustDial(t, via, "prod1", "dev1")
		for qos := byte(0); qos <= 2; qos++ {
			f := fmt.Sprintf("$sys/prod1/dev1/dp/post/json/q%d", qos)
			if got := c.sub(t, qos, f); got[0] != 0 {
				t.Errorf("%s: subscribe at QoS %d: granted %#x, want 0", via, qos, got[0])
			}
		}
		c.Disconnect(0)
	}
}

// TestRuleFilterLimitsDisconnect: a filter over 512 bytes or 8 levels, with
// a character outside [A-Za-z0-9/+#_-], or more than 8 filters in one
// SUBSCRIBE disconnect the device (docs/PROTOCOL.md §5.2).
func TestRuleFilterLimitsDisconnect(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	var nine []string
	for i := range 9 {
		nine = append(nine, fmt.Sprintf("$sys/prod1/dev1/t%d", i))
	}
	tests := []struct {
		name    string
		filters []string
		log     string
	}{
		{"513 bytes", []string{"$sys/prod1/dev1/" + strings.Repeat("a", 513-16)}, "(filter.length, docs/PROTOCOL.md §5.2)"},
		{"9 levels", []string{"$sys/prod1/dev1/a/b/c/d/e/f"}, "(filter.levels, docs/PROTOCOL.md §5.2)"},
		{"space", []string{"$sys/prod1/dev1/dp post/#"}, "(filter.chars, docs/PROTOCOL.md §5.2)"},
		{"dot", []string{"$sys/prod1/dev1/dp.post/#"}, "(filter.chars, docs/PROTOCOL.md §5.2)"},
		{"Chinese", []string{"$sys/prod1/dev1/温度"}, "(filter.chars, docs/PROTOCOL.md §5.2)"},
		{"9 filters", nine, "(subscribe.count, docs/PROTOCOL.md §5.2)"},
	}
	for _, via := range vias {
		for _, tt := range tests {
			t.Run(via+"/"+tt.name, func(t *testing.T) {
				n := e.log.mark()
				c := e.mustDial(t, via, "prod1", "dev1")
				m := map[string]byte{}
				for _, f := range tt.filters {
					m[f] = 0
				}
				c.SubscribeMultiple(m, nil) // no SUBACK will come
				c.waitLost(t, tt.name)
				e.log.waitAfter(t, n, "disconnected: device prod1/dev1", tt.log)
			})
		}
	}
}

// TestRuleIllegalFilterFails: a filter outside the device's own tree, or
// with a wildcard before the 4th level, fails in the SUBACK (0x80) and the
// connection stays open (docs/PROTOCOL.md §4.4, §4.5).
func TestRuleIllegalFilterFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	for _, via := range vias {
		c := e.mustDial(t, via, "prod1", "dev1")
		for _, tt := range []struct {
			filter string
			want   byte
		}{
			{"$sys/prod1/dev1/#", 0},
			{"$sys/prod1/dev1/cmd/request/+", 0},
			{"#", 0x80},
			{"+/prod1/dev1/#", 0x80},
			{"$sys/prod1/#", 0x80},
			{"$sys/+/dev1/#", 0x80},
			{"$sys/prod1/dev2/#", 0x80},
			{"$sys/prod2/dev1/#", 0x80},
			{"$SYS/#", 0x80},
			{"hello", 0x80},
		} {
			if got := c.sub(t, 1, tt.filter); got[0] != tt.want {
				t.Errorf("%s: subscribe %q: SUBACK %#x, want %#x", via, tt.filter, got[0], tt.want)
			}
		}
		if !c.IsConnectionOpen() {
			t.Fatalf("%s: disconnected after failed subscriptions", via)
		}
		c.Disconnect(0)
	}
	e.log.waitFor(t, "subscribe refused: device prod1/dev1", "wildcard at level 1", "(filter.wildcard, docs/PROTOCOL.md §4.5)")
	e.log.waitFor(t, "subscribe refused: device prod1/dev1", "(filter.foreign, docs/PROTOCOL.md §4.2)")
}

// TestRuleSubscriptionsPerSession: a session holds at most 15 topics; a
// 16th fails in the SUBACK, a filter already held does not count again, and
// the next session starts afresh (docs/PROTOCOL.md §5.2).
func TestRuleSubscriptionsPerSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	for _, via := range vias {
		c := e.mustDial(t, via, "prod1", "dev1")
		for i := range 15 {
			if got := c.sub(t, 0, fmt.Sprintf("$sys/prod1/dev1/t%d", i)); got[0] != 0 {
				t.Fatalf("%s: topic %d: SUBACK %#x", via, i+1, got[0])
			}
		}
		if got := c.sub(t, 0, "$sys/prod1/dev1/t3"); got[0] != 0 {
			t.Errorf("%s: a topic already held: SUBACK %#x, want 0", via, got[0])
		}
		if got := c.sub(t, 0, "$sys/prod1/dev1/t15"); got[0] != 0x80 {
			t.Errorf("%s: a 16th topic: SUBACK %#x, want 0x80", via, got[0])
		}
		if !c.IsConnectionOpen() {
			t.Fatalf("%s: disconnected", via)
		}
		c.Disconnect(0)
	}
	e.log.waitFor(t, "subscribe refused: device prod1/dev1", "the session already holds 15 topics", "(subscribe.session, docs/PROTOCOL.md §5.2)")
	c := e.mustDial(t, "tcp", "prod1", "dev1")
	if got := c.sub(t, 0, "$sys/prod1/dev1/t15"); got[0] != 0 {
		t.Errorf("a new session: SUBACK %#x, want 0", got[0])
	}
}

// TestRuleSubscribeRate: more than 15 topics subscribed in 5 s disconnect
// the device and ban it for 5 minutes; refused filters count too
// (docs/PROTOCOL.md §5.2).
func TestRuleSubscribeRate(t *testing.T) {
	t.Parallel()
	for _, via := range vias {
		t.Run(via, func(t *testing.T) {
			e := newEnv(t)
			c := e.mustDial(t, via, "prod1", "dev1")
			var batch []string
			for i := range 8 {
				batch = append(batch, fmt.Sprintf("$sys/prod1/dev1/t%d", i))
			}
			c.sub(t, 0, batch...)
			c.sub(t, 0, "#", "$sys/prod2/dev1/#") // refused, counted: 10
			c.sub(t, 0, "$sys/prod1/dev1/a", "$sys/prod1/dev1/b", "$sys/prod1/dev1/c", "$sys/prod1/dev1/d", "$sys/prod1/dev1/e")
			n := e.log.mark()
			c.SubscribeMultiple(map[string]byte{"$sys/prod1/dev1/f": 0}, nil) // the 16th
			c.waitLost(t, "16 topics")
			e.log.waitAfter(t, n, "disconnected: device prod1/dev1", "more than 15 subscribed topics in 5s", "(subscribe.rate, docs/PROTOCOL.md §5.2)")
			if _, code, _ := e.dial(t, via, "prod1", "dev1", devTok(t, "prod1", "dev1", keyD1)); code != 3 {
				t.Errorf("login during the ban: CONNACK %d, want 3", code)
			}
			e.clock.Add(5*time.Minute + time.Second)
			e.mustDial(t, via, "prod1", "dev1")
		})
	}
}

// TestRuleUnsubscribeLimits: an UNSUBSCRIBE with more than 8 filters or a
// filter over the limits disconnects; more than 10 UNSUBSCRIBE in 5 s ban
// the device (docs/PROTOCOL.md §5.3).
func TestRuleUnsubscribeLimits(t *testing.T) {
	t.Parallel()
	var nine []string
	for i := range 9 {
		nine = append(nine, fmt.Sprintf("$sys/prod1/dev1/t%d", i))
	}
	for _, via := range vias {
		t.Run(via, func(t *testing.T) {
			e := newEnv(t)
			for _, tt := range []struct {
				name    string
				filters []string
				log     string
			}{
				{"9 filters", nine, "(unsubscribe.count, docs/PROTOCOL.md §5.3)"},
				{"513 bytes", []string{"$sys/prod1/dev1/" + strings.Repeat("a", 513-16)}, "(filter.length, docs/PROTOCOL.md §5.2)"},
				{"9 levels", []string{"$sys/prod1/dev1/a/b/c/d/e/f"}, "(filter.levels, docs/PROTOCOL.md §5.2)"},
				{"Chinese", []string{"$sys/prod1/dev1/温度"}, "(filter.chars, docs/PROTOCOL.md §5.2)"},
			} {
				n := e.log.mark()
				c := e.mustDial(t, via, "prod1", "dev1")
				c.Unsubscribe(tt.filters...)
				c.waitLost(t, tt.name)
				e.log.waitAfter(t, n, "disconnected: device prod1/dev1", "unsubscribe", tt.log)
			}
			c := e.mustDial(t, via, "prod1", "dev1")
			for i := range 10 {
				if tok := c.Unsubscribe(fmt.Sprintf("$sys/prod1/dev1/t%d", i)); !tok.WaitTimeout(wait) || tok.Error() != nil {
					t.Fatalf("unsubscribe %d: %v", i+1, tok.Error())
				}
			}
			n := e.log.mark()
			c.Unsubscribe("$sys/prod1/dev1/t10")
			c.waitLost(t, "11 UNSUBSCRIBE")
			e.log.waitAfter(t, n, "disconnected: device prod1/dev1", "more than 10 UNSUBSCRIBE packets in 5s", "(unsubscribe.rate, docs/PROTOCOL.md §5.3)")
			if _, code, _ := e.dial(t, via, "prod1", "dev1", devTok(t, "prod1", "dev1", keyD1)); code != 3 {
				t.Errorf("login during the ban: CONNACK %d, want 3", code)
			}
		})
	}
}

// TestRulePingRate: more than 10 PINGREQ in 5 s ban the device for 5
// minutes (docs/PROTOCOL.md §5.4). No client library pings on demand, so the
// PINGREQs are written by hand over TCP.
func TestRulePingRate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	conn := rawLogin(t, e.tcp, "prod1", "dev1", devTok(t, "prod1", "dev1", keyD1))
	pings := make([]byte, 0, 22)
	for range 11 {
		pings = append(pings, 0xC0, 0x00)
	}
	if _, err := conn.Write(pings); err != nil {
		t.Fatal(err)
	}
	expectClosed(t, conn)
	e.log.waitFor(t, "disconnected: device prod1/dev1", "more than 10 PINGREQ packets in 5s", "(ping.rate, docs/PROTOCOL.md §5.4)")
	if _, code := rawConnect(t, e.tcp, "prod1", "dev1", devTok(t, "prod1", "dev1", keyD1)); code != 3 {
		t.Errorf("login during the ban: CONNACK %d, want 3", code)
	}
}

// TestRulePublishTopic: a device that publishes to a topic with a character
// outside [A-Za-z0-9/_-] (§5.1), to a topic that is not one of the system
// topics a device publishes (§4.3), or to one the platform publishes, is
// disconnected (docs/PROTOCOL.md).
func TestRulePublishTopic(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	tests := []struct {
		name, topic, log string
	}{
		{"Chinese", "$sys/prod1/dev1/dp/post/温度", "(topic.chars, docs/PROTOCOL.md §5.1)"},
		{"dot", "$sys/prod1/dev1/dp/post/json.v2", "(topic.chars, docs/PROTOCOL.md §5.1)"},
		{"custom topic", "$sys/prod1/dev1/my/data", "(topic.unknown, docs/PROTOCOL.md §4.3)"},
		{"dp without json", "$sys/prod1/dev1/dp/post", "(topic.unknown, docs/PROTOCOL.md §4.3)"},
		{"a reply topic", "$sys/prod1/dev1/dp/post/json/accepted", "(publish.downlink, docs/PROTOCOL.md §4.3)"},
		{"a command request", "$sys/prod1/dev1/cmd/request/abc", "(publish.downlink, docs/PROTOCOL.md §4.3)"},
		{"outside the tree", "$sys/prod1/dev2/dp/post/json", "(topic.foreign, docs/PROTOCOL.md §4.2)"},
	}
	for _, via := range vias {
		for _, tt := range tests {
			t.Run(via+"/"+tt.name, func(t *testing.T) {
				n := e.log.mark()
				c := e.mustDial(t, via, "prod1", "dev1")
				c.Publish(tt.topic, 1, false, `{}`) // no PUBACK will come
				c.waitLost(t, tt.name)
				e.log.waitAfter(t, n, "disconnected: device prod1/dev1", tt.log)
			})
		}
	}
}

// studioEnv is newEnv with a OneNET Studio product "sp1" and its device
// "s1" (docs/PROTOCOL.md §5.7), OneNET's limits on.
func studioEnv(t *testing.T) (*env, string) {
	t.Helper()
	e := newEnv(t, func(o *Options) {
		o.Registry.Products = append(o.Registry.Products, Product{ID: "sp1", Kind: KindStudio, Key: key(40), Devices: []Device{{Name: "s1", Key: key(41)}}})
	})
	return e, devTok(t, "sp1", "s1", key(41))
}

// TestRuleStudioLogins: a Studio device logs in at most 3 times in 5 s; a
// 4th is refused (CONNACK 3) without a ban (docs/PROTOCOL.md §5.7).
func TestRuleStudioLogins(t *testing.T) {
	t.Parallel()
	for _, via := range vias {
		t.Run(via, func(t *testing.T) {
			e, pw := studioEnv(t)
			for i := range 3 {
				c, code, err := e.dial(t, via, "sp1", "s1", pw)
				if err != nil || code != 0 {
					t.Fatalf("login %d: CONNACK %d, %v", i+1, code, err)
				}
				c.Disconnect(0)
			}
			if _, code, _ := e.dial(t, via, "sp1", "s1", pw); code != 3 {
				t.Errorf("4th login in 5 s: CONNACK %d, want 3", code)
			}
			e.log.waitFor(t, "login refused", "more than 3 logins in 5s", "(studio.login, docs/PROTOCOL.md §5.7)")
			e.clock.Add(5 * time.Second)
			if _, code, err := e.dial(t, via, "sp1", "s1", pw); code != 0 || err != nil {
				t.Errorf("after 5 s (no ban): CONNACK %d, %v", code, err)
			}
		})
	}
}

// TestRuleStudioSubscriptions: a Studio session holds at most 10 topics, and
// subscribes at most 10 a second; beyond either, the SUBACK fails and the
// connection stays (docs/PROTOCOL.md §5.7).
func TestRuleStudioSubscriptions(t *testing.T) {
	t.Parallel()
	for _, via := range vias {
		t.Run(via, func(t *testing.T) {
			e, pw := studioEnv(t)
			c, code, err := e.dial(t, via, "sp1", "s1", pw)
			if err != nil || code != 0 {
				t.Fatalf("login: CONNACK %d, %v", code, err)
			}
			var ten []string
			for i := range 10 {
				ten = append(ten, fmt.Sprintf("$sys/sp1/s1/t%d", i))
			}
			for _, g := range append(c.sub(t, 0, ten[:5]...), c.sub(t, 0, ten[5:]...)...) {
				if g != 0 {
					t.Fatalf("10 topics: SUBACK %#x", g)
				}
			}
			e.clock.Add(time.Second)
			if g := c.sub(t, 0, "$sys/sp1/s1/t10"); g[0] != 0x80 {
				t.Errorf("an 11th topic in the session: SUBACK %#x, want 0x80", g[0])
			}
			e.log.waitFor(t, "subscribe refused: device sp1/s1", "the session already holds 10 topics", "(studio.session, docs/PROTOCOL.md §5.7)")
			e.clock.Add(time.Second)
			// Held topics again: the session does not grow, the rate counts.
			c.sub(t, 0, ten[:5]...)
			c.sub(t, 0, ten[5:]...)
			if g := c.sub(t, 0, ten[0]); g[0] != 0x80 {
				t.Errorf("an 11th topic in a second: SUBACK %#x, want 0x80", g[0])
			}
			e.log.waitFor(t, "subscribe refused: device sp1/s1", "more than 10 topics subscribed in a second", "(studio.subscribe, docs/PROTOCOL.md §5.7)")
			if !c.IsConnectionOpen() {
				t.Fatal("disconnected")
			}
		})
	}
}

// TestRuleStudioUplinkDelayed: a Studio device's second publish in a second
// waits for the next second instead of being refused, and arrives
// (docs/PROTOCOL.md §5.7: "超限后延迟到下一秒处理").
func TestRuleStudioUplinkDelayed(t *testing.T) {
	t.Parallel()
	for _, via := range vias {
		t.Run(via, func(t *testing.T) {
			e, pw := studioEnv(t)
			c, code, err := e.dial(t, via, "sp1", "s1", pw)
			if err != nil || code != 0 {
				t.Fatalf("login: CONNACK %d, %v", code, err)
			}
			for i := range 2 {
				c.pub(t, "$sys/sp1/s1/thing/property/post", 1, fmt.Sprintf(`{"id":"%d","params":{"temp":{"value":%d}}}`, i+1, i))
			}
			e.log.waitFor(t, "delayed: device sp1/s1", "a packet waits 1s", "(studio.uplink, docs/PROTOCOL.md §5.7)")
			if p := e.b.Properties("sp1", "s1")["temp"]; string(p.Value) != "1" {
				t.Errorf("temp %s, want the delayed publish's 1", p.Value)
			}
			if !c.IsConnectionOpen() {
				t.Fatal("disconnected")
			}
		})
	}
}

// TestRuleStudioPropertySet: the platform sets a Studio device's properties
// at most once a second; a second set fails (docs/PROTOCOL.md §5.7).
func TestRuleStudioPropertySet(t *testing.T) {
	t.Parallel()
	e, pw := studioEnv(t)
	c, code, err := e.dial(t, "tcp", "sp1", "s1", pw)
	if err != nil || code != 0 {
		t.Fatalf("login: CONNACK %d, %v", code, err)
	}
	c.Subscribe("$sys/sp1/s1/thing/property/set", 0, func(cl paho.Client, m paho.Message) {
		var req struct{ ID string }
		_ = json.Unmarshal(m.Payload(), &req)
		go cl.Publish("$sys/sp1/s1/thing/property/set_reply", 0, false, `{"id":"`+req.ID+`","code":200,"msg":"success"}`)
	}).WaitTimeout(wait)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if _, err := e.b.SetProperty(ctx, "sp1", "s1", json.RawMessage(`{"temp":1}`)); err != nil {
		t.Fatalf("first set: %v", err)
	}
	if _, err := e.b.SetProperty(ctx, "sp1", "s1", json.RawMessage(`{"temp":2}`)); !errors.Is(err, ErrRateLimited) {
		t.Errorf("second set in the same second: %v, want ErrRateLimited", err)
	}
	e.log.waitFor(t, "property set refused: device sp1/s1", "(studio.propset, docs/PROTOCOL.md §5.7)")
	e.clock.Add(time.Second)
	if _, err := e.b.SetProperty(ctx, "sp1", "s1", json.RawMessage(`{"temp":3}`)); err != nil {
		t.Errorf("a second later: %v", err)
	}
}

// TestRuleKitProductIDNumeric: a product declared "kind": "kit" has a
// numeric id, the username its devices log in with (docs/PROTOCOL.md §3.5);
// the registry says so, naming the field. A product without a kind is not
// checked (registries written before kinds), nor is a Studio product.
func TestRuleKitProductIDNumeric(t *testing.T) {
	k := key(1)
	if _, err := ParseRegistry("devices.json", []byte(`{"products":[{"id":"demo1","kind":"kit","key":"`+k+`"}]}`)); err == nil ||
		!strings.Contains(err.Error(), `devices.json: products[0].id: "demo1" is not a number`) || !strings.Contains(err.Error(), "§3.5") {
		t.Errorf("a kit product with id demo1: %v", err)
	}
	for _, ok := range []string{
		`{"products":[{"id":"469948","kind":"kit","key":"` + k + `"}]}`,
		`{"products":[{"id":"Ub99ifb8x7","kind":"studio","key":"` + k + `"}]}`,
		`{"products":[{"id":"demo1","key":"` + k + `"}]}`,
	} {
		if _, err := ParseRegistry("devices.json", []byte(ok)); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

// TestRulePublishDup: a DUP flag on a QoS 0 PUBLISH, which MQTT 3.1.1
// §3.3.1.1 forbids, disconnects (docs/PROTOCOL.md §5.1). No client library
// sends one, so the packet is written by hand. mochi's packet decoder
// refuses it before the broker's hooks see it (checkPublish would too).
func TestRulePublishDup(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	conn := rawLogin(t, e.tcp, "prod1", "dev1", devTok(t, "prod1", "dev1", keyD1))
	topic := "$sys/prod1/dev1/dp/post/json"
	pkt := append([]byte{0x38, byte(2 + len(topic) + 2), 0, byte(len(topic))}, topic...)
	pkt = append(pkt, "{}"...)
	if _, err := conn.Write(pkt); err != nil {
		t.Fatal(err)
	}
	expectClosed(t, conn)
	e.log.waitFor(t, "disconnected: device prod1/dev1", "dup true with no qos")
}

// TestRuleSubscribeMosquitto: the subscription rules seen by Debian's
// mosquitto_sub: granted QoS 0 for a QoS 1 request (§4.7), 0x80 for an
// illegal filter (§4.4), and a filter over the limits closes the
// connection (§5.2) (docs/PROTOCOL.md).
func TestRuleSubscribeMosquitto(t *testing.T) {
	t.Parallel()
	sub := mosquittoTool(t, "mosquitto_sub")
	e := newEnv(t, noLimits)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	args := func(filter string) []string {
		return append(e.mosquittoArgs(t, "dev1", keyD1), "-d", "-E", "-q", "1", "-t", filter)
	}
	if out := runTool(t, ctx, sub, args("$sys/prod1/dev1/#")...); !strings.Contains(out, "Subscribed (mid: 1): 0") {
		t.Errorf("a legal filter at QoS 1: %s, want granted 0", out)
	}
	if out := runTool(t, ctx, sub, args("$sys/prod1/#")...); !strings.Contains(out, "Subscribed (mid: 1): 128") {
		t.Errorf("a wildcard at level 3: %s, want 128 (0x80)", out)
	}
	// mosquitto_sub reconnects after the broker closes the connection: it
	// is stopped once the broker has logged why.
	n := e.log.mark()
	stop, cancelStop := context.WithCancel(ctx)
	var out bytes.Buffer
	cmd := exec.CommandContext(stop, sub, args("$sys/prod1/dev1/a/b/c/d/e/f")...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e.log.waitAfter(t, n, "disconnected: device prod1/dev1", "(filter.levels, docs/PROTOCOL.md §5.2)")
	cancelStop()
	_ = cmd.Wait()
	if strings.Contains(out.String(), "Subscribed (mid") {
		t.Errorf("9 levels: %s, want the connection closed before any SUBACK", out.String())
	}
}
