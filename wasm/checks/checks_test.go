//go:build js && wasm

package checks

import (
	"syscall/js"
	"testing"

	"github.com/onenet-wasm/onenet-wasm/onenet"
	"github.com/onenet-wasm/onenet-wasm/wasm/jsbridge"
)

// An onenet error reaches the page with its field, code and the rule's
// section: the describer this package registers with jsbridge.
func TestErrorValueOfOnenetError(t *testing.T) {
	_, err := onenet.Topic(onenet.KindDPPost, onenet.TopicArgs{ProductID: "1"})
	if err == nil {
		t.Fatal("a topic without a device name was accepted")
	}
	v := jsbridge.ErrorValue(err)
	if v["field"] != "deviceName" || v["code"] != "name.empty" || v["message"] != err.Error() {
		t.Errorf("ErrorValue(%v) = %v; want field deviceName, code name.empty", err, v)
	}
	if _, ok := v["section"]; ok {
		t.Errorf("ErrorValue(%v) has a section %v; name.empty is not a rule of OneNET's", err, v["section"])
	}
}

// A rule's error and warning carry the rule's section of docs/PROTOCOL.md,
// which the page cites beside the message (§5.2 for a filter's characters,
// §5.1 for a topic's, §4.3 for a topic the platform publishes).
func TestRuleSections(t *testing.T) {
	err := onenet.CheckFilter("$sys/p1/d1/温度", "p1", "d1")
	if err == nil {
		t.Fatal("a filter with 温度 was accepted")
	}
	if v := jsbridge.ErrorValue(err); v["code"] != "filter.chars" || v["section"] != "§5.2" {
		t.Errorf("ErrorValue(%v): code %v, section %v; want filter.chars, §5.2", err, v["code"], v["section"])
	}
	obj := js.Global().Get("Object").New()
	Export(obj)
	for topic, want := range map[string][2]string{
		"$sys/p1/d1/dp/post/温度":               {"topic.chars", "§5.1"},
		"$sys/p1/d1/my/data":                  {"topic.unknown", "§4.3"},
		"$sys/p1/d1/dp/post/json/accepted":    {"publish.downlink", "§4.3"},
		"$sys/p1/d1/a/b/c/d/e/f/dp/post/json": {"topic.levels", "§5.1"},
	} {
		r := obj.Call("checkPublish", map[string]any{"topic": topic, "productId": "p1", "deviceName": "d1"})
		ws := r.Get("value")
		found := false
		for i := range ws.Length() {
			w := ws.Index(i)
			if w.Get("code").String() == want[0] {
				found = true
				if got := w.Get("section").String(); got != want[1] {
					t.Errorf("checkPublish(%s): %s has section %q, want %q", topic, want[0], got, want[1])
				}
			}
		}
		if !found {
			t.Errorf("checkPublish(%s): no %s warning among %d", topic, want[0], ws.Length())
		}
	}
}

// The exported functions answer through the {value}/{error} wrapper.
func TestExport(t *testing.T) {
	obj := js.Global().Get("Object").New()
	Export(obj)
	r := obj.Call("topic", "dp/post/json", map[string]any{"productId": "p1", "deviceName": "d1"})
	if got := r.Get("value").String(); got != "$sys/p1/d1/dp/post/json" {
		t.Errorf("topic(dp/post/json) = %q", got)
	}
	r = obj.Call("topic", "dp/post/json", map[string]any{"productId": "p1"})
	if e := r.Get("error"); e.IsUndefined() || e.Get("field").String() != "deviceName" {
		t.Errorf("topic without deviceName: error = %v", e)
	}
	r = obj.Call("checkPayload", "dp/post/json", `{"id":1,"dp":{"t":[{"v":1}]}}`)
	if !r.Get("value").Get("ok").Bool() {
		t.Errorf("checkPayload of a valid dp post = %v", r.Get("value").Get("error"))
	}
	r = obj.Call("checkPayload", "dp/post/json", `{"id":`)
	if v := r.Get("value"); v.Get("ok").Bool() || v.Get("line").Int() != 1 {
		t.Errorf("checkPayload of cut JSON: ok %v, line %v", v.Get("ok"), v.Get("line"))
	}
}
