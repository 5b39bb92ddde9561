package bridge

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// BenchmarkRelay measures QoS 0 publish→receive throughput of 100-byte
// messages through a local broker, straight over TCP ("direct") and with
// both clients going through the bridge over WebSocket ("bridge"). The
// ratio of the two is the bridge's cost.
//
//	go test -run='^$' -bench=Relay -benchtime=20000x ./bridge/
func BenchmarkRelay(b *testing.B) {
	broker := startBroker(b)
	br := startBridge(b, Options{Allow: []Target{{Addr: broker}}})
	for _, via := range []struct{ name, url string }{
		{"direct", "tcp://" + broker},
		{"bridge", br.url(broker)},
	} {
		b.Run(via.name, func(b *testing.B) { benchQoS0(b, via.url) })
	}
}

var benchRun atomic.Int64

func benchQoS0(b *testing.B, broker string) {
	const window = 256 // messages in flight; stays below the broker's queue limits
	id := benchRun.Add(1)
	topic := fmt.Sprintf("bench/%d", id)
	payload := make([]byte, 100)
	inflight := make(chan struct{}, window)
	var got atomic.Int64
	all := make(chan struct{})
	n := int64(b.N)

	sub := mqttClient(b, broker, fmt.Sprintf("sub-%d", id), nil)
	waitToken(b, "subscribe", sub.Subscribe(topic, 0, func(mqtt.Client, mqtt.Message) {
		<-inflight
		if got.Add(1) == n {
			close(all)
		}
	}))
	pub := mqttClient(b, broker, fmt.Sprintf("pub-%d", id), nil)

	b.SetBytes(int64(len(payload)))
	b.ResetTimer()
	for range b.N {
		inflight <- struct{}{}
		pub.Publish(topic, 0, false, payload)
	}
	select {
	case <-all:
	case <-time.After(wait):
		b.Fatalf("received %d of %d messages", got.Load(), b.N)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
}
