package broker

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// TestConnectLevel3NamedMQTTGets0x01 (issue: "a CONNECT with protocol
// level 3 and the name MQTT gets return code 0x82, invalid in 3.1.1"):
// the name "MQTT" with any level but 4 (or 5, refused with 0x84) gets
// CONNACK return code 1; "MQIsdp" level 3 too.
func TestConnectLevel3NamedMQTTGets0x01(t *testing.T) {
	t.Parallel()
	e := newEnv(t, noLimits)
	str := func(s string) []byte { return append([]byte{byte(len(s) >> 8), byte(len(s))}, s...) }
	for _, tc := range []struct {
		name  string
		level byte
	}{{"MQTT", 3}, {"MQTT", 0}, {"MQTT", 6}, {"MQTT", 255}, {"MQIsdp", 3}} {
		body := append(str(tc.name), tc.level, 0xC2, 0, 60)
		body = append(append(append(body, str("dev1")...), str("prod1")...), str(devTok(t, "prod1", "dev1", keyD1))...)
		conn, err := net.DialTimeout("tcp", e.tcp, wait)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(wait))
		pkt := []byte{0x10}
		for n := len(body); ; n /= 128 {
			if n < 128 {
				pkt = append(pkt, byte(n))
				break
			}
			pkt = append(pkt, byte(n%128)|0x80)
		}
		conn.Write(append(pkt, body...))
		got, _ := io.ReadAll(conn)
		conn.Close()
		if want := []byte{0x20, 2, 0, 1}; !bytes.Equal(got, want) {
			t.Errorf("%s level %d: got % x, want CONNACK % x", tc.name, tc.level, got, want)
		}
	}
	e.log.waitFor(t, `protocol "MQTT" level 3`, "(CONNACK 1)")
}
