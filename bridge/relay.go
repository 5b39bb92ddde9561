package bridge

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/onenet-wasm/onenet-wasm/internal/batchconn"
)

// bufSize is the copy buffer of each direction; a read from the endpoint
// becomes one WebSocket message of at most this size.
const bufSize = 32 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// A session is one WebSocket connection from a page.
type session struct {
	h           *Handler
	remote, ip  string
	start       time.Time
	cancel      context.CancelCauseFunc
	ws          *websocket.Conn
	raw         net.Conn // the hijacked connection under ws; nil if unknown
	offeredMQTT bool

	target           string
	t                Target       // the allow-list's entry for target, once admitted
	idle             atomic.Int64 // time.Since(start) of the last byte relayed, in ns
	bytesUp, bytesDn atomic.Uint64
}

// A refusal is why admit turned a connection away: the close code and
// reason the page gets once the upgrade is done, and the log's words.
type refusal struct {
	code        websocket.StatusCode
	reason, why string
}

// admit checks the ?target= parameters against the allow-list and takes a
// connection slot for the client, before the upgrade: by the time a page
// sees its 101, its connection already counts against the caps, so a
// quick run of upgrades cannot slip past them. ok reports whether a slot
// was taken (the caller releases it).
func (s *session) admit(targets []string) (ok bool, ref *refusal) {
	h := s.h
	if len(targets) != 1 {
		return false, &refusal{websocket.StatusPolicyViolation, "give exactly one ?target=host:port", fmt.Sprintf("%d ?target= parameters, want 1", len(targets))}
	}
	target, err := ParseTarget(targets[0])
	if err != nil {
		msg := err.(*Error).Msg
		return false, &refusal{websocket.StatusPolicyViolation, "bad target: " + msg, "bad target: " + msg}
	}
	s.target = target
	t, allowed := h.allow[target]
	if !allowed {
		return false, &refusal{websocket.StatusPolicyViolation,
			// The allow-list is the operator's business; the page reads
			// the endpoints it may use from the server (/local.json).
			"target " + target + " is not on this relay's allow-list",
			"target " + target + ": not allowed"}
	}
	if ok, why := h.acquire(s.ip); !ok {
		return false, &refusal{websocket.StatusTryAgainLater, "try again later: too many connections",
			"target " + target + ": too many connections (" + why + ")"}
	}
	s.t = t
	return true, nil
}

// run handles an admitted, accepted WebSocket: connects and relays.
func (s *session) run(ctx context.Context) {
	h, t, target := s.h, s.t, s.target
	up, err := h.dial(ctx, t)
	if err != nil {
		if context.Cause(ctx) == errShutdown {
			s.refuse(websocket.StatusGoingAway, errShutdown.Error(), "target "+target+": shutting down")
			return
		}
		desc := describe(err, h.opts.DialTimeout)
		h.refused.Add(1)
		h.logf("bridge: %s -> %s cannot connect: %v", s.remote, target, err)
		s.close(websocket.StatusBadGateway, "cannot reach "+target+": "+desc)
		return
	}
	h.total.Add(1)
	note := ""
	if tc, ok := up.(*tls.Conn); ok {
		if certs := tc.ConnectionState().PeerCertificates; len(certs) > 0 {
			note = fmt.Sprintf(", TLS, certificate %q verified", certs[0].Subject.CommonName)
		}
	}
	if !s.offeredMQTT {
		note += `; the page did not offer subprotocol "mqtt"`
	}
	h.logf("bridge: %s -> %s opened%s", s.remote, target, note)

	why := s.relay(ctx, up)
	h.logf("bridge: %s -> %s closed after %s, %s up, %s down (%s)", s.remote, target,
		fmtDuration(time.Since(s.start)), fmtBytes(s.bytesUp.Load()), fmtBytes(s.bytesDn.Load()), why)
}

// refuse closes the WebSocket with code and reason and logs why.
func (s *session) refuse(code websocket.StatusCode, reason, why string) {
	s.h.refused.Add(1)
	s.h.logf("bridge: %s refused %s", s.remote, why)
	s.close(code, reason)
}

// close closes the WebSocket, giving the page closeTimeout to answer.
func (s *session) close(code websocket.StatusCode, reason string) {
	if s.raw != nil {
		s.raw.SetDeadline(time.Now().Add(closeTimeout))
	}
	s.ws.Close(code, truncate(reason, maxReason))
}

type pumpResult struct {
	up         bool  // page → endpoint
	rerr, werr error // the read or write error that ended it
}

// relay copies bytes both ways until one side ends, the connection idles
// or the Handler closes; then it closes both connections, telling the page
// why with the close code and reason. It returns why, for the log.
func (s *session) relay(ctx context.Context, up net.Conn) string {
	s.ws.SetReadLimit(ReadLimit)
	// Writes both ways are coalesced (internal/batchconn): packets that
	// come in while the last batch is written go out together, one system
	// call (and one WebSocket message) for many — half of the relay's cost
	// with small MQTT packets was system calls, twice as many as a direct
	// connection's.
	toUp := batchconn.New(up, up.Close, batchconn.Options{MaxBatch: 1 << 20, CloseFlush: closeTimeout})
	toPage := batchconn.New(wsWriter{s.ws}, nil, batchconn.Options{MaxBatch: 1 << 20, MaxWrite: bufSize, CloseFlush: closeTimeout})

	done := make(chan pumpResult, 2)
	go func() {
		rerr, werr := s.pumpUp(toUp)
		done <- pumpResult{true, rerr, werr}
	}()
	go func() {
		rerr, werr := s.pumpDown(toPage, up)
		done <- pumpResult{false, rerr, werr}
	}()
	idle := s.h.opts.IdleTimeout
	timer := time.NewTimer(idle)
	defer timer.Stop()

	var (
		code   websocket.StatusCode
		reason string
		why    string
	)
	pending := 2
wait:
	for {
		select {
		case r := <-done:
			pending--
			code, reason, why = s.ending(r)
			break wait
		case <-ctx.Done(): // Handler.Close
			code, reason, why = websocket.StatusGoingAway, errShutdown.Error(), errShutdown.Error()
			break wait
		case <-timer.C:
			quiet := time.Since(s.start) - time.Duration(s.idle.Load())
			if quiet >= idle {
				code, reason = websocket.StatusNormalClosure, "idle timeout: no traffic for "+fmtDuration(idle)
				why = reason
				break wait
			}
			timer.Reset(idle - quiet)
		}
	}
	// Send what is waiting, then unblock the pumps: closing the endpoint
	// ends the downstream read and any upstream write; closing the
	// WebSocket ends the rest.
	toUp.Close()
	toPage.Close()
	up.Close()
	s.close(code, reason)
	for ; pending > 0; pending-- {
		<-done
	}
	return why
}

// ending maps the first pump to stop to a close code, reason and log text.
func (s *session) ending(r pumpResult) (websocket.StatusCode, string, string) {
	switch {
	case r.up && r.rerr != nil:
		if errors.Is(r.rerr, io.EOF) {
			return websocket.StatusNormalClosure, "", "closed by the page"
		}
		if code := websocket.CloseStatus(r.rerr); code != -1 {
			return code, "", fmt.Sprintf("closed by the page with code %d", code)
		}
		return websocket.StatusInternalError, "relay error", "page connection failed: " + r.rerr.Error()
	case r.up:
		return websocket.StatusBadGateway, "connection to " + s.target + " lost: " + describe(r.werr, 0),
			"writing to the endpoint failed: " + r.werr.Error()
	case r.rerr != nil:
		if errors.Is(r.rerr, io.EOF) {
			return websocket.StatusNormalClosure, s.target + " closed the connection", "closed by the endpoint"
		}
		return websocket.StatusBadGateway, "connection to " + s.target + " lost: " + describe(r.rerr, 0),
			"reading from the endpoint failed: " + r.rerr.Error()
	default:
		return websocket.StatusInternalError, "relay error", "page connection failed: " + r.werr.Error()
	}
}

// The pumps use the WebSocket directly, with a context that never ends:
// websocket.NetConn gives every read and write a cancellable context, for
// which coder/websocket sets up (and tears down) a context.AfterFunc each
// time — a fifth of the relay's CPU with small MQTT packets. Closing the
// WebSocket or the endpoint ends them instead.

// pumpUp copies the page's binary messages to the endpoint. It returns
// the read error (io.EOF when the page closed normally) or the write error
// that stopped it.
func (s *session) pumpUp(dst io.Writer) (rerr, werr error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	ctx := context.Background()
	for {
		typ, r, err := s.ws.Reader(ctx)
		if err != nil {
			switch websocket.CloseStatus(err) {
			case websocket.StatusNormalClosure, websocket.StatusGoingAway:
				return io.EOF, nil
			}
			return err, nil
		}
		if typ != websocket.MessageBinary {
			err := fmt.Errorf("unexpected frame type read (expected %v): %v", websocket.MessageBinary, typ)
			s.ws.Close(websocket.StatusUnsupportedData, err.Error())
			return err, nil
		}
		for {
			nr, err := r.Read(buf)
			if nr > 0 {
				s.idle.Store(int64(time.Since(s.start)))
				if _, werr := dst.Write(buf[:nr]); werr != nil {
					return nil, werr
				}
				s.bytesUp.Add(uint64(nr))
				s.h.bytesUp.Add(uint64(nr))
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				return err, nil
			}
		}
	}
}

// pumpDown copies what the endpoint sends to the page, in binary messages
// of at most bufSize bytes. It returns the read error (io.EOF at the end)
// or the write error that stopped it.
func (s *session) pumpDown(dst io.Writer, src io.Reader) (rerr, werr error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	for {
		nr, err := src.Read(buf)
		if nr > 0 {
			s.idle.Store(int64(time.Since(s.start)))
			if _, werr := dst.Write(buf[:nr]); werr != nil {
				return nil, werr
			}
			s.bytesDn.Add(uint64(nr))
			s.h.bytesDown.Add(uint64(nr))
		}
		if err != nil {
			return err, nil
		}
	}
}

// describe says briefly why connecting or relaying failed, for a close
// reason: "connection refused", "no such host", "timed out after 10s", …
func describe(err error, timeout time.Duration) string {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		if timeout > 0 {
			return "timed out after " + fmtDuration(timeout)
		}
		return "timed out"
	}
	var te *tlsError
	if errors.As(err, &te) {
		var (
			ua x509.UnknownAuthorityError
			he x509.HostnameError
			ci x509.CertificateInvalidError
		)
		switch {
		case errors.As(err, &ua):
			return "TLS: certificate not signed by the expected CA"
		case errors.As(err, &he):
			return "TLS: " + he.Error()
		case errors.As(err, &ci):
			return "TLS: " + ci.Error()
		}
		return "TLS: " + te.err.Error()
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.Err
	}
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Err.Error()
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Err.Error()
	}
	return err.Error()
}

// truncate shortens s to at most max bytes, cutting at a rune boundary and
// marking the cut with "…".
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const ellipsis = "…"
	cut := max - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

// fmtBytes writes n as "512 B", "1.2 KB", "3.4 MB", "5.6 GB" (1 KB = 1024 B).
func fmtBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, suffix := float64(n)/unit, "KB"
	for _, s := range []string{"MB", "GB", "TB"} {
		if f < unit {
			break
		}
		f, suffix = f/unit, s
	}
	return fmt.Sprintf("%.1f %s", f, suffix)
}

// fmtDuration writes d to a tenth of a second ("12.3s", "5m0s"), or to the
// millisecond when shorter than a second.
func fmtDuration(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// wsWriter writes each batch to the page as one binary message.
type wsWriter struct{ c *websocket.Conn }

func (w wsWriter) Write(p []byte) (int, error) {
	if err := w.c.Write(context.Background(), websocket.MessageBinary, p); err != nil {
		return 0, err
	}
	return len(p), nil
}
