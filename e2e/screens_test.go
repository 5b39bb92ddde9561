package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// workspace sets up the main loop for a picture or a check: connected to
// the local broker, subscribed to everything of the device, three
// datapoint uploads answered, the last reply opened in the inspector.
func (e *env) workspace() {
	e.t.Helper()
	e.connected("#")
	e.set("pub-kind", "dp/post/json")
	e.click("tab-builder")
	for i := 1; i <= 3; i++ {
		e.click("publish")
		e.waitJS(fmt.Sprintf(`document.querySelectorAll("#pub-history li.accepted").length === %d`, i), "the reply")
	}
	e.waitJS(`document.querySelectorAll("#msg-list .msg").length >= 3`, "the messages")
}

// TestScreenshots writes docs/screenshot-{en,zh}-{1280,390}.png (and
// docs/screenshot.png, the English one at 1280 px) when
// UPDATE_SCREENSHOT=1: the page as a user sees it, one screen of it.
func TestScreenshots(t *testing.T) {
	if os.Getenv("UPDATE_SCREENSHOT") == "" {
		t.Skip("set UPDATE_SCREENSHOT=1 to write docs/screenshot-*.png")
	}
	for _, lang := range []string{"en", "zh"} {
		for _, size := range [][2]int64{{1280, 900}, {390, 844}} {
			t.Run(fmt.Sprintf("%s-%d", lang, size[0]), func(t *testing.T) {
				e := newEnvLang(t, map[string]string{"en": "en-GB", "zh": "zh-CN"}[lang])
				e.run(chromedp.EmulateViewport(size[0], size[1]))
				e.open("/")
				e.workspace()
				e.set("plat-cmd", `{"led":"on"}`)
				e.set("plat-key", productKey)
				e.click("plat-send")
				e.waitJS(`document.querySelectorAll("#requests .req").length === 1`, "the command's card")
				eval[bool](e, `(document.querySelector("#msg-list .msg:not([hidden])").click(), true)`)
				e.waitJS(`!document.getElementById("inspector").hidden`, "the inspector")
				if size[0] < 900 {
					e.click("view-see")
				}
				e.shot(fmt.Sprintf("screenshot-%s-%d.png", lang, size[0]))
				if lang == "en" && size[0] == 1280 {
					e.shot("screenshot.png")
				}
			})
		}
	}
}

func (e *env) shot(name string) {
	e.t.Helper()
	eval[string](e, `new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(""))))`)
	png, err := chromedp.Run(e.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("..", "docs", name), png, 0o644); err != nil {
		e.t.Fatal(err)
	}
}
