package broker

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

type shadowMsg struct {
	State    map[string]any `json:"state"`
	Metadata map[string]any `json:"metadata"`
	Version  int64          `json:"version"`
	// Timestamp is Unix seconds (image-topics.md).
	Timestamp int64  `json:"timestamp"`
	ErrCode   int    `json:"err_code"`
	ErrMsg    string `json:"err_msg"`
}

func decodeShadow(t testing.TB, m message) shadowMsg {
	t.Helper()
	var s shadowMsg
	if err := json.Unmarshal(m.payload, &s); err != nil {
		t.Fatalf("%s: %s: %v", m.topic, m.payload, err)
	}
	return s
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestShadow: image/update, image/get and image/update/delta in OneNET's
// formats (docs/PROTOCOL.md §10): a flat delta with metadata,
// version and a timestamp in seconds, sent after any update that leaves a
// difference; nested merge and nested delta. Over TCP and WebSocket.
func TestShadow(t *testing.T) {
	t.Parallel()
	for _, via := range vias {
		t.Run(via, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, noLimits)
			pre := "$sys/prod1/dev1/image/"
			c := e.mustDial(t, via, "prod1", "dev1")
			c.sub(t, 1, pre+"#")

			c.pub(t, pre+"update", 1, `{"state":{"reported":{"temp":20,"lights":{"color":"GREEN","on":true}}}}`)
			m := c.next(t)
			if m.topic != pre+"update/accepted" {
				t.Fatalf("got %s %s", m.topic, m.payload)
			}
			s := decodeShadow(t, m)
			if s.Version != 1 || s.Timestamp != epoch.Unix() || jsonOf(s.State) != `{"desired":{},"reported":{"lights":{"color":"GREEN","on":true},"temp":20}}` {
				t.Errorf("after the first update: %s", m.payload)
			}
			if jsonOf(s.Metadata["reported"]) != fmt.Sprintf(`{"lights":{"color":{"timestamp":%d},"on":{"timestamp":%[1]d}},"temp":{"timestamp":%[1]d}}`, epoch.Unix()) {
				t.Errorf("metadata %s", jsonOf(s.Metadata))
			}

			// Desired differs from reported, one level down: accepted, then a
			// flat, nested delta.
			e.clock.Add(5e9)
			c.pub(t, pre+"update", 1, `{"state":{"desired":{"lights":{"color":"RED","on":true},"temp":20}}}`)
			if m := c.next(t); m.topic != pre+"update/accepted" || decodeShadow(t, m).Version != 2 {
				t.Fatalf("got %s %s", m.topic, m.payload)
			}
			m = c.next(t)
			if m.topic != pre+"update/delta" {
				t.Fatalf("got %s %s, want the delta", m.topic, m.payload)
			}
			now := epoch.Unix() + 5
			if want := fmt.Sprintf(`{"metadata":{"lights":{"color":{"timestamp":%d}}},"state":{"lights":{"color":"RED"}},"timestamp":%[1]d,"version":2}`, now); string(m.payload) != want {
				t.Errorf("delta\n got %s\nwant %s", m.payload, want)
			}

			// A reported-only update that leaves a difference also brings a delta.
			c.pub(t, pre+"update", 1, `{"state":{"reported":{"temp":21}}}`)
			c.expect(t, pre+"update/accepted")
			m = c.expect(t, pre+"update/delta")
			if d := decodeShadow(t, m); jsonOf(d.State) != `{"lights":{"color":"RED"},"temp":20}` || d.Version != 3 {
				t.Errorf("delta after a reported update: %s", m.payload)
			}

			// Agreement: accepted and no delta; null deletes, and an object left
			// empty goes.
			c.pub(t, pre+"update", 1, `{"state":{"reported":{"temp":20,"lights":{"color":"RED"}}}}`)
			c.expect(t, pre+"update/accepted")
			c.pub(t, pre+"update", 1, `{"state":{"reported":{"lights":{"color":null,"on":null}}}}`)
			c.expect(t, pre+"update/accepted")
			m = c.next(t) // the delta: lights is gone from reported
			if m.topic != pre+"update/delta" || jsonOf(decodeShadow(t, m).State) != `{"lights":{"color":"RED","on":true}}` {
				t.Errorf("after deleting lights: %s %s", m.topic, m.payload)
			}
			c.pub(t, pre+"get", 1, ``)
			m = c.expect(t, pre+"get/accepted")
			s = decodeShadow(t, m)
			if s.Version != 5 || jsonOf(s.State["reported"]) != `{"temp":20}` {
				t.Errorf("document %s", m.payload)
			}
			doc, err := e.b.Shadow("prod1", "dev1")
			if err != nil || string(doc) != string(m.payload) {
				t.Errorf("Shadow() = %s, %v; want %s", doc, err, m.payload)
			}

			// The platform changes desired: the device gets a delta.
			if _, err := e.b.UpdateShadow("prod1", "dev1", []byte(`{"state":{"desired":{"temp":18}}}`)); err != nil {
				t.Fatal(err)
			}
			m = c.expect(t, pre+"update/delta")
			if d := decodeShadow(t, m); d.State["temp"] != 18.0 || d.Version != 6 {
				t.Errorf("delta %s", m.payload)
			}
			if _, err := e.b.UpdateShadow("prod1", "dev1", []byte(`{"state":{}}`)); !errors.Is(err, ErrImage) || !strings.Contains(err.Error(), "164") {
				t.Errorf("platform update without a section: %v", err)
			}
		})
	}
}

// TestShadowErrors: the documented error codes 160–165 and limits (4 KB,
// keys of 1 to 30 characters of [A-Za-z0-9_], depth ≤ 4), over TCP and
// WebSocket (docs/PROTOCOL.md §10).
func TestShadowErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	pre := "$sys/prod1/dev1/image/"
	deep4 := `{"one":{"two":{"three":{"four":{"key":"value"}}}}}` // image.md's valid example
	deep5 := `{"one":{"two":{"three":{"four":{"five":{"key":"value"}}}}}}`
	for _, via := range []string{"tcp", "ws"} {
		c := e.mustDial(t, via, "prod1", "dev1")
		c.sub(t, 0, pre+"update/accepted", pre+"update/rejected")
		for _, tc := range []struct {
			payload string
			code    int
			msg     string
		}{
			{`{"state":`, 160, "illegal json"},
			{`[1]`, 160, "illegal json"},
			{`{"state":{"reported":{"a":"` + strings.Repeat("x", 4096) + `"}}}`, 161, "json out of bound"},
			{`{"state":{"reported":` + deep5 + `}}`, 162, "json depth out of bound"},
			{`{"state":{"desired":{"a":[[[[[1]]]]]}}}`, 162, "json depth out of bound"},
			{`{"reported":{"a":1}}`, 163, "state key not found"},
			{`{"state":{"tags":{"a":1}}}`, 164, "desired or reported key not found"},
			{`{"state":{"reported":{"` + strings.Repeat("k", 31) + `":1}}}`, 165, "invalid parameters"},
			{`{"state":{"reported":{"":1}}}`, 165, "invalid parameters"},
			{`{"state":{"reported":{"a":{"b-c":1}}}}`, 165, "invalid parameters"},
			{`{"state":{"reported":{"温度":1}}}`, 165, "invalid parameters"},
			{`{"state":{"reported":5}}`, 165, "invalid parameters"},
			{`{"state":[]}`, 165, "invalid parameters"},
		} {
			c.pub(t, pre+"update", 1, tc.payload)
			m := c.next(t)
			r := decodeShadow(t, m)
			if m.topic != pre+"update/rejected" || r.ErrCode != tc.code || r.ErrMsg != tc.msg {
				t.Errorf("%s %.60s: %s %s; want err_code %d %q", via, tc.payload, m.topic, m.payload, tc.code, tc.msg)
			}
		}
		// The documented limits themselves are accepted.
		for _, ok := range []string{
			`{"state":{"reported":` + deep4 + `}}`,
			`{"state":{"reported":{"` + strings.Repeat("k", 30) + `":1,"A_9":2}}}`,
		} {
			c.pub(t, pre+"update", 1, ok)
			if m := c.next(t); m.topic != pre+"update/accepted" {
				t.Errorf("%s %.60s: %s %s", via, ok, m.topic, m.payload)
			}
		}
		c.Disconnect(0)
	}
	e.log.waitFor(t, "image update rejected", "err_code 162")
}

// TestShadowUnbounded is issue 19's defect 3: 60 image/update messages, each
// adding a 200 KB key, made a 12 MB image/get reply. Each is now refused
// (161, json out of bound) and the image stays within 4 KB, however many
// small keys are added (docs/PROTOCOL.md §10).
func TestShadowUnbounded(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	pre := "$sys/prod1/dev1/image/"
	c := e.mustDial(t, "tcp", "prod1", "dev1")
	c.sub(t, 0, pre+"update/accepted", pre+"update/rejected", pre+"get/accepted")
	big := strings.Repeat("x", 200<<10)
	for i := range 60 {
		c.pub(t, pre+"update", 1, fmt.Sprintf(`{"state":{"reported":{"k%d":"%s"}}}`, i, big))
		if m := c.next(t); m.topic != pre+"update/rejected" || decodeShadow(t, m).ErrCode != 161 {
			t.Fatalf("update %d: %s %.100s", i, m.topic, m.payload)
		}
	}
	// Many small updates: accepted until the image is full, then refused.
	refused := 0
	for i := range 200 {
		c.pub(t, pre+"update", 1, fmt.Sprintf(`{"state":{"reported":{"key%03d":"%s"}}}`, i, strings.Repeat("v", 50)))
		if m := c.next(t); m.topic == pre+"update/rejected" {
			refused++
		}
	}
	if refused == 0 {
		t.Error("200 keys of 50 bytes were all accepted: the image is not bounded")
	}
	c.pub(t, pre+"get", 1, ``)
	m := c.expect(t, pre+"get/accepted")
	s := decodeShadow(t, m)
	state, _ := json.Marshal(s.State)
	if len(state) > 4096 || len(m.payload) > 3*4096 {
		t.Errorf("image/get: state %d bytes, reply %d bytes", len(state), len(m.payload))
	}
}
