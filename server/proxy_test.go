package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/onenet-wasm/onenet-wasm/bridge"
	"github.com/onenet-wasm/onenet-wasm/broker"
	"github.com/onenet-wasm/onenet-wasm/token"
)

// TestTrustProxyClientAddress: behind a reverse proxy every request comes
// from loopback. With TrustProxy the client's address is the proxy's
// X-Real-IP: the relay's per-client cap counts each client (8 from one,
// still one more from another) and the broker logs the client's address.
// Without it the header is ignored and the proxy's address counts.
func TestTrustProxyClientAddress(t *testing.T) {
	target := startListener(t)
	for _, trust := range []bool{true, false} {
		log := &lockedLog{}
		reg := &broker.Registry{Products: []broker.Product{{ID: accessProduct, Key: accessPKey, Devices: []broker.Device{{Name: "d1", Key: accessD1Key}}}}}
		s, err := New(Config{Registry: reg, BridgeTargets: []bridge.Target{{Addr: target.addr}}, TrustProxy: trust, Logf: log.logf})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(s.Handler())
		dial := func(path, client string) *websocket.Conn {
			ctx, cancel := context.WithTimeout(context.Background(), waitLong)
			defer cancel()
			c, _, err := websocket.Dial(ctx, wsURL(hs, path), &websocket.DialOptions{Subprotocols: []string{"mqtt"}, HTTPHeader: http.Header{"X-Real-IP": {client}}})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		var open []*websocket.Conn
		for range bridge.DefaultMaxConnsPerClient {
			open = append(open, dial("/bridge?target="+target.addr, "203.0.113.5"))
		}
		other := dial("/bridge?target="+target.addr, "203.0.113.6")
		// A refusal closes at once; an open relay stays silent.
		timeout := time.Second
		if !trust {
			timeout = waitLong
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		_, _, err = other.Read(ctx)
		cancel()
		refused := websocket.CloseStatus(err) == websocket.StatusTryAgainLater
		if refused == trust {
			t.Errorf("TrustProxy %v: a 9th relayed connection from another client refused: %v (%v)", trust, refused, err)
		}

		tok, _ := token.Generate(token.Params{Res: "products/" + accessProduct + "/devices/d1", Key: accessD1Key, ET: time.Now().Add(time.Hour).Unix()})
		mq := dial("/mqtt", "203.0.113.7")
		ctx, cancel = context.WithTimeout(context.Background(), waitLong)
		mq.Write(ctx, websocket.MessageBinary, mqttConnect("d1", accessProduct, tok))
		_, ack, err := mq.Read(ctx)
		cancel()
		if err != nil || len(ack) != 4 || ack[3] != 0 {
			t.Fatalf("login: % x %v", ack, err)
		}
		log.waitFor(t, "login accepted: device "+accessProduct+"/d1 from ")
		fromClient := false
		for _, l := range log.all() {
			if strings.Contains(l, "login accepted") {
				fromClient = strings.Contains(l, "from 203.0.113.7:")
			}
		}
		if fromClient != trust {
			t.Errorf("TrustProxy %v: login logged from the client's address: %v\n%s", trust, fromClient, strings.Join(log.all(), "\n"))
		}
		for _, c := range append(open, other, mq) {
			c.CloseNow()
		}
		hs.Close()
		s.Close()
	}
}
