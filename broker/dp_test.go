package broker

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestDP: datapoint uploads at QoS 1 on $sys topics, end to end over TCP
// and WebSocket: accepted, rejected with err_code 98, stored (docs/PROTOCOL.md §7, §5).
func TestDP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits, func(o *Options) { o.MaxStoredPoints = 3 })
	for _, via := range []string{"tcp", "ws"} {
		t.Run(via, func(t *testing.T) {
			dev := map[string]string{"tcp": "dev1", "ws": "dev2"}[via]
			pre := "$sys/prod1/" + dev + "/dp/post/json"
			c := e.mustDial(t, via, "prod1", dev)
			if got := c.sub(t, 1, pre+"/+"); got[0] != 0 { // granted QoS is at most 0 (docs/PROTOCOL.md §4.7)
				t.Fatalf("SUBACK %#x", got[0])
			}

			// Accepted, with and without "t"; the PUBACK arrives (QoS 1
			// on a $sys topic, which bare mochi drops: TestBareMochiDropsSys).
			c.pub(t, pre, 1, `{"id":123,"dp":{"temp":[{"v":30,"t":1552289676},{"v":31.5}],"pos":[{"v":{"lat":1,"lon":2}}]}}`)
			m := c.next(t)
			if m.topic != pre+"/accepted" || string(m.payload) != `{"id":123}` {
				t.Fatalf("got %s %s, want %s/accepted {\"id\":123}", m.topic, m.payload, pre)
			}

			// Rejected: a bad value; the connection stays open.
			c.pub(t, pre, 1, `{"id":124,"dp":{"temp":[{"v":true}]}}`)
			m = c.next(t)
			if m.topic != pre+"/rejected" {
				t.Fatalf("got %s %s, want rejected", m.topic, m.payload)
			}
			var rej struct {
				ID      int64  `json:"id"`
				ErrCode int    `json:"err_code"`
				ErrMsg  string `json:"err_msg"`
			}
			if err := json.Unmarshal(m.payload, &rej); err != nil {
				t.Fatal(err)
			}
			// err_msg is OneNET's, exactly (docs/PROTOCOL.md §7.3); it used
			// to carry the details, which now go to the log only.
			if rej.ID != 124 || rej.ErrCode != 98 || rej.ErrMsg != "Illegal Data" {
				t.Errorf("rejected %s: want id 124, err_code 98, err_msg Illegal Data", m.payload)
			}

			// Not JSON (a published example with trailing commas): id -1.
			c.pub(t, pre, 0, `{"id":125,"dp":{"temp":[{"v":30,},]}}`)
			m = c.expect(t, pre+"/rejected")
			if string(m.payload) != `{"id":-1,"err_code":98,"err_msg":"Illegal Data"}` {
				t.Errorf("rejected %s", m.payload)
			}

			// Still connected; a QoS 0 upload works too.
			c.pub(t, pre, 0, `{"id":126,"dp":{"temp":[{"v":32}, {"v":33}]}}`)
			if m := c.expect(t, pre+"/accepted"); string(m.payload) != `{"id":126}` {
				t.Errorf("accepted %s", m.payload)
			}

			// One upload read by the one-pass scanner, one it leaves to the
			// positional parser ("id" twice: the last wins); white space in
			// an object value is not stored, a string is stored as written.
			c.pub(t, pre, 0, `{"id":128,"dp":{"pos":[{"v":{ "lat" : 3 }}]}}`)
			if m := c.expect(t, pre+"/accepted"); string(m.payload) != `{"id":128}` {
				t.Errorf("accepted %s", m.payload)
			}
			c.pub(t, pre, 0, `{"id":1,"id":129,"dp":{"pos":[{"v": {"lat": 4}}],"name":[{"v":"a  b"}]}}`)
			if m := c.expect(t, pre+"/accepted"); string(m.payload) != `{"id":129}` {
				t.Errorf("accepted %s", m.payload)
			}

			// Stored: temp keeps the last 3 (MaxStoredPoints).
			pts := e.b.Datapoints("prod1", dev)
			var vals []string
			for _, p := range pts["temp"] {
				vals = append(vals, string(p.Value))
			}
			if strings.Join(vals, ",") != "31.5,32,33" {
				t.Errorf("temp %v, want 31.5,32,33", vals)
			}
			var pos []string
			for _, p := range pts["pos"] {
				pos = append(pos, string(p.Value))
			}
			if got := strings.Join(pos, " "); got != `{"lat":1,"lon":2} {"lat":3} {"lat":4}` {
				t.Errorf("pos %s", got)
			}
			if got := string(pts["name"][0].Value); got != `"a  b"` {
				t.Errorf("name %s", got)
			}
			if !pts["temp"][0].At.Equal(epoch) {
				t.Errorf("a point without t is stored at %v, want the broker's now %v", pts["temp"][0].At, epoch)
			}
		})
	}
	e.log.waitFor(t, "dp rejected: device prod1/dev1, id 124", "dp.temp[0].v", "(dp.rejected, docs/PROTOCOL.md §7.3)")
	e.log.waitFor(t, "dp rejected: device prod1/dev1, id -1", "line 1")
}

// TestDPRepliesOnlyToSubscribers: a device that subscribed to /accepted
// only does not get /rejected; one that did not subscribe gets nothing
// (docs/PROTOCOL.md §7.2).
func TestDPRepliesOnlyToSubscribers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	pre := "$sys/prod1/dev1/dp/post/json"
	c := e.mustDial(t, "tcp", "prod1", "dev1")
	c.sub(t, 0, pre+"/accepted")
	c.pub(t, pre, 1, `{"id":1,"dp":{}}`) // rejected: empty dp
	c.pub(t, pre, 1, `{"id":2,"dp":{"a":[{"v":1}]}}`)
	if m := c.next(t); m.topic != pre+"/accepted" || string(m.payload) != `{"id":2}` {
		t.Fatalf("first message %s %s, want the accepted id 2", m.topic, m.payload)
	}

	quiet := e.mustDial(t, "tcp", "prod1", "dev2")
	quiet.pub(t, "$sys/prod1/dev2/dp/post/json", 1, `{"id":3,"dp":{"a":[{"v":1}]}}`)
	quiet.sub(t, 0, "$sys/prod1/dev2/#") // SUBACK after the reply would have been sent
	select {
	case m := <-quiet.msgs:
		t.Fatalf("unsubscribed device got %s %s", m.topic, m.payload)
	case <-time.After(100 * time.Millisecond):
	}
	// A device's own upload is not echoed to its "#" subscription.
	quiet.pub(t, "$sys/prod1/dev2/dp/post/json", 1, `{"id":4,"dp":{"a":[{"v":1}]}}`)
	if m := quiet.next(t); m.topic != "$sys/prod1/dev2/dp/post/json/accepted" {
		t.Fatalf("got %s, want only the accepted reply", m.topic)
	}
}

// TestDPStreamLimit: a device may not grow its datastreams without bound.
func TestDPStreamLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits, func(o *Options) { o.MaxStreams = 2 })
	pre := "$sys/prod1/dev1/dp/post/json"
	c := e.mustDial(t, "tcp", "prod1", "dev1")
	c.sub(t, 0, pre+"/+")
	c.pub(t, pre, 1, `{"id":1,"dp":{"a":[{"v":1}],"b":[{"v":1}]}}`)
	c.expect(t, pre+"/accepted")
	c.pub(t, pre, 1, `{"id":2,"dp":{"c":[{"v":1}]}}`)
	// err_msg is OneNET's own (docs/PROTOCOL.md §7.3); why is in the log.
	if m := c.next(t); m.topic != pre+"/rejected" || string(m.payload) != `{"id":2,"err_code":98,"err_msg":"Illegal Data"}` {
		t.Fatalf("got %s %s", m.topic, m.payload)
	}
	e.log.waitFor(t, "dp rejected: device prod1/dev1, id 2", "more than 2 datastreams")
	if n := len(e.b.Datapoints("prod1", "dev1")); n != 2 {
		t.Errorf("%d streams stored, want 2", n)
	}
}

// TestPublishConsumed: the platform consumes what a device publishes
// (docs/PROTOCOL.md §4): a device subscribed to its own upload topic gets
// the reply, never its upload.
func TestPublishConsumed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	pre := "$sys/prod1/dev1/dp/post/json"
	c := e.mustDial(t, "tcp", "prod1", "dev1")
	if got := c.sub(t, 1, pre, pre+"/accepted"); got[0] != 0 || got[1] != 0 {
		t.Fatalf("SUBACK %v", got)
	}
	for i := range 3 {
		c.pub(t, pre, byte(i%2), `{"id":7,"dp":{"temp":[{"v":1}]}}`)
		if m := c.next(t); m.topic != pre+"/accepted" {
			t.Fatalf("upload %d: got %s %s, want only %s/accepted", i, m.topic, m.payload, pre)
		}
	}
}
