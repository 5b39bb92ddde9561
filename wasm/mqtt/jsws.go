//go:build js && wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall/js"
	"time"
	"unsafe"

	"github.com/onenet-wasm/onenet-wasm/mqttws"
)

// The client's WebSocket, opened and driven by web/onenet/socket.js
// (mqttws.Options.Dial). github.com/coder/websocket, which mqttws uses on
// its own, makes JavaScript objects for every message in both directions
// (the event, its data, a Uint8Array each way), each with a finalizer;
// here only numbers cross:
//
//   - wsOpen(id, url, countAddress, landAddress, landLength) opens, and
//     gives the connection's landing area (a landing: landLength bytes at
//     landAddress, their count an int32 at countAddress); wsEvent(id,
//     kind, …) tells Go it opened (wsEventOpen, with whether the server chose "mqtt"), that data
//     arrived while Go was waiting for it (wsEventData), or that it closed
//     (wsEventClosed, code, reason);
//   - wsRead(id, address, length) copies what arrived into Go's memory at
//     address, as much as fits, and returns how much, or wsReadNothing,
//     wsReadClosed, or wsReadDrained - n (wsproto.go);
//   - wsSend(id, address, length) sends length bytes at address (what
//     Go sends while it handles a wsEventData, socket.js copies and sends
//     one task later, after the page's own continuations);
//   - wsClose(id) closes.
//
// Reading pulls several messages at once when they are waiting, so a burst
// costs one call into Go per pull, not one per message. And when Go is
// waiting and what arrived fits in the connection's landing area (land),
// JavaScript copies it there before it wakes Go: the wake is then the only
// crossing, with no wsRead after it (docs/BENCHMARKS.md, "What was
// changed").

// closeError is a WebSocket closed with a code (mqttws reads it through
// CloseCode).
type closeError struct {
	code   int
	reason string
}

func (e *closeError) Error() string {
	if e.reason == "" {
		return fmt.Sprintf("the WebSocket closed with code %d", e.code)
	}
	return fmt.Sprintf("the WebSocket closed with code %d: %s", e.code, e.reason)
}

func (e *closeError) CloseCode() int { return e.code }

// sockets are the open jsConns by id.
var sockets = struct {
	sync.Mutex
	m    map[int]*jsConn
	next int
}{m: map[int]*jsConn{}}

type jsConn struct {
	id  int
	url string

	mu       sync.Mutex
	opened   chan struct{} // closed when open (or closed before)
	readable chan struct{} // data arrived while Read waited
	closed   chan struct{}
	isClosed bool
	mqttOK   bool  // the server chose subprotocol "mqtt"
	err      error // why it closed
	ours     bool  // Close was called
	drained  bool  // Go took all there was and waits for wsEventData (Read's goroutine only)
	deadline *time.Timer

	land    *landing // written by JavaScript while Go waits
	landOff int      // what Read took of land.buf (Read's goroutine only)
}

// landSize is the landing area of a connection: a message that arrives
// while Go waits and fits (a reply, a PUBACK, a message of a few kB) is
// handed over in it. Larger ones, and bursts, are read with wsRead.
const landSize = 8 << 10

// A landing is where JavaScript puts what arrived, in Go's memory: n bytes
// at buf, written only while n is 0 and Go waits for data (it has taken
// all there was). Read takes them and sets n back to 0.
type landing struct {
	n   int32
	buf [landSize]byte
}

// dialJS opens a WebSocket to url from JavaScript.
func dialJS(ctx context.Context, url string) (net.Conn, error) {
	sockets.Lock()
	sockets.next++
	c := &jsConn{id: sockets.next, url: url, opened: make(chan struct{}), readable: make(chan struct{}, 1), closed: make(chan struct{}), land: new(landing)}
	sockets.m[c.id] = c
	sockets.Unlock()
	if r := hooks.wsOpen.Invoke(c.id, url, address(unsafe.Pointer(&c.land.n)), address(unsafe.Pointer(&c.land.buf[0])), landSize); r.Type() == js.TypeString {
		// new WebSocket threw: a SyntaxError for a bad URL, a
		// SecurityError for ws:// from an https:// page.
		c.forget()
		msg := r.String()
		e := &mqttws.DialError{URL: url, Kind: mqttws.KindNetwork, Err: errors.New(msg)}
		if strings.Contains(msg, "SecurityError") || strings.Contains(msg, "insecure") {
			e.Kind = mqttws.KindBlocked
		}
		return nil, e
	}
	select {
	case <-c.opened:
	case <-ctx.Done():
		c.Close()
		return nil, &mqttws.DialError{URL: url, Kind: mqttws.KindTimeout, Err: ctx.Err()}
	}
	c.mu.Lock()
	isClosed, mqttOK := c.isClosed, c.mqttOK
	c.mu.Unlock()
	if isClosed {
		// The browser tells a page nothing about why: unreachable, refused,
		// wrong path, subprotocol not chosen, untrusted certificate.
		return nil, &mqttws.DialError{URL: url, Kind: mqttws.KindClosed, CloseCode: 1006, Err: net.ErrClosed}
	}
	if !mqttOK {
		c.Close()
		return nil, &mqttws.DialError{URL: url, Kind: mqttws.KindSubprotocol, Err: errors.New(`the server did not choose subprotocol "mqtt"`)}
	}
	return c, nil
}

// wsEvent(id, kind, a, b) is how JavaScript tells Go what happened.
func wsEvent(this js.Value, args []js.Value) any {
	if len(args) < 2 {
		return nil
	}
	sockets.Lock()
	c := sockets.m[args[0].Int()]
	sockets.Unlock()
	if c == nil {
		return nil
	}
	switch args[1].Int() {
	case wsEventOpen:
		c.mu.Lock()
		c.mqttOK = len(args) > 2 && args[2].Truthy()
		c.mu.Unlock()
		close(c.opened)
	case wsEventData:
		select {
		case c.readable <- struct{}{}:
		default:
		}
	case wsEventClosed:
		code, reason := 1006, ""
		if len(args) > 3 {
			code, reason = args[2].Int(), args[3].String()
		}
		// Every code is kept, 1005 (no status) and 1006 (no closing
		// handshake: a server that stopped, a network that dropped) too,
		// so that the page can say which it was.
		c.closedWith(&closeError{code: code, reason: reason})
	}
	return nil
}

func (c *jsConn) closedWith(err error) {
	c.mu.Lock()
	if c.isClosed {
		c.mu.Unlock()
		return
	}
	c.isClosed = true
	if c.err == nil {
		c.err = err
	}
	select {
	case <-c.opened:
	default:
		close(c.opened)
	}
	close(c.closed)
	c.mu.Unlock()
	c.forget()
}

func (c *jsConn) forget() {
	sockets.Lock()
	delete(sockets.m, c.id)
	sockets.Unlock()
}

func (c *jsConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if n := c.takeLanded(p); n > 0 {
			return n, nil
		}
		if c.drained {
			// The last read took everything: wait for more without asking.
			c.drained = false
			c.wait()
			continue
		}
		n := hooks.wsRead.Invoke(c.id, address(unsafe.Pointer(&p[0])), len(p)).Int()
		switch {
		case n > 0:
			return n, nil
		case n == wsReadNothing:
			c.wait()
		case n == wsReadClosed:
			return 0, c.readErr()
		default: // n <= wsReadDrained
			c.drained = true
			return wsReadDrained - n, nil
		}
	}
}

// takeLanded copies what JavaScript put in the landing area into p. Once
// all is taken, the area is JavaScript's again and Read waits for the next
// wsEventData: JavaScript lands data only when it has nothing else queued.
func (c *jsConn) takeLanded(p []byte) int {
	n := int(atomic.LoadInt32(&c.land.n))
	if n == 0 {
		return 0
	}
	k := copy(p, c.land.buf[c.landOff:n])
	c.landOff += k
	if c.landOff == n {
		c.landOff = 0
		atomic.StoreInt32(&c.land.n, 0)
		c.drained = true
	}
	return k
}

// wait waits until JavaScript says that data arrived, or the WebSocket
// closed (what arrived before the close is still read first).
func (c *jsConn) wait() {
	select {
	case <-c.readable:
	case <-c.closed:
	}
}

func (c *jsConn) readErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ours || c.err == nil {
		return net.ErrClosed
	}
	return c.err
}

func (c *jsConn) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if hooks.wsSend.Invoke(c.id, address(unsafe.Pointer(&p[0])), len(p)).Int() != wsSendOK {
		return 0, c.readErr()
	}
	return len(p), nil
}

func (c *jsConn) Close() error {
	c.mu.Lock()
	c.ours = true
	c.mu.Unlock()
	hooks.wsClose.Invoke(c.id)
	c.closedWith(net.ErrClosed)
	return nil
}

type jsAddr string

func (a jsAddr) Network() string { return "websocket" }
func (a jsAddr) String() string  { return string(a) }

func (c *jsConn) LocalAddr() net.Addr  { return jsAddr("page") }
func (c *jsConn) RemoteAddr() net.Addr { return jsAddr(c.url) }

// SetDeadline closes the connection when t passes, as
// github.com/coder/websocket's net.Conn does (mqttws uses deadlines only
// as a backstop on logging in).
func (c *jsConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.deadline != nil {
		c.deadline.Stop()
		c.deadline = nil
	}
	if !t.IsZero() {
		c.deadline = time.AfterFunc(time.Until(t), func() {
			c.mu.Lock()
			c.err = errors.New("the WebSocket timed out")
			c.mu.Unlock()
			hooks.wsClose.Invoke(c.id)
			c.closedWith(nil)
		})
	}
	return nil
}

func (c *jsConn) SetReadDeadline(t time.Time) error  { return c.SetDeadline(t) }
func (c *jsConn) SetWriteDeadline(t time.Time) error { return c.SetDeadline(t) }
