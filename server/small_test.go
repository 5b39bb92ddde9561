package server

import (
	"net/http"
	"strings"
	"testing"
)

// TestLocalJSONOnlyGetHead (issue: "/local.json answers 200 to POST,
// DELETE and TRACE"): other methods get 405 with Allow: GET, HEAD.
func TestLocalJSONOnlyGetHead(t *testing.T) {
	_, hs := newTestServer(t)
	for _, m := range []string{"POST", "DELETE", "TRACE", "PUT", "PATCH", "OPTIONS"} {
		req, _ := http.NewRequest(m, hs.URL+"/local.json", nil)
		resp, err := (&http.Transport{DisableKeepAlives: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /local.json: %d, Allow %q; want 405, GET, HEAD", m, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
	for _, m := range []string{"GET", "HEAD"} {
		req, _ := http.NewRequest(m, hs.URL+"/local.json", nil)
		resp, err := (&http.Transport{DisableKeepAlives: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s /local.json: %d", m, resp.StatusCode)
		}
	}
}

// TestMissingWasmPathMessage (issue: "a missing .wasm path is reported as
// the wasm modules are not built"): only the page's own modules, when
// missing, say so; any other .wasm path is a plain 404.
func TestMissingWasmPathMessage(t *testing.T) {
	_, hs := newTestServer(t) // core.wasm present, mqtt.wasm not built
	for path, want := range map[string]string{
		"/mqtt.wasm":      "not built",
		"/nope.wasm":      "404 page not found",
		"/x/core.wasm":    "404 page not found",
		"/vendor/a.wasm":  "404 page not found",
		"/core.wasm.wasm": "404 page not found",
	} {
		resp, body := get(t, hs.URL+path, nil)
		if resp.StatusCode != 404 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d %q, want 404 %q", path, resp.StatusCode, body, want)
		}
	}
}
