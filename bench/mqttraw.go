package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
)

// rawClient is the load generator's MQTT 3.1.1 client: a few packets,
// written into a buffer and sent with flush, so that thousands of devices
// and floods of tens of thousands of messages a second cost the harness
// little. Not safe for concurrent use.
type rawClient struct {
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
	pid  uint16
	hdr  []byte
}

// rawConnect logs in on conn and waits for CONNACK 0.
func rawConnect(conn net.Conn, clientID, username, password string) (*rawClient, error) {
	c := &rawClient{conn: conn, r: bufio.NewReaderSize(conn, 4096), w: bufio.NewWriterSize(conn, 32<<10)}
	var body []byte
	body = appendString(body, "MQTT")
	flags := byte(0x02) // clean session
	if username != "" {
		flags |= 0x80
	}
	if password != "" {
		flags |= 0x40
	}
	body = append(body, 4, flags, 0, 60) // level 4, keepalive 60 s
	body = appendString(body, clientID)
	if username != "" {
		body = appendString(body, username)
	}
	if password != "" {
		body = appendString(body, password)
	}
	c.writePacket(0x10, body)
	if err := c.w.Flush(); err != nil {
		return nil, err
	}
	typ, b, err := c.readPacket()
	if err != nil {
		return nil, fmt.Errorf("waiting for CONNACK: %w", err)
	}
	if typ != 0x20 || len(b) != 2 {
		return nil, fmt.Errorf("got packet type %#x, want CONNACK", typ)
	}
	if b[1] != 0 {
		return nil, fmt.Errorf("CONNACK %d", b[1])
	}
	return c, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

func (c *rawClient) writePacket(first byte, body []byte) {
	c.writeHeader(first, len(body))
	c.w.Write(body)
}

func (c *rawClient) writeHeader(first byte, n int) {
	c.hdr = append(c.hdr[:0], first)
	for {
		b := byte(n & 0x7f)
		n >>= 7
		if n > 0 {
			b |= 0x80
		}
		c.hdr = append(c.hdr, b)
		if n == 0 {
			break
		}
	}
	c.w.Write(c.hdr)
}

// publish buffers a PUBLISH; flush sends it. It returns the packet id
// (0 at QoS 0).
func (c *rawClient) publish(topic string, payload []byte, qos byte) uint16 {
	n := 2 + len(topic) + len(payload)
	var pid uint16
	if qos > 0 {
		n += 2
		c.pid++
		if c.pid == 0 {
			c.pid = 1
		}
		pid = c.pid
	}
	c.writeHeader(0x30|qos<<1, n)
	c.w.WriteByte(byte(len(topic) >> 8))
	c.w.WriteByte(byte(len(topic)))
	c.w.WriteString(topic)
	if qos > 0 {
		c.w.WriteByte(byte(pid >> 8))
		c.w.WriteByte(byte(pid))
	}
	c.w.Write(payload)
	return pid
}

func (c *rawClient) flush() error { return c.w.Flush() }

// publishWait sends a QoS 1 PUBLISH and waits for its PUBACK, skipping
// other packets (replies the broker sends the device).
func (c *rawClient) publishWait(topic string, payload []byte) error {
	pid := c.publish(topic, payload, 1)
	if err := c.w.Flush(); err != nil {
		return err
	}
	for {
		typ, b, err := c.readPacket()
		if err != nil {
			return err
		}
		if typ == 0x40 && len(b) == 2 && binary.BigEndian.Uint16(b) == pid {
			return nil
		}
	}
}

// ping sends PINGREQ and waits for PINGRESP.
func (c *rawClient) ping() error {
	c.writePacket(0xc0, nil)
	if err := c.w.Flush(); err != nil {
		return err
	}
	for {
		typ, _, err := c.readPacket()
		if err != nil {
			return err
		}
		if typ == 0xd0 {
			return nil
		}
	}
}

// disconnect sends DISCONNECT and closes the connection.
func (c *rawClient) disconnect() {
	c.writePacket(0xe0, nil)
	_ = c.w.Flush()
	_ = c.conn.Close()
}

var errTooLong = errors.New("mqtt: remaining length too long")

// readPacket reads one packet; it returns the first byte's type nibble
// (shifted back: 0x20 CONNACK, 0x30 PUBLISH, 0x40 PUBACK…) and the body.
func (c *rawClient) readPacket() (byte, []byte, error) {
	first, err := c.r.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	n, shift := 0, 0
	for {
		b, err := c.r.ReadByte()
		if err != nil {
			return 0, nil, err
		}
		n |= int(b&0x7f) << shift
		if b&0x80 == 0 {
			break
		}
		shift += 7
		if shift > 21 {
			return 0, nil, errTooLong
		}
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(c.r, body); err != nil {
		return 0, nil, err
	}
	return first & 0xf0, body, nil
}
