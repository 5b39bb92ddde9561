package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/coder/websocket"
	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/onenet-wasm/onenet-wasm/broker"
	"github.com/onenet-wasm/onenet-wasm/server"
)

// The registry of the in-process server: the e2e tests' device.
const (
	productID  = "469948"
	productKey = "kKsubaG7FzMgzR6N3eUD53319Qu+K4MCvw6KzOYc5eI="
	deviceName = "Chic_D"
	deviceKey  = "rs2FaE5BuygJZkWKDA5okKt1RFpwOx53hbu6hwyCS4U="
)

// page holds the bench pages, served under /bench/ next to the real page
// (they never go into web/, which is embedded into the product).
//
//go:embed page
var page embed.FS

// harness is the real local server on 127.0.0.1, with the bench pages and
// a bare mochi broker (no OneNET hooks) mounted beside it.
type harness struct {
	cfg     config
	srv     *server.Server
	ln      net.Listener
	http    *http.Server
	base    string // http://127.0.0.1:port
	bare    *mochi.Server
	bareTCP string // the bare broker's TCP address
	relayTo string // a TCP broker the relay may reach (the bare one)
}

func startHarness(cfg config) (*harness, error) {
	h := &harness{cfg: cfg}
	need := []string{cfg.path("node_modules/mqtt/dist/mqtt.esm.js")}
	for _, f := range []string{"core.wasm", "mqtt.wasm", "wasm_exec.js"} {
		need = append(need, filepath.Join(cfg.webDir(), f))
	}
	for _, f := range need {
		if _, err := os.Stat(f); err != nil {
			return nil, fmt.Errorf("%s is missing: run `make build` and `npm ci` first (make bench does)", f)
		}
	}
	var err error
	h.bare, h.bareTCP, err = startBareMochi()
	if err != nil {
		return nil, err
	}
	h.relayTo = h.bareTCP
	h.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.close()
		return nil, err
	}
	h.base = "http://" + h.ln.Addr().String()
	srv, err := server.New(server.Config{
		Registry: &broker.Registry{Products: []broker.Product{{
			ID: productID, Key: productKey,
			Devices: []broker.Device{{Name: deviceName, Key: deviceKey}},
		}}},
		Files:         os.DirFS(cfg.webDir()),
		Limits:        broker.RateLimits{Disabled: true},
		BridgeTargets: bridgeTargets(h.relayTo),
	})
	if err != nil {
		h.close()
		return nil, err
	}
	h.srv = srv
	sub, _ := fs.Sub(page, "page")
	mux := http.NewServeMux()
	mux.Handle("/bench/", http.StripPrefix("/bench/", isolated(http.FileServerFS(sub))))
	mux.Handle("/bench/vendor/mqtt.esm.js", isolated(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		http.ServeFile(w, r, cfg.path("node_modules/mqtt/dist/mqtt.esm.js"))
	})))
	mux.Handle("/bare/mqtt", bareWSHandler(h.bare))
	mux.Handle("/", srv.Handler())
	h.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go h.http.Serve(h.ln)
	return h, nil
}

// isolated serves a bench page cross-origin isolated, so that
// performance.now() has 5 µs resolution instead of 100 µs.
func isolated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
		w.Header().Set("Cross-Origin-Embedder-Policy", "require-corp")
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// wsURL returns the WebSocket URL of a path on the harness.
func (h *harness) wsURL(path string) string {
	return "ws" + strings.TrimPrefix(h.base, "http") + path
}

func (h *harness) close() {
	if h.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = h.http.Shutdown(ctx)
		cancel()
		h.http.Close()
	}
	if h.srv != nil {
		h.srv.Close()
	}
	if h.bare != nil {
		h.bare.Close()
	}
}

// ---- bare mochi ----

// allowAll is the only hook of the bare broker: everyone may connect,
// publish and subscribe.
type allowAll struct{ mochi.HookBase }

func (*allowAll) ID() string { return "allow-all" }
func (*allowAll) Provides(b byte) bool {
	return b == mochi.OnConnectAuthenticate || b == mochi.OnACLCheck
}
func (*allowAll) OnConnectAuthenticate(*mochi.Client, packets.Packet) bool { return true }
func (*allowAll) OnACLCheck(*mochi.Client, string, bool) bool              { return true }

// newBareMochi is mochi as a user would start it: default options, an
// allow-all hook, no OneNET hook, logs discarded.
func newBareMochi() (*mochi.Server, error) {
	s := mochi.New(&mochi.Options{
		InlineClient:           true,
		Logger:                 slog.New(slog.DiscardHandler),
		SysTopicResendInterval: 24 * 3600,
	})
	if err := s.AddHook(new(allowAll), nil); err != nil {
		return nil, err
	}
	return s, nil
}

// startBareMochi starts a bare mochi with a TCP listener on 127.0.0.1 and
// the WebSocket listener that bareWSHandler feeds.
func startBareMochi() (*mochi.Server, string, error) {
	s, err := newBareMochi()
	if err != nil {
		return nil, "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	if err := s.AddListener(listeners.NewNet("tcp", ln)); err != nil {
		return nil, "", err
	}
	if err := s.AddListener(&wsFeed{id: "ws"}); err != nil {
		return nil, "", err
	}
	if err := s.Serve(); err != nil {
		return nil, "", err
	}
	return s, ln.Addr().String(), nil
}

// wsFeed is a mochi listener fed by an http.Handler, like the product's
// broker: MQTT over WebSocket with github.com/coder/websocket, so that the
// bare and the OneNET broker differ by their hooks only.
type wsFeed struct{ id string }

func (l *wsFeed) ID() string                           { return l.id }
func (l *wsFeed) Address() string                      { return "(http handler)" }
func (l *wsFeed) Protocol() string                     { return "ws" }
func (l *wsFeed) Init(*slog.Logger) error              { return nil }
func (l *wsFeed) Serve(listeners.EstablishFn)          {}
func (l *wsFeed) Close(closeClients listeners.CloseFn) { closeClients(l.id) }
func bareWSHandler(s *mochi.Server) http.Handler       { return wsHandler(s, "ws") }
func wsHandler(s *mochi.Server, listener string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"mqtt"}, InsecureSkipVerify: true})
		if err != nil {
			return
		}
		ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
		defer cancel()
		c.SetReadLimit(1 << 20)
		nc := websocket.NetConn(ctx, c, websocket.MessageBinary)
		err = s.EstablishConnection(listener, nc)
		_ = nc.Close()
		if err != nil && !errors.Is(err, net.ErrClosed) {
			_ = err // a client that went away; nothing to report
		}
	})
}
