package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/onenet-wasm/onenet-wasm/bridge"
	"github.com/onenet-wasm/onenet-wasm/mqttws"
)

// RelayResults compare MQTT through the server's /bridge (WebSocket to the
// relay, TCP on to the broker) with a direct TCP connection to the same
// broker, with the same client on both: mqttws, the page's client (natively;
// directly over TCP through Options.Dial), and paho for reference.
type RelayResults struct {
	Broker  string       `json:"broker"`
	Direct  RelayPath    `json:"direct"`
	Bridge  RelayPath    `json:"bridge"`
	Latency float64      `json:"latencyRatio"`    // bridge / direct, medians
	Ratio   float64      `json:"throughputRatio"` // bridge / direct
	Rounds  []RelayRound `json:"rounds"`
	// Paho is the same with paho on both paths (bridge/BenchmarkRelay's client).
	Paho *RelayResults `json:"paho,omitempty"`
	// Client names the client.
	Client string `json:"client"`
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
	rr, err := h.relay(ctx, "mqttws", mqttwsClient)
	if err != nil {
		return err
	}
	res.Relay = rr
	rr.Paho, err = h.relay(ctx, "paho", pahoClient)
	return err
}

// relayClient opens a client; onMsg, if set, gets every message.
type relayClient func(broker, id string, onMsg func()) (relayConn, error)

type relayConn interface {
	subscribe(topic string) error
	publish(topic string, payload []byte) error // QoS 0
	close()
}

func (h *harness) relay(ctx context.Context, client string, open relayClient) (*RelayResults, error) {
	cfg := h.cfg
	rr := &RelayResults{Broker: "bare mochi over TCP at " + h.relayTo, Client: client}
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
			s, err := relayLatency(open, p.URL, cfg.relayLatencyN)
			if err != nil {
				return nil, fmt.Errorf("%s latency via %s: %w", rr.Client, p.URL, err)
			}
			lat[p] = append(lat[p], s...)
			r, err := relayThroughput(ctx, open, p.URL, cfg.relayN)
			if err != nil {
				return nil, fmt.Errorf("%s throughput via %s: %w", rr.Client, p.URL, err)
			}
			cfg.debugf("relay %s round %d %s: median %.3f ms, %.0f msg/s", rr.Client, round+1, p.URL, median(s), r)
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
	return rr, nil
}

var relayRun atomic.Int64

// pahoClient connects paho to a tcp:// URL, or to a ws:// URL over
// github.com/coder/websocket.
func pahoClient(broker, id string, onMsg func()) (relayConn, error) {
	o := paho.NewClientOptions().AddBroker(broker).SetClientID(id).SetProtocolVersion(4).
		SetAutoReconnect(false).SetConnectRetry(false).SetKeepAlive(60 * time.Second).
		SetOrderMatters(false).SetWriteTimeout(0)
	if onMsg != nil {
		o.SetDefaultPublishHandler(func(paho.Client, paho.Message) { onMsg() })
	}
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
	return pahoConn{c}, nil
}

type pahoConn struct{ c paho.Client }

func (p pahoConn) subscribe(topic string) error {
	if t := p.c.Subscribe(topic, 0, nil); !t.WaitTimeout(10*time.Second) || t.Error() != nil {
		return fmt.Errorf("subscribe: %v", t.Error())
	}
	return nil
}

func (p pahoConn) publish(topic string, payload []byte) error {
	p.c.Publish(topic, 0, false, payload)
	return nil
}

func (p pahoConn) close() { p.c.Disconnect(0) }

// mqttwsClient connects the page's client (natively): to a ws:// URL as
// it does in the page, or straight over TCP to a tcp:// one (Options.Dial).
func mqttwsClient(broker, id string, onMsg func()) (relayConn, error) {
	o := &mqttws.Options{ClientID: id, MaxInflight: 1024}
	if onMsg != nil {
		o.OnMessage = func(mqttws.Message) { onMsg() }
		o.QueueSize = 4096
	}
	u := broker
	if addr, ok := strings.CutPrefix(broker, "tcp://"); ok {
		u = "ws://" + addr + "/" // not dialled: Dial opens TCP instead
		o.Dial = func(ctx context.Context, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", addr)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	c, err := mqttws.Dial(ctx, u, o)
	if err != nil {
		return nil, err
	}
	return mqttwsConn{c}, nil
}

type mqttwsConn struct{ c *mqttws.Client }

func (m mqttwsConn) subscribe(topic string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := m.c.Subscribe(ctx, topic, 0)
	return err
}

func (m mqttwsConn) publish(topic string, payload []byte) error {
	return m.c.Publish(context.Background(), topic, payload, 0, false)
}

func (m mqttwsConn) close() { m.c.Close() }

// relayLatency: one client publishes 100 bytes at QoS 0 to a topic it
// subscribes to, the next once the last arrived.
func relayLatency(open relayClient, broker string, n int) ([]float64, error) {
	topic := fmt.Sprintf("bench/relay/lat/%d", relayRun.Add(1))
	got := make(chan struct{}, 1)
	c, err := open(broker, strings.ReplaceAll(topic, "/", "-"), func() { got <- struct{}{} })
	if err != nil {
		return nil, err
	}
	defer c.close()
	if err := c.subscribe(topic); err != nil {
		return nil, err
	}
	payload := make([]byte, 100)
	warm := 50
	out := make([]float64, 0, n)
	for i := range warm + n {
		t0 := time.Now()
		if err := c.publish(topic, payload); err != nil {
			return nil, err
		}
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
func relayThroughput(ctx context.Context, open relayClient, broker string, n int) (float64, error) {
	const window = 256
	id := relayRun.Add(1)
	topic := fmt.Sprintf("bench/relay/tput/%d", id)
	inflight := make(chan struct{}, window)
	var got atomic.Int64
	all := make(chan struct{})
	sub, err := open(broker, fmt.Sprintf("sub-%d", id), func() {
		<-inflight
		if got.Add(1) == int64(n) {
			close(all)
		}
	})
	if err != nil {
		return 0, err
	}
	defer sub.close()
	if err := sub.subscribe(topic); err != nil {
		return 0, err
	}
	pub, err := open(broker, fmt.Sprintf("pub-%d", id), nil)
	if err != nil {
		return 0, err
	}
	defer pub.close()
	payload := make([]byte, 100)
	t0 := time.Now()
	for range n {
		select {
		case inflight <- struct{}{}:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		if err := pub.publish(topic, payload); err != nil {
			return 0, err
		}
	}
	select {
	case <-all:
	case <-time.After(time.Minute):
		return 0, fmt.Errorf("received %d of %d messages", got.Load(), n)
	}
	return float64(n) / time.Since(t0).Seconds(), nil
}
