package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/onenet-wasm/onenet-wasm/token"
)

// BrokerResults compare the local broker with its OneNET hooks against bare
// mochi with no hooks, each in a child process.
type BrokerResults struct {
	Load  string       `json:"load"`
	Runs  []BrokerRun  `json:"runs"`
	Pairs []BrokerPair `json:"pairs"`
	Hold  []HoldRun    `json:"hold"`
}

// BrokerRun is devices publishing datapoints at QoS 1 over TCP, each
// waiting for its PUBACK before the next, for a while.
type BrokerRun struct {
	Kind     string  `json:"kind"` // onenet or bare
	Devices  int     `json:"devices"`
	Seconds  float64 `json:"seconds"`
	Messages int64   `json:"messages"`
	PerSec   float64 `json:"perSec"`
	// The child's memory with every device connected, after publishing.
	RSS       int64 `json:"rssBytes"`
	HeapInuse int64 `json:"heapInuseBytes"`
	Errors    int64 `json:"errors"`
	// The child's CPU time (user and system) per message while measured:
	// steadier than the rate on a busy machine.
	CPUMicros float64 `json:"cpuMicrosPerMessage"`
}

// BrokerPair is the OneNET broker against bare mochi at one device count.
type BrokerPair struct {
	Devices int     `json:"devices"`
	Onenet  float64 `json:"onenetPerSec"`
	Bare    float64 `json:"barePerSec"`
	Ratio   float64 `json:"ratio"` // onenet / bare
	// CPURatio is the child's CPU time per message, onenet / bare.
	CPURatio float64 `json:"cpuRatio"`
	OnenetMB float64 `json:"onenetRssMB"`
	BareMB   float64 `json:"bareRssMB"`
}

// HoldRun is devices connected over WebSocket at once and kept.
type HoldRun struct {
	Kind      string   `json:"kind"`
	Devices   int      `json:"devices"`
	Connected int      `json:"connected"` // logged in (CONNACK 0)
	Alive     int      `json:"alive"`     // answered a PINGREQ after the hold
	Broker    int      `json:"brokerCount"`
	ConnectS  float64  `json:"connectSeconds"`
	HoldS     float64  `json:"holdSeconds"`
	RSS       int64    `json:"rssBytes"`
	Errors    []string `json:"errors,omitempty"`
}

const dpPayload = `{"id":1,"dp":{"temperature":[{"v":23.5}],"humidity":[{"v":61}]}}`

func measureBroker(ctx context.Context, h *harness, res *Results) error {
	cfg := h.cfg
	br := &BrokerResults{Load: "each device: QoS 1 PUBLISH of a " + strconv.Itoa(len(dpPayload)) +
		"-byte datapoint upload ($sys/bench/{device}/dp/post/json; bare mochi: sys/bench/{device}/dp/post/json), wait for PUBACK, repeat; over TCP; rate limits off"}
	res.Broker = br
	for i, n := range cfg.brokerDevices {
		kinds := []string{"bare", "onenet"}
		if i%2 == 1 {
			kinds = []string{"onenet", "bare"}
		}
		runs := map[string]BrokerRun{}
		for _, kind := range kinds {
			r, err := brokerRun(ctx, cfg, kind, n)
			if err != nil {
				return fmt.Errorf("%s, %d devices: %w", kind, n, err)
			}
			cfg.debugf("broker %s %d devices: %.0f msg/s, %.1f µs CPU per message, RSS %.0f MB", kind, n, r.PerSec, r.CPUMicros, mb(r.RSS))
			runs[kind] = r
			br.Runs = append(br.Runs, r)
		}
		br.Pairs = append(br.Pairs, BrokerPair{Devices: n, Onenet: runs["onenet"].PerSec, Bare: runs["bare"].PerSec,
			Ratio: runs["onenet"].PerSec / runs["bare"].PerSec, CPURatio: runs["onenet"].CPUMicros / runs["bare"].CPUMicros, OnenetMB: mb(runs["onenet"].RSS), BareMB: mb(runs["bare"].RSS)})
	}
	for _, kind := range []string{"onenet", "bare"} {
		hr, err := holdRun(ctx, cfg, kind, cfg.wsDevices)
		if err != nil {
			return fmt.Errorf("holding %d WebSocket devices on %s: %w", cfg.wsDevices, kind, err)
		}
		cfg.debugf("hold %s: %d/%d connected, %d alive, RSS %.0f MB", kind, hr.Connected, hr.Devices, hr.Alive, mb(hr.RSS))
		br.Hold = append(br.Hold, hr)
	}
	return nil
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// credentials returns the login of device i on a broker kind.
func credentials(kind string, i int) (user, password, topic string) {
	name := "d" + strconv.Itoa(i)
	if kind == "bare" {
		return "bench", "x", "sys/bench/" + name + "/dp/post/json"
	}
	return benchProduct, benchToken, "$sys/" + benchProduct + "/" + name + "/dp/post/json"
}

// benchToken is a product-level token, good for every device of the product.
var benchToken = func() string {
	t, err := token.Generate(token.Params{Res: "products/" + benchProduct, Key: productKey, Method: "sha1", ET: time.Now().Add(24 * time.Hour).Unix()})
	if err != nil {
		panic(err)
	}
	return t
}()

// connectAll logs n devices in with dial, 64 at a time.
func connectAll(ctx context.Context, kind string, n int, dial func(context.Context) (net.Conn, error)) ([]*rawClient, []string) {
	clients := make([]*rawClient, n)
	var (
		mu   sync.Mutex
		errs []string
		wg   sync.WaitGroup
	)
	sem := make(chan struct{}, 64)
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			user, pw, _ := credentials(kind, i)
			cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			conn, err := dial(cctx)
			if err == nil {
				conn.SetDeadline(time.Now().Add(30 * time.Second))
				clients[i], err = rawConnect(conn, "d"+strconv.Itoa(i), user, pw)
				if err != nil {
					conn.Close()
				} else {
					conn.SetDeadline(time.Time{})
				}
			}
			if err != nil {
				mu.Lock()
				if len(errs) < 5 {
					errs = append(errs, fmt.Sprintf("device %d: %v", i, err))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return clients, errs
}

func brokerRun(ctx context.Context, cfg config, kind string, n int) (BrokerRun, error) {
	r := BrokerRun{Kind: kind, Devices: n}
	c, err := startChild(ctx, kind, "publish", n)
	if err != nil {
		return r, err
	}
	defer c.stop()
	var d net.Dialer
	clients, errs := connectAll(ctx, kind, n, func(ctx context.Context) (net.Conn, error) {
		return d.DialContext(ctx, "tcp", c.addrs.TCP)
	})
	defer func() {
		for _, cl := range clients {
			if cl != nil {
				cl.disconnect()
			}
		}
	}()
	if len(errs) > 0 {
		return r, fmt.Errorf("connecting: %v", errs)
	}
	var (
		count, failures atomic.Int64
		stop            atomic.Bool
		wg              sync.WaitGroup
	)
	payload := []byte(dpPayload)
	for i, cl := range clients {
		_, _, topic := credentials(kind, i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				cl.conn.SetDeadline(time.Now().Add(30 * time.Second))
				if err := cl.publishWait(topic, payload); err != nil {
					failures.Add(1)
					return
				}
				count.Add(1)
			}
		}()
	}
	warm := min(time.Second, cfg.brokerTime/4)
	time.Sleep(warm)
	cpu0, err := c.cpu()
	if err != nil {
		return r, err
	}
	c0, t0 := count.Load(), time.Now()
	select {
	case <-time.After(cfg.brokerTime):
	case <-ctx.Done():
	}
	c1, t1 := count.Load(), time.Now()
	cpu1, err := c.cpu()
	if err != nil {
		return r, err
	}
	stop.Store(true)
	wg.Wait()
	r.Messages, r.Seconds = c1-c0, t1.Sub(t0).Seconds()
	r.PerSec = float64(r.Messages) / r.Seconds
	if r.Messages > 0 {
		r.CPUMicros = (cpu1 - cpu0) * 1e6 / float64(r.Messages)
	}
	r.Errors = failures.Load()
	st, err := c.stats()
	if err != nil {
		return r, err
	}
	r.RSS, r.HeapInuse = st.RSS, st.HeapInuse
	if r.Errors > 0 {
		return r, fmt.Errorf("%d devices failed to publish", r.Errors)
	}
	return r, ctx.Err()
}

func holdRun(ctx context.Context, cfg config, kind string, n int) (HoldRun, error) {
	hr := HoldRun{Kind: kind, Devices: n}
	c, err := startChild(ctx, kind, "hold", n)
	if err != nil {
		return hr, err
	}
	defer c.stop()
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	t0 := time.Now()
	clients, errs := connectAll(ctx, kind, n, func(ctx context.Context) (net.Conn, error) {
		ws, _, err := websocket.Dial(ctx, c.addrs.WS, &websocket.DialOptions{HTTPClient: hc, Subprotocols: []string{"mqtt"}})
		if err != nil {
			return nil, err
		}
		return websocket.NetConn(context.WithoutCancel(ctx), ws, websocket.MessageBinary), nil
	})
	hr.ConnectS = time.Since(t0).Seconds()
	hr.Errors = errs
	defer func() {
		for _, cl := range clients {
			if cl != nil {
				cl.disconnect()
			}
		}
	}()
	for _, cl := range clients {
		if cl != nil {
			hr.Connected++
		}
	}
	hold := 5 * time.Second
	if cfg.quick {
		hold = time.Second
	}
	select {
	case <-time.After(hold):
	case <-ctx.Done():
		return hr, ctx.Err()
	}
	hr.HoldS = hold.Seconds()
	var alive atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for _, cl := range clients {
		if cl == nil {
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			cl.conn.SetDeadline(time.Now().Add(30 * time.Second))
			if cl.ping() == nil {
				alive.Add(1)
			}
		}()
	}
	wg.Wait()
	hr.Alive = int(alive.Load())
	st, err := c.stats()
	if err != nil {
		return hr, err
	}
	hr.RSS, hr.Broker = st.RSS, st.Clients
	return hr, nil
}
