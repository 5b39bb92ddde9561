package broker

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestUnauthenticatedLoginsCannotBanDevice (issue: "a device can be banned
// by anyone, without credentials"): logins with a wrong token, any number
// of them, neither ban the device nor end its session; only logins with
// valid credentials count toward its limit (docs/PROTOCOL.md §5.6).
func TestUnauthenticatedLoginsCannotBanDevice(t *testing.T) {
	t.Parallel()
	e := newEnv(t) // OneNET's limits: 10 logins per 5 s, a 5-minute ban
	const dp = "$sys/prod1/dev1/dp/post/json"
	c := e.mustDial(t, "tcp", "prod1", "dev1")
	c.sub(t, 0, dp+"/accepted")
	for i := range 30 {
		if _, code := rawConnect(t, e.tcp, "prod1", "dev1", "garbage"); code != 4 && code != 3 {
			t.Fatalf("garbage login %d: CONNACK %d, want 4 (or 3 once the address is blocked)", i, code)
		}
	}
	// The live session is untouched and may publish.
	c.pub(t, dp, 1, `{"id":1,"dp":{"x":[{"v":1}]}}`)
	c.expect(t, dp+"/accepted")
	// A valid login (a take-over) is accepted, from the same address.
	c2 := e.mustDial(t, "ws", "prod1", "dev1")
	c2.pub(t, dp, 1, `{"id":2,"dp":{"x":[{"v":2}]}}`)
	for _, line := range e.log.all() {
		if strings.Contains(line, "banned") {
			t.Errorf("log: %s", line)
		}
	}
}

// TestValidLoginsStillBan: the device's own logins beyond the limit ban it
// (docs/PROTOCOL.md §5.6).
func TestValidLoginsStillBan(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *Options) { o.Limits = RateLimits{Window: time.Hour, Connects: 2, Ban: time.Minute} })
	pw := devTok(t, "prod1", "dev2", keyD2)
	for range 5 {
		rawConnect(t, e.tcp, "prod1", "dev2", "garbage")
	}
	for range 2 {
		rawLogin(t, e.tcp, "prod1", "dev2", pw).Close()
	}
	if _, code := rawConnect(t, e.tcp, "prod1", "dev2", pw); code != 3 {
		t.Fatalf("3rd valid login: CONNACK %d, want 3", code)
	}
	e.log.waitFor(t, "login refused", "more than 2 logins")
}

// TestFailedLoginsThrottledPerAddress: an address with more than
// FailedLogins refused logins in a window gets CONNACK 3 for its failures,
// unlogged, until the block ends; its valid logins still pass; the
// throttle remembers a bounded number of addresses (docs/PROTOCOL.md §5.6,
// our choice).
func TestFailedLoginsThrottledPerAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *Options) {
		o.Limits = RateLimits{Window: time.Hour, FailedLogins: 3, AddressBlock: time.Minute}
	})
	bad := []struct{ pid, dev, pw string }{
		{"prod1", "dev1", "garbage"}, {"nope", "dev1", "x"}, {"prod1", "nope", "x"}, {"prod1", "dev1", tok(t, "products/prod1", keyNone)},
	}
	var codes []byte
	for i := range 10 {
		b := bad[i%len(bad)]
		_, code := rawConnect(t, e.tcp, b.pid, b.dev, b.pw)
		codes = append(codes, code)
	}
	if want := []byte{4, 4, 4, 4, 3, 3, 3, 3, 3, 3}; string(codes) != string(want) {
		t.Fatalf("CONNACK codes %v, want %v", codes, want)
	}
	rawLogin(t, e.tcp, "prod1", "dev1", devTok(t, "prod1", "dev1", keyD1)).Close()
	refused := 0
	for _, line := range e.log.all() {
		if strings.Contains(line, "login refused") {
			refused++
		}
	}
	if refused != 4 {
		t.Errorf("%d \"login refused\" lines, want 4 (the block's refusals are not logged)", refused)
	}
	e.log.waitFor(t, "login throttled: more than 3 failed logins from 127.0.0.1")
	e.clock.Add(2 * time.Minute)
	if _, code := rawConnect(t, e.tcp, "prod1", "dev1", "garbage"); code != 4 {
		t.Fatalf("after the block: CONNACK %d, want 4", code)
	}

	var th loginThrottle
	lim := &RateLimits{Window: time.Hour, FailedLogins: 1, AddressBlock: time.Hour}
	for i := range 3 * maxTrackedAddrs {
		th.fail(fmt.Sprintf("10.0.%d.%d:1", i/256, i%256), epoch, lim)
	}
	if n := len(th.addrs); n > maxTrackedAddrs {
		t.Errorf("%d addresses remembered, want at most %d", n, maxTrackedAddrs)
	}
}

func TestAddrKey(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:5000": "127.0.0.1", "[::1]:80": "::/64", "[2001:db8::1]:5000": "2001:db8::/64",
		"[2001:db8::ffff:1]:1": "2001:db8::/64", "[2001:db8:0:1::1]:1": "2001:db8:0:1::/64", "odd": "odd",
	} {
		if got := addrKey(in); got != want {
			t.Errorf("addrKey(%q) = %q, want %q", in, got, want)
		}
	}
}
