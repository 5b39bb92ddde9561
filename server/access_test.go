package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/onenet-wasm/onenet-wasm/bridge"
	"github.com/onenet-wasm/onenet-wasm/broker"
	"github.com/onenet-wasm/onenet-wasm/token"
)

const (
	accessProduct = "p1"
	accessPKey    = "kKsubaG7FzMgzR6N3eUD53319Qu+K4MCvw6KzOYc5eI="
	accessD1Key   = "rs2FaE5BuygJZkWKDA5okKt1RFpwOx53hbu6hwyCS4U="
	accessD2Key   = "KuF3NT/jUBJ62LNBB/A8XZA9CqS3Cu79B/ABmfA1UCw="
	waitLong      = 20 * time.Second
)

// listener counts the connections a TCP listener accepts and holds them
// open; a canary (never allowed) or a relay target (allowed).
type listener struct {
	addr     string
	accepted atomic.Int64
}

func startListener(t *testing.T) *listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &listener{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.accepted.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { io.Copy(io.Discard, c) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return l
}

// accessServer is the full server with two devices and the relay allowed
// to reach target only.
func accessServer(t *testing.T, target string) (*Server, *httptest.Server, *lockedLog) {
	t.Helper()
	reg := &broker.Registry{Products: []broker.Product{{ID: accessProduct, Key: accessPKey, Devices: []broker.Device{{Name: "d1", Key: accessD1Key}, {Name: "d2", Key: accessD2Key}}}}}
	logs := &lockedLog{}
	s, err := New(Config{Registry: reg, BridgeTargets: []bridge.Target{{Addr: target}}, Limits: broker.RateLimits{Disabled: true},
		Logf: logs.logf})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() { hs.Close(); s.Close() })
	return s, hs, logs
}

func wsURL(hs *httptest.Server, path string) string {
	return "ws" + strings.TrimPrefix(hs.URL, "http") + path
}

// closeCode reads until the WebSocket closes and returns the close code
// and reason.
func closeCode(c *websocket.Conn) (websocket.StatusCode, string) {
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	for {
		if _, _, err := c.Read(ctx); err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code, ce.Reason
			}
			return -1, err.Error()
		}
	}
}

// TestRelayIsNotAnOpenProxy: through the full server, the relay reaches
// only its allow-list. Targets outside it (another port on this host, a
// canary listener, URLs, several targets, encodings) are refused with 1008
// and never dialled; pages of other origins are refused with 403 before
// any WebSocket exists, and so is /mqtt; one client may hold at most 8
// relayed connections; the server's own HTTP never forwards (CONNECT, an
// absolute URI).
func TestRelayIsNotAnOpenProxy(t *testing.T) {
	target := startListener(t)
	canary := startListener(t)
	_, hs, logs := accessServer(t, target.addr)
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	dial := func(rawQuery string, origin string) (*websocket.Conn, *http.Response, error) {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		return websocket.Dial(ctx, wsURL(hs, "/bridge?"+rawQuery), &websocket.DialOptions{Subprotocols: []string{"mqtt"}, HTTPHeader: h})
	}
	_, cport, _ := net.SplitHostPort(canary.addr)
	for _, q := range []string{
		"target=" + canary.addr,
		"target=localhost:" + cport,
		"target=" + url.QueryEscape("[::1]:"+cport),
		"target=" + url.QueryEscape("tcp://"+canary.addr),
		"target=" + url.QueryEscape("http://"+canary.addr+"/"),
		"target=" + url.QueryEscape(target.addr+"@"+canary.addr),
		"target=" + url.QueryEscape(target.addr+"/../"+canary.addr),
		"target=" + url.QueryEscape(canary.addr+"#"+target.addr),
		"target=" + target.addr + "&target=" + canary.addr,
		"target=" + canary.addr + "&target=" + target.addr,
		"target=2130706433:" + cport, // 127.0.0.1 as a number
		"target=127.1:" + cport,
		"target=mqtts.heclouds.com:1883", // a OneNET endpoint, but not on this server's list
		"target=",
		"",
	} {
		c, resp, err := dial(q, "")
		if err != nil {
			t.Errorf("?%s: upgrade failed (%v %v); want an upgrade closed with 1008", q, resp, err)
			continue
		}
		if code, reason := closeCode(c); code != websocket.StatusPolicyViolation {
			t.Errorf("?%s: closed with %d %q, want 1008", q, code, reason)
		}
	}
	// Other origins: 403 before any WebSocket, at /bridge and at /mqtt.
	for _, path := range []string{"/bridge?target=" + target.addr, "/mqtt"} {
		_, resp, err := websocket.Dial(ctx, wsURL(hs, path), &websocket.DialOptions{Subprotocols: []string{"mqtt"}, HTTPHeader: http.Header{"Origin": {"https://evil.example"}}})
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s from another origin: %v %v, want 403", path, resp, err)
		}
	}
	// Plain HTTP: CONNECT and absolute URIs are not forwarded.
	for _, req := range []string{
		"CONNECT " + canary.addr + " HTTP/1.1\r\nHost: " + canary.addr + "\r\n\r\n",
		"GET http://" + canary.addr + "/ HTTP/1.1\r\nHost: " + canary.addr + "\r\n\r\n",
		"GET /bridge?target=" + canary.addr + " HTTP/1.1\r\nHost: x\r\n\r\n",
	} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(hs.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(waitLong))
		fmt.Fprint(conn, req)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.HasPrefix(req, "CONNECT") {
				t.Errorf("%q: 200", req)
			}
		}
		conn.Close()
	}
	if n := canary.accepted.Load(); n != 0 {
		t.Errorf("the canary was reached %d times", n)
	}
	// The allowed target: at most 8 connections from one client.
	var open []*websocket.Conn
	for range bridge.DefaultMaxConnsPerClient {
		c, _, err := dial("target="+target.addr, "")
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
	}
	deadline := time.Now().Add(waitLong)
	for target.accepted.Load() < int64(bridge.DefaultMaxConnsPerClient) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	c, _, err := dial("target="+target.addr, "")
	if err != nil {
		t.Fatal(err)
	}
	if code, reason := closeCode(c); code != websocket.StatusTryAgainLater {
		t.Errorf("connection %d from one client: closed with %d %q, want 1013", bridge.DefaultMaxConnsPerClient+1, code, reason)
	}
	for _, c := range open {
		c.CloseNow()
	}
	if n := target.accepted.Load(); n != int64(bridge.DefaultMaxConnsPerClient) {
		t.Errorf("the target got %d connections, want %d", n, bridge.DefaultMaxConnsPerClient)
	}
	if t.Failed() {
		t.Logf("server log:\n%s", logs.String())
	}
}

// TestAccessThroughServer: through the full server's /mqtt and /api/, a
// device cannot publish or subscribe in another device's tree, and the
// platform API answers only with a valid product token.
func TestAccessThroughServer(t *testing.T) {
	target := startListener(t)
	srv, hs, logs := accessServer(t, target.addr)
	et := time.Now().Add(time.Hour).Unix()
	tokenFor := func(res, key string, et int64) string {
		s, err := token.Generate(token.Params{Res: res, Key: key, Method: "sha256", ET: et})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	lost := make(chan error, 1)
	o := paho.NewClientOptions().AddBroker(wsURL(hs, "/mqtt")).SetClientID("d1").SetUsername(accessProduct).
		SetPassword(tokenFor("products/"+accessProduct+"/devices/d1", accessD1Key, et)).
		SetProtocolVersion(4).SetAutoReconnect(false).SetConnectTimeout(waitLong).
		SetConnectionLostHandler(func(_ paho.Client, err error) { lost <- err }).
		SetCustomOpenConnectionFn(func(u *url.URL, _ paho.ClientOptions) (net.Conn, error) {
			ctx, cancel := context.WithTimeout(context.Background(), waitLong)
			defer cancel()
			c, _, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{Subprotocols: []string{"mqtt"}})
			if err != nil {
				return nil, err
			}
			return websocket.NetConn(context.Background(), c, websocket.MessageBinary), nil
		})
	c := paho.NewClient(o)
	if tk := c.Connect(); !tk.WaitTimeout(waitLong) || tk.Error() != nil {
		t.Fatalf("login: %v", tk.Error())
	}
	defer c.Disconnect(0)
	st := c.Subscribe("$sys/"+accessProduct+"/d2/#", 0, nil)
	if !st.WaitTimeout(waitLong) {
		t.Fatal("no SUBACK")
	}
	if got := st.(*paho.SubscribeToken).Result()["$sys/"+accessProduct+"/d2/#"]; got != 0x80 {
		t.Errorf("subscription to another device's tree: SUBACK %#x, want 0x80", got)
	}
	c.Publish("$sys/"+accessProduct+"/d2/dp/post/json", 1, false, `{"id":1,"dp":{"a":[{"v":1}]}}`)
	select {
	case <-lost:
	case <-time.After(waitLong):
		t.Error("publishing to another device's tree did not disconnect the device")
	}
	if pts := srv.Broker().Datapoints(accessProduct, "d2"); len(pts) != 0 {
		t.Errorf("d2 got datapoints from d1: %v", pts)
	}

	api := func(auth string) (int, int) {
		req, _ := http.NewRequest("GET", hs.URL+"/api/datapoint/history-datapoints?product_id="+accessProduct+"&device_name=d1", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var j struct{ Code int }
		json.NewDecoder(resp.Body).Decode(&j)
		return resp.StatusCode, j.Code
	}
	for name, auth := range map[string]string{
		"no token":             "",
		"garbage":              "hello",
		"wrong key":            tokenFor("products/"+accessProduct, accessD2Key, et),
		"expired":              tokenFor("products/"+accessProduct, accessPKey, time.Now().Add(-time.Minute).Unix()),
		"another product":      tokenFor("products/p2", accessPKey, et),
		"another device's key": tokenFor("products/"+accessProduct+"/devices/d2", accessD2Key, et),
		"the key itself":       accessPKey,
	} {
		if status, code := api(auth); status != http.StatusUnauthorized || code != 401 {
			t.Errorf("API with %s: HTTP %d, code %d; want 401", name, status, code)
		}
	}
	if status, code := api(tokenFor("products/"+accessProduct, accessPKey, et)); status != 200 || code != 0 {
		t.Errorf("API with the product token: HTTP %d, code %d", status, code)
	}
	for _, secret := range []string{accessPKey, accessD1Key, accessD2Key, "sign="} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds %q:\n%s", secret, logs.String())
		}
	}
}
