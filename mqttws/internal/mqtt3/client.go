// Package mqtt3 speaks MQTT 3.1.1 (OASIS Standard, 29 October 2014) on one
// connection, for package mqttws: CONNECT and CONNACK, PUBLISH at QoS 0, 1
// and 2 in both directions, SUBSCRIBE, UNSUBSCRIBE, keepalive pings and
// DISCONNECT. mqttws does the rest (reconnection, resending, resubscribing,
// errors for people) with a new Client for each connection.
//
// It has no connection code of its own (Options.Open opens the
// connection) and no goroutine or channel per message, since in a browser
// every goroutine switch runs on the page's one thread (docs/BENCHMARKS.md,
// change 6).
//
// Packets are written by the goroutine that sends them, in one Write each
// (mqttws's batchConn coalesces them); one goroutine reads, and calls
// OnMessage in the order messages arrive; one goroutine keeps the
// connection alive.
package mqtt3

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Client.
type Options struct {
	ClientID     string
	Username     string // sent when not empty
	Password     string // sent when not empty
	CleanSession bool
	// KeepAlive is the keepalive interval sent in CONNECT, rounded up to
	// whole seconds. The client sends PINGREQ after KeepAlive/2 to
	// KeepAlive without sending or receiving, and treats a PINGRESP that
	// has not come within PingTimeout as a lost connection. Zero: no
	// keepalive.
	KeepAlive   time.Duration
	PingTimeout time.Duration
	// ConnectTimeout, if set, is a deadline on the connection for the
	// CONNECT/CONNACK exchange.
	ConnectTimeout time.Duration
	// MaxPacket bounds a packet from the broker; larger ones are a
	// protocol error. Zero: MQTT's limit, 256 MB.
	MaxPacket int
	// Open opens the connection.
	Open func() (net.Conn, error)
	// OnMessage receives each message from the broker, in order, on the
	// reading goroutine, before it is acknowledged. It must not block.
	OnMessage func(Message)
	// OnConnectionLost is told once that an established connection broke,
	// and why. Not after Disconnect.
	OnConnectionLost func(error)
}

// A Message is a PUBLISH from the broker.
type Message struct {
	Topic     string
	Payload   []byte
	QoS       byte
	Retained  bool
	Duplicate bool
	// More: more of the broker's bytes had been read when the message
	// was handed to OnMessage (another packet follows at once).
	More bool
}

// Errors of operations.
var (
	ErrNotConnected = errors.New("mqtt3: not connected")
	ErrNoPacketID   = errors.New("mqtt3: all 65535 packet identifiers are in use")
	ErrClosed       = errors.New("mqtt3: connection closed")
)

// A Token completes when its operation does.
type Token struct {
	done    chan struct{}
	err     error
	rc      byte     // CONNACK return code
	filters []string // SUBSCRIBE
	codes   []byte   // SUBACK return codes
	qos     byte     // PUBLISH: 2 waits for PUBCOMP after PUBREC
}

func newToken() *Token { return &Token{done: make(chan struct{})} }

func (t *Token) finish(err error) {
	t.err = err
	close(t.done)
}

// Done is closed when the operation has completed.
func (t *Token) Done() <-chan struct{} { return t.done }

// Error is the operation's error, once Done is closed.
func (t *Token) Error() error { return t.err }

// ReturnCode is CONNACK's return code (Connect).
func (t *Token) ReturnCode() byte { return t.rc }

// Result maps each filter to its SUBACK return code: the granted QoS, or
// 0x80 for a refusal (Subscribe).
func (t *Token) Result() map[string]byte {
	m := make(map[string]byte, len(t.filters))
	for i, f := range t.filters {
		if i < len(t.codes) {
			m[f] = t.codes[i]
		}
	}
	return m
}

// done is a completed token without error, for QoS 0 publishes.
var doneToken = func() *Token { t := newToken(); t.finish(nil); return t }()

func errToken(err error) *Token { t := newToken(); t.finish(err); return t }

const (
	stateNew = iota
	stateConnected
	stateClosing // Disconnect
	stateEnded
)

// A Client is one MQTT connection.
type Client struct {
	o    Options
	conn net.Conn
	r    *bufio.Reader

	wmu  sync.Mutex // one packet written at a time
	wbuf []byte

	mu     sync.Mutex
	state  int
	nextID uint16
	ops    map[uint16]*Token // awaiting PUBACK, PUBCOMP, SUBACK, UNSUBACK
	pingAt time.Time         // when the unanswered PINGREQ was sent
	ended  chan struct{}     // closed when the connection has ended
	cause  error

	sent, received atomic.Uint64 // packets, for keepalive

	inbound2 map[uint16]bool // QoS 2 messages received, PUBREL not yet (reader only)
}

// NewClient returns a Client; Connect opens its connection.
func NewClient(o Options) *Client {
	if o.MaxPacket <= 0 {
		o.MaxPacket = maxRemaining
	}
	return &Client{o: o, ops: map[uint16]*Token{}, ended: make(chan struct{}), inbound2: map[uint16]bool{}}
}

// Connect opens the connection and logs in. The token fails with the
// connection's error, a *ProtocolError, or an error with ReturnCode set
// when the broker refused the login.
func (c *Client) Connect() *Token {
	t := newToken()
	go func() {
		err := c.connect(t)
		if err != nil {
			c.end(err, false)
		}
		t.finish(err)
	}()
	return t
}

func (c *Client) connect(t *Token) error {
	conn, err := c.o.Open()
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.conn = conn
	ended := c.state == stateEnded
	c.mu.Unlock()
	if ended {
		conn.Close()
		return ErrClosed
	}
	c.r = bufio.NewReaderSize(conn, 16<<10)
	if d := c.o.ConnectTimeout; d > 0 {
		_ = conn.SetDeadline(time.Now().Add(d))
	}
	if err := c.write(func(b []byte) []byte { return appendConnect(b, &c.o) }); err != nil {
		return err
	}
	first, body, err := readPacket(c.r, c.o.MaxPacket)
	if err != nil {
		return fmt.Errorf("mqtt3: waiting for CONNACK: %w", err)
	}
	if first&0xf0 != typeConnack {
		return protocolErr("received a non-CONNACK packet (%s) in answer to CONNECT", typeNames[first>>4])
	}
	p, err := decode(first, body)
	if err != nil {
		return err
	}
	if t.rc = p.returnCode; t.rc != 0 {
		return fmt.Errorf("mqtt3: login refused: CONNACK %d", t.rc)
	}
	if c.o.ConnectTimeout > 0 {
		_ = conn.SetDeadline(time.Time{})
	}
	c.mu.Lock()
	if c.state != stateNew {
		c.mu.Unlock()
		return ErrClosed
	}
	c.state = stateConnected
	c.mu.Unlock()
	go c.reader()
	if c.o.KeepAlive > 0 {
		go c.keepalive()
	}
	return nil
}

// IsConnectionOpen reports whether the client is logged in and its
// connection has not ended.
func (c *Client) IsConnectionOpen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == stateConnected
}

// Disconnect sends DISCONNECT and closes the connection, which writes what
// is waiting first (see mqttws's batchConn). OnConnectionLost is not
// called.
func (c *Client) Disconnect() {
	c.mu.Lock()
	if c.state != stateConnected {
		c.mu.Unlock()
		return
	}
	c.state = stateClosing
	c.mu.Unlock()
	_ = c.write(func(b []byte) []byte { return append(b, typeDisconnect, 0) })
	c.end(ErrClosed, true)
}

// Kill closes the connection at once.
func (c *Client) Kill() { c.end(ErrClosed, true) }

// end ends the connection once: it closes it, fails the operations
// waiting, and tells OnConnectionLost when an established connection
// broke.
func (c *Client) end(cause error, ours bool) {
	c.mu.Lock()
	if c.state == stateEnded {
		c.mu.Unlock()
		return
	}
	tell := c.state == stateConnected && !ours
	c.state = stateEnded
	c.cause = cause
	ops := c.ops
	c.ops = map[uint16]*Token{}
	conn := c.conn
	close(c.ended)
	c.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
	for _, t := range ops {
		t.finish(cause)
	}
	if tell && c.o.OnConnectionLost != nil {
		c.o.OnConnectionLost(cause)
	}
}

// write encodes one packet into the write buffer and writes it.
func (c *Client) write(encode func([]byte) []byte) error {
	c.wmu.Lock()
	c.wbuf = encode(c.wbuf[:0])
	_, err := c.conn.Write(c.wbuf)
	if cap(c.wbuf) > 64<<10 {
		c.wbuf = nil // don't keep a large payload's buffer
	}
	c.wmu.Unlock()
	c.sent.Add(1)
	return err
}

// register allocates a packet identifier for t; c.mu is held.
func (c *Client) register(t *Token) (uint16, error) {
	if c.state != stateConnected {
		return 0, ErrNotConnected
	}
	if len(c.ops) >= 65535 {
		return 0, ErrNoPacketID
	}
	for {
		c.nextID++
		if c.nextID == 0 {
			c.nextID = 1
		}
		if c.ops[c.nextID] == nil {
			c.ops[c.nextID] = t
			return c.nextID, nil
		}
	}
}

// send registers t (when it waits for an acknowledgement), writes the
// packet, and returns t.
func (c *Client) send(t *Token, encode func(b []byte, id uint16) []byte) *Token {
	c.mu.Lock()
	var id uint16
	var err error
	if t == nil {
		if c.state != stateConnected {
			err = ErrNotConnected
		}
	} else {
		id, err = c.register(t)
	}
	c.mu.Unlock()
	if err != nil {
		return errToken(err)
	}
	if err := c.write(func(b []byte) []byte { return encode(b, id) }); err != nil {
		c.end(err, false)
		if t == nil {
			return errToken(err)
		}
		return t // failed by end
	}
	if t == nil {
		return doneToken
	}
	return t
}

// Publish sends a message. The token completes once the message is written
// (QoS 0), acknowledged with PUBACK (QoS 1) or PUBCOMP (QoS 2), or the
// connection ends. payload is not copied until it is written.
func (c *Client) Publish(topic string, qos byte, retain bool, payload []byte) *Token {
	var t *Token
	if qos > 0 {
		t = newToken()
		t.qos = qos
	}
	return c.send(t, func(b []byte, id uint16) []byte { return appendPublish(b, topic, qos, retain, id, payload) })
}

// Subscribe subscribes to one filter.
func (c *Client) Subscribe(filter string, qos byte) *Token {
	return c.subscribe([]string{filter}, []byte{qos})
}

// SubscribeMultiple subscribes to several filters in one SUBSCRIBE.
func (c *Client) SubscribeMultiple(filters map[string]byte) *Token {
	fs := make([]string, 0, len(filters))
	qs := make([]byte, 0, len(filters))
	for f, q := range filters {
		fs = append(fs, f)
		qs = append(qs, q)
	}
	return c.subscribe(fs, qs)
}

func (c *Client) subscribe(filters []string, qos []byte) *Token {
	t := newToken()
	t.filters = filters
	return c.send(t, func(b []byte, id uint16) []byte { return appendSubscribe(b, id, filters, qos) })
}

// Unsubscribe ends subscriptions; the token completes on UNSUBACK.
func (c *Client) Unsubscribe(filters ...string) *Token {
	return c.send(newToken(), func(b []byte, id uint16) []byte { return appendUnsubscribe(b, id, filters) })
}

// reader reads packets until the connection ends.
func (c *Client) reader() {
	for {
		first, body, err := readPacket(c.r, c.o.MaxPacket)
		if err == nil {
			c.received.Add(1)
			err = c.handle(first, body)
		}
		if err != nil {
			c.end(err, false)
			return
		}
	}
}

func (c *Client) handle(first byte, body []byte) error {
	p, err := decode(first, body)
	if err != nil {
		return err
	}
	id := p.id
	switch p.typ {
	case typePublish:
		return c.handlePublish(p)
	case typePuback, typePubcomp, typeUnsuback:
		c.complete(id, nil)
	case typePubrec:
		// QoS 2, second step: release the message, wait for PUBCOMP.
		return c.write(func(b []byte) []byte { return appendAck(b, typePubrel|2, id) })
	case typePubrel:
		delete(c.inbound2, id)
		return c.write(func(b []byte) []byte { return appendAck(b, typePubcomp, id) })
	case typeSuback:
		c.complete(id, p.codes)
	case typePingresp:
		c.mu.Lock()
		c.pingAt = time.Time{}
		c.mu.Unlock()
	default:
		return protocolErr("unexpected %s packet from the broker", typeNames[first>>4])
	}
	return nil
}

// complete finishes the operation waiting for id; codes are SUBACK's.
func (c *Client) complete(id uint16, codes []byte) {
	c.mu.Lock()
	t := c.ops[id]
	delete(c.ops, id)
	c.mu.Unlock()
	if t != nil {
		t.codes = codes
		t.finish(nil)
	}
}

func (c *Client) handlePublish(p packet) error {
	m, id := p.msg, p.id
	m.More = c.r.Buffered() > 0
	switch m.QoS {
	case 0:
		c.deliver(m)
		return nil
	case 1:
		c.deliver(m)
		return c.write(func(b []byte) []byte { return appendAck(b, typePuback, id) })
	default:
		// Delivered once, on the first PUBLISH of id, until its PUBREL
		// (§4.3.3, method B).
		if !c.inbound2[id] {
			c.inbound2[id] = true
			c.deliver(m)
		}
		return c.write(func(b []byte) []byte { return appendAck(b, typePubrec, id) })
	}
}

func (c *Client) deliver(m Message) {
	if c.o.OnMessage != nil {
		c.o.OnMessage(m)
	}
}

// keepalive sends PINGREQ when the connection has been idle either way
// for KeepAlive/2 to KeepAlive, and ends the connection when PINGRESP does
// not come within PingTimeout. It counts packets rather than reading the
// clock for each (in a browser, the clock is a call into JavaScript).
func (c *Client) keepalive() {
	tick := c.o.KeepAlive / 2
	timer := time.NewTimer(tick)
	defer timer.Stop()
	var sent, received uint64
	for {
		select {
		case <-c.ended:
			return
		case <-timer.C:
		}
		c.mu.Lock()
		pingAt := c.pingAt
		c.mu.Unlock()
		if !pingAt.IsZero() {
			if time.Since(pingAt) >= c.o.PingTimeout {
				c.end(errors.New("pingresp not received, disconnecting"), false)
				return
			}
		} else if s, r := c.sent.Load(), c.received.Load(); s == sent || r == received {
			c.mu.Lock()
			c.pingAt = time.Now()
			c.mu.Unlock()
			if err := c.write(func(b []byte) []byte { return append(b, typePingreq, 0) }); err != nil {
				c.end(err, false)
				return
			}
		}
		sent, received = c.sent.Load(), c.received.Load()
		next := tick
		c.mu.Lock()
		if !c.pingAt.IsZero() {
			next = min(next, time.Until(c.pingAt.Add(c.o.PingTimeout)))
		}
		c.mu.Unlock()
		timer.Reset(max(next, time.Millisecond))
	}
}
