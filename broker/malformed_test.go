package broker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// mqttString is an MQTT UTF-8 string: a 2-byte length and the bytes.
func mqttString(s string) []byte { return append([]byte{byte(len(s) >> 8), byte(len(s))}, s...) }

// packet builds an MQTT packet with a correct remaining length.
func packet(header byte, body ...[]byte) []byte {
	var b []byte
	for _, part := range body {
		b = append(b, part...)
	}
	out := []byte{header}
	for n := len(b); ; {
		d := byte(n % 128)
		n /= 128
		if n > 0 {
			d |= 0x80
		}
		out = append(out, d)
		if n == 0 {
			break
		}
	}
	return append(out, b...)
}

// garbage is one malformed input thrown at a listener.
type garbage struct {
	name string
	// login: send a valid CONNECT as prod1/nokey first and check the
	// CONNACK, then the bytes (garbage from a logged-in device).
	login bool
	bytes []byte
	// hangUp: the bytes are an incomplete packet: end the connection from
	// this side and check that the broker closes its end. Otherwise the
	// broker must close the connection on its own.
	hangUp bool
	// lenient: the broker may also ignore the fault and keep the
	// connection; it must then still answer a PINGREQ.
	lenient bool
}

func garbageCatalogue() []garbage {
	r := rand.New(rand.NewPCG(7, 7)) // the same "random" bytes every run
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	// Random bytes that start like a CONNECT header, to get past the first byte.
	randomConnect := append([]byte{0x10, 0x80, 0x01}, random[:128]...)
	topic := "$sys/prod1/nokey/dp/post/json"
	return []garbage{
		// Before login.
		{name: "truncated fixed header", bytes: []byte{0x10}, hangUp: true},
		{name: "header without remaining length", bytes: []byte{0x10, 0x80}, hangUp: true},
		{name: "remaining length of 5 bytes", bytes: []byte{0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F}},
		{name: "CONNECT with a huge length", bytes: append([]byte{0x10, 0xFF, 0xFF, 0xFF, 0x7F}, random[:1024]...)},
		{name: "CONNECT cut short", bytes: connectPacket("nokey", "prod1", "x")[:20], hangUp: true},
		{name: "CONNECT with a length beyond its body", bytes: packet(0x10, mqttString("MQTT"), []byte{4, 0xC2, 0, 60, 0xFF, 0xFF, 'a'})},
		{name: "CONNECT for protocol MQTX", bytes: packet(0x10, mqttString("MQTX"), []byte{4, 0xC2, 0, 60}, mqttString("nokey"), mqttString("prod1"), mqttString("x"))},
		{name: "CONNECT with reserved flag", bytes: packet(0x10, mqttString("MQTT"), []byte{4, 0xC3, 0, 60}, mqttString("nokey"), mqttString("prod1"), mqttString("x"))},
		{name: "CONNECT with invalid UTF-8 client id", bytes: packet(0x10, mqttString("MQTT"), []byte{4, 0xC2, 0, 60}, mqttString("\xff\xfe"), mqttString("prod1"), mqttString("x"))},
		{name: "PUBLISH before CONNECT", bytes: packet(0x30, mqttString(topic), []byte(`{"id":1,"dp":{"a":[{"v":1}]}}`))},
		{name: "SUBSCRIBE before CONNECT", bytes: packet(0x82, []byte{0, 1}, mqttString("$sys/prod1/dev1/#"), []byte{1})},
		{name: "PINGREQ before CONNECT", bytes: []byte{0xC0, 0}},
		{name: "DISCONNECT before CONNECT", bytes: []byte{0xE0, 0}},
		{name: "packet type 0", bytes: []byte{0x00, 0}},
		{name: "random bytes", bytes: random},
		{name: "random bytes after a CONNECT header", bytes: randomConnect, hangUp: true},
		{name: "HTTP request on the MQTT port", bytes: []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")},
		{name: "two CONNECTs", bytes: append(connectPacket("nokey", "prod1", "x"), connectPacket("nokey", "prod1", "x")...)},

		// After a valid login.
		{name: "logged in: second CONNECT", login: true, bytes: connectPacket("nokey", "prod1", "x")},
		{name: "logged in: packet type 0", login: true, bytes: []byte{0x00, 0}},
		{name: "logged in: reserved type 15", login: true, bytes: []byte{0xF0, 0}},
		{name: "logged in: PUBLISH with QoS 3", login: true, bytes: packet(0x36, mqttString(topic), []byte{0, 1}, []byte("{}"))},
		{name: "logged in: PUBLISH topic longer than the packet", login: true, bytes: packet(0x30, []byte{0x40, 0}, []byte("ab"))},
		{name: "logged in: PUBLISH cut short", login: true, bytes: packet(0x32, mqttString(topic), []byte{0, 1}, []byte(`{"id":1}`))[:12], hangUp: true},
		{name: "logged in: PUBLISH of 300 MB announced", login: true, bytes: append([]byte{0x30, 0x80, 0x80, 0x80, 0x01}, random[:512]...)},
		{name: "logged in: PUBLISH with invalid UTF-8 topic", login: true, bytes: packet(0x30, mqttString("$sys/prod1/nokey/\xff"), []byte("x"))},
		{name: "logged in: PUBLISH with NUL in topic", login: true, bytes: packet(0x30, mqttString("$sys/prod1/nokey/a\x00b"), []byte("x"))},
		{name: "logged in: SUBSCRIBE without filters", login: true, bytes: packet(0x82, []byte{0, 1})},
		{name: "logged in: SUBSCRIBE with wrong flags", login: true, bytes: packet(0x80, []byte{0, 1}, mqttString(topic), []byte{0})},
		{name: "logged in: SUBSCRIBE with QoS 3", login: true, bytes: packet(0x82, []byte{0, 1}, mqttString(topic), []byte{3})},
		{name: "logged in: SUBSCRIBE with packet id 0", login: true, bytes: packet(0x82, []byte{0, 0}, mqttString(topic), []byte{1})},
		{name: "logged in: UNSUBSCRIBE without filters", login: true, bytes: packet(0xA2, []byte{0, 1})},
		{name: "logged in: PINGREQ with a body", login: true, bytes: []byte{0xC0, 2, 0, 0}, lenient: true}, // mochi reads and ignores the body
		{name: "logged in: PUBACK too short", login: true, bytes: []byte{0x40, 1, 0}},
		{name: "logged in: random bytes", login: true, bytes: random[1024:]},
	}
}

// throwTCP sends g to the TCP listener on a connection of its own and
// returns an error unless the broker closes the connection.
func throwTCP(addr, password string, g garbage) error {
	conn, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(wait))
	if g.login {
		if err := loginOn(conn, password); err != nil {
			return err
		}
	}
	if _, err := conn.Write(g.bytes); err != nil {
		return nil // the broker closed the connection before reading it all
	}
	if g.lenient {
		return pingOrClose(conn)
	}
	if g.hangUp {
		_ = conn.(*net.TCPConn).CloseWrite()
	}
	// The broker must close its end: read until EOF (or a reset).
	_, err = io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return errors.New("the broker did not close the connection")
	}
	return nil
}

// loginOn sends a valid CONNECT on rw and checks the CONNACK.
func loginOn(rw io.ReadWriter, password string) error {
	if _, err := rw.Write(connectPacket("nokey", "prod1", password)); err != nil {
		return err
	}
	ack := make([]byte, 4)
	if _, err := io.ReadFull(rw, ack); err != nil {
		return fmt.Errorf("reading CONNACK: %w", err)
	}
	if ack[0] != 0x20 || ack[3] != 0 {
		return fmt.Errorf("login refused: % x", ack)
	}
	return nil
}

// pingOrClose sends a PINGREQ and succeeds when the broker answers it
// (PINGRESP) or closes the connection.
func pingOrClose(rw io.ReadWriter) error {
	if _, err := rw.Write(pingreqPacket); err != nil {
		return nil
	}
	buf := make([]byte, 1)
	for {
		if _, err := rw.Read(buf); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return errors.New("the broker neither answered a PINGREQ nor closed the connection")
			}
			return nil
		}
		if buf[0] == 0xD0 {
			return nil
		}
	}
}

// throwWS sends g to the WebSocket listener as one binary message and
// returns an error unless the broker closes the connection.
func throwWS(url, password string, g garbage) error {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"mqtt"}})
	if err != nil {
		return err
	}
	defer c.CloseNow()
	nc := websocket.NetConn(ctx, c, websocket.MessageBinary)
	if g.login {
		if err := loginOn(nc, password); err != nil {
			return err
		}
	}
	if err := c.Write(ctx, websocket.MessageBinary, g.bytes); err != nil {
		return nil
	}
	if g.lenient {
		return pingOrClose(nc)
	}
	if g.hangUp {
		// A WebSocket cannot half-close: close it; the broker sees EOF in
		// the middle of a packet.
		_ = c.Close(websocket.StatusNormalClosure, "")
		return nil
	}
	for {
		if _, _, err := c.Read(ctx); err != nil {
			if ctx.Err() != nil {
				return errors.New("the broker did not close the WebSocket")
			}
			return nil
		}
	}
}

// wsMisuse are WebSocket-level abuses of the /mqtt handler: each must end
// the connection (or refuse the upgrade) without affecting anyone else.
func wsMisuse(url, httpURL string) map[string]func() error {
	ctx := func() (context.Context, context.CancelFunc) { return context.WithTimeout(context.Background(), wait) }
	readUntilClosed := func(ctx context.Context, c *websocket.Conn) error {
		for {
			if _, _, err := c.Read(ctx); err != nil {
				if ctx.Err() != nil {
					return errors.New("the broker did not close the WebSocket")
				}
				return nil
			}
		}
	}
	return map[string]func() error{
		"text frame": func() error {
			ctx, cancel := ctx()
			defer cancel()
			c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"mqtt"}})
			if err != nil {
				return err
			}
			defer c.CloseNow()
			_ = c.Write(ctx, websocket.MessageText, connectPacket("nokey", "prod1", "x"))
			return readUntilClosed(ctx, c)
		},
		"message over the read limit": func() error {
			ctx, cancel := ctx()
			defer cancel()
			c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"mqtt"}})
			if err != nil {
				return err
			}
			defer c.CloseNow()
			_ = c.Write(ctx, websocket.MessageBinary, make([]byte, maxPacket+1024))
			return readUntilClosed(ctx, c)
		},
		"no subprotocol": func() error {
			ctx, cancel := ctx()
			defer cancel()
			c, _, err := websocket.Dial(ctx, url, nil)
			if err != nil {
				return err
			}
			defer c.CloseNow()
			return readUntilClosed(ctx, c)
		},
		"plain HTTP GET": func() error {
			resp, err := http.Get(httpURL)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode < 400 {
				return fmt.Errorf("plain GET of the WebSocket endpoint: %s", resp.Status)
			}
			return nil
		},
		"close frame before anything": func() error {
			ctx, cancel := ctx()
			defer cancel()
			c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"mqtt"}})
			if err != nil {
				return err
			}
			return c.Close(websocket.StatusProtocolError, "bye")
		},
	}
}

// TestMalformedPackets throws malformed MQTT at the TCP and the WebSocket
// listeners, concurrently, while two devices (one on each) keep publishing
// datapoints and receiving their /accepted replies. The broker must close
// every bad connection, stay up, and never disconnect the good devices.
func TestMalformedPackets(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits, func(o *Options) { o.ConnectTimeout = 3 * time.Second })
	good := map[string]*client{"tcp": e.mustDial(t, "tcp", "prod1", "dev1"), "ws": e.mustDial(t, "ws", "prod1", "dev2")}
	dev := map[string]string{"tcp": "dev1", "ws": "dev2"}
	for via, c := range good {
		if g := c.sub(t, 1, "$sys/prod1/"+dev[via]+"/dp/post/json/+"); g[0] != 0 { // granted QoS 0: docs/PROTOCOL.md §4.7
			t.Fatalf("%s: SUBACK %#x", via, g[0])
		}
	}
	password := tok(t, "products/prod1", keyP1)

	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed []string
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		failed = append(failed, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	cases := garbageCatalogue()
	// Logged-in garbage comes from one device: one at a time (a second
	// login would take the first over, which is not what is tested).
	wg.Go(func() {
		for _, g := range cases {
			if g.login {
				if err := throwTCP(e.tcp, password, g); err != nil {
					fail("tcp: %s: %v", g.name, err)
				}
				if err := throwWS(e.ws, password, g); err != nil {
					fail("ws: %s: %v", g.name, err)
				}
			}
		}
	})
	for _, g := range cases {
		if g.login {
			continue
		}
		wg.Go(func() {
			if err := throwTCP(e.tcp, password, g); err != nil {
				fail("tcp: %s: %v", g.name, err)
			}
		})
		wg.Go(func() {
			if err := throwWS(e.ws, password, g); err != nil {
				fail("ws: %s: %v", g.name, err)
			}
		})
	}
	for name, f := range wsMisuse(e.ws, e.http.URL+"/mqtt") {
		wg.Go(func() {
			if err := f(); err != nil {
				fail("ws: %s: %v", name, err)
			}
		})
	}
	// A connection that never sends anything is closed after ConnectTimeout.
	wg.Go(func() {
		conn, err := net.Dial("tcp", e.tcp)
		if err != nil {
			fail("idle: %v", err)
			return
		}
		defer conn.Close()
		_ = conn.SetReadDeadline(time.Now().Add(wait))
		if _, err := io.Copy(io.Discard, conn); err != nil {
			fail("idle connection: not closed: %v", err)
		}
	})
	stop := make(chan struct{})
	go func() { wg.Wait(); close(stop) }()

	// Meanwhile, and a few rounds after, the good devices publish and
	// receive their replies.
	rounds, id := 0, 0
	for {
		id++
		for via, c := range good {
			pre := "$sys/prod1/" + dev[via] + "/dp/post/json"
			c.pub(t, pre, 1, fmt.Sprintf(`{"id":%d,"dp":{"t":[{"v":%d}]}}`, id, id))
			if m := c.expect(t, pre+"/accepted"); string(m.payload) != fmt.Sprintf(`{"id":%d}`, id) {
				t.Fatalf("%s: reply %s, want id %d", via, m.payload, id)
			}
		}
		select {
		case <-stop:
			rounds++
		default:
		}
		if rounds >= 3 {
			break
		}
		time.Sleep(5 * time.Millisecond) // leave the CPU to the broker and the garbage
	}
	for _, f := range failed {
		t.Error(f)
	}
	for via, c := range good {
		select {
		case err := <-c.lost:
			t.Errorf("%s: the good device was disconnected: %v", via, err)
		default:
		}
		if !c.IsConnectionOpen() {
			t.Errorf("%s: the good device is no longer connected", via)
		}
	}
	// The log names bad connections but holds none of their bytes.
	for _, l := range e.log.all() {
		if strings.Contains(l, "GET / HTTP") || strings.Contains(l, `"dp"`) {
			t.Errorf("a payload in the log: %.200s", l)
		}
	}
	t.Logf("%d malformed inputs over TCP and WebSocket, %d over WebSocket only; the good devices published %d rounds meanwhile",
		len(cases), len(wsMisuse("", "")), id)
}

// FuzzMalformedPacket sends any bytes to the TCP listener, before or after
// a valid login, and half-closes: the broker must end that connection, and
// still log a device in and acknowledge its QoS 1 publish afterwards. The
// seeds are the catalogue of TestMalformedPackets.
func FuzzMalformedPacket(f *testing.F) {
	for _, g := range garbageCatalogue() {
		f.Add(g.login, g.bytes)
	}
	e := newEnv(f, noLimits, func(o *Options) { o.ConnectTimeout = 5 * time.Second })
	password := tok(f, "products/prod1", keyP1)
	good := devTok(f, "prod1", "dev1", keyD1)
	publish := publishPacket("$sys/prod1/dev1/dp/post/json", 1, 1, []byte(`{"id":1,"dp":{"a":[{"v":1}]}}`))
	f.Fuzz(func(t *testing.T, login bool, data []byte) {
		conn, err := net.DialTimeout("tcp", e.tcp, wait)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(wait))
		if login {
			if err := loginOn(conn, password); err != nil {
				t.Fatalf("login before the garbage: %v", err)
			}
		}
		if _, err := conn.Write(data); err == nil {
			_ = conn.(*net.TCPConn).CloseWrite()
		}
		if _, err := io.Copy(io.Discard, conn); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("the broker did not close the connection after % x", data)
			}
		}
		// The broker still works.
		c := rawLogin(t, e.tcp, "prod1", "dev1", good)
		_ = c.SetDeadline(time.Now().Add(wait))
		if _, err := c.Write(publish); err != nil {
			t.Fatal(err)
		}
		ack := make([]byte, 4)
		if _, err := io.ReadFull(c, ack); err != nil || ack[0] != 0x40 || ack[3] != 1 {
			t.Fatalf("after % x: PUBACK % x, %v", data, ack, err)
		}
		c.Close()
	})
}
