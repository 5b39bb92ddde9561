package broker

import (
	"net/http"
	"testing"
)

// The API's routes: with or without "/api", with a trailing slash or not, HEAD
// as GET; JSON answers for unknown paths and wrong methods, with Allow.
func TestAPIRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	good := tok(t, "products/prod1", keyP1)
	for _, p := range []string{"/api/devices", "/api/devices/", "/stripped/devices", "/stripped/devices/"} {
		e.call(t, "GET", p+"?product_id=prod1", good, "").check(t, 200, 0, "succ")
	}
	for _, p := range []string{"/api/", "/api/devices/x", "/api/api/devices", "/api/Devices", "/stripped/x"} {
		e.call(t, "GET", p+"?product_id=prod1", good, "").check(t, 404, 404, "no API at "+p)
	}
	e.call(t, "DELETE", "/api/thingmodel/call-service", good, "").check(t, 405, 405, "DELETE /thingmodel/call-service: use POST")

	req, _ := http.NewRequest(http.MethodPut, e.http.URL+"/api/devices?product_id=prod1", nil)
	req.Header.Set("authorization", good)
	resp, err := e.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET" {
		t.Errorf("PUT /api/devices: %d, Allow %q; want 405, GET", resp.StatusCode, resp.Header.Get("Allow"))
	}
	req, _ = http.NewRequest(http.MethodHead, e.http.URL+"/api/devices?product_id=prod1", nil)
	req.Header.Set("authorization", good)
	if resp, err = e.http.Client().Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("HEAD /api/devices: %d, want 200", resp.StatusCode)
	}
}
