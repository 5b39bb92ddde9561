package mqttws

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/onenet-wasm/onenet-wasm/mqttws/internal/mqtt3"
)

// A State is where a Client is in its life.
type State string

// The states of a Client.
const (
	StateConnecting   State = "connecting"   // Dial is opening the first connection
	StateConnected    State = "connected"    // logged in; subscriptions restored after a reconnection
	StateReconnecting State = "reconnecting" // the connection was lost; AutoReconnect is trying again
	StateClosed       State = "closed"       // Close was called, Dial failed, or the connection was lost without AutoReconnect
)

// A StateEvent is a change of state, given to Options.OnState.
type StateEvent struct {
	State State
	// Err is why: the error that failed Dial, lost the connection, or failed a
	// reconnection attempt. Nil for connecting and for Close; nil for
	// connected too, unless the broker refused a filter when subscribing
	// again after a reconnection (a *SubscribeError; the filter is dropped).
	Err error
	// Reason is the change in words for a person, e.g. "connection lost: …;
	// reconnecting in 2s".
	Reason string
	// Attempt counts the failed reconnection attempts since the connection
	// was lost (reconnecting only).
	Attempt int
	// Backoff is the wait before the next reconnection attempt (reconnecting only).
	Backoff time.Duration
	// Resubscribed counts the filters subscribed again after a reconnection
	// (connected only; those the broker refused this time are not counted).
	Resubscribed int
}

// A Message is a message received on a subscription.
type Message struct {
	Topic      string
	Payload    []byte
	QoS        byte
	Retained   bool // sent from the broker's retained store, because of a new subscription
	Duplicate  bool // the broker may have sent it before (QoS 1 and 2)
	ReceivedAt time.Time
}

const (
	// disconnectQuiesce bounds how long Close waits for DISCONNECT to be written.
	disconnectQuiesce = 500 * time.Millisecond
	// maxSends is how many connections a QoS 1/2 publish is tried on when the
	// connection keeps dropping before it is acknowledged.
	maxSends = 3
	// maxFiltersPerSubscribe: OneNET accepts at most 8 filters per SUBSCRIBE
	// (docs/PROTOCOL.md §5.2).
	maxFiltersPerSubscribe = 8
)

// A Client is an MQTT 3.1.1 connection over WebSocket, with optional
// automatic reconnection. Its methods are safe for concurrent use. Those
// that wait for the broker take a context and may block: in a browser, call
// them from a goroutine, never directly inside a JavaScript callback.
type Client struct {
	cfg    *config
	dialer *dialer

	ctx      context.Context // cancelled by Close
	cancel   context.CancelFunc
	inflight chan struct{} // semaphore of MaxInflight QoS>0 publishes

	mu      sync.Mutex
	cur     *session      // the connection in use; nil while (re)connecting
	ready   chan struct{} // closed when cur becomes non-nil
	state   State
	dead    chan struct{} // closed when the client is closed for good
	deadErr error

	// subMu orders changes to subs with the resubscription after a
	// reconnection: everything recorded in subs before a connection is lost
	// is subscribed again on the next one.
	subMu sync.Mutex
	subs  map[string]byte

	queue   chan Message
	qmu     sync.RWMutex // guards the closing of queue against senders
	qclosed bool
	discard atomic.Bool // Close: skip queued messages
	dropped atomic.Uint64
	// pending counts the messages queued and not yet delivered; deliverMu
	// is held while OnMessage or OnMessages runs (DirectDelivery).
	pending   atomic.Int64
	deliverMu sync.Mutex
	one       [1]Message // DirectDelivery's batch; under deliverMu

	events  *notifier
	wg      sync.WaitGroup // delivery and notifier goroutines
	runDone chan struct{}  // closed when the supervisor has ended
}

// Dial connects to the MQTT broker at url, a ws:// or wss:// URL, and logs
// in. It returns once the broker has accepted the login (CONNACK 0) or the
// attempt has failed; ctx bounds it, as does opts.ConnectTimeout. A nil opts
// means the defaults. Dial blocks: in a browser, call it from a goroutine.
//
// Errors: *FieldError (bad URL or options), *ConnectError (login refused),
// *DialError (the WebSocket did not open, or no CONNACK came),
// *PasswordError (PasswordFunc failed), or ctx's error. Explain turns any of
// them into a sentence for a person.
func Dial(ctx context.Context, url string, opts *Options) (*Client, error) {
	cfg, err := newConfig(url, opts)
	if err != nil {
		return nil, err
	}
	c := &Client{
		cfg:      cfg,
		dialer:   newDialer(cfg),
		inflight: make(chan struct{}, cfg.MaxInflight),
		ready:    make(chan struct{}),
		dead:     make(chan struct{}),
		subs:     make(map[string]byte),
		runDone:  make(chan struct{}),
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.events = newNotifier(cfg.OnState, &c.wg)
	if cfg.OnMessage != nil || cfg.OnMessages != nil {
		c.queue = make(chan Message, cfg.QueueSize)
		c.wg.Add(1)
		go c.deliver()
	}

	c.setState(StateEvent{State: StateConnecting, Reason: "connecting to " + cfg.url})
	s, err := c.connect(ctx)
	if err != nil {
		c.cancel()
		c.finish(err, "could not connect: "+strings.TrimPrefix(err.Error(), "mqttws: "))
		c.wg.Wait()
		return nil, err
	}
	c.setCurrent(s, StateEvent{State: StateConnected, Reason: "connected to " + cfg.url})
	go c.run(s)
	return c, nil
}

// State returns the client's current state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Dropped returns how many received messages were dropped because OnMessage
// could not keep up.
func (c *Client) Dropped() uint64 { return c.dropped.Load() }

// Publish sends a message and returns once the broker has acknowledged it:
// for QoS 0 once it is written to the connection, QoS 1 on PUBACK, QoS 2 on
// PUBCOMP. It blocks; ctx bounds the wait.
//
// While the client is reconnecting, Publish waits for the connection and
// then sends. With AutoReconnect, a QoS 1 or 2 message whose connection is
// lost before it is acknowledged is sent again on the next connection — so
// it is delivered at least once, possibly twice — up to 3 connections, after
// which Publish gives up with the *ConnectionLostError (a broker that drops
// the connection on every attempt refuses the message; OneNET does so for a
// topic outside the device's own, retain, QoS 2 or a payload over 256 KB). A
// QoS 0 message is never sent twice: its lost connection is returned as the
// error. When ctx ends first, the message may still be delivered.
//
// Publish does not copy payload: do not change it until Publish returns,
// nor afterwards if Publish returned because ctx ended.
func (c *Client) Publish(ctx context.Context, topic string, payload []byte, qos byte, retain bool) error {
	if err := checkTopic(topic); err != nil {
		return err
	}
	if err := checkQoS(qos); err != nil {
		return err
	}
	if qos > 0 {
		select {
		case c.inflight <- struct{}{}:
			defer func() { <-c.inflight }()
		case <-ctx.Done():
			return c.ctxErr("publish to "+strconv.Quote(topic), ctx)
		case <-c.dead:
			return c.deadError()
		}
	}
	for sends := 1; ; sends++ {
		s, err := c.session(ctx)
		if err != nil {
			return c.waitErr("publish to "+strconv.Quote(topic), ctx, err)
		}
		// Publish writes the packet (into the batch the connection sends
		// next); that can wait for other packets being written, but not for
		// the broker.
		t := s.pc.Publish(topic, qos, retain, payload)
		if ok, err := c.await(ctx, s, t); ok {
			return nil
		} else if err != nil {
			return c.waitErr("publish to "+strconv.Quote(topic), ctx, err)
		}
		lost := c.lossOf(ctx, s)
		if lost.err != nil {
			return c.waitErr("publish to "+strconv.Quote(topic), ctx, lost.err)
		}
		if qos == 0 || !c.cfg.AutoReconnect || sends >= maxSends {
			return lost.lossErr
		}
	}
}

// Subscribe subscribes to a topic filter and returns the QoS the broker
// granted, which may be lower than asked. A refusal (SUBACK 0x80) is a
// *SubscribeError. Received messages go to Options.OnMessage. With
// AutoReconnect, the subscription is restored after every reconnection until
// Unsubscribe. It blocks; ctx bounds the wait. When ctx ends first, the
// subscription may still take effect.
func (c *Client) Subscribe(ctx context.Context, filter string, qos byte) (granted byte, err error) {
	if err := checkFilter(filter); err != nil {
		return 0, err
	}
	if err := checkQoS(qos); err != nil {
		return 0, err
	}
	op := "subscribe to " + strconv.Quote(filter)
	for retry := false; ; retry = true {
		s, err := c.session(ctx)
		if err != nil {
			return 0, c.waitErr(op, ctx, err)
		}
		c.subMu.Lock()
		if g, ok := s.granted[filter]; ok && retry {
			// The connection was lost while subscribing; the resubscription
			// that opened this one already did it.
			c.subMu.Unlock()
			return c.subResult(filter, qos, g)
		}
		c.subs[filter] = qos
		t := s.pc.Subscribe(filter, qos)
		c.subMu.Unlock()
		if ok, err := c.await(ctx, s, t); ok {
			for _, g := range t.Result() { // one filter
				return c.subResult(filter, qos, g)
			}
			return 0, fmt.Errorf("mqttws: %s: no SUBACK return code", op)
		} else if err != nil {
			return 0, c.waitErr(op, ctx, err)
		}
		lost := c.lossOf(ctx, s)
		if lost.err != nil {
			return 0, c.waitErr(op, ctx, lost.err)
		}
		if !c.cfg.AutoReconnect {
			return 0, lost.lossErr
		}
	}
}

func (c *Client) subResult(filter string, qos, code byte) (byte, error) {
	if code < 0x80 {
		return code, nil
	}
	c.subMu.Lock()
	if q, ok := c.subs[filter]; ok && q == qos {
		delete(c.subs, filter)
	}
	c.subMu.Unlock()
	return code, &SubscribeError{Filter: filter, Code: code}
}

// Unsubscribe ends subscriptions and returns once the broker has
// acknowledged it (UNSUBACK). They are no longer restored after a
// reconnection, even when Unsubscribe fails. It blocks; ctx bounds the wait.
func (c *Client) Unsubscribe(ctx context.Context, filters ...string) error {
	if len(filters) == 0 {
		return nil
	}
	for _, f := range filters {
		if err := checkFilter(f); err != nil {
			return err
		}
	}
	op := "unsubscribe from " + strconv.Quote(strings.Join(filters, " "))
	c.subMu.Lock()
	for _, f := range filters {
		delete(c.subs, f)
	}
	c.subMu.Unlock()
	for {
		s, err := c.session(ctx)
		if err != nil {
			return c.waitErr(op, ctx, err)
		}
		c.subMu.Lock()
		for _, f := range filters {
			delete(c.subs, f)
		}
		t := s.pc.Unsubscribe(filters...)
		c.subMu.Unlock()
		if ok, err := c.await(ctx, s, t); ok {
			return nil
		} else if err != nil {
			return c.waitErr(op, ctx, err)
		}
		lost := c.lossOf(ctx, s)
		if lost.err != nil {
			return c.waitErr(op, ctx, lost.err)
		}
		if !c.cfg.AutoReconnect {
			return lost.lossErr
		}
		// Unsubscribe again on the next connection: with a persistent
		// session the broker still has the subscription.
	}
}

// Close ends the client: it sends DISCONNECT (waiting at most half a
// second for it to be written), closes the connection, stops reconnecting,
// tells OnState "closed", and returns once every goroutine the client
// started has ended — including a running OnMessage call, so OnMessage and
// OnState must not call Close. Messages still queued for OnMessage are
// discarded. Waiting calls return ErrClosed. Close may be called more than
// once; it always returns nil.
func (c *Client) Close() error {
	c.discard.Store(true)
	c.cancel()
	<-c.runDone
	c.wg.Wait()
	return nil
}

// session returns the connection in use, waiting while the client reconnects.
func (c *Client) session(ctx context.Context) (*session, error) {
	for {
		c.mu.Lock()
		s, ready := c.cur, c.ready
		c.mu.Unlock()
		select {
		case <-c.dead:
			return nil, c.deadError()
		default:
		}
		if s != nil {
			return s, nil
		}
		select {
		case <-ready:
		case <-c.dead:
			return nil, c.deadError()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// await waits for t to complete or its connection to be lost, and reports
// whether t completed without error. err is set only when ctx ended or the
// client closed first.
func (c *Client) await(ctx context.Context, s *session, t *mqtt3.Token) (ok bool, err error) {
	select {
	case <-t.Done():
	case <-s.lost:
	case <-ctx.Done():
		err = ctx.Err()
	case <-c.dead:
		err = c.deadError()
	}
	select {
	case <-t.Done():
		if t.Error() == nil {
			return true, nil
		}
	default:
	}
	return false, err
}

type loss struct {
	lossErr error // why the connection was lost
	err     error // ctx ended or the client closed while waiting to know
}

// lossOf waits for s to be lost, after a token failed (tokens fail when
// their connection goes down) or its connection was lost.
func (c *Client) lossOf(ctx context.Context, s *session) loss {
	select {
	case <-s.lost:
	case <-ctx.Done():
		return loss{err: ctx.Err()}
	case <-c.dead:
		return loss{err: c.deadError()}
	}
	if err := s.lossErr(); err != nil {
		return loss{lossErr: err}
	}
	// s was shut down by Close, not lost.
	<-c.dead
	return loss{err: c.deadError()}
}

// ctxErr and waitErr name the operation an error interrupted.
func (c *Client) ctxErr(op string, ctx context.Context) error {
	return c.waitErr(op, ctx, ctx.Err())
}

func (c *Client) waitErr(op string, ctx context.Context, err error) error {
	if ctx.Err() == nil || !errors.Is(err, ctx.Err()) {
		return err
	}
	if c.State() == StateReconnecting {
		return fmt.Errorf("mqttws: %s: %w while waiting to reconnect", op, err)
	}
	return fmt.Errorf("mqttws: %s: %w", op, err)
}

func (c *Client) deadError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.deadErr
}

// closedError is ErrClosed caused by a lost connection.
type closedError struct{ cause error }

func (e *closedError) Error() string {
	return "mqttws: client closed after " + strings.TrimPrefix(e.cause.Error(), "mqttws: ")
}
func (e *closedError) Unwrap() []error { return []error{ErrClosed, e.cause} }

// setState records a state and tells OnState.
func (c *Client) setState(ev StateEvent) {
	c.mu.Lock()
	c.state = ev.State
	c.events.push(ev)
	c.mu.Unlock()
}

// setCurrent makes s the connection in use and wakes those waiting for it.
func (c *Client) setCurrent(s *session, ev StateEvent) {
	c.mu.Lock()
	c.cur = s
	close(c.ready)
	c.state = ev.State
	c.events.push(ev)
	c.mu.Unlock()
}

// clearCurrent records that s is no longer the connection to use.
func (c *Client) clearCurrent(s *session) {
	c.mu.Lock()
	if c.cur == s && s != nil {
		c.cur = nil
		c.ready = make(chan struct{})
	}
	c.mu.Unlock()
}

// finish closes the client for good: cause is nil for Close.
func (c *Client) finish(cause error, reason string) {
	c.mu.Lock()
	c.cur = nil
	c.state = StateClosed
	c.deadErr = ErrClosed
	if cause != nil {
		c.deadErr = &closedError{cause}
	}
	close(c.dead)
	c.events.push(StateEvent{State: StateClosed, Err: cause, Reason: reason})
	c.events.close()
	c.mu.Unlock()

	c.qmu.Lock()
	if c.queue != nil && !c.qclosed {
		c.qclosed = true
		close(c.queue)
	}
	c.qmu.Unlock()
	c.dialer.close()
}
