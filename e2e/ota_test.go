package e2e

import (
	"testing"

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
