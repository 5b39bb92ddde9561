package broker

import (
	"encoding/json"
	"testing"
)

type shadowMsg struct {
	State struct {
		Reported map[string]any `json:"reported"`
		Desired  map[string]any `json:"desired"`
	} `json:"state"`
	Version   int64  `json:"version"`
	Timestamp int64  `json:"timestamp"`
	Code      int    `json:"code"`
	Msg       string `json:"msg"`
}

func decodeShadow(t testing.TB, m message) shadowMsg {
	t.Helper()
	var s shadowMsg
	if err := json.Unmarshal(m.payload, &s); err != nil {
		t.Fatalf("%s: %s: %v", m.topic, m.payload, err)
	}
	return s
}

// TestShadow: image/update, image/get and image/update/delta (notes §4).
func TestShadow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	pre := "$sys/prod1/dev1/image/"
	c := e.mustDial(t, "tcp", "prod1", "dev1")
	c.sub(t, 1, pre+"#")

	c.pub(t, pre+"update", 1, `{"state":{"reported":{"temp":20,"mode":"auto"}}}`)
	m := c.next(t)
	if m.topic != pre+"update/accepted" {
		t.Fatalf("got %s %s", m.topic, m.payload)
	}
	s := decodeShadow(t, m)
	if s.Version != 1 || s.State.Reported["temp"] != 20.0 || len(s.State.Desired) != 0 || s.Timestamp != epoch.UnixMilli() {
		t.Errorf("after the first update: %s", m.payload)
	}

	// Desired differs from reported: accepted, then a delta.
	c.pub(t, pre+"update", 1, `{"state":{"desired":{"temp":25,"mode":"auto"}},"version":1}`)
	if m := c.next(t); m.topic != pre+"update/accepted" || decodeShadow(t, m).Version != 2 {
		t.Fatalf("got %s %s", m.topic, m.payload)
	}
	m = c.next(t)
	if m.topic != pre+"update/delta" {
		t.Fatalf("got %s %s, want the delta", m.topic, m.payload)
	}
	if d := decodeShadow(t, m); len(d.State.Desired) != 1 || d.State.Desired["temp"] != 25.0 || d.Version != 2 {
		t.Errorf("delta %s, want only temp 25", m.payload)
	}

	// A stale version is rejected, the shadow unchanged.
	c.pub(t, pre+"update", 1, `{"state":{"reported":{"temp":21}},"version":1}`)
	m = c.next(t)
	if r := decodeShadow(t, m); m.topic != pre+"update/rejected" || r.Code != 409 || r.Msg == "" {
		t.Errorf("stale version: %s %s", m.topic, m.payload)
	}
	c.pub(t, pre+"update", 0, `{"state":`)
	m = c.next(t)
	if r := decodeShadow(t, m); m.topic != pre+"update/rejected" || r.Code != 400 {
		t.Errorf("bad JSON: %s %s", m.topic, m.payload)
	}

	// null deletes; get returns the document.
	c.pub(t, pre+"update", 1, `{"state":{"reported":{"mode":null,"temp":25}}}`)
	c.expect(t, pre+"update/accepted")
	c.pub(t, pre+"get", 1, ``)
	m = c.expect(t, pre+"get/accepted")
	s = decodeShadow(t, m)
	if s.Version != 3 || len(s.State.Reported) != 1 || s.State.Reported["temp"] != 25.0 || s.State.Desired["temp"] != 25.0 {
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
	if d := decodeShadow(t, m); d.State.Desired["temp"] != 18.0 || d.Version != 4 {
		t.Errorf("delta %s", m.payload)
	}
}
