package main

import (
	"context"
	"math"
	"os"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	if isChild() { // the broker benchmark's child process
		os.Exit(childMain())
	}
	os.Exit(m.Run())
}

// TestSmoke runs one tiny measurement of each kind, so that the harness
// cannot rot: it checks that every section produces numbers, never how
// good they are (these machines are too noisy for timed assertions).
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium several times")
	}
	cfg := defaultConfig()
	cfg.root = ".."
	cfg.quick = true
	cfg.loadSamples = 1
	cfg.throttleBits = 100e6 // the throttled load, quicker
	cfg.rounds = 1
	cfg.latencyN, cfg.smallN, cfg.largeN, cfg.warmN = 20, 300, 50, 100
	cfg.tokenMillis = 100
	cfg.floodRates, cfg.floodStep = []int{2000}, 500*time.Millisecond
	cfg.floodRate, cfg.floodSeconds = 2000, 1
	cfg.brokerDevices, cfg.brokerTime, cfg.wsDevices = []int{10}, 500*time.Millisecond, 20
	cfg.relayLatencyN, cfg.relayN = 20, 500
	if testing.Verbose() {
		cfg.verbose = true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	res, err := runAll(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors {
		t.Error(e)
	}
	if t.Failed() {
		return
	}
	positive := func(name string, x float64) {
		t.Helper()
		if !(x > 0) || math.IsInf(x, 0) {
			t.Errorf("%s = %v, want a positive number", name, x)
		}
	}
	positive("load: wasm bytes (brotli)", float64(res.Load.Wasm.Brotli))
	positive("load: page bytes (raw)", float64(res.Load.Page.Raw))
	positive("load: core ready, local", res.Load.Local.Core)
	positive("load: all ready, throttled", res.Load.Throttled.All)
	for _, lt := range []LoadTimes{res.Load.Local, res.Load.Throttled} {
		positive("load: empty page's first paint, "+lt.Condition, lt.FloorBlankFCP)
		positive("load: the API alone's token, "+lt.Condition, lt.FloorTokens)
		positive("load: the API alone's core.wasm, "+lt.Condition, lt.FloorTokensCore)
	}
	for _, l := range res.Clients.Latency {
		positive("clients: onenet latency", l.Onenet.Median)
		positive("clients: mqtt.js latency", l.MQTTjs.Median)
		// The round trip's parts come from the page's own marks; the
		// part between send and message event is never empty.
		positive("clients: onenet send → message event", l.Onenet.Between)
		positive("clients: mqtt.js send → message event", l.MQTTjs.Between)
	}
	if len(res.Clients.Throughput) != 4 {
		t.Errorf("clients: %d throughput pairs, want 4", len(res.Clients.Throughput))
	}
	for _, p := range res.Clients.Throughput {
		positive("clients: throughput ratio", p.Ratio)
	}
	positive("flood: messages counted", float64(res.Flood.Target.Received))
	positive("flood: page memory", res.Flood.Heap.total())
	positive("tokens: wasm", res.Tokens.Wasm)
	positive("tokens: native", res.Tokens.Native)
	for _, p := range res.Broker.Pairs {
		positive("broker: ratio", p.Ratio)
		positive("broker: OneNET RSS", p.OnenetMB)
	}
	for _, h := range res.Broker.Hold {
		if h.Alive != h.Devices {
			t.Errorf("broker %s held %d of %d WebSocket devices", h.Kind, h.Alive, h.Devices)
		}
	}
	positive("relay: ratio", res.Relay.Ratio)
	positive("relay: bridge latency", res.Relay.Bridge.Latency.Median)
	if len(res.Targets) == 0 {
		t.Error("no targets evaluated")
	}
	var out nopWriter
	printTable(&out, res)
	if out.n == 0 {
		t.Error("printTable wrote nothing")
	}
}

type nopWriter struct{ n int }

func (w *nopWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }
