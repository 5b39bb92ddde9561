package mqttws

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/onenet-wasm/onenet-wasm/mqttws/internal/mqtt3"
)

// A session is one connection: an mqtt3 client over one WebSocket.
type session struct {
	pc         *mqtt3.Client
	connCtx    context.Context // bounds the NetConn: the connection's whole life
	connCancel context.CancelFunc
	up         time.Time       // when CONNACK arrived
	granted    map[string]byte // the resubscription that opened it; guarded by Client.subMu

	mu       sync.Mutex
	closeNow func() // closes the connection at once
	killed   bool

	lost     chan struct{} // closed when the connection is lost or killed
	lostOnce sync.Once
	lostErr  error  // set before lost is closed; nil if killed
	onLost   func() // called before lost is closed: stops the Client using the session
}

// open is mqtt3's Open: it opens the WebSocket (dialer.open, see ws.go)
// or calls Options.Dial, within the attempt's timeout, and wraps the
// connection, which lives as long as the session.
func (s *session) open(actx context.Context, u string, d *dialer, dial func(context.Context, string) (net.Conn, error)) (net.Conn, error) {
	var (
		nc       net.Conn
		closeNow func()
		err      error
	)
	if dial != nil {
		nc, err = dial(actx, u)
		closeNow = func() { nc.Close() }
	} else {
		nc, closeNow, err = d.open(actx, s.connCtx, u)
	}
	if err != nil {
		var de *DialError
		switch {
		case errors.As(err, &de):
			return nil, de
		case actx.Err() != nil:
			return nil, &DialError{URL: u, Kind: KindTimeout, Err: err}
		}
		return nil, &DialError{URL: u, Kind: KindNetwork, Err: err}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.killed {
		closeNow()
		return nil, &DialError{URL: u, Kind: KindTimeout, Err: actx.Err()}
	}
	s.closeNow = closeNow
	return &conn{Conn: newBatchConn(nc)}, nil
}

func (s *session) markLost(err error) {
	lerr := &ConnectionLostError{Err: err}
	if code := closeStatus(err); code > 0 {
		lerr.CloseCode = int(code)
	}
	s.lostOnce.Do(func() {
		s.lostErr = lerr
		s.onLost()
		close(s.lost)
	})
}

func (s *session) lossErr() error {
	select {
	case <-s.lost:
		return s.lostErr
	default:
		return nil
	}
}

// kill closes the connection at once.
func (s *session) kill() {
	s.mu.Lock()
	s.killed = true
	closeNow := s.closeNow
	s.mu.Unlock()
	if closeNow != nil {
		closeNow()
	}
	s.connCancel()
	s.lostOnce.Do(func() {
		s.onLost()
		close(s.lost)
	})
}

// shutdown ends the connection gracefully: DISCONNECT, written with what is
// waiting (batchConn gives that at most disconnectQuiesce), then kill.
func (s *session) shutdown() {
	if s.pc.IsConnectionOpen() {
		s.pc.Disconnect()
	}
	s.kill()
}

// connect opens one connection: password, WebSocket, CONNECT/CONNACK, all
// within ConnectTimeout.
func (c *Client) connect(ctx context.Context) (*session, error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.ConnectTimeout)
	defer cancel()

	password := c.cfg.Password
	if f := c.cfg.PasswordFunc; f != nil {
		p, err := f(actx)
		if err != nil {
			if ctx.Err() != nil {
				return nil, c.attemptCtxErr(ctx)
			}
			return nil, &PasswordError{Err: err}
		}
		password = p
	}

	s := &session{lost: make(chan struct{})}
	s.connCtx, s.connCancel = context.WithCancel(context.Background())
	s.onLost = func() { c.clearCurrent(s) }

	s.pc = mqtt3.NewClient(mqtt3.Options{
		ClientID:     c.cfg.ClientID,
		Username:     c.cfg.Username,
		Password:     password,
		CleanSession: !c.cfg.PersistentSession,
		KeepAlive:    time.Duration(c.cfg.keepSecs) * time.Second,
		PingTimeout:  max(10*time.Second, time.Duration(c.cfg.keepSecs)*time.Second/2),
		// Deadlines on a websocket.NetConn close the socket when they fire.
		// actx bounds the attempt; this deadline on the CONNECT handshake is
		// only a backstop, and writes get none.
		ConnectTimeout: 2 * c.cfg.ConnectTimeout,
		// Messages are handed to OnMessage in order by enqueue, which never
		// blocks.
		OnMessage:        c.enqueue,
		OnConnectionLost: s.markLost,
		Open:             func() (net.Conn, error) { return s.open(actx, c.cfg.url, c.dialer, c.cfg.Dial) },
	})

	t := s.pc.Connect()
	stop := context.AfterFunc(actx, s.kill)
	<-t.Done() // killing the connection ends the wait
	if !stop() || actx.Err() != nil {
		if t.Error() == nil {
			s.shutdown()
		} else {
			s.kill()
		}
		return nil, c.attemptCtxErr(ctx)
	}
	if err := t.Error(); err != nil {
		s.kill()
		return nil, c.connectErr(t.ReturnCode(), err)
	}
	s.up = time.Now()
	return s, nil
}

// attemptCtxErr is the error of an attempt whose context ended: the caller's
// or ConnectTimeout.
func (c *Client) attemptCtxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("mqttws: connect to %s: %w", c.cfg.url, err)
	}
	return &DialError{URL: c.cfg.url, Kind: KindTimeout, Err: context.DeadlineExceeded}
}

// connectErr explains a failed login.
func (c *Client) connectErr(rc byte, err error) error {
	if rc != 0 && rc < 0x80 {
		return &ConnectError{Code: rc}
	}
	var de *DialError
	if errors.As(err, &de) {
		return de
	}
	// The WebSocket opened but the MQTT handshake failed.
	e := &DialError{URL: c.cfg.url, Kind: KindClosed, Err: err}
	if code := closeStatus(err); code > 0 {
		e.CloseCode = int(code)
	}
	var pe *mqtt3.ProtocolError
	if errors.As(err, &pe) {
		e.Kind = KindProtocol
	}
	return e
}
