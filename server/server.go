// Package server assembles the local server that `make run` starts: the
// page, the OneNET-compatible broker (WebSocket at /mqtt, and plain TCP), the
// relay to the real OneNET (/bridge) and the platform API (/api/), on one
// address.
package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"

	"github.com/onenet-wasm/onenet-wasm/bridge"
	"github.com/onenet-wasm/onenet-wasm/broker"
	"github.com/onenet-wasm/onenet-wasm/web"
)

// Config configures a Server. The zero value serves the embedded page with
// no broker devices and the OneNET endpoints as the relay's allow-list.
type Config struct {
	// Registry holds the products and devices the broker accepts.
	Registry *broker.Registry
	// BridgeTargets is the relay's allow-list; nil means bridge.DefaultTargets().
	BridgeTargets []bridge.Target
	// Files is the page's folder; nil means the embedded web.Files.
	Files fs.FS
	// Limits are the broker's per-device rate limits; zero means OneNET's.
	Limits broker.RateLimits
	// AllowedOrigins are extra Origins (host patterns) allowed to open
	// WebSockets to /mqtt and /bridge; the page's own origin always is.
	AllowedOrigins []string
	// Hosts are the names and addresses, besides localhost and the loopback
	// addresses, that requests may give in their Host header (a port, if
	// any, is ignored): the listen address and the names a reverse proxy
	// or the users reach the server by. Other hosts get 421 (DNS
	// rebinding).
	Hosts []string
	// TrustProxy takes a request's client address from X-Real-IP when the
	// request comes from loopback: set it when a reverse proxy on this host
	// (deploy/nginx.conf) is the only way in.
	TrustProxy bool
	// Demo says that Registry is the demo registry (no -devices file): its
	// first product and device, keys included, are then given to the page
	// of this server's own origin at /demo.json ("Use the demo device").
	// A registry of real devices never is.
	Demo bool
	// Logf receives one line per event; nil discards.
	Logf func(format string, args ...any)
}

// Server is the local server. Close it to disconnect devices and relayed
// connections.
type Server struct {
	broker  *broker.Broker
	bridge  *bridge.Handler
	static  *staticHandler
	mux     *http.ServeMux
	handler http.Handler // the mux behind the Host check and body limit
	info    []byte
	demo    []byte // /demo.json, or nil
}

// Info is what /local.json tells the page about this server, so that a page
// served elsewhere (a static host) knows the local features are missing.
type Info struct {
	Broker    string        `json:"broker"`    // path of the MQTT WebSocket, relative to the page
	Bridge    string        `json:"bridge"`    // path of the relay
	API       string        `json:"api"`       // prefix of the platform API
	Endpoints []string      `json:"endpoints"` // host:port the relay may reach
	Products  []InfoProduct `json:"products"`
	Demo      bool          `json:"demo,omitempty"` // /demo.json gives the demo device's keys
}

// DemoDevice is what /demo.json gives the page: the demo product and
// device with their keys.
type DemoDevice struct {
	ProductID  string `json:"product_id"`
	ProductKey string `json:"product_key"`
	DeviceName string `json:"device_name"`
	DeviceKey  string `json:"device_key"`
}

// InfoProduct names a product, its kind and its devices (never their keys).
// Kind is the registry's (docs/PROTOCOL.md §3.9): "studio", or "kit"
// (also for a product whose kind is not given); the page counts the
// limits of that kind (§5.6, §5.7).
type InfoProduct struct {
	ID      string   `json:"id"`
	Kind    string   `json:"kind"`
	Devices []string `json:"devices"`
}

// New builds a Server from cfg.
func New(cfg Config) (*Server, error) {
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	files := cfg.Files
	if files == nil {
		files = web.Files
	}
	st, err := newStatic(files)
	if err != nil {
		return nil, fmt.Errorf("server: page files: %w", err)
	}
	reg := cfg.Registry
	if reg == nil {
		reg = &broker.Registry{}
	}
	b, err := broker.New(broker.Options{Registry: reg, Limits: cfg.Limits, Logf: logf, WebSocketOrigins: cfg.AllowedOrigins})
	if err != nil {
		return nil, err
	}
	targets := cfg.BridgeTargets
	if targets == nil {
		targets = bridge.DefaultTargets()
	}
	br := bridge.New(bridge.Options{Allow: targets, Logf: logf, AllowedOrigins: cfg.AllowedOrigins})
	s := &Server{broker: b, bridge: br, static: st, mux: http.NewServeMux()}

	info := Info{Broker: "mqtt", Bridge: "bridge", API: "api/"}
	for _, t := range targets {
		info.Endpoints = append(info.Endpoints, t.Addr)
	}
	for _, p := range reg.Products {
		ip := InfoProduct{ID: p.ID, Kind: broker.KindKit}
		if p.Kind == broker.KindStudio {
			ip.Kind = broker.KindStudio
		}
		for _, d := range p.Devices {
			ip.Devices = append(ip.Devices, d.Name)
		}
		info.Products = append(info.Products, ip)
	}
	if cfg.Demo && len(reg.Products) > 0 && len(reg.Products[0].Devices) > 0 {
		p := reg.Products[0]
		s.demo, _ = json.Marshal(DemoDevice{ProductID: p.ID, ProductKey: p.Key, DeviceName: p.Devices[0].Name, DeviceKey: p.Devices[0].Key})
		info.Demo = true
	}
	s.info, _ = json.Marshal(info)

	s.mux.Handle("/mqtt", b.WebSocketHandler())
	s.mux.Handle("/bridge", br)
	s.mux.Handle("/api/", http.StripPrefix("/api", b.APIHandler()))
	s.mux.HandleFunc("/local.json", s.serveInfo)
	s.mux.HandleFunc("/demo.json", s.serveDemo)
	s.mux.Handle("/", st)
	var h http.Handler = newHostCheck(cfg.Hosts, s.mux, logf)
	if cfg.TrustProxy {
		h = realClient(h)
	}
	s.handler = bodyLimit(h)
	if !st.has("/core.wasm") || !st.has("/mqtt.wasm") {
		logf("server: the wasm modules are not built; the page will say so (run `make build`)")
	}
	return s, nil
}

func (s *Server) serveInfo(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(s.info)
}

// serveDemo gives the demo device's keys to the page of this origin only:
// a browser says where a request comes from (Sec-Fetch-Site, Origin), and
// anything but the page itself is refused; without the demo registry there
// is nothing to give.
func (s *Server) serveDemo(w http.ResponseWriter, r *http.Request) {
	if s.demo == nil {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	origin := r.Header.Get("Origin")
	sameOrigin := origin == "" || origin == "http://"+r.Host || origin == "https://"+r.Host
	if r.Header.Get("Sec-Fetch-Site") != "same-origin" || !sameOrigin {
		http.Error(w, "the demo device is given to this server's own page only", http.StatusForbidden)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(s.demo)
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Broker returns the server's broker, for the platform side and tests.
func (s *Server) Broker() *broker.Broker { return s.broker }

// ListenMQTT starts the broker's plain TCP listener on addr.
func (s *Server) ListenMQTT(addr string) (net.Addr, error) { return s.broker.ListenTCP(addr) }

// Close disconnects every device and relayed connection.
func (s *Server) Close() error {
	return errors.Join(s.bridge.Close(), s.broker.Close())
}
