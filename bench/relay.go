package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/onenet-wasm/onenet-wasm/bridge"
)

// RelayResults compare MQTT through the server's /bridge (WebSocket to the
// relay, TCP on to the broker) with a direct TCP connection to the same
// broker, with the same client (paho) on both.
type RelayResults struct {
	Broker  string       `json:"broker"`
	Direct  RelayPath    `json:"direct"`
	Bridge  RelayPath    `json:"bridge"`
	Latency float64      `json:"latencyRatio"`    // bridge / direct, medians
	Ratio   float64      `json:"throughputRatio"` // bridge / direct
	Rounds  []RelayRound `json:"rounds"`
}

// RelayPath is one way to the broker.
type RelayPath struct {
	URL     string       `json:"url"`
	Latency LatencyStats `json:"latency"` // QoS 0 publish→receive, 100 B
	PerSec  float64      `json:"perSec"`  // QoS 0, 100 B, median of the rounds
}

// RelayRound is one round of throughput runs.
type RelayRound struct {
	Direct float64 `json:"direct"`
	Bridge float64 `json:"bridge"`
}

func bridgeTargets(addr string) []bridge.Target { return []bridge.Target{{Addr: addr}} }

func measureRelay(ctx context.Context, h *harness, res *Results) error {
	cfg := h.cfg
	rr := &RelayResults{Broker: "bare mochi over TCP at " + h.relayTo}
	res.Relay = rr
	rr.Direct.URL = "tcp://" + h.relayTo
	rr.Bridge.URL = h.wsURL("/bridge?target=" + url.QueryEscape(h.relayTo))
	paths := []*RelayPath{&rr.Direct, &rr.Bridge}
	lat := map[*RelayPath][]float64{}
	tput := map[*RelayPath][]float64{}
	rounds := max(cfg.rounds, 1)
	for round := range rounds {
		order := paths
		if round%2 == 1 {
			order = []*RelayPath{paths[1], paths[0]}
		}
		for _, p := range order {
			s, err := relayLatency(p.URL, cfg.relayLatencyN)
			if err != nil {
				return fmt.Errorf("latency via %s: %w", p.URL, err)
			}
			lat[p] = append(lat[p], s...)
			r, err := relayThroughput(ctx, p.URL, cfg.relayN)
			if err != nil {
				return fmt.Errorf("throughput via %s: %w", p.URL, err)
			}
			cfg.debugf("relay round %d %s: median %.3f ms, %.0f msg/s", round+1, p.URL, median(s), r)
			tput[p] = append(tput[p], r)
		}
		rr.Rounds = append(rr.Rounds, RelayRound{Direct: tput[&rr.Direct][round], Bridge: tput[&rr.Bridge][round]})
	}
	for _, p := range paths {
		p.Latency = latencyStats(lat[p])
		p.PerSec = median(tput[p])
	}
	rr.Latency = rr.Bridge.Latency.Median / rr.Direct.Latency.Median
	rr.Ratio = rr.Bridge.PerSec / rr.Direct.PerSec
	return nil
}

var relayRun atomic.Int64

// relayClient connects paho to a tcp:// URL, or to a ws:// URL over
// github.com/coder/websocket (as the page does).
func relayClient(broker, id string, onMsg paho.MessageHandler) (paho.Client, error) {
	o := paho.NewClientOptions().AddBroker(broker).SetClientID(id).SetProtocolVersion(4).
		SetAutoReconnect(false).SetConnectRetry(false).SetKeepAlive(60 * time.Second).
		SetOrderMatters(false).SetWriteTimeout(0).SetDefaultPublishHandler(onMsg)
	if u, err := url.Parse(broker); err == nil && u.Scheme == "ws" {
		o.SetCustomOpenConnectionFn(func(*url.URL, paho.ClientOptions) (net.Conn, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			ws, _, err := websocket.Dial(ctx, broker, &websocket.DialOptions{Subprotocols: []string{"mqtt"}})
			if err != nil {
				return nil, err
			}
			return websocket.NetConn(context.Background(), ws, websocket.MessageBinary), nil
		})
	}
	c := paho.NewClient(o)
	t := c.Connect()
	if !t.WaitTimeout(15*time.Second) || t.Error() != nil {
		return nil, fmt.Errorf("connect %s: %v", broker, t.Error())
	}
	return c, nil
}

// relayLatency: one client publishes 100 bytes at QoS 0 to a topic it
// subscribes to, the next once the last arrived.
func relayLatency(broker string, n int) ([]float64, error) {
	topic := fmt.Sprintf("bench/relay/lat/%d", relayRun.Add(1))
	got := make(chan struct{}, 1)
	c, err := relayClient(broker, topic, func(paho.Client, paho.Message) { got <- struct{}{} })
	if err != nil {
		return nil, err
	}
	defer c.Disconnect(0)
	if t := c.Subscribe(topic, 0, nil); !t.WaitTimeout(10*time.Second) || t.Error() != nil {
		return nil, fmt.Errorf("subscribe: %v", t.Error())
	}
	payload := make([]byte, 100)
	warm := 50
	out := make([]float64, 0, n)
	for i := range warm + n {
		t0 := time.Now()
		c.Publish(topic, 0, false, payload)
		select {
		case <-got:
		case <-time.After(10 * time.Second):
			return nil, fmt.Errorf("message %d did not arrive", i)
		}
		if i >= warm {
			out = append(out, float64(time.Since(t0).Nanoseconds())/1e6)
		}
	}
	return out, nil
}

// relayThroughput: as BenchmarkRelay (bridge/bench_test.go), QoS 0,
// 100 bytes, a publisher and a subscriber, at most 256 messages in flight.
func relayThroughput(ctx context.Context, broker string, n int) (float64, error) {
	const window = 256
	id := relayRun.Add(1)
	topic := fmt.Sprintf("bench/relay/tput/%d", id)
	inflight := make(chan struct{}, window)
	var got atomic.Int64
	all := make(chan struct{})
	sub, err := relayClient(broker, fmt.Sprintf("sub-%d", id), func(paho.Client, paho.Message) {
		<-inflight
		if got.Add(1) == int64(n) {
			close(all)
		}
	})
	if err != nil {
		return 0, err
	}
	defer sub.Disconnect(0)
	if t := sub.Subscribe(topic, 0, nil); !t.WaitTimeout(10*time.Second) || t.Error() != nil {
		return 0, fmt.Errorf("subscribe: %v", t.Error())
	}
	pub, err := relayClient(broker, fmt.Sprintf("pub-%d", id), nil)
	if err != nil {
		return 0, err
	}
	defer pub.Disconnect(0)
	payload := make([]byte, 100)
	t0 := time.Now()
	for range n {
		select {
		case inflight <- struct{}{}:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		pub.Publish(topic, 0, false, payload)
	}
	select {
	case <-all:
	case <-time.After(time.Minute):
		return 0, fmt.Errorf("received %d of %d messages", got.Load(), n)
	}
	return float64(n) / time.Since(t0).Seconds(), nil
}
