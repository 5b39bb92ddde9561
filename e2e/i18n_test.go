package e2e

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/onenet-wasm/onenet-wasm/onenet"
	"github.com/onenet-wasm/onenet-wasm/server"
)

// newEnvLang is newEnv with a browser whose preferred languages are langs
// (Chromium's --accept-lang, which sets navigator.languages and the
// Accept-Language header; --lang alone does not, in headless mode).
func newEnvLang(t *testing.T, langs string) *env {
	t.Helper()
	e := newEnv(t, server.Config{})
	e.cancel() // newEnv's browser, with the default languages
	e.ctx, e.cancel = newBrowser(t, chromedp.Flag("accept-lang", langs))
	return e
}

// setLang chooses a language in the page's menu, as a user does.
func (e *env) setLang(lang string) {
	e.t.Helper()
	e.set("lang", lang)
	want := map[string]string{"zh": "zh-CN", "en": "en"}[lang]
	e.waitJS(fmt.Sprintf(`document.documentElement.lang === %q`, want), "the page to switch to "+lang)
}

// label returns the visible text of the label of the input with this id.
func (e *env) label(id string) string {
	e.t.Helper()
	return eval[string](e, fmt.Sprintf(`document.getElementById(%q).closest("label").querySelector("span").textContent`, id))
}

func TestLanguageSwitch(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	if got := eval[string](e, `navigator.languages.join(",")`); !strings.HasPrefix(got, "en") {
		t.Fatalf("the default browser prefers %q, not English", got)
	}
	if lang := eval[string](e, `document.documentElement.lang`); lang != "en" {
		t.Errorf("an English browser got the page in %q", lang)
	}

	// Type into the forms; none of it may be lost by a switch.
	e.fillToken("device", productID, deviceName, deviceKey, "sha256", 2000000000)
	e.set("keepAlive", "120")
	e.set("pub-kind", "dp/post/json")
	e.click("tab-raw")
	e.set("payload", seedPayload)
	e.set("msg-filter", "温度")
	typed := map[string]string{}
	for _, id := range []string{"productId", "deviceName", "key", "method", "etUnix", "keepAlive", "payload", "msg-filter", "pub-kind", "token-out"} {
		typed[id] = e.value(id)
	}
	if typed["token-out"] == "" {
		t.Fatalf("no token: %s", e.text("token-msgs"))
	}
	var se *onenet.SyntaxError
	if !errors.As(onenet.CheckJSON([]byte(seedPayload)), &se) {
		t.Fatal("the seed payload is valid JSON")
	}
	if got, want := e.text("payload-err"), fmt.Sprintf("Line %d, column %d: trailing comma before '}'", se.Line, se.Column); !strings.HasPrefix(got, want) {
		t.Errorf("English payload error %q, want it to start with %q", got, want)
	}

	e.setLang("zh")
	for _, c := range []struct{ what, got, want string }{
		{"title", eval[string](e, `document.title`), "OneNET token 生成与 MQTT 调试工具"},
		{"heading", eval[string](e, `document.querySelector("h1").textContent`), "OneNET token 生成与 MQTT 调试工具"},
		{"token panel", e.text("token-h"), "1 鉴权 token"},
		{"product ID label", e.label("productId"), "产品ID"},
		{"device name label", e.label("deviceName"), "设备名称"},
		{"key label", e.text("key-label"), "设备密钥（access_key）"},
		{"connect button", e.text("connect"), "连接"},
		{"connection state", e.text("conn-state"), "未连接"},
		{"load status", e.text("load-status"), "已就绪"},
		{"publish button", e.text("publish"), "发布"},
		{"builder tab", e.text("tab-builder"), "数据点编辑"},
		{"filter placeholder", eval[string](e, `document.getElementById("msg-filter").placeholder`), "按主题或内容筛选"},
		{"topic template", eval[string](e, `document.getElementById("pub-kind").selectedOptions[0].textContent`), "dp/post/json — 数据点上报"},
		{"command preset", eval[string](e, `[...document.getElementById("sub-preset").options].find(o => o.value === "cmd/request/+").textContent`), "命令下发（cmd/request/+）"},
	} {
		if c.got != c.want {
			t.Errorf("%s in Chinese = %q, want %q", c.what, c.got, c.want)
		}
	}
	// The explanation of the seed payload's error, with its position.
	if got, want := e.text("payload-err"), fmt.Sprintf("第 %d 行，第 %d 列：JSON 格式错误：'}' 前面多了一个逗号：请删除最后一个成员后面的逗号", se.Line, se.Column); got != want {
		t.Errorf("Chinese payload error\n %q\nwant\n %q", got, want)
	}
	for id, want := range typed {
		if got := e.value(id); got != want {
			t.Errorf("after the switch %s = %q, want %q (typed before)", id, got, want)
		}
	}

	// Errors computed after the switch come in Chinese too.
	e.set("etUnix", "2000000000000")
	if got := e.text("token-msgs"); !strings.Contains(got, "et 为 2000000000000，看起来是毫秒") || !strings.Contains(got, "2000000000") {
		t.Errorf("millisecond et in Chinese: %q", got)
	}
	e.set("etUnix", "2000000000")
	e.set("key", "rs2FaE5BuygJZkWKDA5okKt1RFpwOx53hbu6hwyCS4U-")
	if got := e.text("token-msgs"); got != "密钥不是有效的 Base64：控制台中的密钥使用 + 和 /，而不是 - 和 _" {
		t.Errorf("URL-safe key in Chinese: %q", got)
	}
	e.set("key", deviceKey)

	// Back to English: everything the page wrote follows.
	e.setLang("en")
	if got := e.text("connect"); got != "Connect" {
		t.Errorf("connect button back in English = %q", got)
	}
	if got := e.text("payload-err"); !strings.Contains(got, "trailing comma") {
		t.Errorf("payload error back in English = %q", got)
	}
}

// TestRefusedLoginInChinese logs in with an expired token: the broker
// refuses it (CONNACK 4), and the page explains why in Chinese with OneNET's
// reason code, then in English after a switch.
func TestRefusedLoginInChinese(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	e.setLang("zh")
	e.fillToken("device", productID, deviceName, deviceKey, "sha1", 1673053248) // the seed's password, expired
	if got := e.text("token-msgs"); !strings.Contains(got, "已经过去：OneNET 会以 token 过期（1104）拒绝登录") {
		t.Errorf("past et warning in Chinese: %q", got)
	}
	e.check("input[name=target][value=local]", true)
	e.check("#cred-auto", true)
	e.click("connect")
	e.waitJS(`document.getElementById("conn-msgs").textContent.includes("CONNACK 4")`, "the refused login")
	got := e.text("conn-msgs")
	for _, want := range []string{
		"登录被拒绝（CONNACK 4）：token 与该产品ID、设备名称不匹配，或已过期。",
		"本地校验结果：token 已于 ",
		"OneNET 设备日志中的错误码应为 1104：token 已过期。",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("refused login explanation\n %q\nlacks\n %q", got, want)
		}
	}
	if !strings.Contains(e.logs.String(), "1104") {
		t.Errorf("the server log does not give reason 1104:\n%s", e.logs.String())
	}
	e.setLang("en")
	if got := e.text("conn-msgs"); !strings.Contains(got, "Login refused (CONNACK 4)") || !strings.Contains(got, "OneNET's device log would say 1104: the token has expired.") {
		t.Errorf("refused login explanation back in English: %q", got)
	}
}

// TestLanguageRemembered: the choice survives a reload, whatever the
// browser prefers.
func TestLanguageRemembered(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	e.set("productId", "123456")
	e.setLang("zh")
	e.open("/")
	if lang := eval[string](e, `document.documentElement.lang + " " + document.getElementById("lang").value`); lang != "zh-CN zh" {
		t.Errorf("after a reload the page is in %q, want zh-CN (menu zh)", lang)
	}
	if got := e.text("conn-state"); got != "未连接" {
		t.Errorf("after a reload the connection state reads %q", got)
	}
	if got := e.value("productId"); got != "123456" {
		t.Errorf("after a reload productId = %q", got)
	}
	e.setLang("en")
	e.open("/")
	if lang := eval[string](e, `document.documentElement.lang`); lang != "en" {
		t.Errorf("after choosing English and a reload the page is in %q", lang)
	}
}

// TestLanguageFromBrowser: on a first visit the page follows the browser's
// languages.
func TestLanguageFromBrowser(t *testing.T) {
	for _, tc := range []struct{ accept, want, heading string }{
		{"zh-CN,zh", "zh-CN", "OneNET token 生成与 MQTT 调试工具"},
		{"fr-FR,zh-TW", "zh-CN", "OneNET token 生成与 MQTT 调试工具"},
		{"fr-FR", "en", "OneNET token & MQTT tool"},
	} {
		t.Run(tc.accept, func(t *testing.T) {
			e := newEnvLang(t, tc.accept)
			e.open("/")
			if got := eval[string](e, `navigator.languages.join(",")`); got != tc.accept {
				t.Fatalf("navigator.languages = %q, want %q", got, tc.accept)
			}
			if lang := eval[string](e, `document.documentElement.lang`); lang != tc.want {
				t.Errorf("a browser preferring %s got the page in %q, want %q", tc.accept, lang, tc.want)
			}
			if got := eval[string](e, `document.querySelector("h1").textContent`); got != tc.heading {
				t.Errorf("heading %q, want %q", got, tc.heading)
			}
		})
	}
}

// TestPreferredLanguage checks the first-visit rule on its own.
func TestPreferredLanguage(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	for _, tc := range []struct {
		saved string
		langs []string
		want  string
	}{
		{"", []string{"zh-CN"}, "zh"},
		{"", []string{"zh-TW", "en"}, "zh"},
		{"", []string{"zh"}, "zh"},
		{"", []string{"en-US", "zh-CN"}, "en"},
		{"", []string{"de-DE", "zh-Hans-CN"}, "zh"},
		{"", []string{"ja-JP"}, "en"},
		{"", nil, "en"},
		{"en", []string{"zh-CN"}, "en"},
		{"zh", []string{"en-US"}, "zh"},
		{"xx", []string{"zh-CN"}, "zh"},
	} {
		langs := "[]"
		if tc.langs != nil {
			langs = `["` + strings.Join(tc.langs, `","`) + `"]`
		}
		got := eval[string](e, fmt.Sprintf(`import("./i18n.js").then(m => m.preferredLanguage(%q, %s))`, tc.saved, langs))
		if got != tc.want {
			t.Errorf("preferredLanguage(%q, %v) = %q, want %q", tc.saved, tc.langs, got, tc.want)
		}
	}
}

// TestChineseScreenshot writes the page in Chinese to the PNG named by
// I18N_SCREENSHOT, to look at the layout.
func TestChineseScreenshot(t *testing.T) {
	path := os.Getenv("I18N_SCREENSHOT")
	if path == "" {
		t.Skip("set I18N_SCREENSHOT=/tmp/zh.png to write a screenshot of the page in Chinese")
	}
	e := newEnvLang(t, "zh-CN")
	e.open("/")
	e.connectLocal(deviceKey)
	e.waitJS(`document.getElementById("conn-state").dataset.state === "connected"`, "connected")
	e.set("sub-preset", "#")
	e.click("subscribe")
	e.waitJS(`document.querySelectorAll("#subs li").length === 1`, "the subscription")
	e.set("pub-kind", "dp/post/json")
	e.click("tab-builder")
	e.click("publish")
	e.waitJS(`[...document.querySelectorAll("#pub-history li")].some(li => li.classList.contains("accepted"))`, "the reply")
	e.click("tab-raw")
	e.set("payload", seedPayload)
	e.set("decode-in", "version=2018-10-31&res=products%2F469948%2Fdevices%2FChic_D&et=1673053248&method=sha1&sign=prIMDQ23WFI6PMj2IWpaRJJL4eE%3D")
	eval[bool](e, `(document.getElementById("decode").open = true)`)
	buf, err := chromedp.Run(e.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	// Each panel on its own too, at full size, to read the text.
	for _, sel := range []string{"header.top", "#token-panel", "#connect-panel", "#publish-panel", "#subscribe-panel", "#messages-panel", "#platform-panel"} {
		buf, err := chromedp.Run(e.ctx, chromedp.Screenshot(chromedp.CSS(sel)))
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(path, ".png") + "-" + strings.Trim(strings.NewReplacer("#", "", ".", "-").Replace(sel), "-") + ".png"
		if err := os.WriteFile(name, buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
