//go:build !js

package mqttws

import (
	"context"
	"testing"
)

// BenchmarkPublish measures a round trip through an in-process mochi broker
// over WebSocket: one client publishes 100 bytes to a topic it is subscribed
// to and waits for the message to come back.
func BenchmarkPublish(b *testing.B) {
	for _, bc := range []struct {
		name string
		qos  byte
	}{{"QoS0", 0}, {"QoS1", 1}} {
		b.Run(bc.name, func(b *testing.B) {
			benchmarkRoundTrip(b, bc.qos)
		})
	}
}

func benchmarkRoundTrip(b *testing.B, qos byte) {
	br := newBroker(b)
	got := make(chan struct{}, 1)
	c := dial(b, br.url, &Options{OnMessage: func(Message) { got <- struct{}{} }})
	ctx := context.Background()
	if _, err := c.Subscribe(ctx, "bench", qos); err != nil {
		b.Fatal(err)
	}
	payload := make([]byte, 100)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Publish(ctx, "bench", payload, qos, false); err != nil {
			b.Fatal(err)
		}
		<-got
	}
}
