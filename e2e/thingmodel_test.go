package e2e

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

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
	if s := e.text("tm-summary"); !strings.Contains(s, "7 properties, 1 events, 1 services") {
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
	e := newEnv(t, server.Config{Registry: studioRegistry(t)})
	e.open("/")
	e.connectLocal(deviceKey)
	e.waitJS(`document.getElementById("conn-state").dataset.state === "connected"`, "connected")
	e.click("tm-sample")
	e.waitJS(`!document.getElementById("tm-forms").hidden`, "the sample model")
	e.click("tm-subscribe")
	e.waitJS(`document.getElementById("tm-err").textContent.includes("Subscribed")`, "the thing-model subscription")
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
