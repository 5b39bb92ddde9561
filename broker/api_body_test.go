package broker

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// partialPost opens a connection to the env's HTTP server and sends a POST
// of path announcing a body of n bytes, of which it sends only the first
// ten. It returns the connection, which the test closes.
func (e *env) partialPost(t *testing.T, path, auth string, n int) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(e.http.URL, "http://"), wait)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	hdr := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", path, n)
	if auth != "" {
		hdr += "Authorization: " + auth + "\r\n"
	}
	if _, err := io.WriteString(c, hdr+"\r\n"+`{"product_`); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAPIAuthenticatesBeforeReadingBody (issue: "thing-model endpoints
// read the body before checking the token"): a thing-model call without a
// valid token is answered 401 while its body is still being sent, and the
// connection is closed rather than read to its end; with a valid token
// the body is read and checked against the token.
func TestAPIAuthenticatesBeforeReadingBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, path := range []string{"/api/thingmodel/set-device-property", "/api/thingmodel/call-service"} {
		for _, auth := range []string{"", "garbage", tok(t, "products/prod1", keyNone), tok(t, "products/nope", keyP1), tok(t, "userid/1", keyP1)} {
			c := e.partialPost(t, path, auth, 200_000)
			c.SetReadDeadline(time.Now().Add(wait))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatalf("%s with %.20q…: no answer while the body is held: %v", path, auth, err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 401 || !strings.Contains(string(body), `"code":401`) {
				t.Errorf("%s with %.20q…: %d %s, want 401", path, auth, resp.StatusCode, body)
			}
			// The server closes the connection instead of reading the rest.
			if _, err := c.Read(make([]byte, 1)); err == nil {
				t.Errorf("%s: the connection stays open after the refusal", path)
			}
		}
	}
	// A valid token: the body is read; one naming another device than
	// the token's is refused after it.
	r := e.call(t, "POST", "/api/thingmodel/set-device-property", devTok(t, "prod1", "dev1", keyD1),
		`{"product_id":"prod1","device_name":"dev2","params":{"x":1}}`)
	r.check(t, 401, 401, "the token's res is")
	r = e.call(t, "POST", "/api/thingmodel/set-device-property", tok(t, "products/prod1", keyP1),
		`{"product_id":"prod1","device_name":"dev2","params":{"x":1}}`)
	r.check(t, 200, 10500, "not online")
}
