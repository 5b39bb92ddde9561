package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"

	"github.com/mochi-mqtt/server/v2/packets"
)

// rawClient is the load generator's MQTT 3.1.1 client: a few packets,
// encoded by mochi's packets package into a buffer and sent with flush,
// so that thousands of devices and floods of tens of thousands of messages
// a second cost the harness little. Not safe for concurrent use.
type rawClient struct {
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
	pid  uint16
	buf  bytes.Buffer // the packet being written
}

// rawConnect logs in on conn and waits for CONNACK 0.
func rawConnect(conn net.Conn, clientID, username, password string) (*rawClient, error) {
	c := &rawClient{conn: conn, r: bufio.NewReaderSize(conn, 4096), w: bufio.NewWriterSize(conn, 32<<10)}
	c.write(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, Connect: packets.ConnectParams{
		ProtocolName: []byte("MQTT"), Clean: true, Keepalive: 60, ClientIdentifier: clientID,
		UsernameFlag: username != "", Username: []byte(username), PasswordFlag: password != "", Password: []byte(password),
	}})
	if err := c.w.Flush(); err != nil {
		return nil, err
	}
	typ, b, err := c.readPacket()
	if err != nil {
		return nil, fmt.Errorf("waiting for CONNACK: %w", err)
	}
	pk := packets.Packet{ProtocolVersion: 4}
	if typ != packets.Connack<<4 || pk.ConnackDecode(b) != nil {
		return nil, fmt.Errorf("got packet type %#x, want CONNACK", typ)
	}
	if pk.ReasonCode != 0 {
		return nil, fmt.Errorf("CONNACK %d", pk.ReasonCode)
	}
	return c, nil
}

// write buffers pk; flush sends it.
func (c *rawClient) write(pk packets.Packet) {
	pk.ProtocolVersion = 4
	c.buf.Reset()
	var err error
	switch pk.FixedHeader.Type {
	case packets.Connect:
		err = pk.ConnectEncode(&c.buf)
	case packets.Publish:
		err = pk.PublishEncode(&c.buf)
	case packets.Pingreq:
		err = pk.PingreqEncode(&c.buf)
	case packets.Disconnect:
		err = pk.DisconnectEncode(&c.buf)
	}
	if err != nil {
		panic("bench: encoding an MQTT packet: " + err.Error())
	}
	c.w.Write(c.buf.Bytes())
}

// publish buffers a PUBLISH; flush sends it. It returns the packet id
// (0 at QoS 0).
func (c *rawClient) publish(topic string, payload []byte, qos byte) uint16 {
	var pid uint16
	if qos > 0 {
		c.pid++
		if c.pid == 0 {
			c.pid = 1
		}
		pid = c.pid
	}
	c.write(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: qos}, TopicName: topic, PacketID: pid, Payload: payload})
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
		ack := packets.Packet{ProtocolVersion: 4}
		if typ == packets.Puback<<4 && ack.PubackDecode(b) == nil && ack.PacketID == pid {
			return nil
		}
	}
}

// ping sends PINGREQ and waits for PINGRESP.
func (c *rawClient) ping() error {
	c.write(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Pingreq}})
	if err := c.w.Flush(); err != nil {
		return err
	}
	for {
		typ, _, err := c.readPacket()
		if err != nil {
			return err
		}
		if typ == packets.Pingresp<<4 {
			return nil
		}
	}
}

// disconnect sends DISCONNECT and closes the connection.
func (c *rawClient) disconnect() {
	c.write(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Disconnect}})
	_ = c.w.Flush()
	_ = c.conn.Close()
}

// readPacket reads one packet; it returns the first byte's type nibble
// (shifted back: 0x20 CONNACK, 0x30 PUBLISH, 0x40 PUBACK…) and the body.
func (c *rawClient) readPacket() (byte, []byte, error) {
	first, err := c.r.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	n, _, err := packets.DecodeLength(c.r)
	if err != nil {
		return 0, nil, err
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(c.r, body); err != nil {
		return 0, nil, err
	}
	return first & 0xf0, body, nil
}
