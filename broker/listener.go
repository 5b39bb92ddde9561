package broker

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/mochi-mqtt/server/v2/listeners"

	"github.com/onenet-wasm/onenet-wasm/internal/logsafe"
)

// connSet tracks a listener's connections so that Close can end them all,
// those mochi does not know yet included (mochi's own listeners leave a
// connection that never sends CONNECT open, and its Close then waits for it
// for ever).
type connSet struct {
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// add registers c, or reports false once the set is closed. The caller
// calls done(c) when it no longer uses c.
func (s *connSet) add(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.conns == nil {
		s.conns = map[net.Conn]struct{}{}
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *connSet) done(c net.Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.wg.Done()
}

// closeAll refuses new connections, closes the open ones and waits until
// their handlers have returned.
func (s *connSet) closeAll() {
	s.mu.Lock()
	s.closed = true
	conns := make([]net.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
	s.wg.Wait()
}

func (s *connSet) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// serveConn runs mochi's establish function on c, after setting a deadline
// for the CONNECT packet (mochi replaces it with the keepalive deadline).
func serveConn(id string, c net.Conn, timeout time.Duration, establish listeners.EstablishFn, logf func(string, ...any)) {
	_ = c.SetReadDeadline(time.Now().Add(timeout))
	err := establish(id, c)
	_ = c.Close()
	if err != nil && !errors.Is(err, errRefused) && isBeforeLogin(err) {
		logf("connection from %s via %s closed before login: %s", c.RemoteAddr(), id, logsafe.Cut(err.Error(), 256))
	}
}

// isBeforeLogin reports whether mochi's establish error came from reading
// the CONNECT packet (its other errors are logged by the hook).
func isBeforeLogin(err error) bool {
	const prefix = "read connection: "
	return len(err.Error()) > len(prefix) && err.Error()[:len(prefix)] == prefix
}

// tcpListener is a mochi listener on a net.Listener.
type tcpListener struct {
	id      string
	ln      net.Listener
	timeout time.Duration
	logf    func(string, ...any)
	conns   connSet
	served  sync.WaitGroup
}

func newTCPListener(id string, ln net.Listener, timeout time.Duration, logf func(string, ...any)) *tcpListener {
	l := &tcpListener{id: id, ln: ln, timeout: timeout, logf: logf}
	l.served.Add(1)
	return l
}

func (l *tcpListener) ID() string              { return l.id }
func (l *tcpListener) Address() string         { return l.ln.Addr().String() }
func (l *tcpListener) Protocol() string        { return "tcp" }
func (l *tcpListener) Init(*slog.Logger) error { return nil }

// Serve accepts connections until Close.
func (l *tcpListener) Serve(establish listeners.EstablishFn) {
	defer l.served.Done()
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || l.conns.isClosed() {
				return
			}
			time.Sleep(10 * time.Millisecond) // e.g. out of file descriptors
			continue
		}
		if !l.conns.add(c) {
			_ = c.Close()
			return
		}
		go func() {
			defer l.conns.done(c)
			serveConn(l.id, c, l.timeout, establish, l.logf)
		}()
	}
}

// Close stops accepting, closes every connection, logged in or not, and
// waits for them all. It does not call closeClients: mochi's way of
// disconnecting a listener's clients (Clients.GetByListener) takes the
// client list's read lock twice, and a login or disconnection that asks
// for its write lock in between deadlocks Close for ever. A closed
// connection ends mochi's reading loop, which disconnects the client as a
// lost connection (loginHook logs it as the broker shutting down).
func (l *tcpListener) Close(listeners.CloseFn) {
	_ = l.ln.Close()
	l.served.Wait()
	l.conns.closeAll()
}

// wsListener is a mochi listener fed by an http.Handler: MQTT over
// WebSocket (subprotocol "mqtt", binary messages), on the caller's server.
type wsListener struct {
	id        string
	origins   []string
	timeout   time.Duration
	logf      func(string, ...any)
	establish listeners.EstablishFn // set before the handler is used
	conns     connSet
}

func newWSListener(id string, origins []string, timeout time.Duration, logf func(string, ...any)) *wsListener {
	return &wsListener{id: id, origins: origins, timeout: timeout, logf: logf}
}

func (l *wsListener) ID() string                  { return l.id }
func (l *wsListener) Address() string             { return "(http handler)" }
func (l *wsListener) Protocol() string            { return "ws" }
func (l *wsListener) Init(*slog.Logger) error     { return nil }
func (l *wsListener) Serve(listeners.EstablishFn) {}

// Close refuses new connections, closes the open ones and waits for them,
// as tcpListener.Close does (and without closeClients, for the same
// reason).
func (l *wsListener) Close(listeners.CloseFn) {
	l.conns.closeAll()
}

func (l *wsListener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if l.conns.isClosed() {
		http.Error(w, "the broker is closed", http.StatusServiceUnavailable)
		return
	}
	opts := &websocket.AcceptOptions{Subprotocols: []string{"mqtt"}, OriginPatterns: l.origins}
	// A page opened from disk sends the opaque origin "null", which has no
	// host to match a pattern: it is allowed only when "null" is listed.
	if r.Header.Get("Origin") == "null" && slices.Contains(l.origins, "null") {
		opts = &websocket.AcceptOptions{Subprotocols: []string{"mqtt"}, InsecureSkipVerify: true}
	}
	c, err := websocket.Accept(w, r, opts)
	if err != nil {
		l.logf("websocket refused: %s: %s", r.RemoteAddr, logsafe.Cut(err.Error(), 256)) // may quote headers
		return                                                                           // Accept has answered
	}
	if c.Subprotocol() != "mqtt" {
		l.logf("websocket refused: %s: no subprotocol \"mqtt\"", r.RemoteAddr)
		_ = c.Close(websocket.StatusPolicyViolation, `MQTT over WebSocket needs the subprotocol "mqtt"`)
		return
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	defer cancel()
	var nc net.Conn = websocket.NetConn(ctx, c, websocket.MessageBinary)
	if ra := r.RemoteAddr; ra != nc.RemoteAddr().String() {
		// The handler was given another client address (a trusted
		// proxy's X-Real-IP): the broker logs and throttles that one.
		nc = remoteConn{nc, remoteAddr(ra)}
	}
	c.SetReadLimit(maxPacket)
	if !l.conns.add(nc) {
		_ = c.Close(websocket.StatusGoingAway, "the broker is closed")
		return
	}
	defer l.conns.done(nc)
	serveConn(l.id, nc, l.timeout, l.establish, l.logf)
}

// remoteConn is a connection with the client address its HTTP request was
// given.
type remoteConn struct {
	net.Conn
	remote net.Addr
}

func (c remoteConn) RemoteAddr() net.Addr { return c.remote }

// remoteAddr is an address as net/http gives it ("host:port").
type remoteAddr string

func (a remoteAddr) Network() string { return "tcp" }
func (a remoteAddr) String() string  { return string(a) }
