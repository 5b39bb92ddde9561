package server

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onenet-wasm/onenet-wasm/bridge"
	"github.com/onenet-wasm/onenet-wasm/broker"
	"github.com/onenet-wasm/onenet-wasm/token"
)

// lockedLog collects log lines from the server's goroutines.
type lockedLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *lockedLog) logf(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	l.mu.Lock()
	l.lines = append(l.lines, s)
	l.mu.Unlock()
}

func (l *lockedLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

func (l *lockedLog) String() string { return strings.Join(l.all(), "\n") }

func (l *lockedLog) waitFor(t *testing.T, part string) {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for time.Now().Before(deadline) {
		for _, line := range l.all() {
			if strings.Contains(line, part) {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no log line with %q", part)
}

// exchange writes pkt to a new connection to addr and reads what comes
// back until the connection closes.
func exchange(t *testing.T, addr string, pkts ...[]byte) []byte {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, waitLong)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(waitLong))
	for _, p := range pkts {
		if _, err := c.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := io.ReadAll(c)
	return got
}

// TestClientValuesInLogsAreCutAndEscaped (issue: "attacker input is logged
// verbatim"): values of up to 900 KB sent as API parameters, a path, MQTT
// client ids, user names, token fields and topics, a Host and an Origin
// header, with newlines meant to forge log lines, add at most about a
// kilobyte each to the log, quoted, with no raw control character.
func TestClientValuesInLogsAreCutAndEscaped(t *testing.T) {
	log := &lockedLog{}
	reg := &broker.Registry{Products: []broker.Product{{ID: accessProduct, Key: accessPKey, Devices: []broker.Device{{Name: "d1", Key: accessD1Key}}}}}
	s, err := New(Config{Registry: reg, BridgeTargets: []bridge.Target{{Addr: "127.0.0.1:1"}}, Logf: log.logf})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() { hs.Close(); s.Close() })
	mq, err := s.ListenMQTT("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}

	const forged = "\nlogin accepted: device p1/d1 from 6.6.6.6"
	huge := strings.Repeat("A", 900_000) + forged
	big := strings.Repeat("B", 60_000) + forged
	get := func(path string, hdr map[string]string) {
		req, _ := http.NewRequest("GET", hs.URL+path, nil)
		for k, v := range hdr {
			if k == "Host" {
				req.Host = v
			} else {
				req.Header.Set(k, v)
			}
		}
		resp, err := (&http.Transport{DisableKeepAlives: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	esc := func(s string) string { return strings.NewReplacer("\n", "%0A", " ", "%20").Replace(s) }
	tries := 0
	try := func(what string, f func()) { tries++; t.Run(what, func(t *testing.T) { f() }) }

	try("API product_id", func() { get("/api/devices?product_id="+esc(huge), nil) })
	try("API path", func() { get("/api/"+esc(huge), nil) })
	try("API limit", func() { get("/api/datapoint/history-datapoints?product_id=p1&device_name=d1&limit="+esc(big), nil) })
	try("Host", func() { get("/", map[string]string{"Host": strings.Repeat("h", 60_000) + ".test"}) })
	try("Origin", func() {
		get("/mqtt", map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
			"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Origin": "http://" + strings.Repeat("o", 60_000) + ".test"})
	})
	try("client id", func() { exchange(t, mq.String(), mqttConnect(big, "p1", "x")) })
	try("user name", func() { exchange(t, mq.String(), mqttConnect("d1", big, "x")) })
	try("token res", func() {
		exchange(t, mq.String(), mqttConnect("d1", "p1", "version=2018-10-31&res="+esc(big)+"&et=9999999999&method=sha1&sign=AAAA"))
	})
	try("token version", func() {
		exchange(t, mq.String(), mqttConnect("d1", "p1", "version="+esc(big)+"&res=products%2Fp1&et=9999999999&method=sha1&sign=AAAA"))
	})
	try("topic", func() {
		tok, err := token.Generate(token.Params{Res: "products/p1/devices/d1", Key: accessD1Key, ET: time.Now().Add(time.Hour).Unix()})
		if err != nil {
			t.Fatal(err)
		}
		pub := mqttPublish("$sys/p1/d2/"+big, []byte("{}"))
		exchange(t, mq.String(), mqttConnect("d1", "p1", tok), pub)
		log.waitFor(t, "disconnected: device p1/d1")
	})

	lines, total := log.all(), 0
	for _, l := range lines {
		total += len(l)
		if len(l) > 1200 {
			t.Errorf("a log line of %d bytes: %.200q…", len(l), l)
		}
		if strings.ContainsAny(l, "\n\r\x00") {
			t.Errorf("a log line with a raw control character: %.200q…", l)
		}
		if strings.HasPrefix(l, "login accepted: device p1/d1 from 6.6.6.6") {
			t.Errorf("a forged log line: %q", l)
		}
	}
	t.Logf("%d hostile values, %d log lines, %d bytes", tries, len(lines), total)
	if total > tries*2048 {
		t.Errorf("%d bytes of log for %d hostile values, want at most %d", total, tries, tries*2048)
	}
}
