package server

import (
	"bytes"
	"net/http"
	"testing"
)

// Ranges of a file, as ServeContent answers them, and of its encoded
// representation, which has an ETag of its own.
func TestStaticRangesAndEncodedETags(t *testing.T) {
	_, hs := newTestServer(t)
	resp, body := get(t, hs.URL+"/core.wasm", map[string]string{"Range": "bytes=5-14"})
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, wasmBytes[5:15]) {
		t.Errorf("Range bytes=5-14: %d %q, want 206 %q", resp.StatusCode, body, wasmBytes[5:15])
	}
	if cr := resp.Header.Get("Content-Range"); cr != "bytes 5-14/15000" {
		t.Errorf("Content-Range %q", cr)
	}
	if resp, _ := get(t, hs.URL+"/core.wasm", map[string]string{"Range": "bytes=20000-"}); resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Errorf("Range past the end: %d, want 416", resp.StatusCode)
	}

	plain, _ := get(t, hs.URL+"/core.wasm", nil)
	br, brBody := get(t, hs.URL+"/core.wasm", map[string]string{"Accept-Encoding": "br"})
	pe, be := plain.Header.Get("ETag"), br.Header.Get("ETag")
	if pe == "" || be == "" || pe == be {
		t.Fatalf("ETags: identity %q, br %q; want two different ones", pe, be)
	}
	for _, tc := range []struct {
		accept, etag string
		want         int
	}{
		{"br", be, http.StatusNotModified},
		{"br", pe, http.StatusOK},
		{"", pe, http.StatusNotModified},
		{"", be, http.StatusOK},
		{"", `"other", ` + pe, http.StatusNotModified},
	} {
		resp, _ := get(t, hs.URL+"/core.wasm", map[string]string{"Accept-Encoding": tc.accept, "If-None-Match": tc.etag})
		if resp.StatusCode != tc.want {
			t.Errorf("Accept-Encoding %q, If-None-Match %s: %d, want %d", tc.accept, tc.etag, resp.StatusCode, tc.want)
		}
	}
	// A range of the brotli representation is a range of its bytes.
	resp, body = get(t, hs.URL+"/core.wasm", map[string]string{"Accept-Encoding": "br", "Range": "bytes=0-3"})
	if resp.StatusCode != http.StatusPartialContent || resp.Header.Get("Content-Encoding") != "br" || !bytes.Equal(body, brBody[:4]) {
		t.Errorf("br Range bytes=0-3: %d %s % x, want 206 br % x", resp.StatusCode, resp.Header.Get("Content-Encoding"), body, brBody[:4])
	}
	// HEAD: the headers without the body.
	req, _ := http.NewRequest(http.MethodHead, hs.URL+"/core.wasm", nil)
	hresp, err := (&http.Transport{DisableCompression: true, DisableKeepAlives: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	hresp.Body.Close()
	if hresp.StatusCode != 200 || hresp.ContentLength != int64(len(wasmBytes)) {
		t.Errorf("HEAD: %d, Content-Length %d", hresp.StatusCode, hresp.ContentLength)
	}
}
