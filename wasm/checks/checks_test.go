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
