//go:build !js

package mqttws

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"
)

// badServers are servers that are not the MQTT broker a client expects.
type badServers struct {
	notFound      string // HTTP 404 for every path
	noSubprotocol string // a WebSocket server that ignores the "mqtt" subprotocol
	subprotocol   string // a WebSocket server that selects a subprotocol not offered
	tls           string // wss:// with a certificate nobody trusts
	silentTCP     string // accepts TCP and never answers
	closeTCP      string // accepts TCP and closes at once
	silentMQTT    string // accepts the WebSocket, never answers CONNECT
	garbage       string // answers CONNECT with a PINGRESP
	hangUp        string // accepts the WebSocket, then closes it
	connack4      string // refuses every login with CONNACK 4, as OneNET does a bad token
}

func newBadServers(t *testing.T) *badServers {
	t.Helper()
	var s badServers
	serve := func(h http.HandlerFunc, useTLS bool) string {
		ts := httptest.NewUnstartedServer(h)
		ts.Config.ErrorLog = log.New(io.Discard, "", 0)
		if useTLS {
			ts.StartTLS()
		} else {
			ts.Start()
		}
		t.Cleanup(ts.Close)
		return "ws" + strings.TrimPrefix(ts.URL, "http") + "/mqtt"
	}
	accept := func(w http.ResponseWriter, r *http.Request, protos ...string) *websocket.Conn {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: protos})
		if err != nil {
			return nil
		}
		return c
	}
	drain := func(c *websocket.Conn) {
		for {
			if _, _, err := c.Read(t.Context()); err != nil {
				return
			}
		}
	}
	s.notFound = serve(http.NotFound, false)
	s.noSubprotocol = serve(func(w http.ResponseWriter, r *http.Request) {
		if c := accept(w, r); c != nil {
			drain(c)
		}
	}, false)
	s.subprotocol = serve(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("Sec-WebSocket-Protocol", "wamp")
		if c := accept(w, r, "wamp"); c != nil {
			c.CloseNow() // the client refuses the upgrade: nothing to read
		}
	}, false)
	s.tls = serve(http.NotFound, true)
	s.silentMQTT = serve(func(w http.ResponseWriter, r *http.Request) {
		if c := accept(w, r, "mqtt"); c != nil {
			drain(c)
		}
	}, false)
	s.garbage = serve(func(w http.ResponseWriter, r *http.Request) {
		if c := accept(w, r, "mqtt"); c != nil {
			if _, _, err := c.Read(r.Context()); err == nil {
				c.Write(r.Context(), websocket.MessageBinary, []byte{0xD0, 0x00}) // PINGRESP
			}
			drain(c)
		}
	}, false)
	s.hangUp = serve(func(w http.ResponseWriter, r *http.Request) {
		if c := accept(w, r, "mqtt"); c != nil {
			c.CloseNow()
		}
	}, false)
	s.connack4 = serve(func(w http.ResponseWriter, r *http.Request) {
		if c := accept(w, r, "mqtt"); c != nil {
			if _, _, err := c.Read(r.Context()); err == nil {
				c.Write(r.Context(), websocket.MessageBinary, []byte{0x20, 0x02, 0x00, 0x04}) // CONNACK 4
			}
			drain(c)
		}
	}, false)
	s.silentTCP = tcpServer(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	s.closeTCP = tcpServer(t, func(c net.Conn) {})
	return &s
}

// tcpServer serves each connection with handle, then closes it.
func tcpServer(t *testing.T, handle func(net.Conn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns []net.Conn
	)
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				handle(c)
			})
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
	return "ws://" + ln.Addr().String() + "/mqtt"
}

func runtime_NumGoroutine() int { return runtime.NumGoroutine() }

func allStacks() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}
