//go:build !js

package mqttws_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/onenet-wasm/onenet-wasm/mqttws"
)

func ExampleDial() {
	url, stop := startBroker() // a local MQTT broker with a WebSocket listener
	defer stop()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	received := make(chan mqttws.Message, 1)
	c, err := mqttws.Dial(ctx, url, &mqttws.Options{
		ClientID: "Chic_D",
		Username: "469948",
		// A fresh password for every connection, e.g. a new OneNET token.
		PasswordFunc:  func(context.Context) (string, error) { return "token", nil },
		AutoReconnect: true,
		OnMessage:     func(m mqttws.Message) { received <- m },
	})
	if err != nil {
		fmt.Println(mqttws.Explain(err))
		return
	}
	defer c.Close()

	granted, err := c.Subscribe(ctx, "devices/Chic_D/#", 1)
	fmt.Println("granted QoS", granted, err)
	err = c.Publish(ctx, "devices/Chic_D/temp", []byte(`{"temp":21.5}`), 1, false)
	fmt.Println("published:", err)
	m := <-received
	fmt.Printf("%s %s QoS %d\n", m.Topic, m.Payload, m.QoS)
	// Output:
	// granted QoS 1 <nil>
	// published: <nil>
	// devices/Chic_D/temp {"temp":21.5} QoS 1
}

// startBroker starts an in-process mochi broker that lets everyone in, with
// a WebSocket listener on a free loopback port, and returns its URL.
func startBroker() (url string, stop func()) {
	srv := mqtt.New(&mqtt.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	_ = srv.AddHook(new(allowAll), nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_ = srv.AddListener(listeners.NewWebsocket(listeners.Config{ID: "ws", Address: addr}))
	if err := srv.Serve(); err != nil {
		panic(err)
	}
	for i := 0; i < 1000; i++ { // wait until it listens
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	return "ws://" + addr + "/mqtt", func() {
		// Let disconnections finish: mochi v2.7.9 can deadlock in Close otherwise.
		for i := 0; i < 1000 && atomic.LoadInt64(&srv.Info.ClientsConnected) > 0; i++ {
			time.Sleep(10 * time.Millisecond)
		}
		srv.Close()
	}
}

// allowAll is a mochi hook that accepts every login and topic.
type allowAll struct{ mqtt.HookBase }

func (*allowAll) ID() string { return "allow-all" }
func (*allowAll) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck
}
func (*allowAll) OnConnectAuthenticate(*mqtt.Client, packets.Packet) bool { return true }
func (*allowAll) OnACLCheck(*mqtt.Client, string, bool) bool              { return true }

// Options.Dial opens the connection when the client's own WebSocket will
// not do: here with an HTTP header and TLS settings of the caller's own
// (the TLS settings apply to wss:// URLs).
func ExampleOptions_dial() {
	url, stop := startBroker()
	defer stop()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tr := &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12}}
	defer tr.CloseIdleConnections()
	dial := func(ctx context.Context, url string) (net.Conn, error) {
		ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{
			HTTPClient:   &http.Client{Transport: tr},
			HTTPHeader:   http.Header{"X-Request-Id": {"example"}},
			Subprotocols: []string{"mqtt"},
		})
		if err != nil {
			return nil, &mqttws.DialError{URL: url, Kind: mqttws.KindNetwork, Err: err}
		}
		// The connection lives until the client closes it, not as long as ctx.
		return websocket.NetConn(context.Background(), ws, websocket.MessageBinary), nil
	}
	c, err := mqttws.Dial(ctx, url, &mqttws.Options{ClientID: "Chic_D", Dial: dial})
	if err != nil {
		fmt.Println(mqttws.Explain(err))
		return
	}
	defer c.Close()
	fmt.Println("connected")
	// Output:
	// connected
}
