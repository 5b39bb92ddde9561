package mqtt3

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Control packet types (MQTT 3.1.1 §2.2.1), shifted into the first byte.
const (
	typeConnect     = 1 << 4
	typeConnack     = 2 << 4
	typePublish     = 3 << 4
	typePuback      = 4 << 4
	typePubrec      = 5 << 4
	typePubrel      = 6 << 4
	typePubcomp     = 7 << 4
	typeSubscribe   = 8 << 4
	typeSuback      = 9 << 4
	typeUnsubscribe = 10 << 4
	typeUnsuback    = 11 << 4
	typePingreq     = 12 << 4
	typePingresp    = 13 << 4
	typeDisconnect  = 14 << 4
)

var typeNames = [16]string{"reserved", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
	"SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "reserved"}

// maxRemaining is the largest remaining length MQTT can encode (§2.2.3).
const maxRemaining = 268435455

// A ProtocolError is a packet from the broker that breaks MQTT 3.1.1: not
// CONNACK in answer to CONNECT, an unknown or malformed packet.
type ProtocolError struct{ Msg string }

// Error returns "mqtt3: protocol error: " and what was wrong.
func (e *ProtocolError) Error() string { return "mqtt3: protocol error: " + e.Msg }

func protocolErr(format string, args ...any) error {
	return &ProtocolError{Msg: fmt.Sprintf(format, args...)}
}

// appendHeader appends a fixed header: the first byte and the remaining
// length (§2.2.3).
func appendHeader(b []byte, first byte, n int) []byte {
	b = append(b, first)
	for {
		d := byte(n & 0x7f)
		n >>= 7
		if n > 0 {
			d |= 0x80
		}
		b = append(b, d)
		if n == 0 {
			return b
		}
	}
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// appendConnect appends CONNECT (§3.1).
func appendConnect(b []byte, o *Options) []byte {
	n := 10 + 2 + len(o.ClientID)
	flags := byte(0)
	if o.CleanSession {
		flags |= 0x02
	}
	if o.Username != "" {
		flags |= 0x80
		n += 2 + len(o.Username)
	}
	if o.Password != "" {
		flags |= 0x40
		n += 2 + len(o.Password)
	}
	ka := (o.KeepAlive + 999_999_999) / 1_000_000_000 // whole seconds, rounded up
	b = appendHeader(b, typeConnect, n)
	b = appendString(b, "MQTT")
	b = append(b, 4, flags) // protocol level 4: MQTT 3.1.1
	b = binary.BigEndian.AppendUint16(b, uint16(min(ka, 65535)))
	b = appendString(b, o.ClientID)
	if o.Username != "" {
		b = appendString(b, o.Username)
	}
	if o.Password != "" {
		b = appendString(b, o.Password)
	}
	return b
}

// appendPublish appends PUBLISH (§3.3); id is 0 at QoS 0.
func appendPublish(b []byte, topic string, qos byte, retain bool, id uint16, payload []byte) []byte {
	first := byte(typePublish) | qos<<1
	if retain {
		first |= 1
	}
	n := 2 + len(topic) + len(payload)
	if qos > 0 {
		n += 2
	}
	b = appendHeader(b, first, n)
	b = appendString(b, topic)
	if qos > 0 {
		b = binary.BigEndian.AppendUint16(b, id)
	}
	return append(b, payload...)
}

// appendAck appends PUBACK, PUBREC, PUBREL or PUBCOMP (§3.4–3.7).
func appendAck(b []byte, first byte, id uint16) []byte {
	return append(b, first, 2, byte(id>>8), byte(id))
}

// appendSubscribe appends SUBSCRIBE (§3.8).
func appendSubscribe(b []byte, id uint16, filters []string, qos []byte) []byte {
	n := 2
	for _, f := range filters {
		n += 2 + len(f) + 1
	}
	b = appendHeader(b, typeSubscribe|2, n)
	b = binary.BigEndian.AppendUint16(b, id)
	for i, f := range filters {
		b = appendString(b, f)
		b = append(b, qos[i])
	}
	return b
}

// appendUnsubscribe appends UNSUBSCRIBE (§3.10).
func appendUnsubscribe(b []byte, id uint16, filters []string) []byte {
	n := 2
	for _, f := range filters {
		n += 2 + len(f)
	}
	b = appendHeader(b, typeUnsubscribe|2, n)
	b = binary.BigEndian.AppendUint16(b, id)
	for _, f := range filters {
		b = appendString(b, f)
	}
	return b
}

// readPacket reads one packet: its first byte (type and flags) and body.
// The body is freshly allocated: a received message may keep it.
func readPacket(r *bufio.Reader, maxSize int) (byte, []byte, error) {
	first, err := r.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	n, shift := 0, 0
	for i := 0; ; i++ {
		d, err := r.ReadByte()
		if err != nil {
			return 0, nil, unexpectedEOF(err)
		}
		n |= int(d&0x7f) << shift
		if d&0x80 == 0 {
			break
		}
		shift += 7
		if i == 3 {
			return 0, nil, protocolErr("malformed remaining length")
		}
	}
	if maxSize > 0 && n > maxSize {
		return 0, nil, protocolErr("%s packet of %d bytes, larger than %d", typeNames[first>>4], n, maxSize)
	}
	body, err := readBody(r, n)
	if err != nil {
		return 0, nil, unexpectedEOF(err)
	}
	return first, body, nil
}

// bodyChunk is the most readBody allocates for bytes that have not arrived.
const bodyChunk = 64 << 10

// readBody reads n bytes. Above bodyChunk, it allocates as the bytes
// arrive, doubling, so a length the broker announces but does not send
// costs at most bodyChunk, and a body of n bytes at most 2n in all.
func readBody(r io.Reader, n int) ([]byte, error) {
	if n <= bodyChunk {
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			return nil, err
		}
		return body, nil
	}
	body := make([]byte, 0, bodyChunk)
	for len(body) < n {
		if len(body) == cap(body) {
			grown := make([]byte, len(body), min(n, 2*cap(body)))
			copy(grown, body)
			body = grown
		}
		m, err := io.ReadFull(r, body[len(body):cap(body)])
		body = body[:len(body)+m]
		if err != nil {
			return nil, err
		}
	}
	return body, nil
}

func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// A packet is a decoded packet from the broker (§3.2–3.13): the fields
// its type has.
type packet struct {
	typ            byte    // the first byte's type bits (typeConnack, …)
	id             uint16  // packet identifier: acknowledgements, SUBACK, UNSUBACK, PUBLISH at QoS 1 and 2
	returnCode     byte    // CONNACK
	sessionPresent bool    // CONNACK
	codes          []byte  // SUBACK's return codes, one per filter
	msg            Message // PUBLISH
}

// decode decodes a packet a broker may send a client, from its first byte
// and body. Anything else — a packet type only clients send, a
// malformed or truncated body, PUBLISH at QoS 3 — is a *ProtocolError.
// The message's payload is body's tail, not a copy.
func decode(first byte, body []byte) (packet, error) {
	p := packet{typ: first & 0xf0}
	switch p.typ {
	case typeConnack:
		if len(body) != 2 {
			return p, protocolErr("malformed CONNACK")
		}
		p.sessionPresent, p.returnCode = body[0]&1 != 0, body[1]
	case typePublish:
		qos := first >> 1 & 3
		if qos == 3 {
			return p, protocolErr("PUBLISH with QoS 3")
		}
		topic, rest, ok := readString(body)
		if !ok || qos > 0 && len(rest) < 2 {
			return p, protocolErr("malformed PUBLISH")
		}
		if qos > 0 {
			p.id, rest = binary.BigEndian.Uint16(rest), rest[2:]
		}
		p.msg = Message{Topic: topic, Payload: rest, QoS: qos, Retained: first&1 != 0, Duplicate: first&8 != 0}
	case typePuback, typePubrec, typePubrel, typePubcomp, typeUnsuback:
		if len(body) != 2 {
			return p, protocolErr("malformed %s", typeNames[first>>4])
		}
		p.id = binary.BigEndian.Uint16(body)
	case typeSuback:
		if len(body) < 2 {
			return p, protocolErr("malformed SUBACK")
		}
		p.id, p.codes = binary.BigEndian.Uint16(body), body[2:]
	case typePingresp:
	default:
		return p, protocolErr("unexpected %s packet from the broker", typeNames[first>>4])
	}
	return p, nil
}

// readString reads a length-prefixed string at b[0:].
func readString(b []byte) (string, []byte, bool) {
	if len(b) < 2 {
		return "", nil, false
	}
	n := int(binary.BigEndian.Uint16(b))
	if len(b) < 2+n {
		return "", nil, false
	}
	return string(b[2 : 2+n]), b[2+n:], true
}
