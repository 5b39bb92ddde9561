package broker

import (
	"io"
	"testing"
	"time"
)

// TestRuleStudioPaces: a Studio connection's uplink bytes (512 KB/s),
// unsubscribed topics (10/s) and PINGREQs (1/s) are paced at their rate:
// a second's worth goes at once, the next unit waits its share of a
// second (docs/PROTOCOL.md §5.7, where the broker differs from SL's
// "delayed to the next second").
func TestRuleStudioPaces(t *testing.T) {
	type step struct {
		at               time.Duration // since the start
		n                int
		waitMin, waitMax time.Duration
	}
	tests := []struct {
		name  string
		which int
		steps []step
	}{
		{"bytes: 512 KiB at once, then one byte", paceBytes, []step{
			{0, 512 * 1024, 0, 0},
			{0, 1, time.Nanosecond, 2 * time.Microsecond},
		}},
		{"bytes: 512 KiB in 4 packets, then one byte", paceBytes, []step{
			{0, 128 * 1024, 0, 0}, {0, 128 * 1024, 0, 0}, {0, 128 * 1024, 0, 0}, {0, 128 * 1024, 0, 0},
			{0, 1, time.Nanosecond, 2 * time.Microsecond},
		}},
		{"bytes: a second later, another 512 KiB at once", paceBytes, []step{
			{0, 512 * 1024, 0, 0},
			{time.Second, 512 * 1024, 0, 0},
			{time.Second, 1, time.Nanosecond, 2 * time.Microsecond},
		}},
		{"unsubscribe: 10 topics, then an 11th", paceUnsub, []step{
			{0, 10, 0, 0},
			{0, 1, 100 * time.Millisecond, 100 * time.Millisecond},
			{0, 1, 200 * time.Millisecond, 200 * time.Millisecond},
		}},
		{"unsubscribe: 10 in one packet after 5", paceUnsub, []step{
			{0, 5, 0, 0},
			{0, 10, 0, 0},
			{0, 1, 600 * time.Millisecond, 600 * time.Millisecond},
		}},
		{"ping: the 2nd in a second waits 1 s", pacePing, []step{
			{0, 1, 0, 0},
			{0, 1, time.Second, time.Second},
		}},
		{"ping: one a second waits not", pacePing, []step{
			{0, 1, 0, 0},
			{time.Second, 1, 0, 0},
			{2 * time.Second, 1, 0, 0},
		}},
		{"ping: the 2nd half a second later waits half a second", pacePing, []step{
			{0, 1, 0, 0},
			{500 * time.Millisecond, 1, 500 * time.Millisecond, 500 * time.Millisecond},
		}},
		{"uplink: a backlog is bounded", paceUplink, []step{
			{0, 100, 0, 0},
			{0, 1, studioMaxDelay, studioMaxDelay},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s studioState
			for i, st := range tt.steps {
				got := s.pace(epoch.Add(st.at), tt.which, st.n)
				if got < st.waitMin || got > st.waitMax {
					t.Errorf("step %d (%d at +%s): waits %s, want %s…%s", i, st.n, st.at, got, st.waitMin, st.waitMax)
				}
			}
		})
	}
}

// TestRuleStudioPingDelayed: a Studio device's second PINGREQ within a
// second waits about a second for its PINGRESP, and the broker logs why
// (docs/PROTOCOL.md §5.7). No client library sends two PINGREQs at once,
// so the packets are written by hand.
func TestRuleStudioPingDelayed(t *testing.T) {
	t.Parallel()
	e, pw := studioEnv(t)
	conn := rawLogin(t, e.tcp, "sp1", "s1", pw)
	_ = conn.SetDeadline(time.Now().Add(wait))
	start := time.Now()
	if _, err := conn.Write([]byte{0xC0, 0x00, 0xC0, 0x00}); err != nil {
		t.Fatal(err)
	}
	resp := make([]byte, 2)
	if _, err := io.ReadFull(conn, resp); err != nil || resp[0] != 0xD0 {
		t.Fatalf("first PINGRESP: % x, %v", resp, err)
	}
	if d := time.Since(start); d > 700*time.Millisecond {
		t.Errorf("the first PINGRESP came after %s; it is not paced", d)
	}
	if _, err := io.ReadFull(conn, resp); err != nil || resp[0] != 0xD0 {
		t.Fatalf("second PINGRESP: % x, %v", resp, err)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("the second PINGRESP came after %s, want about 1s", d)
	}
	e.log.waitFor(t, "delayed: device sp1/s1", "a packet waits 1s", "(studio.ping, docs/PROTOCOL.md §5.7)")
}
