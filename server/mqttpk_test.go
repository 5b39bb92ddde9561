package server

import (
	"bytes"

	"github.com/mochi-mqtt/server/v2/packets"
)

// Well-formed MQTT 3.1.1 packets for the tests that speak MQTT without a
// client library, written by mochi's packets package.

// mqttEncode returns pk's bytes, or panics: a test packet that does not
// encode is a mistake in the test.
func mqttEncode(pk packets.Packet, enc func(*packets.Packet, *bytes.Buffer) error) []byte {
	pk.ProtocolVersion = 4
	var b bytes.Buffer
	if err := enc(&pk, &b); err != nil {
		panic("encoding a test packet: " + err.Error())
	}
	return b.Bytes()
}

// mqttConnect returns a CONNECT as OneNET wants it (3.1.1, clean session,
// keepalive 60 s, user name and password).
func mqttConnect(id, user, pass string) []byte {
	return mqttEncode(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, Connect: packets.ConnectParams{
		ProtocolName: []byte("MQTT"), Clean: true, Keepalive: 60, ClientIdentifier: id,
		UsernameFlag: true, Username: []byte(user), PasswordFlag: true, Password: []byte(pass),
	}}, (*packets.Packet).ConnectEncode)
}

// mqttPublish returns a PUBLISH at QoS 0.
func mqttPublish(topic string, payload []byte) []byte {
	return mqttEncode(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish}, TopicName: topic, Payload: payload},
		(*packets.Packet).PublishEncode)
}

// mqttPingreq is a PINGREQ.
var mqttPingreq = mqttEncode(packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Pingreq}}, (*packets.Packet).PingreqEncode)
