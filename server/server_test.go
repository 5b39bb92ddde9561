package server

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/andybalholm/brotli"

	"github.com/onenet-wasm/onenet-wasm/broker"
)

var wasmBytes = bytes.Repeat([]byte("\x00asm wasm body "), 1000)

func compress(t *testing.T, enc string, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	if enc == "br" {
		w = brotli.NewWriter(&buf)
	} else {
		w = gzip.NewWriter(&buf)
	}
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func newTestServer(t *testing.T) (*Server, *httptest.Server) {
	t.Helper()
	files := fstest.MapFS{
		"index.html":     {Data: []byte("<!doctype html><title>x</title>")},
		"app.js":         {Data: []byte("console.log(1)")},
		"core.wasm":      {Data: wasmBytes},
		"core.wasm.br":   {Data: compress(t, "br", wasmBytes)},
		"core.wasm.gz":   {Data: compress(t, "gzip", wasmBytes)},
		"embed.go":       {Data: []byte("package web")},
		"onenet.d.ts":    {Data: []byte("export {}")},
		"vendor/lib.js":  {Data: []byte("export default 1")},
		"secret.json.gz": {Data: []byte("no")},
	}
	reg := &broker.Registry{Products: []broker.Product{{ID: "p1", Key: "kKsubaG7FzMgzR6N3eUD53319Qu+K4MCvw6KzOYc5eI=",
		Devices: []broker.Device{{Name: "d1", Key: "rs2FaE5BuygJZkWKDA5okKt1RFpwOx53hbu6hwyCS4U="}}}}}
	s, err := New(Config{Registry: reg, Files: files})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() { hs.Close(); s.Close() })
	return s, hs
}

func get(t *testing.T, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	// A transport that does not decompress, so the encoding can be seen,
	// and keeps no connection open (a goroutine pair per request otherwise).
	resp, err := (&http.Transport{DisableCompression: true, DisableKeepAlives: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func TestStaticPrecompressed(t *testing.T) {
	_, hs := newTestServer(t)
	for _, tc := range []struct {
		accept, wantEnc string
	}{
		{"", ""},
		{"gzip", "gzip"},
		{"gzip, deflate, br", "br"},
		{"br;q=0, gzip", "gzip"},
		{"identity", ""},
	} {
		resp, body := get(t, hs.URL+"/core.wasm", map[string]string{"Accept-Encoding": tc.accept})
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != tc.wantEnc {
			t.Errorf("Accept-Encoding %q: status %d, Content-Encoding %q; want %q", tc.accept, resp.StatusCode, resp.Header.Get("Content-Encoding"), tc.wantEnc)
			continue
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/wasm" {
			t.Errorf("Content-Type %q", ct)
		}
		if !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("no Vary: Accept-Encoding")
		}
		var plain []byte
		switch tc.wantEnc {
		case "br":
			plain, _ = io.ReadAll(brotli.NewReader(bytes.NewReader(body)))
		case "gzip":
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			plain, _ = io.ReadAll(zr)
		default:
			plain = body
		}
		if !bytes.Equal(plain, wasmBytes) {
			t.Errorf("Accept-Encoding %q: body does not decode to the wasm", tc.accept)
		}
	}
}

func TestStaticHeadersAndRevalidation(t *testing.T) {
	_, hs := newTestServer(t)
	resp, _ := get(t, hs.URL+"/", nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("/: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "object-src 'none'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline script: %q", csp)
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no nosniff")
	}
	etag := resp.Header.Get("ETag")
	if etag == "" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("ETag %q, Cache-Control %q", etag, resp.Header.Get("Cache-Control"))
	}
	resp, body := get(t, hs.URL+"/", map[string]string{"If-None-Match": etag})
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Errorf("revalidation: %d with %d bytes; want 304 and none", resp.StatusCode, len(body))
	}
	// Sources, declarations and unknown types are not served.
	for _, p := range []string{"/embed.go", "/onenet.d.ts", "/secret.json.gz", "/nope.html"} {
		if resp, _ := get(t, hs.URL+p, nil); resp.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", p, resp.StatusCode)
		}
	}
	if resp, _ := get(t, hs.URL+"/vendor/lib.js", nil); resp.StatusCode != 200 {
		t.Errorf("/vendor/lib.js: %d", resp.StatusCode)
	}
	// A wasm that was not built says how to build it.
	if resp, body := get(t, hs.URL+"/mqtt.wasm", nil); resp.StatusCode != 404 || !strings.Contains(string(body), "make build") {
		t.Errorf("/mqtt.wasm: %d %q", resp.StatusCode, body)
	}
	req, _ := http.NewRequest("POST", hs.URL+"/", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /: %v", err)
	}
	resp.Body.Close() // an unclosed body keeps its connection's goroutines alive
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %v", resp.StatusCode)
	}
}

func TestLocalInfoHasNoKeys(t *testing.T) {
	_, hs := newTestServer(t)
	resp, body := get(t, hs.URL+"/local.json", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("/local.json: %d", resp.StatusCode)
	}
	var info Info
	if err := json.Unmarshal(body, &info); err != nil {
		t.Fatal(err)
	}
	if info.Broker != "mqtt" || info.Bridge != "bridge" || info.API != "api/" || len(info.Endpoints) != 4 {
		t.Errorf("info = %+v", info)
	}
	if len(info.Products) != 1 || info.Products[0].ID != "p1" || info.Products[0].Kind != "kit" || info.Products[0].Devices[0] != "d1" {
		t.Errorf("products = %+v", info.Products)
	}
	if strings.Contains(string(body), "kKsub") || strings.Contains(string(body), "rs2Fa") {
		t.Errorf("/local.json carries a key: %s", body)
	}
}

func TestAcceptsEncoding(t *testing.T) {
	for _, tc := range []struct {
		header, enc string
		want        bool
	}{
		{"br", "br", true},
		{"gzip, br", "br", true},
		{"BR", "br", true},
		{"br;q=0", "br", false},
		{"br; q=0.0", "br", false},
		{"br;q=0.5", "br", true},
		{"gzip", "br", false},
		{"", "gzip", false},
	} {
		if got := acceptsEncoding(tc.header, tc.enc); got != tc.want {
			t.Errorf("acceptsEncoding(%q, %q) = %v, want %v", tc.header, tc.enc, got, tc.want)
		}
	}
}

// TestDemoDevice: /demo.json gives the demo device's keys to the page's own
// origin only, and only when the registry is the demo one.
func TestDemoDevice(t *testing.T) {
	reg := &broker.Registry{Products: []broker.Product{{ID: "P1", Key: "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U=", Devices: []broker.Device{{Name: "d1", Key: "ZGV2a2V5ZGV2a2V5ZGV2a2V5ZGV2a2V5ZGV2a2V5ZGU="}}}}}
	get := func(srv *Server, h map[string]string) (int, string) {
		req := httptest.NewRequest("GET", "http://127.0.0.1:8080/demo.json", nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	for _, demo := range []bool{false, true} {
		srv, err := New(Config{Registry: reg, Demo: demo, Files: fstest.MapFS{"index.html": {Data: []byte("x")}}})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		code, body := get(srv, map[string]string{"Sec-Fetch-Site": "same-origin"})
		if !demo {
			if code != http.StatusNotFound || strings.Contains(body, "ZGV2") {
				t.Errorf("-devices registry: /demo.json answered %d %q", code, body)
			}
			continue
		}
		var d DemoDevice
		if code != http.StatusOK || json.Unmarshal([]byte(body), &d) != nil || d.DeviceKey != reg.Products[0].Devices[0].Key || d.ProductKey != reg.Products[0].Key {
			t.Errorf("demo registry, same origin: %d %q", code, body)
		}
		for _, h := range []map[string]string{
			{},
			{"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.test"},
			{"Sec-Fetch-Site": "same-site", "Origin": "http://other.127.0.0.1:8080"},
			{"Sec-Fetch-Site": "same-origin", "Origin": "http://evil.test"},
		} {
			if code, body := get(srv, h); code != http.StatusForbidden || strings.Contains(body, "ZGV2") {
				t.Errorf("headers %v: %d %q", h, code, body)
			}
		}
	}
}
