package mqtt3

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"testing"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

// pahoPackets are packets a broker sends a client, encoded by paho's
// packets package: the reference decode agrees with.
func pahoPackets(t testing.TB) [][]byte {
	var out [][]byte
	add := func(cp packets.ControlPacket) {
		var b bytes.Buffer
		if err := cp.Write(&b); err != nil {
			t.Fatalf("paho: writing %s: %v", cp, err)
		}
		out = append(out, b.Bytes())
	}
	for _, rc := range []byte{0, 1, 4, 5} {
		for _, sp := range []bool{false, true} {
			p := packets.NewControlPacket(packets.Connack).(*packets.ConnackPacket)
			p.ReturnCode, p.SessionPresent = rc, sp
			add(p)
		}
	}
	for _, qos := range []byte{0, 1, 2} {
		for _, size := range []int{0, 1, 100, 127 - 5, 128, 4096, 16384, bodyChunk, bodyChunk*2 + 3} {
			for _, flags := range []struct{ retain, dup bool }{{false, false}, {true, false}, {false, true}} {
				p := packets.NewControlPacket(packets.Publish).(*packets.PublishPacket)
				p.TopicName = "$sys/469948/Chic_D/dp/post/json/accepted"
				if size == 0 {
					p.TopicName = "t"
				}
				p.Qos, p.Retain, p.Dup = qos, flags.retain, flags.dup
				if qos > 0 {
					p.MessageID = uint16(size*7 + int(qos))
				}
				p.Payload = bytes.Repeat([]byte{byte(size)}, size)
				add(p)
			}
		}
	}
	for _, id := range []uint16{1, 0x0102, 65535} {
		for _, typ := range []byte{packets.Puback, packets.Pubrec, packets.Pubrel, packets.Pubcomp, packets.Unsuback} {
			p := packets.NewControlPacket(typ)
			switch p := p.(type) {
			case *packets.PubackPacket:
				p.MessageID = id
			case *packets.PubrecPacket:
				p.MessageID = id
			case *packets.PubrelPacket:
				p.MessageID = id
			case *packets.PubcompPacket:
				p.MessageID = id
			case *packets.UnsubackPacket:
				p.MessageID = id
			}
			add(p)
		}
		for _, codes := range [][]byte{{0}, {1, 2, 0x80}, {0, 1, 2, 0x80, 0, 1, 2, 0x80}} {
			p := packets.NewControlPacket(packets.Suback).(*packets.SubackPacket)
			p.MessageID, p.ReturnCodes = id, codes
			add(p)
		}
	}
	add(packets.NewControlPacket(packets.Pingresp))
	return out
}

// agree compares what decode made of a packet with what paho's
// ReadPacket made of it; "" if they agree.
func agree(p packet, cp packets.ControlPacket) string {
	var want packet
	switch q := cp.(type) {
	case *packets.ConnackPacket:
		want = packet{typ: typeConnack, returnCode: q.ReturnCode, sessionPresent: q.SessionPresent}
	case *packets.PublishPacket:
		want = packet{typ: typePublish, msg: Message{Topic: q.TopicName, Payload: q.Payload, QoS: q.Qos, Retained: q.Retain, Duplicate: q.Dup}}
		if q.Qos > 0 {
			want.id = q.MessageID
		}
	case *packets.PubackPacket:
		want = packet{typ: typePuback, id: q.MessageID}
	case *packets.PubrecPacket:
		want = packet{typ: typePubrec, id: q.MessageID}
	case *packets.PubrelPacket:
		want = packet{typ: typePubrel, id: q.MessageID}
	case *packets.PubcompPacket:
		want = packet{typ: typePubcomp, id: q.MessageID}
	case *packets.UnsubackPacket:
		want = packet{typ: typeUnsuback, id: q.MessageID}
	case *packets.SubackPacket:
		want = packet{typ: typeSuback, id: q.MessageID, codes: q.ReturnCodes}
	case *packets.PingrespPacket:
		want = packet{typ: typePingresp}
	default:
		return fmt.Sprintf("decode accepted %s, which paho decodes as %T", typeNames[p.typ>>4], cp)
	}
	if p.typ != want.typ || p.id != want.id || p.returnCode != want.returnCode || p.sessionPresent != want.sessionPresent ||
		!bytes.Equal(p.codes, want.codes) || p.msg.Topic != want.msg.Topic || !bytes.Equal(p.msg.Payload, want.msg.Payload) ||
		p.msg.QoS != want.msg.QoS || p.msg.Retained != want.msg.Retained || p.msg.Duplicate != want.msg.Duplicate {
		return fmt.Sprintf("decode: %s, paho: %s", describe(p), describe(want))
	}
	return ""
}

func describe(p packet) string {
	return fmt.Sprintf("%s id %d rc %d sp %v codes %x topic %q payload %d bytes qos %d retain %v dup %v",
		typeNames[p.typ>>4], p.id, p.returnCode, p.sessionPresent, p.codes, p.msg.Topic, len(p.msg.Payload),
		p.msg.QoS, p.msg.Retained, p.msg.Duplicate)
}

// Every packet a broker may send, as paho's packets package encodes it,
// is decoded as paho's packets package decodes it.
func TestDecodeAgreesWithPaho(t *testing.T) {
	for _, b := range pahoPackets(t) {
		first, body, err := readPacket(bufio.NewReader(bytes.NewReader(b)), 0)
		if err != nil {
			t.Errorf("readPacket(% .20x…): %v", b, err)
			continue
		}
		p, err := decode(first, body)
		if err != nil {
			t.Errorf("decode(% .20x…): %v", b, err)
			continue
		}
		cp, err := packets.ReadPacket(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("paho cannot read its own packet % .20x…: %v", b, err)
		}
		if d := agree(p, cp); d != "" {
			t.Errorf("% .20x…: %s", b, d)
		}
	}
}

// Malformed packets and packets only clients send are *ProtocolErrors.
func TestDecodeRefuses(t *testing.T) {
	for _, b := range malformed {
		r := bufio.NewReader(bytes.NewReader(b))
		first, body, err := readPacket(r, 0)
		if err == nil {
			_, err = decode(first, body)
		}
		if err == nil {
			t.Errorf("% x: no error", b)
		}
	}
}

var malformed = [][]byte{
	{0x20, 3, 0, 0, 0},             // CONNACK too long
	{0x20, 1, 0},                   // CONNACK too short
	{0x36, 5, 0, 1, 't', 0, 1},     // PUBLISH QoS 3
	{0x30, 3, 0, 5, 't'},           // topic longer than the packet
	{0x32, 3, 0, 1, 't'},           // QoS 1 without an identifier
	{0x40, 3, 0, 1, 0},             // PUBACK too long
	{0x50, 1, 0},                   // PUBREC too short
	{0x90, 1, 0},                   // SUBACK without an identifier
	{0xb0, 0},                      // UNSUBACK without an identifier
	{0x10, 0},                      // CONNECT
	{0x82, 5, 0, 1, 0, 1, 'a'},     // SUBSCRIBE
	{0xc0, 0},                      // PINGREQ
	{0xe0, 0},                      // DISCONNECT
	{0x00, 0},                      // reserved
	{0xf0, 0},                      // reserved
	{0x30, 0xff, 0xff, 0xff, 0xff}, // five length bytes
	{0x30, 10, 0, 1},               // truncated
}

// A remaining length the broker announces but does not send costs at most
// bodyChunk, however large (here MQTT's largest, with no limit).
func TestReadPacketLyingLength(t *testing.T) {
	b := appendHeader(nil, typePublish, maxRemaining)
	b = append(b, 0, 1, 't')
	// The process's other goroutines (the runtime, the race detector) also
	// allocate while this is measured: the least of a few runs is readPacket's.
	alloc := ^uint64(0)
	for range 5 {
		r := bufio.NewReader(bytes.NewReader(b))
		alloc = min(alloc, allocated(func() {
			if _, _, err := readPacket(r, 0); err == nil {
				t.Error("readPacket: no error for a truncated packet")
			}
		}))
	}
	if alloc > bodyChunk+4096 {
		t.Errorf("readPacket allocated %d bytes for a packet of %d bytes announcing %d", alloc, len(b), maxRemaining)
	}
}

// allocated reports the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// fuzzLimit is the packet limit of FuzzDecode: above bodyChunk, so that
// both of readBody's ways are taken.
const fuzzLimit = 4 * bodyChunk

// FuzzDecode: reading and decoding any bytes from a broker never panics,
// never allocates more than the packet limit (nor, for bytes that do not
// arrive, more than bodyChunk), and agrees with paho's packets package on
// every packet it accepts.
func FuzzDecode(f *testing.F) {
	for _, b := range pahoPackets(f) {
		if len(b) < 1024 {
			f.Add(b)
		}
	}
	for _, b := range malformed {
		f.Add(b)
	}
	f.Add(appendHeader(nil, typePublish, maxRemaining))
	f.Add(append(appendHeader(nil, typePublish, bodyChunk*3), 0, 1, 't'))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bufio.NewReader(bytes.NewReader(b))
		var (
			first byte
			body  []byte
			err   error
		)
		alloc := allocated(func() { first, body, err = readPacket(r, fuzzLimit) })
		limit := min(2*fuzzLimit, bodyChunk+4*len(b)) + 4096
		for i := 0; i < 2 && alloc > uint64(limit); i++ {
			// Measured again: other goroutines may have allocated meanwhile.
			r := bufio.NewReader(bytes.NewReader(b))
			alloc = min(alloc, allocated(func() { readPacket(r, fuzzLimit) }))
		}
		if alloc > uint64(limit) {
			t.Fatalf("readPacket allocated %d bytes for %d bytes of input (limit %d)", alloc, len(b), limit)
		}
		if err != nil {
			return
		}
		p, err := decode(first, body)
		if err != nil {
			var pe *ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("decode: %v (%T), not a *ProtocolError", err, err)
			}
			return
		}
		cp, err := packets.ReadPacket(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("decode accepted % .40x, paho: %v", b, err)
		}
		if d := agree(p, cp); d != "" {
			t.Fatalf("% .40x: %s", b, d)
		}
	})
}
