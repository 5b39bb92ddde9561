package e2e

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/security"
	"github.com/chromedp/chromedp"

	"github.com/onenet-wasm/onenet-wasm/server"
	"github.com/onenet-wasm/onenet-wasm/token"
)

// badInput is one bad value typed into the page.
type badInput struct {
	name    string
	field   string // the element typed into
	value   string
	invalid string         // the element that must be marked aria-invalid ("" when the page marks none)
	msg     *regexp.Regexp // the message must match: it names the field
}

// invalidFields lists the ids of the elements marked aria-invalid.
func (e *env) invalidFields() string {
	e.t.Helper()
	return eval[string](e, `[...document.querySelectorAll("[aria-invalid=true]")].map((el) => el.id).join(",")`)
}

func (e *env) isInvalid(id string) bool {
	e.t.Helper()
	return eval[bool](e, fmt.Sprintf(`document.getElementById(%q).getAttribute("aria-invalid") === "true"`, id))
}

// section runs one part of a test that shares a browser with the others.
// Not t.Run: the env's helpers fail the test that made the env.
func section(t *testing.T, name string, f func(t *testing.T)) {
	t.Logf("— %s", name)
	f(t)
}

func re(s string) *regexp.Regexp { return regexp.MustCompile("(?i)" + s) }

// cite matches a message of the page that ends with the rule's citation,
// "(rule topic.chars, docs/PROTOCOL.md §5.1)", after what (a pattern).
func cite(what, code, section string) *regexp.Regexp {
	return re(what + ".*" + regexp.QuoteMeta("(rule "+code+", docs/PROTOCOL.md "+section+")"))
}

// TestBadInputCatalogue types bad values into every entry of the page: the
// token fields, a pasted token, publish topics, payloads, subscription
// filters, broker URLs and the platform panel. Each must give a message
// that names the field, mark the field aria-invalid (where the page marks
// fields), send nothing, and leave the page working: a good value right
// after works (a correct token, an accepted publish, a granted
// subscription, a connection, an API answer).
func TestBadInputCatalogue(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.open("/")
	counted := 0

	section(t, "token fields", func(t *testing.T) {
		want, err := token.Generate(token.Params{Res: "products/" + productID + "/devices/" + deviceName, Key: deviceKey, Method: "sha1", ET: 2000000000})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []badInput{
			{"product id with /", "productId", "46/9948", "productId", re("Product ID.*'/'")},
			{"empty product id", "productId", "", "productId", re("Product ID is empty")},
			{"device name with a control character", "deviceName", "Chic\u0001D", "deviceName", re("Device name.*control character U\\+0001")},
			{"device name with /", "deviceName", "a/b", "deviceName", re("Device name.*'/'")},
			{"key not base64", "key", "not*base64!", "key", re("access key is not base64")},
			{"URL-safe key", "key", "rs2FaE5BuygJZkWKDA5okKt1RFpwOx53hbu6hwyCS4U-_w==", "key", re("access key.*not - and _")},
			{"truncated key", "key", deviceKey[:22], "key", re("access key.*multiple of 4")},
			{"empty key", "key", "", "key", re("access key is empty")},
			{"millisecond expiry", "etUnix", "2000000000000", "etUnix", re("et 2000000000000 looks like milliseconds")},
			{"negative expiry", "etUnix", "-5", "etUnix", re("et -5 is negative")},
			{"expiry not a number", "etUnix", "20OO000000", "etUnix", re("Expiry \\(et\\) must be a whole number")},
		} {
			counted++
			e.fillToken("device", productID, deviceName, deviceKey, "sha1", 2000000000)
			e.set(c.field, c.value)
			msgs := e.text("token-msgs")
			if !c.msg.MatchString(msgs) || !e.isInvalid(c.invalid) || e.value("token-out") != "" {
				t.Errorf("%s: messages %q, invalid [%s], token %q; want %s, %s marked, no token", c.name, msgs, e.invalidFields(), e.value("token-out"), c.msg, c.invalid)
			}
			// The good value again: the right token, nothing marked.
			e.set(c.field, map[string]string{"productId": productID, "deviceName": deviceName, "key": deviceKey, "etUnix": "2000000000"}[c.field])
			if got := e.value("token-out"); got != want || e.isInvalid(c.invalid) {
				t.Errorf("%s, then the good value: token %q (want %q), invalid [%s]", c.name, got, want, e.invalidFields())
			}
		}
		// A duration of zero.
		counted++
		e.check("input[name=etMode][value=ttl]", true)
		e.set("ttl", "0")
		if msgs := e.text("token-msgs"); !re("duration must be positive").MatchString(msgs) || !e.isInvalid("ttl") {
			t.Errorf("ttl 0: messages %q, invalid [%s]", msgs, e.invalidFields())
		}
		e.set("ttl", "30")
		if e.value("token-out") == "" || e.isInvalid("ttl") {
			t.Errorf("ttl 30 after 0: no token (%q)", e.text("token-msgs"))
		}
	})

	section(t, "pasted tokens", func(t *testing.T) {
		e.fillToken("device", productID, deviceName, deviceKey, "sha1", 2000000000)
		good := e.value("token-out")
		p, err := token.Parse(good)
		if err != nil {
			t.Fatal(err)
		}
		// A tampered sign: one base64 character changed, same length.
		sign := []byte(p.Sign)
		sign[0] ^= 1
		tampered := strings.Replace(good, "sign="+token.Escape(p.Sign), "sign="+token.Escape(string(sign)), 1)
		expired, err := token.Generate(token.Params{Res: p.Res, Key: deviceKey, Method: "sha1", ET: 1000000000})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name, token string
			msg         *regexp.Regexp
		}{
			{"truncated", good[:40], re("missing et, method, sign")},
			{"sign cut short", good[:len(good)-5], re("sign is not base64")},
			{"wrong version", strings.Replace(good, "version=2018-10-31", "version=2019-01-01", 1), re("version .2019-01-01. is not supported.*1111")},
			{"method in capitals", strings.Replace(good, "method=sha1", "method=SHA1", 1), re("method .SHA1. must be written in lower case.*1110")},
			{"unknown method", strings.Replace(good, "method=sha1", "method=sha512", 1), re("method .sha512. is not supported.*1110")},
			{"tampered sign", tampered, re("sign.*(does not match|1106)")},
			{"millisecond expiry", strings.Replace(good, "et=2000000000", "et=2000000000000", 1), re("et 2000000000000 looks like milliseconds")},
			{"expired", expired, re("expired|1104")},
			{"not a token", "hello", re("not name=value.*version=")},
			{"unknown field", "foo=1&" + good, re("unknown field .foo.")},
			{"duplicate field", good + "&et=1", re("et.*(twice|duplicate|more than once)")},
			{"bad escape", strings.Replace(good, "%2F", "%ZZ", 1), re("escape|%ZZ")},
		} {
			counted++
			e.set("decode-in", c.token)
			if out := e.text("decode-out"); !c.msg.MatchString(out) {
				t.Errorf("%s: decoder says %q, want %s", c.name, out, c.msg)
			}
		}
		// A key that is not base64 while checking a good token.
		counted++
		e.set("key", "not*base64!")
		e.set("decode-in", good)
		if out := e.text("decode-out"); !re("access key is not base64").MatchString(out) {
			t.Errorf("bad key: decoder says %q", out)
		}
		e.set("key", deviceKey)
		e.set("decode-in", good)
		if out := e.text("decode-out"); !re("Valid until").MatchString(out) {
			t.Errorf("good token after the bad ones: decoder says %q", out)
		}
	})

	e.connectLocal(deviceKey)
	e.waitJS(fmt.Sprintf(stateIs, "connected"), "connected")
	e.set("sub-preset", "dp/post/json/+")
	e.click("subscribe")
	e.waitJS(`document.querySelectorAll("#subs li").length === 1`, "the subscription")
	history := func() int { return eval[int](e, `document.querySelectorAll("#pub-history li").length`) }
	pre := "$sys/" + productID + "/" + deviceName + "/"

	section(t, "publish topics", func(t *testing.T) {
		e.set("pub-kind", "")
		e.click("tab-raw")
		e.set("payload", `{"id":1}`)
		for _, c := range []badInput{
			{"wildcard +", "pub-topic", pre + "dp/+", "pub-topic", re("wildcard \\+")},
			{"wildcard #", "pub-topic", pre + "#", "pub-topic", re("wildcard #")},
			{"another device's tree", "pub-topic", "$sys/" + productID + "/other/dp/post/json", "pub-topic", re("outside the device's own topics")},
			{"another product's tree", "pub-topic", "$sys/1/" + deviceName + "/dp/post/json", "pub-topic", re("outside the device's own topics")},
			{"over-long", "pub-topic", pre + strings.Repeat("a", 70000), "pub-topic", re("longer than MQTT allows")},
			{"too many levels", "pub-topic", pre + "a/b/c/d/e/f", "pub-topic", re("9 levels")},
			{"empty level", "pub-topic", pre + "dp//json", "pub-topic", re("empty level")},
			{"empty", "pub-topic", "", "pub-topic", re("topic is empty")},
			{"NUL", "pub-topic", pre + "a\u0000b", "pub-topic", re("NUL|control")},
			// The rules OneNET disconnects a device for, cited as the
			// broker's log cites them (docs/PROTOCOL.md §4.3, §5.1).
			{"a Chinese character", "pub-topic", pre + "dp/post/温度", "pub-topic", cite("OneNET would disconnect the device: .*contains “温”", "topic.chars", "§5.1")},
			{"a custom topic", "pub-topic", pre + "my/data", "pub-topic", cite("OneNET would disconnect the device", "topic.unknown", "§4.3")},
			{"a topic OneNET publishes", "pub-topic", pre + "dp/post/json/accepted", "pub-topic", cite("OneNET would disconnect the device", "publish.downlink", "§4.3")},
		} {
			counted++
			before := history()
			e.set(c.field, c.value)
			e.click("publish")
			warn := e.text("pub-warn")
			if !c.msg.MatchString(warn) || !e.isInvalid(c.invalid) || history() != before {
				t.Errorf("%s: warnings %q, invalid [%s], %d publishes sent; want %s, %s marked, none sent", c.name, warn, e.invalidFields(), history()-before, c.msg, c.invalid)
			}
		}
		// The same citation in Chinese.
		counted++
		e.setLang("zh")
		before := history()
		e.set("pub-topic", pre+"dp/post/温度")
		e.click("publish")
		if warn := e.text("pub-warn"); !strings.Contains(warn, "OneNET 会断开设备连接") || !strings.Contains(warn, "（规则 topic.chars，docs/PROTOCOL.md §5.1）") || !e.isInvalid("pub-topic") || history() != before {
			t.Errorf("zh, a Chinese character: warnings %q, invalid [%s], %d sent; want the rule cited in Chinese, pub-topic marked, none sent", warn, e.invalidFields(), history()-before)
		}
		e.setLang("en")
		// The session was never dropped, and a good topic goes through.
		if st := eval[string](e, `document.getElementById("conn-state").dataset.state`); st != "connected" {
			t.Errorf("state %s after the bad topics", st)
		}
		e.set("pub-kind", "dp/post/json")
		e.click("tab-raw")
		e.set("payload", `{"id":7001,"dp":{"temperature":[{"v":21}]}}`)
		e.click("publish")
		e.waitJS(`[...document.querySelectorAll("#pub-history li")].some((li) => li.classList.contains("accepted") && li.textContent.includes("id 7001"))`, "a good publish after the bad topics")
		if e.isInvalid("pub-topic") {
			t.Error("the topic is still marked invalid")
		}
	})

	section(t, "payloads", func(t *testing.T) {
		e.set("pub-kind", "dp/post/json")
		e.click("tab-raw")
		deep := `{"id":1,"dp":{"a":[{"v":{"a":{"b":{"c":{"d":{"e":{"f":1}}}}}}}]}}`
		for _, c := range []badInput{
			{"broken JSON", "payload", `{"id":1,"dp":{`, "payload", re("Line 1, column")},
			{"the seed's trailing commas", "payload", seedPayload, "payload", re("Line 5, column")},
			{"id a string", "payload", `{"id":"x","dp":{"a":[{"v":1}]}}`, "payload", re("“id” must be an integer")},
			{"id out of range", "payload", `{"id":2147483648,"dp":{"a":[{"v":1}]}}`, "payload", re("“id” 2147483648 is out of range")},
			{"v true", "payload", `{"id":1,"dp":{"a":[{"v":true}]}}`, "payload", re("value must be a number, a string or an object")},
			{"datastream not an array", "payload", `{"id":1,"dp":{"a":{"v":1}}}`, "payload", re("dp.a|array")},
			{"t in milliseconds", "payload", `{"id":1,"dp":{"a":[{"v":1,"t":1700000000000}]}}`, "payload", re("milliseconds")},
			{"over-deep value", "payload", deep, "payload", re("nested .* levels deep")},
			{"not an object", "payload", `[1,2]`, "payload", re("must be a JSON object")},
			{"empty", "payload", ``, "payload", re("payload is empty")},
			{"256 KB + 1", "payload", `{"id":1,"dp":{"a":[{"v":"` + strings.Repeat("x", 262145-len(`{"id":1,"dp":{"a":[{"v":""}]}}`)) + `"}]}}`, "payload", re("262145 bytes, too large")},
		} {
			counted++
			before := history()
			e.set(c.field, c.value)
			e.click("publish")
			msg := e.text("payload-err")
			if !c.msg.MatchString(msg) || !e.isInvalid(c.invalid) || history() != before {
				t.Errorf("%s: error %.200q, invalid [%s], %d sent; want %s, %s marked, none sent", c.name, msg, e.invalidFields(), history()-before, c.msg, c.invalid)
			}
		}
		e.set("payload", `{"id":7002,"dp":{"temperature":[{"v":22}]}}`)
		e.click("publish")
		e.waitJS(`[...document.querySelectorAll("#pub-history li")].some((li) => li.classList.contains("accepted") && li.textContent.includes("id 7002"))`, "a good publish after the bad payloads")
	})

	section(t, "subscription filters", func(t *testing.T) {
		for _, c := range []badInput{
			{"# alone", "sub-filter", "#", "sub-filter", re("wildcard at level 1")},
			{"wildcard in the product level", "sub-filter", "$sys/" + productID + "/#", "sub-filter", re("wildcard at level 3")},
			{"another device", "sub-filter", "$sys/" + productID + "/other/#", "sub-filter", re("outside the device's own topics")},
			{"# not a whole level", "sub-filter", pre + "a#", "sub-filter", re("a wildcard must be a whole level")},
			{"# not last", "sub-filter", pre + "#/a", "sub-filter", re("'#' the last one|last")},
			{"over 512 bytes", "sub-filter", pre + strings.Repeat("a", 600), "sub-filter", re("at most 512")},
			{"empty level", "sub-filter", pre + "a//b", "sub-filter", re("empty level")},
			{"empty", "sub-filter", "", "sub-filter", re("empty")},
			// Filters OneNET disconnects a device for (docs/PROTOCOL.md §5.2).
			{"a Chinese character", "sub-filter", pre + "温度", "sub-filter", cite("contains “温”", "filter.chars", "§5.2")},
			{"9 levels", "sub-filter", pre + "a/b/c/d/e/f", "sub-filter", cite("has 9 levels; OneNET allows at most 8", "filter.levels", "§5.2")},
		} {
			counted++
			before := eval[int](e, `document.querySelectorAll("#subs li").length`)
			e.set(c.field, c.value)
			e.click("subscribe")
			msg := e.text("sub-err")
			if !c.msg.MatchString(msg) || !e.isInvalid(c.invalid) || eval[int](e, `document.querySelectorAll("#subs li").length`) != before {
				t.Errorf("%s: error %q, invalid [%s]; want %s, %s marked, nothing subscribed", c.name, msg, e.invalidFields(), c.msg, c.invalid)
			}
		}
		e.set("sub-filter", pre+"cmd/request/+")
		e.click("subscribe")
		e.waitJS(`document.querySelectorAll("#subs li").length === 2`, "a good subscription after the bad filters")
		if e.isInvalid("sub-filter") {
			t.Error("the filter is still marked invalid")
		}
	})

	section(t, "platform", func(t *testing.T) {
		for _, c := range []badInput{
			{"no product key", "plat-key", "", "plat-key", re("access key is empty")},
			{"product key not base64", "plat-key", "not*base64!", "plat-key", re("access key is not base64")},
			{"another product's key", "plat-key", otherKey, "plat-key", re("Authentication failed: check the product key")},
		} {
			counted++
			e.set(c.field, c.value)
			e.click("plat-refresh")
			e.waitJS(`document.getElementById("plat-err").textContent !== ""`, "the platform error")
			if msg := e.text("plat-err"); !c.msg.MatchString(msg) || !e.isInvalid(c.invalid) {
				t.Errorf("%s: error %q, invalid [%s]; want %s, %s marked", c.name, msg, e.invalidFields(), c.msg, c.invalid)
			}
		}
		counted++
		e.set("plat-key", productKey)
		e.set("plat-prop", `{"Power":`)
		e.click("plat-set")
		e.waitJS(`document.getElementById("plat-err").textContent !== ""`, "the property error")
		if msg := e.text("plat-err"); !re("property parameters are not JSON").MatchString(msg) || !e.isInvalid("plat-prop") {
			t.Errorf("bad property JSON: error %q, invalid [%s]", msg, e.invalidFields())
		}
		e.click("plat-refresh")
		e.waitJS(`document.querySelectorAll("#plat-charts figure").length >= 1 && document.getElementById("plat-err").textContent === ""`, "the stored datapoints after the bad requests")
		if e.isInvalid("plat-key") || e.isInvalid("plat-prop") {
			t.Errorf("still marked: [%s]", e.invalidFields())
		}
	})

	e.click("disconnect")
	e.waitJS(fmt.Sprintf(stateIs, "closed"), "disconnected")

	section(t, "broker URLs", func(t *testing.T) {
		e.check("input[name=target][value=url]", true)
		for _, c := range []badInput{
			{"OneNET host as ws URL", "url", "ws://mqtts.heclouds.com:1883/mqtt", "url", re("OneNET host.*no MQTT-over-WebSocket.*relay")},
			{"OneNET TLS host as wss URL", "url", "wss://studio-mqtts.heclouds.com:8883/", "url", re("OneNET host")},
			{"mqtt://", "url", "mqtt://127.0.0.1:1883", "url", re("cannot open mqtt:.*ws://")},
			{"mqtts://", "url", "mqtts://127.0.0.1:8883", "url", re("cannot open mqtts:")},
			{"http://", "url", "http://127.0.0.1/mqtt", "url", re("not a WebSocket URL")},
			{"not a URL", "url", "broker.example.com:1883", "url", re("has no scheme.*ws://broker.example.com:1883/mqtt")},
			{"scheme only", "url", "ws://", "url", re("is not a URL")},
		} {
			counted++
			e.set(c.field, c.value)
			typed := e.text("conn-msgs")
			e.click("connect")
			msg := e.text("conn-msgs")
			st := eval[string](e, `document.getElementById("conn-state").dataset.state`)
			if !c.msg.MatchString(typed) || !c.msg.MatchString(msg) || !e.isInvalid(c.invalid) || st != "closed" {
				t.Errorf("%s: as typed %q, on connect %q, invalid [%s], state %s; want %s, %s marked, no connection", c.name, typed, msg, e.invalidFields(), st, c.msg, c.invalid)
			}
		}
		// Unreachable: nothing listens on port 1.
		counted++
		e.set("url", "ws://127.0.0.1:1/mqtt")
		e.click("connect")
		e.waitJS(`document.getElementById("conn-state").dataset.state === "closed" && document.getElementById("conn-msgs").textContent !== ""`, "the failed connection")
		if msg := e.text("conn-msgs"); !re("unreachable").MatchString(msg) || !e.isInvalid("url") {
			t.Errorf("unreachable host: %q, invalid [%s]", msg, e.invalidFields())
		}
		// The good URL: this server's broker.
		e.set("url", "ws"+strings.TrimPrefix(e.http.URL, "http")+"/mqtt")
		if e.isInvalid("url") {
			t.Error("a good URL is marked invalid")
		}
		e.click("connect")
		e.waitJS(fmt.Sprintf(stateIs, "connected"), "a connection to a good URL after the bad ones")
		e.click("disconnect")
		e.waitJS(fmt.Sprintf(stateIs, "closed"), "disconnected")
	})

	section(t, "mixed content", func(t *testing.T) {
		// The page over https: a ws:// URL is refused by the page before
		// the browser blocks it.
		counted++
		ts := httptest.NewUnstartedServer(e.srv.Handler())
		ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the browser's first look at the test certificate
		ts.StartTLS()
		defer ts.Close()
		e.run(func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := cdp.Call(ctx, tg, security.SetIgnoreCertificateErrors, security.SetIgnoreCertificateErrorsParams{Ignore: true})
			return chromedp.Void{}, err
		})
		e.run(chromedp.Navigate(ts.URL + "/"))
		e.waitJS(`document.body.dataset.ready === "all"`, "the page over https")
		e.fillToken("device", productID, deviceName, deviceKey, "sha1", 2000000000)
		e.check("input[name=target][value=url]", true)
		e.set("url", "ws"+strings.TrimPrefix(e.http.URL, "http")+"/mqtt")
		e.click("connect")
		if msg := e.text("conn-msgs"); !re("wss://|https").MatchString(msg) || !e.isInvalid("url") {
			t.Errorf("ws:// from an https page: %q, invalid [%s]", msg, e.invalidFields())
		}
		e.set("url", "wss"+strings.TrimPrefix(ts.URL, "https")+"/mqtt")
		e.click("connect")
		e.waitJS(fmt.Sprintf(stateIs, "connected"), "a wss:// connection from the https page")
		e.click("disconnect")
	})
	t.Logf("%d bad inputs typed into the page", counted)
}
