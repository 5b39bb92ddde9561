// Command onenet-web is the local server: the page, a OneNET-compatible
// broker for offline demos, a relay to the real OneNET and a platform API.
//
//	onenet-web [-addr 127.0.0.1:8080] [-mqtt-addr 127.0.0.1:1883] [-devices FILE]
//	           [-bridge-allow host:port,...] [-allow-origin host,...] [-rate-limits=false]
//	           [-host name,...] [-trust-proxy] [-allow-remote]
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/onenet-wasm/onenet-wasm/bridge"
	"github.com/onenet-wasm/onenet-wasm/broker"
	"github.com/onenet-wasm/onenet-wasm/internal/pagefiles"
	"github.com/onenet-wasm/onenet-wasm/internal/version"
	"github.com/onenet-wasm/onenet-wasm/server"
	"github.com/onenet-wasm/onenet-wasm/web"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "onenet-web:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("onenet-web", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address of the page, /mqtt (broker over WebSocket), /bridge (relay) and /api/")
	mqttAddr := fs.String("mqtt-addr", "127.0.0.1:1883", "address of the broker's plain MQTT listener; empty disables it")
	devices := fs.String("devices", "", "device registry (JSON); without it the demo registry (-demo-file) is used")
	demoFile := fs.String("demo-file", defaultDemoFile(), "where the demo product and device are kept between runs (created on first use)")
	allow := fs.String("bridge-allow", "", "host:port,... the relay may reach (default: OneNET's four endpoints)")
	origins := fs.String("allow-origin", "", "extra Origin hosts allowed to open WebSockets (default: the page's own; null: a page opened from disk, such as onenet-tool.html)")
	limits := fs.Bool("rate-limits", true, "enforce OneNET's per-device rate limits")
	hosts := fs.String("host", "", "extra host names the server is reached by, name,... (e.g. a reverse proxy's); requests for other hosts get 421")
	trustProxy := fs.Bool("trust-proxy", false, "take the client's address from X-Real-IP on requests from loopback: for a reverse proxy on this host (deploy/nginx.conf)")
	allowRemote := fs.Bool("allow-remote", false, "allow a non-loopback -addr or -mqtt-addr: the broker, relay and API then serve the network without TLS")
	showVersion := fs.Bool("version", false, "print the version and the build of the page it carries, and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *showVersion {
		// The build id is build.js's (internal/pagefiles): the same as make
		// dist's and the single file's for the same page.
		b, err := pagefiles.Compute(web.Files)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "onenet-web v%s (page build %s)\n", version.Version, b.ID)
		return nil
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	logger := log.New(stderr, "", log.LstdFlags)

	var reg *broker.Registry
	var err error
	if *devices != "" {
		if reg, err = broker.LoadRegistry(*devices); err != nil {
			return err
		}
	} else {
		if reg, err = demoRegistry(*demoFile); err != nil {
			return err
		}
		printDemo(stdout, reg, *demoFile)
	}
	cfg := server.Config{Registry: reg, Demo: *devices == "", Logf: logger.Printf}
	if *allow != "" {
		if cfg.BridgeTargets, err = parseAllow(*allow); err != nil {
			return err
		}
	}
	if *origins != "" {
		cfg.AllowedOrigins = strings.Split(*origins, ",")
	}
	if !*limits {
		cfg.Limits.Disabled = true
	}
	cfg.TrustProxy = *trustProxy
	if *hosts != "" {
		for _, h := range strings.Split(*hosts, ",") {
			if h = strings.TrimSpace(h); h != "" {
				cfg.Hosts = append(cfg.Hosts, h)
			}
		}
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if err := checkRemote("-addr", ln.Addr(), *allowRemote, logger); err != nil {
		ln.Close()
		return err
	}
	cfg.Hosts = append(cfg.Hosts, listenHosts(ln.Addr())...)
	srv, err := server.New(cfg)
	if err != nil {
		ln.Close()
		return err
	}
	defer srv.Close()
	if *mqttAddr != "" {
		a, err := srv.ListenMQTT(*mqttAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("-mqtt-addr: %w", err)
		}
		if err := checkRemote("-mqtt-addr", a, *allowRemote, logger); err != nil {
			ln.Close()
			return err
		}
		logger.Printf("broker: MQTT over TCP on %s", a)
	}
	hs := srv.HTTPServer(server.HTTPLimits{}, log.New(stderr, "http: ", log.LstdFlags))
	fmt.Fprintf(stdout, "onenet-web: open http://%s/\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Printf("shutting down")
	// Close the broker and relay first so that devices see a clean
	// disconnect, then stop the HTTP server.
	srv.Close()
	forced, err := server.Shutdown(hs, 5*time.Second)
	if forced {
		logger.Printf("shutting down: closed the HTTP connections still open after 5 s")
	}
	return err
}

// checkRemote refuses a listener beyond loopback unless -allow-remote is
// given, and then warns: without TLS, tokens and payloads cross the
// network in clear, and anyone who reaches the port may use the relay and
// the API (README, "A team server behind TLS").
func checkRemote(flagName string, a net.Addr, allow bool, logger *log.Logger) error {
	ta, ok := a.(*net.TCPAddr)
	if !ok || ta.IP.IsLoopback() {
		return nil
	}
	if !allow {
		return fmt.Errorf("%s %s is not a loopback address: the broker, the relay and the platform API would serve the whole network without TLS. "+
			"Keep 127.0.0.1 and put a TLS reverse proxy in front (README, \"A team server behind TLS\"), or add -allow-remote to do it anyway", flagName, a)
	}
	logger.Printf("WARNING: %s %s serves the network WITHOUT TLS (-allow-remote): tokens, payloads and API answers cross it in clear, and anyone who reaches this port may use the broker, the relay and the API", flagName, a)
	return nil
}

// listenHosts are the addresses requests may name in their Host header to
// reach a listener: its own address, or every address of this machine when
// it listens on all of them.
func listenHosts(a net.Addr) []string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return nil
	}
	if !ta.IP.IsUnspecified() {
		return []string{ta.IP.String()}
	}
	var out []string
	addrs, _ := net.InterfaceAddrs()
	for _, ia := range addrs {
		if n, ok := ia.(*net.IPNet); ok {
			out = append(out, n.IP.String())
		}
	}
	if h, err := os.Hostname(); err == nil {
		out = append(out, h)
	}
	return out
}

// parseAllow turns -bridge-allow into targets: a OneNET endpoint, or a
// product's own host {pid}.mqtts.acc.cmcconenet.cn:1883 or :8883, keeps its
// TLS setting; any other host:port is plain TCP, or TLS (system roots) when
// written tls://.
func parseAllow(s string) ([]bridge.Target, error) {
	known := map[string]bridge.Target{}
	for _, t := range bridge.DefaultTargets() {
		known[t.Addr] = t
	}
	var out []bridge.Target
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		tls := false
		if rest, ok := strings.CutPrefix(item, "tls://"); ok {
			item, tls = rest, true
		}
		addr, err := bridge.ParseTarget(item)
		if err != nil {
			return nil, fmt.Errorf("-bridge-allow: %w", err)
		}
		if t, ok := known[addr]; ok {
			out = append(out, t)
			continue
		}
		if t, ok := bridge.ProductTarget(addr); ok && !tls {
			out = append(out, t) // {pid}.mqtts.acc.cmcconenet.cn (docs/PROTOCOL.md §2)
			continue
		}
		out = append(out, bridge.Target{Addr: addr, TLS: tls})
	}
	return out, nil
}

// defaultDemoFile is where the demo registry lives: the user's config
// folder, so that the ids and keys pasted into the page keep working.
func defaultDemoFile() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "onenet-web", "demo-devices.json")
}

// demoRegistry loads the demo registry from file, creating it (with new
// random keys) when it does not exist. An empty file name keeps the demo in
// memory only.
func demoRegistry(file string) (*broker.Registry, error) {
	if file != "" {
		if _, err := os.Stat(file); err == nil {
			return broker.LoadRegistry(file)
		}
	}
	reg, err := broker.DemoRegistry(rand.Reader)
	if err != nil || file == "" {
		return reg, err
	}
	data, err := json.MarshalIndent(reg, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return nil, fmt.Errorf("-demo-file: %w", err)
	}
	if err := os.WriteFile(file, append(data, '\n'), 0o600); err != nil {
		return nil, fmt.Errorf("-demo-file: %w", err)
	}
	return reg, nil
}

func printDemo(w io.Writer, reg *broker.Registry, file string) {
	fmt.Fprintln(w, "onenet-web: no -devices file, so the demo product and device are in use:")
	studio := false
	for _, p := range reg.Products {
		kind := "MQTT kit"
		if p.Kind == broker.KindStudio {
			kind, studio = "OneNET Studio", true
			if p.Model() != nil {
				kind += ", thing model: the page's sample model"
			}
		}
		if p.Gateway != "" {
			kind += ", sub-devices of " + p.Gateway
		}
		fmt.Fprintf(w, "  product id   %s (%s)\n  product key  %s\n", p.ID, kind, p.Key)
		for _, d := range p.Devices {
			fmt.Fprintf(w, "  device name  %s\n  device key   %s\n", d.Name, d.Key)
		}
	}
	if !studio && file != "" {
		fmt.Fprintf(w, "  (%s has no OneNET Studio product: it predates the demo Studio product; delete it to have one)\n", file)
	}
	if file != "" {
		fmt.Fprintf(w, "  (paste them into the page; kept in %s, delete it for new keys)\n", file)
	} else {
		fmt.Fprintln(w, "  (paste them into the page; they are new at every start)")
	}
}
