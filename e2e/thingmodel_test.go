package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/onenet-wasm/onenet-wasm/broker"
	"github.com/onenet-wasm/onenet-wasm/server"
)

// studioRegistry: the test product as a OneNET Studio product with the
// page's sample thing model (docs/PROTOCOL.md §9.5).
func studioRegistry(t *testing.T) *broker.Registry {
	model, err := os.ReadFile("../web/thingmodel-sample.json")
	if err != nil {
		t.Fatal(err)
	}
	r := testRegistry()
	r.Products[0].Kind = broker.KindStudio
	r.Products[0].ThingModel = model
	return r
}

// studioWithModel opens the page against the local broker with a Studio
// product, connects its device and imports the sample thing model
// (useSampleModel).
func studioWithModel(t *testing.T) *env {
	t.Helper()
	e := newEnv(t, server.Config{Registry: studioRegistry(t)})
	e.open("/")
	e.connectLocal(deviceKey)
	e.waitJS(`document.getElementById("conn-state").dataset.state === "connected"`, "connected")
	e.useSampleModel()
	return e
}

// useSampleModel imports the page's sample thing model and subscribes to
// its topics.
func (e *env) useSampleModel() {
	e.t.Helper()
	e.click("tm-sample")
	e.waitJS(`!document.getElementById("tm-forms").hidden`, "the sample model")
	e.click("tm-subscribe")
	e.waitJS(`document.getElementById("tm-err").textContent.includes("Subscribed")`, "the thing-model subscription")
}

// TestThingModelPage: import the sample model, post properties from the
// generated form and see the device card update; set a property and invoke
// a service from the platform side and answer them with the prepared
// reply; an invalid value is refused naming the identifier, in English and
// in Chinese (docs/PROTOCOL.md §9).
func TestThingModelPage(t *testing.T) {
	e := newEnv(t, server.Config{Registry: studioRegistry(t)})
	e.open("/")
	e.connectLocal(deviceKey)
	e.waitJS(`document.getElementById("conn-state").dataset.state === "connected"`, "connected")

	e.click("tm-sample")
	e.waitJS(`!document.getElementById("tm-forms").hidden && document.querySelectorAll("#tm-card tbody tr").length === 7`, "the forms and the card of the sample model")
	if s := e.text("tm-summary"); !strings.Contains(s, "7 properties, 1 event, 1 service") {
		t.Errorf("summary %q", s)
	}
	e.click("tm-subscribe")
	e.waitJS(`document.getElementById("tm-err").textContent.includes("Subscribed")`, "the thing-model subscription")

	// Post from the generated form: the broker accepts it (200, linked in
	// the publish history), keeps it, and the card shows it.
	e.set("tm-brightness", "42")
	e.set("tm-label", "kitchen")
	e.click("tm-post-send")
	e.waitJS(`document.querySelector('#tm-card tr[data-id="brightness"] .v').textContent === "42"`, "the card to show the posted brightness")
	e.waitJS(`[...document.querySelectorAll("#pub-history li")].some(li => li.textContent.includes("thing/property/post") && li.classList.contains("accepted"))`, "the post's 200 reply, linked")
	if p := e.srv.Broker().Properties(productID, deviceName); string(p["brightness"].Value) != "42" || string(p["label"].Value) != `"kitchen"` {
		t.Errorf("the broker kept %v", p)
	}
	if u := e.text("tm-card"); !strings.Contains(u, "°C") || !strings.Contains(u, "%") {
		t.Errorf("the card lacks the units: %q", u)
	}

	// An invalid value: refused as it is typed, naming the identifier, and
	// not sent.
	sent := eval[int](e, `document.querySelectorAll("#pub-history li").length`)
	e.set("tm-brightness", "101")
	e.waitJS(`document.getElementById("tm-brightness-err").textContent !== ""`, "the invalid brightness to be refused")
	if msg := e.text("tm-brightness-err"); !strings.Contains(msg, "brightness") || !strings.Contains(msg, "0 to 100") {
		t.Errorf("error %q, want the identifier and the range", msg)
	}
	if eval[string](e, `document.getElementById("tm-brightness").getAttribute("aria-invalid")`) != "true" {
		t.Error("the invalid field is not marked")
	}
	e.click("tm-post-send")
	if n := eval[int](e, `document.querySelectorAll("#pub-history li").length`); n != sent {
		t.Errorf("an invalid post was sent (%d entries, was %d)", n, sent)
	}

	// The platform sets a property: the request reaches the page, which
	// answers with the prepared reply; the platform shows the device's reply.
	e.set("plat-key", productKey)
	e.set("tm-set-brightness", "55")
	e.click("tm-set-send")
	e.waitJS(`document.querySelectorAll("#requests .req").length === 1`, "the property/set request with its prepared reply")
	if card := eval[string](e, `document.querySelector("#requests .req").textContent`); !strings.Contains(card, "thing model") {
		t.Errorf("the set request's card does not say its reply is built from the model: %q", card)
	}
	eval[bool](e, `(() => { document.querySelector("#requests .req button").click(); return true })()`)
	e.waitJS(`document.getElementById("tm-out").textContent.includes('"code":200')`, "the set reply at the platform side")
	e.waitJS(`document.querySelector('#tm-card tr[data-id="brightness"] .v').textContent === "55"`, "the card to show the value set")

	// The message inspector shows the request checked, with names and units.
	eval[bool](e, `(() => { [...document.querySelectorAll("#msg-list .msg")].find(m => m.textContent.includes("/thing/property/set")).click(); return true })()`)
	e.waitJS(`!document.getElementById("inspector").hidden && document.getElementById("insp-meta").textContent.includes("matches the model")`, "the thing-model check in the inspector")
	if meta := e.text("insp-meta"); !strings.Contains(meta, "Brightness (brightness)") || !strings.Contains(meta, "55 %") {
		t.Errorf("inspector %q lacks the property's name and unit", meta)
	}

	// The platform invokes a service; the prepared reply carries its output.
	e.set("tm-reboot-delay", "5")
	e.click("tm-invoke-send")
	e.waitJS(`document.querySelectorAll("#requests .req").length === 2`, "the invoke request")
	eval[bool](e, `(() => { document.querySelector("#requests .req:first-child button").click(); return true })()`)
	e.waitJS(`document.getElementById("tm-out").textContent.includes('"ok":true')`, "the invoke reply with its output")

	// A platform-side value the model refuses is not sent.
	e.set("tm-reboot-delay", "61")
	e.waitJS(`document.getElementById("tm-reboot-delay-err").textContent.includes("delay")`, "the invalid input refused")

	// Incoming messages were checked against the model, and marked in the log.
	e.waitJS(`[...document.querySelectorAll("#msg-list .msg")].some(m => m.textContent.includes("/thing/property/set") && m.querySelector(".m-tm.ok"))`, "the property/set request marked as matching the model in the log")
	if s := e.text("tm-checks"); !strings.Contains(s, "✓") || !strings.Contains(s, "thing/property/set") {
		t.Errorf("checked messages %q", s)
	}

	// In Chinese, the same refusal names the identifier.
	e.setLang("zh")
	e.set("tm-brightness", "101")
	e.waitJS(`document.getElementById("tm-brightness-err").textContent.includes("超出范围")`, "the refusal in Chinese")
	if msg := e.text("tm-brightness-err"); !strings.Contains(msg, "brightness") {
		t.Errorf("Chinese error %q lacks the identifier", msg)
	}
	if h := e.text("tm-h"); h != "物模型" {
		t.Errorf("the panel's title in Chinese: %q", h)
	}

	// The model is kept for the product: a reload restores it.
	e.open("/")
	e.set("productId", productID)
	e.waitJS(`!document.getElementById("tm-forms").hidden`, "the model restored after a reload")
}

// TestPreparedRepliesFromModel: with the product's thing model known, the
// prepared reply beside a property/get holds valid values of exactly the
// properties asked for, a service call's holds the service's output, and
// the auto-answer sends the same; the thing-model panel keeps no second
// list of requests (docs/PROTOCOL.md §9.3).
func TestPreparedRepliesFromModel(t *testing.T) {
	e := studioWithModel(t)
	b := e.srv.Broker()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	// By hand: the prepared reply of a property/get, sent from its card.
	got := make(chan error, 1)
	var reply struct {
		Code int
		Data map[string]json.RawMessage
	}
	go func() {
		r, err := b.GetProperty(ctx, productID, deviceName, []string{"label", "mode"})
		if err == nil {
			reply.Code = r.Code
			err = json.Unmarshal(r.Data, &reply.Data)
		}
		got <- err
	}()
	e.waitJS(`document.querySelectorAll("#requests .req").length === 1`, "the property/get card")
	prepared := eval[string](e, `document.querySelector("#requests .req textarea").value`)
	var p struct {
		ID   string
		Code int
		Data map[string]json.RawMessage
	}
	if err := json.Unmarshal([]byte(prepared), &p); err != nil || p.ID == "" || p.Code != 200 || len(p.Data) != 2 || string(p.Data["label"]) != `"hello"` || p.Data["mode"] == nil {
		t.Errorf("prepared property/get reply %s (%v): want the id and valid values of label and mode only", prepared, err)
	}
	if n := eval[int](e, `document.querySelectorAll("#tm-requests, .tm-reply").length`); n != 0 {
		t.Errorf("the thing-model panel still lists %d requests of its own", n)
	}
	eval[bool](e, `(() => { document.querySelector("#requests .req button").click(); return true })()`)
	if err := <-got; err != nil || reply.Code != 200 || len(reply.Data) != 2 {
		t.Fatalf("property/get answered %+v, %v", reply, err)
	}

	// Auto-answer: a property get and a service call, hands-free.
	e.set("auto-get", "success")
	e.set("auto-service", "success")
	g, err := b.GetProperty(ctx, productID, deviceName, []string{"brightness", "location"})
	if err != nil || g.Code != 200 {
		t.Fatalf("auto-answered property/get: %+v, %v", g, err)
	}
	var gd map[string]json.RawMessage
	if err := json.Unmarshal(g.Data, &gd); err != nil || len(gd) != 2 || gd["brightness"] == nil || !strings.HasPrefix(string(gd["location"]), "{") {
		t.Errorf("auto-answered property/get data %s", g.Data)
	}
	s, err := b.InvokeService(ctx, productID, deviceName, "reboot", []byte(`{"delay":1}`))
	if err != nil {
		t.Fatalf("auto-answered service call: %v", err)
	}
	var sd map[string]any
	if json.Unmarshal(s.Data, &sd); s.Code != 200 || len(sd) != 1 || sd["ok"] != true {
		t.Errorf("auto-answered service call: code %d, data %s", s.Code, s.Data)
	}
}

// TestThingModelImport: a pasted model that does not parse is refused with
// the path of its fault and the text field marked; the exported file
// opened through the file input is imported (docs/PROTOCOL.md §9.1).
func TestThingModelImport(t *testing.T) {
	e := newEnv(t, server.Config{Registry: studioRegistry(t)})
	e.open("/")

	bad := `{"properties":[{"identifier":"brightness","name":"Brightness","accessMode":"rw",` +
		`"dataType":{"type":"int32","specs":{"min":"0","max":"x","step":"1"}}}]}`
	e.set("tm-text", bad)
	e.click("tm-import")
	e.waitJS(`document.getElementById("tm-err").textContent !== ""`, "the malformed model to be refused")
	if msg := e.text("tm-err"); !strings.Contains(msg, "properties[0].dataType.specs.max") {
		t.Errorf("error %q, want the path properties[0].dataType.specs.max", msg)
	}
	if eval[string](e, `document.getElementById("tm-text").getAttribute("aria-invalid")`) != "true" {
		t.Error("the model's text field is not marked invalid")
	}
	if !eval[bool](e, `document.getElementById("tm-forms").hidden`) {
		t.Error("forms are shown for a model that does not parse")
	}

	// The exported file, through the file input.
	sample, err := filepath.Abs("../web/thingmodel-sample.json")
	if err != nil {
		t.Fatal(err)
	}
	e.run(chromedp.SetUploadFiles("#tm-file", []string{sample}))
	e.waitJS(`!document.getElementById("tm-forms").hidden && document.querySelectorAll("#tm-card tbody tr").length === 7`, "the forms of the model opened from a file")
	if s := e.text("tm-summary"); !strings.Contains(s, "7 properties, 1 event, 1 service") {
		t.Errorf("summary %q", s)
	}
	if e.text("tm-err") != "" || eval[bool](e, `document.getElementById("tm-text").hasAttribute("aria-invalid")`) {
		t.Errorf("the error of the bad model stays: %q", e.text("tm-err"))
	}
	want, _ := os.ReadFile(sample)
	if got := e.value("tm-text"); got != string(want) {
		t.Errorf("the text field holds %d bytes, not the file's %d", len(got), len(want))
	}
}

// TestThingModelForms: the event post form (an output parameter out of
// range refused naming it and not sent; a valid event answered 200), the
// platform-side property get (the device's reply shown and on the card),
// and the struct and array editors (a member out of range, an array past
// its size) (docs/PROTOCOL.md §9.2, §9.3).
func TestThingModelForms(t *testing.T) {
	e := studioWithModel(t)

	// Event post: overheat's temperature out of range is refused naming it.
	e.set("tm-event-id", "overheat")
	sent := eval[int](e, `document.querySelectorAll("#pub-history li").length`)
	e.set("tm-overheat-temperature", "130")
	e.waitJS(`document.getElementById("tm-overheat-temperature-err").textContent !== ""`, "the output parameter to be refused")
	if msg := e.text("tm-overheat-temperature-err"); !strings.Contains(msg, "temperature") || !strings.Contains(msg, "-40 to 120") {
		t.Errorf("error %q, want the parameter and its range", msg)
	}
	e.click("tm-event-send")
	if n := eval[int](e, `document.querySelectorAll("#pub-history li").length`); n != sent {
		t.Errorf("an invalid event was sent (%d entries, was %d)", n, sent)
	}
	e.set("tm-overheat-temperature", "80")
	e.set("tm-overheat-level", "2")
	e.waitJS(`document.getElementById("tm-overheat-temperature-err").textContent === ""`, "the valid value accepted")
	e.click("tm-event-send")
	e.waitJS(`[...document.querySelectorAll("#pub-history li")].some(li => li.textContent.includes("thing/event/post") && li.classList.contains("accepted"))`, "the event's 200 reply, linked")

	// Platform side, property get: the device answers with the prepared
	// reply, shown at the platform side and on the card as read.
	e.set("plat-key", productKey)
	eval[bool](e, `(() => { for (const c of document.querySelectorAll("#tm-get input[type=checkbox]")) c.checked = c.value === "brightness" || c.value === "mode"; return true })()`)
	e.click("tm-get-send")
	e.waitJS(`document.querySelectorAll("#requests .req").length === 1`, "the property/get request with its prepared reply")
	eval[bool](e, `(() => { document.querySelector("#requests .req button").click(); return true })()`)
	e.waitJS(`document.getElementById("tm-out").textContent.includes('"code":200')`, "the get reply at the platform side")
	if out := e.text("tm-out"); !strings.Contains(out, `"brightness"`) || !strings.Contains(out, `"mode"`) || strings.Contains(out, `"label"`) {
		t.Errorf("get reply %q, want brightness and mode only", out)
	}
	e.waitJS(`document.querySelector('#tm-card tr[data-id="mode"] .t').textContent.includes("(read)")`, "the card to show mode as read")
	if s := eval[string](e, `document.querySelector('#tm-card tr[data-id="brightness"] .t').textContent`); !strings.Contains(s, "(read)") {
		t.Errorf("brightness on the card: %q, want read", s)
	}
	if s := eval[string](e, `document.querySelector('#tm-card tr[data-id="label"] .t').textContent`); s != "" {
		t.Errorf("label, not asked for, is on the card: %q", s)
	}

	// The struct editor: a member out of range is refused, naming it.
	e.set("tm-location-lng", "200")
	e.waitJS(`document.getElementById("tm-location-err").textContent !== ""`, "the struct member to be refused")
	if msg := e.text("tm-location-err"); !strings.Contains(msg, "lng") || !strings.Contains(msg, "-180 to 180") {
		t.Errorf("struct error %q, want the member and its range", msg)
	}
	if eval[string](e, `document.getElementById("tm-location-lng").getAttribute("aria-invalid")`) != "true" {
		t.Error("the struct's member is not marked")
	}
	e.set("tm-location-lng", "116.4")
	e.waitJS(`document.getElementById("tm-location-err").textContent === ""`, "the struct accepted again")

	// The array editor: an element out of range; then a sixth element.
	e.set("tm-readings-0", "1001")
	e.waitJS(`document.getElementById("tm-readings-err").textContent.includes("1000")`, "the array element to be refused")
	e.set("tm-readings-0", "10")
	e.waitJS(`document.getElementById("tm-readings-err").textContent === ""`, "the array accepted again")
	for range 4 {
		e.click("tm-readings-add")
	}
	if n := eval[int](e, `document.querySelectorAll("#tm-readings .tm-array-item").length`); n != 5 {
		t.Fatalf("%d elements after four additions, want 5", n)
	}
	if s := e.text("tm-readings-err"); s != "" {
		t.Errorf("five elements refused: %q", s)
	}
	e.click("tm-readings-add")
	e.waitJS(`document.getElementById("tm-readings-err").textContent !== ""`, "the sixth element to be refused")
	if msg := e.text("tm-readings-err"); !strings.Contains(msg, "readings") || !strings.Contains(msg, "6 elements") || !strings.Contains(msg, "at most 5") {
		t.Errorf("array error %q, want the size and the limit", msg)
	}
	sent = eval[int](e, `document.querySelectorAll("#pub-history li").length`)
	e.click("tm-post-send")
	if n := eval[int](e, `document.querySelectorAll("#pub-history li").length`); n != sent {
		t.Errorf("a post with six readings was sent")
	}
	// Removing one makes the post valid again.
	eval[bool](e, `(() => { document.querySelector("#tm-readings .tm-array-item:last-child button").click(); return true })()`)
	e.waitJS(`document.getElementById("tm-readings-err").textContent === ""`, "five elements accepted again")
}

// TestThingModelRawPublish: a thing-model message typed in the Publish
// panel's raw payload is checked against the product's model: a bad value
// is refused naming the identifier, and sent only through "Send anyway"
// (the local broker then answers 422, docs/PROTOCOL.md §9.3); without the
// model the same payload is not checked.
func TestThingModelRawPublish(t *testing.T) {
	e := studioWithModel(t)

	e.set("pub-kind", "thing/property/post")
	bad := `{"id":"71","version":"1.0","params":{"brightness":{"value":101}}}`
	e.set("payload", bad)
	e.waitJS(`document.getElementById("payload-err").textContent !== ""`, "the payload refused by the model")
	if msg := e.text("payload-err"); !strings.Contains(msg, "thing model") || !strings.Contains(msg, "brightness") || !strings.Contains(msg, "0 to 100") {
		t.Errorf("payload error %q, want the model, the identifier and the range", msg)
	}
	sent := eval[int](e, `document.querySelectorAll("#pub-history li").length`)
	e.click("publish")
	e.waitJS(`!document.getElementById("pub-anyway").hidden`, `"Send anyway" offered`)
	if n := eval[int](e, `document.querySelectorAll("#pub-history li").length`); n != sent {
		t.Errorf("a payload the model refuses was sent (%d entries, was %d)", n, sent)
	}
	e.click("pub-anyway")
	e.waitJS(`[...document.querySelectorAll("#pub-history li")].some(li => li.textContent.includes("id 71") && li.classList.contains("rejected"))`, "the broker's refusal of the invalid post")

	// A valid one is not refused.
	e.set("payload", `{"id":"72","version":"1.0","params":{"brightness":{"value":100}}}`)
	e.waitJS(`document.getElementById("payload-err").textContent === ""`, "the valid payload accepted")

	// In Chinese, the same refusal.
	e.setLang("zh")
	e.set("payload", bad)
	e.waitJS(`document.getElementById("payload-err").textContent.includes("物模型")`, "the refusal in Chinese")
	if msg := e.text("payload-err"); !strings.Contains(msg, "brightness") {
		t.Errorf("Chinese payload error %q lacks the identifier", msg)
	}

	// Without the model, only the message's form is checked.
	e.click("tm-forget")
	e.waitJS(`document.getElementById("payload-err").textContent === ""`, "the payload no longer checked against a model")
}

// TestThingModelDesired: the platform side sets a desired value through
// the local API, the device side asks for its desired values
// (thing/property/desired/get), and the card shows the value with the
// source "desired" (docs/PROTOCOL.md §9.4).
func TestThingModelDesired(t *testing.T) {
	e := studioWithModel(t)

	// Platform side: mode 1 (cool) as the desired value, nothing else.
	e.set("plat-key", productKey)
	eval[bool](e, `(() => { for (const c of document.querySelectorAll("#tm-set input[type=checkbox]")) c.checked = c.id === "tm-set-mode-on"; return true })()`)
	e.set("tm-set-mode", "1")
	e.click("tm-desired-send")
	e.waitJS(`document.getElementById("tm-out").textContent.includes('"mode":1')`, "the new version of mode's desired value")
	if d, err := e.srv.Broker().Desired(productID, deviceName); err != nil || len(d) != 1 || d["mode"] == nil {
		t.Fatalf("the broker's desired values: %v, %v", d, err)
	}

	// Device side: get them; the reply puts mode on the card as desired.
	e.click("tm-desired-get")
	e.waitJS(`[...document.querySelectorAll("#pub-history li")].some(li => li.textContent.includes("thing/property/desired/get") && li.classList.contains("accepted"))`, "the desired/get reply, linked")
	e.waitJS(`document.querySelector('#tm-card tr[data-id="mode"] .t').textContent.includes("(desired)")`, "the card to show mode as desired")
	if v := eval[string](e, `document.querySelector('#tm-card tr[data-id="mode"] .v').textContent`); v != "1" {
		t.Errorf("mode on the card: %q, want 1", v)
	}
	if s := eval[string](e, `document.querySelector('#tm-card tr[data-id="brightness"] .t').textContent`); s != "" {
		t.Errorf("brightness, with no desired value, is on the card: %q", s)
	}

	// A desired value the model refuses is not sent.
	eval[bool](e, `(() => { document.getElementById("tm-set-brightness-on").checked = true; return true })()`)
	e.set("tm-set-brightness", "101")
	out := e.text("tm-out")
	e.click("tm-desired-send")
	if e.text("tm-set-brightness-err") == "" || e.text("tm-out") != out {
		t.Errorf("an invalid desired value: error %q, platform output %q", e.text("tm-set-brightness-err"), e.text("tm-out"))
	}
}

// TestThingModelTemplates: with the product's model imported, choosing a
// thing-model template fills the raw payload with the model's example
// (tmExample), which the broker accepts; a payload of that kind that the
// model accepts is kept; without a model the payload is left alone
// (docs/PROTOCOL.md §9.3).
func TestThingModelTemplates(t *testing.T) {
	e := newEnv(t, server.Config{Registry: studioRegistry(t)})
	e.open("/")
	e.connectLocal(deviceKey)
	e.waitJS(`document.getElementById("conn-state").dataset.state === "connected"`, "connected")

	// Without a model: the payload stays.
	e.set("pub-kind", "")
	e.set("payload", `{"x":1}`)
	e.set("pub-kind", "thing/property/post")
	if p := e.value("payload"); p != `{"x":1}` {
		t.Errorf("without a model the payload became %q", p)
	}

	e.useSampleModel()

	// property/post: every property of the model, valid.
	e.set("pub-kind", "")
	e.set("pub-kind", "thing/property/post")
	var post struct {
		ID     string
		Params map[string]struct {
			Value json.RawMessage
			Time  int64
		}
	}
	if err := json.Unmarshal([]byte(e.value("payload")), &post); err != nil || post.ID == "" || len(post.Params) != 7 || post.Params["brightness"].Value == nil || post.Params["brightness"].Time == 0 {
		t.Fatalf("property/post example %q (%v): want the 7 properties with value and time", e.value("payload"), err)
	}
	if s := e.text("payload-err"); s != "" {
		t.Errorf("the example is refused: %q", s)
	}
	e.click("publish")
	e.waitJS(`[...document.querySelectorAll("#pub-history li")].some(li => li.textContent.includes("id `+post.ID+`") && li.classList.contains("accepted"))`, "the example post accepted (200)")

	// event/post: the model's event with its output parameters.
	e.set("pub-kind", "thing/event/post")
	var ev struct {
		Params map[string]struct {
			Value map[string]json.RawMessage
		}
	}
	if err := json.Unmarshal([]byte(e.value("payload")), &ev); err != nil || len(ev.Params) != 1 || len(ev.Params["overheat"].Value) != 2 {
		t.Errorf("event/post example %q (%v): want overheat with temperature and level", e.value("payload"), err)
	}

	// desired/get: every property's identifier.
	e.set("pub-kind", "thing/property/desired/get")
	var dg struct{ Params []string }
	if err := json.Unmarshal([]byte(e.value("payload")), &dg); err != nil || len(dg.Params) != 7 {
		t.Errorf("desired/get example %q (%v)", e.value("payload"), err)
	}

	// A hand-typed message of the kind that the model accepts is kept.
	own := `{"id":"9","version":"1.0","params":{"power":{"value":true}}}`
	e.set("pub-kind", "")
	e.set("payload", own)
	e.set("pub-kind", "thing/property/post")
	if p := e.value("payload"); p != own {
		t.Errorf("a valid payload of the kind was replaced by %q", p)
	}
	// A kind without an example (a reply) keeps the payload.
	e.set("pub-kind", "thing/property/set_reply")
	if p := e.value("payload"); p != own {
		t.Errorf("set_reply replaced the payload by %q", p)
	}
}
