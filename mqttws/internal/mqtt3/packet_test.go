package mqtt3

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// Packets as MQTT 3.1.1 lays them out (§3.1–3.14), written by hand.
func TestEncode(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  []byte
		want []byte
	}{
		{"CONNECT clean, user, password, keepalive 60", appendConnect(nil, &Options{ClientID: "d", Username: "u", Password: "p", CleanSession: true, KeepAlive: 60 * time.Second}),
			[]byte{0x10, 19, 0, 4, 'M', 'Q', 'T', 'T', 4, 0xc2, 0, 60, 0, 1, 'd', 0, 1, 'u', 0, 1, 'p'}},
		{"CONNECT no credentials, keepalive rounded up", appendConnect(nil, &Options{ClientID: "", KeepAlive: 1500 * time.Millisecond}),
			[]byte{0x10, 12, 0, 4, 'M', 'Q', 'T', 'T', 4, 0, 0, 2, 0, 0}},
		{"PUBLISH QoS 0", appendPublish(nil, "a/b", 0, false, 0, []byte("hi")),
			[]byte{0x30, 7, 0, 3, 'a', '/', 'b', 'h', 'i'}},
		{"PUBLISH QoS 1 retain", appendPublish(nil, "t", 1, true, 0x0102, []byte{9}),
			[]byte{0x33, 6, 0, 1, 't', 1, 2, 9}},
		{"PUBLISH QoS 2", appendPublish(nil, "t", 2, false, 7, nil),
			[]byte{0x34, 5, 0, 1, 't', 0, 7}},
		{"PUBREL", appendAck(nil, typePubrel|2, 0x1234), []byte{0x62, 2, 0x12, 0x34}},
		{"SUBSCRIBE", appendSubscribe(nil, 1, []string{"a/#", "b"}, []byte{1, 0}),
			[]byte{0x82, 12, 0, 1, 0, 3, 'a', '/', '#', 1, 0, 1, 'b', 0}},
		{"UNSUBSCRIBE", appendUnsubscribe(nil, 2, []string{"a"}), []byte{0xa2, 5, 0, 2, 0, 1, 'a'}},
	} {
		if !bytes.Equal(tc.got, tc.want) {
			t.Errorf("%s:\n got % x\nwant % x", tc.name, tc.got, tc.want)
		}
	}
}

// Remaining lengths at the edges of each encoding size (§2.2.3, table 2.4).
func TestRemainingLength(t *testing.T) {
	for _, n := range []int{0, 127, 128, 16383, 16384, 2097151, 2097152} {
		b := appendHeader(nil, typePublish, n)
		b = append(b, make([]byte, n)...)
		first, body, err := readPacket(bufio.NewReader(bytes.NewReader(b)), 0)
		if err != nil || first != typePublish || len(body) != n {
			t.Errorf("length %d: first %#x, body %d bytes, err %v", n, first, len(body), err)
		}
	}
	// Five length bytes, a truncated body, a packet over the limit.
	for _, b := range [][]byte{{0x30, 0x80, 0x80, 0x80, 0x80, 0x01}, {0x30, 5, 1, 2}, {0x30, 0x80, 0x01}} {
		_, _, err := readPacket(bufio.NewReader(bytes.NewReader(b)), 100)
		if err == nil {
			t.Errorf("readPacket(% x) = nil error", b)
		}
	}
}

// broker answers CONNECT with the given bytes, then echoes nothing.
func broker(t *testing.T, answer []byte) func() (net.Conn, error) {
	return func() (net.Conn, error) {
		c, s := net.Pipe()
		go func() {
			r := bufio.NewReader(s)
			if _, _, err := readPacket(r, 0); err != nil {
				s.Close()
				return
			}
			s.Write(answer)
			io.Copy(io.Discard, r)
		}()
		t.Cleanup(func() { s.Close() })
		return c, nil
	}
}

func TestConnectAnswers(t *testing.T) {
	for _, tc := range []struct {
		name     string
		answer   []byte
		rc       byte
		protocol bool
	}{
		{"accepted", []byte{0x20, 2, 0, 0}, 0, false},
		{"refused 4", []byte{0x20, 2, 0, 4}, 4, false},
		{"PINGRESP instead", []byte{0xd0, 0}, 0, true},
		{"malformed CONNACK", []byte{0x20, 3, 0, 0, 0}, 0, true},
	} {
		c := NewClient(Options{ClientID: "x", Open: broker(t, tc.answer)})
		tok := c.Connect()
		<-tok.Done()
		var pe *ProtocolError
		switch err := tok.Error(); {
		case tc.rc == 0 && !tc.protocol && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tok.ReturnCode() != tc.rc:
			t.Errorf("%s: return code %d, want %d", tc.name, tok.ReturnCode(), tc.rc)
		case tc.protocol != errors.As(err, &pe):
			t.Errorf("%s: error %v, want a *ProtocolError: %v", tc.name, err, tc.protocol)
		}
		c.Kill()
		if c.IsConnectionOpen() {
			t.Errorf("%s: open after Kill", tc.name)
		}
	}
}

// A packet the broker must not send ends the connection with a
// *ProtocolError, and the operations waiting fail.
func TestProtocolErrorEndsConnection(t *testing.T) {
	lost := make(chan error, 1)
	c := NewClient(Options{ClientID: "x", Open: broker(t, []byte{0x20, 2, 0, 0, 0x10, 0}), // CONNACK, then a CONNECT
		OnConnectionLost: func(err error) { lost <- err }})
	ct := c.Connect()
	<-ct.Done()
	if ct.Error() != nil {
		t.Fatal(ct.Error())
	}
	var pe *ProtocolError
	select {
	case err := <-lost:
		if !errors.As(err, &pe) {
			t.Errorf("lost with %v, want a *ProtocolError", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("connection not lost")
	}
	tok := c.Publish("t", 1, false, nil)
	<-tok.Done()
	if tok.Error() == nil {
		t.Error("Publish after the connection ended succeeded")
	}
}
