package bridge

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"path"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/onenet-wasm/onenet-wasm/internal/logsafe"
)

// Options configure a Handler. The zero value means the defaults.
type Options struct {
	// Allow lists the endpoints the page may reach. A ?target= is allowed
	// when, normalised by ParseTarget, it equals a Target's Addr (host
	// compared case-insensitively). Empty means DefaultTargets().
	// New panics on an Addr that ParseTarget rejects.
	Allow []Target

	// MaxConns caps the relayed connections open at once (default 64).
	MaxConns int

	// MaxConnsPerClient caps the relayed connections open at once from one
	// remote IP address (default 8). Behind a reverse proxy every page
	// shares the proxy's address.
	MaxConnsPerClient int

	// IdleTimeout closes a connection that relayed no bytes in either
	// direction for this long (default 5 minutes). An MQTT session sends
	// at least a PINGREQ every keepalive period, so only dead sessions
	// are cut.
	IdleTimeout time.Duration

	// DialTimeout bounds connecting to the endpoint, TLS handshake
	// included (default 10 seconds).
	DialTimeout time.Duration

	// AllowedOrigins are the other origins whose pages may open the
	// bridge. A page served by the same host:port as the bridge is always
	// allowed, and so are clients that send no Origin header (not
	// browsers). Each entry is a github.com/coder/websocket
	// AcceptOptions.OriginPatterns pattern: "localhost:3000" matches the
	// origin's host:port, "http://localhost:3000" (with a scheme) the whole
	// origin, and path.Match wildcards work ("*.example.com"). The single
	// entry "*" allows every origin. Default: none, so cross-origin
	// upgrades are refused with HTTP 403. New panics on a malformed
	// pattern.
	AllowedOrigins []string

	// Logf receives one line per event: a connection opened, closed or
	// refused. Payload bytes, passwords and tokens are never logged.
	// nil means log.Printf.
	Logf func(format string, args ...any)

	// Dial connects to an endpoint (TLS, when the Target asks for it, is
	// layered on top). nil means a net.Dialer. Tests use it to keep all
	// traffic on the loopback interface.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Defaults of Options.
const (
	DefaultMaxConns          = 64
	DefaultMaxConnsPerClient = 8
	DefaultIdleTimeout       = 5 * time.Minute
	DefaultDialTimeout       = 10 * time.Second
)

const (
	// ReadLimit is the largest WebSocket message the bridge reads from
	// the page: an MQTT packet of OneNET's 256 KB maximum with room to
	// spare. Larger messages close the connection with code 1009.
	ReadLimit = 1 << 20

	// closeTimeout bounds a close handshake with an unresponsive page.
	closeTimeout = 2 * time.Second

	// maxReason is the longest close reason a close frame can carry.
	maxReason = 123
)

// A Handler relays WebSocket connections to allow-listed MQTT endpoints.
// See the package documentation.
type Handler struct {
	opts       Options
	allow      map[string]Target
	tls        map[string]*tls.Config
	acceptOpts websocket.AcceptOptions

	mu       sync.Mutex
	closed   bool
	sessions map[*session]struct{}
	perIP    map[string]int
	active   int
	wg       sync.WaitGroup

	total, refused     atomic.Uint64
	bytesUp, bytesDown atomic.Uint64
}

// Stats are a Handler's counters.
type Stats struct {
	Conns     int    // relayed connections open now (connecting included)
	Total     uint64 // connections made to endpoints since New
	Refused   uint64 // connections refused: origin, target, limits, endpoint unreachable, shutting down
	BytesUp   uint64 // bytes relayed from pages to endpoints, open connections included
	BytesDown uint64 // bytes relayed from endpoints to pages
}

// New returns a Handler relaying to opts.Allow. It panics if an allowed
// Addr or an origin pattern is malformed.
func New(opts Options) *Handler {
	if len(opts.Allow) == 0 {
		opts.Allow = DefaultTargets()
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = DefaultMaxConns
	}
	if opts.MaxConnsPerClient <= 0 {
		opts.MaxConnsPerClient = DefaultMaxConnsPerClient
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = DefaultDialTimeout
	}
	if opts.Logf == nil {
		opts.Logf = log.Printf
	}
	if opts.Dial == nil {
		opts.Dial = (&net.Dialer{}).DialContext
	}
	h := &Handler{
		opts:     opts,
		allow:    make(map[string]Target),
		tls:      make(map[string]*tls.Config),
		sessions: make(map[*session]struct{}),
		perIP:    make(map[string]int),
	}
	for i, t := range opts.Allow {
		addr, err := ParseTarget(t.Addr)
		if err != nil {
			panic(fmt.Sprintf("bridge: Options.Allow[%d] %q: %v", i, t.Addr, err))
		}
		t.Addr = addr
		h.allow[addr] = t
		if t.TLS {
			h.tls[addr] = tlsConfig(t)
		}
	}

	h.acceptOpts.Subprotocols = []string{"mqtt"}
	if slices.Contains(opts.AllowedOrigins, "*") {
		h.acceptOpts.InsecureSkipVerify = true
	} else {
		for _, p := range opts.AllowedOrigins {
			if _, err := path.Match(p, ""); err != nil {
				panic(fmt.Sprintf("bridge: Options.AllowedOrigins: bad pattern %q: %v", p, err))
			}
		}
		h.acceptOpts.OriginPatterns = slices.Clone(opts.AllowedOrigins)
	}
	return h
}

// Stats returns the Handler's counters.
func (h *Handler) Stats() Stats {
	h.mu.Lock()
	n := h.active
	h.mu.Unlock()
	return Stats{
		Conns:     n,
		Total:     h.total.Load(),
		Refused:   h.refused.Load(),
		BytesUp:   h.bytesUp.Load(),
		BytesDown: h.bytesDown.Load(),
	}
}

// Close closes every connection, relayed or being refused, with close code
// 1001 ("bridge shutting down"), and waits for them to end, a couple of
// seconds at most for pages that do not answer the close. Upgrades after
// Close get HTTP 503. Close is for shutdown: call it after (or instead
// of) http.Server.Shutdown, which does not see hijacked connections.
func (h *Handler) Close() error {
	h.mu.Lock()
	h.closed = true
	var open []*session
	for s := range h.sessions {
		open = append(open, s)
	}
	h.mu.Unlock()
	for _, s := range open {
		s.cancel(errShutdown)
	}
	h.wg.Wait()
	return nil
}

// ServeHTTP upgrades the request to a WebSocket and relays it to the
// endpoint named by its ?target= query parameter.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := &session{h: h, remote: r.RemoteAddr, start: time.Now()}
	s.ip, _, _ = net.SplitHostPort(r.RemoteAddr)
	if s.ip == "" {
		s.ip = r.RemoteAddr
	}
	var ctx context.Context
	ctx, s.cancel = context.WithCancelCause(context.WithoutCancel(r.Context()))
	defer s.cancel(nil)
	if !h.track(s) {
		h.refused.Add(1)
		h.logf("bridge: %s refused: shutting down", s.remote)
		http.Error(w, "bridge: shutting down", http.StatusServiceUnavailable)
		return
	}
	defer h.untrack(s)

	admitted, ref := s.admit(r.URL.Query()["target"])
	if admitted {
		defer h.release(s.ip)
	}
	hw := &hijackWatcher{ResponseWriter: w}
	c, err := websocket.Accept(hw, r, &h.acceptOpts)
	if err != nil {
		h.refused.Add(1)
		h.logf("bridge: %s refused upgrade: %s", s.remote, logsafe.Cut(err.Error(), 256)) // may quote headers
		return
	}
	s.ws, s.raw = c, hw.conn
	s.offeredMQTT = c.Subprotocol() == "mqtt"
	if ref != nil {
		s.refuse(ref.code, ref.reason, ref.why)
		return
	}
	s.run(ctx)
}

// track registers a session so Close can end it; false once closed.
func (h *Handler) track(s *session) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.sessions[s] = struct{}{}
	h.wg.Add(1)
	return true
}

func (h *Handler) untrack(s *session) {
	h.mu.Lock()
	delete(h.sessions, s)
	h.mu.Unlock()
	h.wg.Done()
}

// acquire takes a connection slot for ip; it says which limit refused it.
func (h *Handler) acquire(ip string) (ok bool, why string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.active >= h.opts.MaxConns {
		return false, fmt.Sprintf("%d connections open, the maximum", h.active)
	}
	if h.perIP[ip] >= h.opts.MaxConnsPerClient {
		return false, fmt.Sprintf("%d connections open from this client, the maximum", h.perIP[ip])
	}
	h.active++
	h.perIP[ip]++
	return true, ""
}

func (h *Handler) release(ip string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.active--
	if h.perIP[ip]--; h.perIP[ip] <= 0 {
		delete(h.perIP, ip)
	}
}

func (h *Handler) logf(format string, args ...any) {
	h.opts.Logf("%s", logsafe.Line(fmt.Sprintf(format, args...)))
}

// dial connects to t, with TLS when t asks for it.
func (h *Handler) dial(ctx context.Context, t Target) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, h.opts.DialTimeout)
	defer cancel()
	conn, err := h.opts.Dial(ctx, "tcp", t.Addr)
	if err != nil {
		return nil, err
	}
	if !t.TLS {
		return conn, nil
	}
	tc := tls.Client(conn, h.tls[t.Addr])
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, &tlsError{err}
	}
	return tc, nil
}

type tlsError struct{ err error }

func (e *tlsError) Error() string { return "TLS handshake: " + e.err.Error() }
func (e *tlsError) Unwrap() error { return e.err }

// hijackWatcher keeps the connection websocket.Accept hijacks, so that a
// close handshake with an unresponsive page can be cut short.
type hijackWatcher struct {
	http.ResponseWriter
	conn net.Conn
}

func (w *hijackWatcher) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	w.conn = c
	return c, brw, err
}

func (w *hijackWatcher) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// errShutdown is the cause with which Close cancels sessions.
var errShutdown = errors.New("bridge shutting down")
