package broker

import (
	"log/slog"
	"net"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// BenchmarkHooksPublish: what the broker's hooks cost per QoS 1 datapoint
// upload, without the network: mochi's hook dispatch for the events of a
// publish (read, ACL check, publish, PUBACK encoded and sent, published,
// processed) on a logged-in client, as processPublish calls it. Compare
// with BenchmarkHooksBare, the same dispatch with an allow-all hook only.
func BenchmarkHooksPublish(b *testing.B) {
	br, err := New(Options{Registry: &Registry{Products: []Product{{ID: "bench", Key: keyP1, Devices: []Device{{Name: "d0"}}}}},
		Limits: RateLimits{Disabled: true}})
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	hs := &mqtt.Hooks{Log: slog.New(slog.DiscardHandler)}
	for _, h := range br.hooks() {
		if err := hs.Add(h, nil); err != nil {
			b.Fatal(err)
		}
	}
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	cl := br.srv.NewClient(benchConn(c1), "tcp", "", false)
	pw := tokAt(b, "products/bench", keyP1, time.Now().Add(time.Hour).Unix(), "")
	connect := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, ProtocolVersion: 4,
		Connect: packets.ConnectParams{ProtocolName: []byte("MQTT"), Clean: true, Keepalive: 60,
			ClientIdentifier: "d0", UsernameFlag: true, Username: []byte("bench"), PasswordFlag: true, Password: []byte(pw)}}
	if err := hs.OnConnect(cl, connect); err != nil || !hs.OnConnectAuthenticate(cl, connect) {
		b.Fatalf("login: %v", err)
	}
	publishHooks(b, hs, cl, "$sys/bench/d0/dp/post/json")
}

// BenchmarkHooksBare: BenchmarkHooksPublish's dispatch with bare mochi's
// allow-all hook.
func BenchmarkHooksBare(b *testing.B) {
	srv := mqtt.New(&mqtt.Options{Logger: slog.New(slog.DiscardHandler)})
	hs := &mqtt.Hooks{Log: slog.New(slog.DiscardHandler)}
	if err := hs.Add(new(allowHook), nil); err != nil {
		b.Fatal(err)
	}
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	publishHooks(b, hs, srv.NewClient(c1, "tcp", "d0", false), "sys/bench/d0/dp/post/json")
}

func publishHooks(b *testing.B, hs *mqtt.Hooks, cl *mqtt.Client, topic string) {
	raw := []byte(topic)
	payload := []byte(benchPayload)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		id := uint16(i%65535 + 1)
		// mochi decodes a new topic string for every packet
		pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Publish, Qos: 1}, TopicName: string(raw), Payload: payload, PacketID: id}
		pk, err := hs.OnPacketRead(cl, pk)
		if err != nil {
			b.Fatal(err)
		}
		if !hs.OnACLCheck(cl, pk.TopicName, true) {
			b.Fatal("ACL refused")
		}
		pkx, err := hs.OnPublish(cl, pk)
		if err != nil {
			b.Fatal(err)
		}
		ack := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Puback}, PacketID: id}
		hs.OnQosPublish(cl, ack, 0, 0)
		hs.OnQosComplete(cl, ack)
		ack = hs.OnPacketEncode(cl, ack)
		hs.OnPacketSent(cl, ack, nil)
		hs.OnPublished(cl, pkx)
		hs.OnPacketProcessed(cl, pk, nil)
	}
}
