package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// ClientResults compare the onenet client (Go wasm, through its JavaScript
// API) with mqtt.js, in the same page against the same broker.
type ClientResults struct {
	// Broker is what both clients connect to.
	Broker string `json:"broker"`
	// Isolated: the page was cross-origin isolated, so performance.now()
	// had 5 µs resolution (100 µs otherwise).
	Isolated   bool             `json:"isolated"`
	Latency    []LatencyPair    `json:"latency"`
	Throughput []ThroughputPair `json:"throughput"`
	Rounds     int              `json:"rounds"`
	Window     int              `json:"window"`
}

// LatencyPair is publish→receive latency of both clients at one QoS.
type LatencyPair struct {
	QoS    int          `json:"qos"`
	Size   int          `json:"size"`
	Onenet LatencyStats `json:"onenet"`
	MQTTjs LatencyStats `json:"mqttjs"`
	// Ratios are onenet / mqtt.js: below 1 is faster.
	RatioMedian float64 `json:"ratioMedian"`
	RatioP99    float64 `json:"ratioP99"`
}

// LatencyStats summarise latency samples, in ms.
type LatencyStats struct {
	N      int     `json:"n"`
	Median float64 `json:"medianMs"`
	P99    float64 `json:"p99Ms"`
	Mean   float64 `json:"meanMs"`
	// Outbound is the median time from publish() to WebSocket.send,
	// Between from WebSocket.send to the message event that brought the
	// message back (the browser, the network and the broker), Inbound from
	// that event to the page's callback, SendCall the time the
	// WebSocket.send call itself took (part of Between). Browser clients
	// only.
	Outbound float64 `json:"outboundMedianMs,omitempty"`
	Between  float64 `json:"betweenMedianMs,omitempty"`
	Inbound  float64 `json:"inboundMedianMs,omitempty"`
	SendCall float64 `json:"sendCallMedianMs,omitempty"`
}

// latencySplit is one latency run's parts, per message (LatencyStats).
type latencySplit struct {
	Outbound []float64 `json:"outbound"`
	Between  []float64 `json:"between"`
	Inbound  []float64 `json:"inbound"`
	SendCall []float64 `json:"sendCall"`
}

// setSplit puts the medians of the runs' parts into s.
func (s *LatencyStats) setSplit(runs []latencySplit) {
	var o, b, i, c []float64
	for _, r := range runs {
		o, b, i, c = append(o, r.Outbound...), append(b, r.Between...), append(i, r.Inbound...), append(c, r.SendCall...)
	}
	s.Outbound, s.Between, s.Inbound, s.SendCall = median(o), median(b), median(i), median(c)
}

func latencyStats(xs []float64) LatencyStats {
	s := LatencyStats{N: len(xs), Median: median(xs), P99: percentile(xs, 99)}
	for _, x := range xs {
		s.Mean += x
	}
	if len(xs) > 0 {
		s.Mean /= float64(len(xs))
	}
	return s
}

// ThroughputPair is both clients' throughput at one QoS and payload size.
type ThroughputPair struct {
	QoS  int `json:"qos"`
	Size int `json:"size"`
	N    int `json:"n"` // messages per run
	// Per-round messages per second, and their medians.
	OnenetRuns []float64 `json:"onenetRuns"`
	MQTTjsRuns []float64 `json:"mqttjsRuns"`
	Onenet     float64   `json:"onenet"`
	MQTTjs     float64   `json:"mqttjs"`
	// Ratio is onenet / mqtt.js: above 1 is faster.
	Ratio float64 `json:"ratio"`
	// WebSocket messages sent and received per MQTT message, last round.
	OnenetWS [2]float64 `json:"onenetWsPerMessage"`
	MQTTjsWS [2]float64 `json:"mqttjsWsPerMessage"`
}

type tputRun struct {
	N      int     `json:"n"`
	Ms     float64 `json:"ms"`
	PerSec float64 `json:"perSec"`
	// WebSocket messages the page sent and received during the run.
	WSSent     int `json:"wsSent"`
	WSReceived int `json:"wsReceived"`
}

func measureClients(ctx context.Context, h *harness, res *Results) error {
	cfg := h.cfg
	url := h.wsURL("/bare/mqtt")
	cr := &ClientResults{
		Broker: "bare mochi (allow-all hook, no OneNET hook) over WebSocket at " + url + ", plain topics bench/...",
		Rounds: cfg.rounds, Window: cfg.tputWindow,
	}
	res.Clients = cr
	b, err := h.newBrowser(ctx)
	if err != nil {
		return err
	}
	defer b.close()
	if err := b.navigate(h.base + "/bench/clients.html"); err != nil {
		return err
	}
	if err := b.waitJS(time.Minute, `document.body.dataset.ready === "all" || document.body.dataset.error !== undefined`); err != nil {
		return err
	}
	if msg, _ := eval[string](b, 5*time.Second, `document.body.dataset.error || ""`); msg != "" {
		return fmt.Errorf("the bench page failed to load: %s", msg)
	}
	cr.Isolated, _ = eval[bool](b, 5*time.Second, `bench.isolated`)

	call := func(fn string, kind string, args map[string]any, out any) error {
		a, _ := json.Marshal(args)
		expr := fmt.Sprintf(`bench.%s(%q, %s)`, fn, kind, a)
		v, err := eval[json.RawMessage](b, 3*time.Minute, expr)
		if err != nil {
			return err
		}
		return json.Unmarshal(v, out)
	}
	kinds := []string{"onenet", "mqttjs"}
	// Warm up both clients (JIT, connection paths); not counted.
	for _, k := range kinds {
		var r tputRun
		if err := call("throughput", k, map[string]any{"url": url, "qos": 1, "n": cfg.warmN, "size": 100, "window": cfg.tputWindow}, &r); err != nil {
			return fmt.Errorf("warm-up %s: %w", k, err)
		}
	}

	if cfg.profile != "" {
		for _, qos := range []int{0, 1} {
			for _, size := range []int{100, 4096} {
				for _, k := range kinds {
					n := cfg.smallN
					if size > 100 {
						n = cfg.largeN
					}
					a, _ := json.Marshal(map[string]any{"url": url, "qos": qos, "n": n, "size": size, "window": cfg.tputWindow})
					p, err := b.profileRun(fmt.Sprintf(`bench.throughput(%q, %s)`, k, a))
					if err != nil {
						return fmt.Errorf("profiling %s: %w", k, err)
					}
					if err := writeProfile(os.Stdout, cfg.profile, fmt.Sprintf("%s-qos%d-%d", k, qos, size), p); err != nil {
						return err
					}
				}
			}
			for _, k := range kinds {
				a, _ := json.Marshal(map[string]any{"url": url, "qos": qos, "n": cfg.latencyN, "size": 100})
				p, err := b.profileRun(fmt.Sprintf(`bench.latency(%q, %s)`, k, a))
				if err != nil {
					return fmt.Errorf("profiling %s: %w", k, err)
				}
				if err := writeProfile(os.Stdout, cfg.profile, fmt.Sprintf("%s-qos%d-latency", k, qos), p); err != nil {
					return err
				}
			}
		}
	}

	lat := map[string][]float64{}
	split := map[string][]latencySplit{}
	type tkey struct{ qos, size int }
	tput := map[tkey]*ThroughputPair{}
	var tkeys []tkey
	for _, qos := range []int{0, 1} {
		for _, size := range []int{100, 4096} {
			k := tkey{qos, size}
			n := cfg.smallN
			if size > 100 {
				n = cfg.largeN
			}
			tput[k] = &ThroughputPair{QoS: qos, Size: size, N: n}
			tkeys = append(tkeys, k)
		}
	}
	for round := range cfg.rounds {
		order := kinds
		if round%2 == 1 {
			order = []string{kinds[1], kinds[0]}
		}
		for _, qos := range []int{0, 1} {
			for _, k := range order {
				var r struct {
					Samples []float64 `json:"samples"`
					latencySplit
				}
				if err := call("latency", k, map[string]any{"url": url, "qos": qos, "n": cfg.latencyN, "size": 100}, &r); err != nil {
					return fmt.Errorf("latency %s QoS %d: %w", k, qos, err)
				}
				samples := r.Samples
				key := fmt.Sprintf("%s/%d", k, qos)
				lat[key] = append(lat[key], samples...)
				split[key] = append(split[key], r.latencySplit)
				cfg.debugf("round %d latency %s: median %.3f ms", round+1, key, median(samples))
			}
		}
		for _, tk := range tkeys {
			p := tput[tk]
			for _, k := range order {
				var r tputRun
				if err := call("throughput", k, map[string]any{"url": url, "qos": tk.qos, "n": p.N, "size": tk.size, "window": cfg.tputWindow}, &r); err != nil {
					return fmt.Errorf("throughput %s QoS %d %d B: %w", k, tk.qos, tk.size, err)
				}
				cfg.debugf("round %d throughput %s QoS %d %d B: %.0f msg/s", round+1, k, tk.qos, tk.size, r.PerSec)
				ws := [2]float64{float64(r.WSSent) / float64(r.N), float64(r.WSReceived) / float64(r.N)}
				if k == "onenet" {
					p.OnenetRuns = append(p.OnenetRuns, r.PerSec)
					p.OnenetWS = ws
				} else {
					p.MQTTjsRuns = append(p.MQTTjsRuns, r.PerSec)
					p.MQTTjsWS = ws
				}
			}
		}
	}
	for _, qos := range []int{0, 1} {
		o, m := latencyStats(lat[fmt.Sprintf("onenet/%d", qos)]), latencyStats(lat[fmt.Sprintf("mqttjs/%d", qos)])
		o.setSplit(split[fmt.Sprintf("onenet/%d", qos)])
		m.setSplit(split[fmt.Sprintf("mqttjs/%d", qos)])
		cr.Latency = append(cr.Latency, LatencyPair{QoS: qos, Size: 100, Onenet: o, MQTTjs: m,
			RatioMedian: o.Median / m.Median, RatioP99: o.P99 / m.P99})
	}
	for _, tk := range tkeys {
		p := tput[tk]
		p.Onenet, p.MQTTjs = median(p.OnenetRuns), median(p.MQTTjsRuns)
		p.Ratio = p.Onenet / p.MQTTjs
		cr.Throughput = append(cr.Throughput, *p)
	}
	return nil
}
