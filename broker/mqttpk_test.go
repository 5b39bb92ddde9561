package broker

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/mochi-mqtt/server/v2/packets"
)

// Well-formed MQTT 3.1.1 packets for the tests that speak MQTT without a
// client library, written and read by mochi's packets package. Tests that
// must send malformed bytes build them with packet and mqttString
// (malformed_test.go).

// encode returns pk's bytes; pk.FixedHeader.Type says which packet.
func encode(pk packets.Packet) []byte {
	pk.ProtocolVersion = 4
	var b bytes.Buffer
	var err error
	switch pk.FixedHeader.Type {
	case packets.Connect:
		err = pk.ConnectEncode(&b)
	case packets.Publish:
		err = pk.PublishEncode(&b)
	case packets.Puback:
		err = pk.PubackEncode(&b)
	case packets.Subscribe:
		err = pk.SubscribeEncode(&b)
	case packets.Pingreq:
		err = pk.PingreqEncode(&b)
	case packets.Disconnect:
		err = pk.DisconnectEncode(&b)
	default:
		err = fmt.Errorf("no encoder for packet type %d", pk.FixedHeader.Type)
	}
	if err != nil {
		panic("encoding a test packet: " + err.Error())
	}
	return b.Bytes()
}

// connectPacket is a CONNECT as OneNET wants it (3.1.1, clean session,
// keepalive 60 s, user name and password).
func connectPacket(dev, pid, password string) []byte {
	return encode(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, Connect: packets.ConnectParams{
		ProtocolName: []byte("MQTT"), Clean: true, Keepalive: 60, ClientIdentifier: dev,
		UsernameFlag: true, Username: []byte(pid), PasswordFlag: true, Password: []byte(password),
	}})
}

// publishPacket is a PUBLISH; id is its packet identifier at QoS 1 and 2.
func publishPacket(topic string, qos byte, id uint16, payload []byte) []byte {
	return encode(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: qos}, TopicName: topic, PacketID: id, Payload: payload})
}

// subscribePacket is a SUBSCRIBE to one filter.
func subscribePacket(id uint16, filter string, qos byte) []byte {
	return encode(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Subscribe, Qos: 1}, PacketID: id,
		Filters: packets.Subscriptions{{Filter: filter, Qos: qos}}})
}

// pubackPacket acknowledges the QoS 1 PUBLISH id.
func pubackPacket(id uint16) []byte {
	return encode(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Puback}, PacketID: id})
}

var (
	pingreqPacket    = encode(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Pingreq}})
	disconnectPacket = encode(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Disconnect}})
)

// readPacket reads one packet from the broker and decodes it.
func readPacket(r *bufio.Reader) (packets.Packet, error) {
	pk := packets.Packet{ProtocolVersion: 4}
	first, err := r.ReadByte()
	if err != nil {
		return pk, err
	}
	if err := pk.FixedHeader.Decode(first); err != nil {
		return pk, err
	}
	n, _, err := packets.DecodeLength(r)
	if err != nil {
		return pk, err
	}
	pk.FixedHeader.Remaining = n
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return pk, err
	}
	switch pk.FixedHeader.Type {
	case packets.Connack:
		err = pk.ConnackDecode(body)
	case packets.Publish:
		err = pk.PublishDecode(body)
	case packets.Puback:
		err = pk.PubackDecode(body)
	case packets.Suback:
		err = pk.SubackDecode(body)
	case packets.Pingresp:
		err = pk.PingrespDecode(body)
	default:
		err = fmt.Errorf("unexpected packet type %d from the broker", pk.FixedHeader.Type)
	}
	return pk, err
}
