package e2e

import (
	"testing"

	"github.com/onenet-wasm/onenet-wasm/broker"
	"github.com/onenet-wasm/onenet-wasm/server"
)

// TestOTAAnnounce: docs/PROTOCOL.md §11: the platform panel announces a
// firmware version on ota/inform; the page, as the device, receives it and
// answers on ota/inform_reply from the Publish form's template; the panel
// shows the answer.
func TestOTAAnnounce(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	e.connectLocal(deviceKey)
	e.waitJS(`document.getElementById("conn-state").dataset.state === "connected"`, "connected")
	e.set("sub-preset", "#")
	e.click("subscribe")
	e.waitJS(`document.querySelectorAll("#subs li").length === 1`, "the subscription")
	e.set("plat-key", productKey)

	// An empty version is refused in the page, on its field.
	e.set("plat-ota", "")
	e.click("plat-ota-send")
	e.waitJS(`document.getElementById("plat-ota").getAttribute("aria-invalid") === "true"`, "the empty version marked")

	e.set("plat-ota", "2.0.0")
	e.click("plat-ota-send")
	e.waitJS(`[...document.querySelectorAll("#msg-list .msg")].some(m => m.textContent.includes("/ota/inform") && m.textContent.includes("2.0.0"))`, "the announcement to reach the page")
	// The first request of a fresh broker has id "1".
	e.set("pub-kind", "ota/inform_reply")
	e.click("tab-raw")
	e.set("payload", `{"id":"1","code":200}`)
	e.click("publish")
	e.waitJS(`document.getElementById("plat-out").textContent.includes("2.0.0") && document.getElementById("plat-out").textContent.includes("200")`, "the device's answer at the platform panel")
	if e.isInvalid("plat-ota") {
		t.Error("the version field is still marked invalid")
	}
}

// TestGatewaySubDevice: docs/PROTOCOL.md §12: the page, as an MQTT-kit
// gateway, subscribes to a sub-device's $subdev topics, logs it in with the
// Publish form's $subdev/login template (empty payload) and uploads
// datapoints for it; the broker answers on the sub-device's topics.
func TestGatewaySubDevice(t *testing.T) {
	reg := testRegistry()
	reg.Products = append(reg.Products, broker.Product{ID: "sub001", Key: productKey, Gateway: productID, Devices: []broker.Device{{Name: "sensor1"}}})
	e := newEnv(t, server.Config{Registry: reg})
	e.open("/")
	e.connectLocal(deviceKey)
	e.waitJS(`document.getElementById("conn-state").dataset.state === "connected"`, "connected")
	e.set("sub-filter", "$subdev/sub001/sensor1/#")
	e.click("subscribe")
	e.waitJS(`document.querySelectorAll("#subs li").length === 1`, "the subscription")

	e.set("pub-kind", "$subdev/login")
	e.set("pub-sub", "sub001/sensor1")
	e.waitJS(`document.getElementById("pub-topic").value === "$subdev/sub001/sensor1/login"`, "the sub-device's login topic")
	e.click("tab-raw")
	e.set("payload", "")
	e.click("publish")
	e.waitJS(`[...document.querySelectorAll("#msg-list .msg")].some(m => m.textContent.includes("$subdev/sub001/sensor1/login/accepted"))`, "login/accepted")

	e.set("pub-kind", "$subdev/dp/post/json")
	e.waitJS(`document.getElementById("pub-topic").value === "$subdev/sub001/sensor1/dp/post/json"`, "the sub-device's datapoint topic")
	e.click("tab-raw")
	e.set("payload", `{"id":7,"dp":{"temp":[{"v":21}]}}`)
	e.click("publish")
	e.waitJS(`[...document.querySelectorAll("#msg-list .msg")].some(m => m.textContent.includes("$subdev/sub001/sensor1/dp/post/json/accepted"))`, "dp/post/json/accepted")

	// A sub-device name with a '/' is refused in the page, before sending.
	e.set("pub-kind", "$subdev/login")
	e.set("pub-sub", "sub001/a/b")
	e.waitJS(`document.getElementById("pub-topic").value === "" && document.getElementById("pub-warn").textContent !== ""`, "the bad sub-device refused")
}
