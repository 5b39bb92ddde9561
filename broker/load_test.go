package broker

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/mochi-mqtt/server/v2/packets"
)

// The load test's size, from the environment (scripts/load.sh, `make load`,
// sets the full run: 5,000 devices for 60 s). The defaults are the reduced
// run of `make test`, so that the test cannot rot.
func loadParams(t *testing.T) (devices int, duration, interval time.Duration, wsEvery int) {
	devices, duration, interval, wsEvery = 500, 5*time.Second, time.Second, 10
	var err error
	if s := os.Getenv("ONENET_LOAD_DEVICES"); s != "" {
		if devices, err = strconv.Atoi(s); err != nil || devices < 1 {
			t.Fatalf("ONENET_LOAD_DEVICES=%q: want a positive number", s)
		}
	}
	if s := os.Getenv("ONENET_LOAD_DURATION"); s != "" {
		if duration, err = time.ParseDuration(s); err != nil || duration <= 0 {
			t.Fatalf("ONENET_LOAD_DURATION=%q: want a duration, e.g. 60s", s)
		}
	}
	if s := os.Getenv("ONENET_LOAD_INTERVAL"); s != "" {
		if interval, err = time.ParseDuration(s); err != nil || interval <= 0 {
			t.Fatalf("ONENET_LOAD_INTERVAL=%q: want a duration, e.g. 1s", s)
		}
	}
	return devices, duration, interval, wsEvery
}

// loadStats are what the load generator counts.
type loadStats struct {
	connected, published, acked, accepted, rejected atomic.Int64
}

// snapshot is the process's goroutines and live heap at one moment (after a
// GC).
type snapshot struct {
	at         time.Duration
	goroutines int
	heap       uint64 // HeapAlloc after GC: live objects
	sys        uint64
}

func takeSnapshot(start time.Time) snapshot {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return snapshot{at: time.Since(start).Round(time.Second), goroutines: runtime.NumGoroutine(), heap: ms.HeapAlloc, sys: ms.Sys}
}

func (s snapshot) String() string {
	return fmt.Sprintf("t=%-4s goroutines %6d  live heap %6.1f MiB  from the OS %6.1f MiB", s.at, s.goroutines, float64(s.heap)/(1<<20), float64(s.sys)/(1<<20))
}

// TestLoad: many devices (500 here, 5,000 in `make load`) log in to the
// broker, over TCP and (one in ten) WebSocket, subscribe to their
// dp/post/json/+ replies and publish a datapoint upload at QoS 1 every
// interval (1 s), each waiting for its PUBACK and its /accepted reply before
// the next. OneNET's rate limits are on. The test fails unless every upload
// is acknowledged and answered on /accepted, no device is disconnected, and
// goroutines and live heap at the end of the run are no higher than after
// the warm-up (within a margin); the numbers go to the test log and
// docs/RELIABILITY.md. The load generator is a minimal MQTT client on
// net.Conn: one goroutine per device.
func TestLoad(t *testing.T) {
	devices, duration, interval, wsEvery := loadParams(t)
	start := time.Now()
	base := takeSnapshot(start)

	p := Product{ID: "load", Key: keyP1}
	for i := range devices {
		p.Devices = append(p.Devices, Device{Name: "d" + strconv.Itoa(i)})
	}
	var refused atomic.Int64
	var ended atomic.Bool // the run is over: devices disconnect
	b, err := New(Options{
		Registry: &Registry{Products: []Product{p}},
		// The store is bounded: 5 points per stream, so that memory must stay
		// flat once every device has sent 5.
		MaxStoredPoints: 5,
		// Every line but logins and normal ends is an anomaly: a refusal, a
		// rejection, a take-over, a disconnection by the broker.
		Logf: func(format string, args ...any) {
			line := fmt.Sprintf(format, args...)
			if ended.Load() && strings.HasPrefix(line, "disconnected:") {
				return // a device that hangs up may be seen as EOF
			}
			for _, ok := range []string{"login accepted:", "listening for MQTT", "the client disconnected", "the broker is shutting down", "broker closed"} {
				if strings.Contains(line, ok) {
					return
				}
			}
			if refused.Add(1) <= 10 {
				t.Log("broker: " + line)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	addr, wsURL, hs := listenBoth(t, b)
	password := tokAt(t, "products/load", keyP1, time.Now().Add(24*time.Hour).Unix(), "")

	var st loadStats
	var failures sync.Map // device → first error
	var nFail atomic.Int64
	fail := func(dev string, err error) {
		if _, loaded := failures.LoadOrStore(dev, err); !loaded {
			nFail.Add(1)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	publishing := make(chan struct{}) // closed when every device is logged in
	stopping := make(chan struct{})   // closed after the last snapshot
	var wg sync.WaitGroup
	dialSlots := make(chan struct{}, 64) // log in at most 64 at a time
	for i := range devices {
		dev := "d" + strconv.Itoa(i)
		via := "tcp"
		if wsEvery > 0 && i%wsEvery == wsEvery-1 {
			via = "ws"
		}
		wg.Go(func() {
			dialSlots <- struct{}{}
			d, err := dialLoad(ctx, via, addr, wsURL, "load", dev, password)
			<-dialSlots
			if err != nil {
				fail(dev, fmt.Errorf("login via %s: %w", via, err))
				st.connected.Add(1) // counted, so that the others start
				return
			}
			defer d.close()
			st.connected.Add(1)
			<-publishing
			r := rand.New(rand.NewPCG(uint64(i), 1))
			// Spread the devices over the interval.
			if !sleepCtx(ctx, time.Duration(r.Int64N(int64(interval)))) {
				return
			}
			for id := 1; ; id++ {
				next := time.Now().Add(interval)
				if err := d.upload(id, &st); err != nil {
					fail(dev, fmt.Errorf("upload %d via %s: %w", id, via, err))
					return
				}
				select {
				case <-stopping:
					return
				default:
				}
				if !sleepUntil(stopping, next) {
					return
				}
			}
		})
	}
	// Wait for the logins.
	for st.connected.Load() < int64(devices) {
		time.Sleep(50 * time.Millisecond)
	}
	connectTime := time.Since(start)
	loggedIn := takeSnapshot(start)
	t.Logf("%d devices logged in (%d via WebSocket) in %s", devices, devices/max(wsEvery, 1), connectTime.Round(time.Millisecond))
	runStart := time.Now()
	close(publishing)

	// Sample while the devices publish: after a warm-up of a third of the
	// run (every device has filled its bounded store), every 10 s, and at
	// the end, before the devices are told to stop.
	var snaps []snapshot
	time.Sleep(duration / 3)
	snaps = append(snaps, takeSnapshot(start))
	for {
		left := duration - time.Since(runStart)
		if left <= 0 {
			break
		}
		time.Sleep(min(10*time.Second, left))
		snaps = append(snaps, takeSnapshot(start))
	}
	end := snaps[len(snaps)-1]
	ended.Store(true)
	close(stopping)
	wg.Wait()
	elapsed := time.Since(runStart)
	cancel()

	t.Logf("before the broker:   %s", base)
	t.Logf("all logged in:       %s", loggedIn)
	for _, s := range snaps {
		t.Logf("publishing:          %s", s)
	}
	hs.Close()
	b.Close()
	after := takeSnapshot(start)
	t.Logf("broker closed:       %s", after)
	pub, acked, acc, rej := st.published.Load(), st.acked.Load(), st.accepted.Load(), st.rejected.Load()
	t.Logf("%d uploads in %s (%.0f/s): %d PUBACKs, %d /accepted, %d /rejected; %d devices failed; %d broker log lines of refusals or disconnections",
		pub, elapsed.Round(time.Millisecond), float64(pub)/elapsed.Seconds(), acked, acc, rej, nFail.Load(), refused.Load())

	n := 0
	failures.Range(func(k, v any) bool {
		if n++; n <= 10 {
			t.Errorf("device %s: %v", k, v)
		}
		return true
	})
	if nFail.Load() > 0 {
		t.Errorf("%d of %d devices failed", nFail.Load(), devices)
	}
	if pub == 0 || acked != pub || acc != pub || rej != 0 {
		t.Errorf("%d uploads: %d PUBACKs, %d /accepted, %d /rejected; want every one acknowledged and accepted", pub, acked, acc, rej)
	}
	if refused.Load() > 0 {
		t.Errorf("the broker refused or disconnected devices %d times", refused.Load())
	}
	// Flat: the end of the run is no higher than after the warm-up, within
	// a margin (GC timing, timers of devices still sleeping).
	first := snaps[0]
	if end.goroutines > first.goroutines+first.goroutines/20+20 {
		t.Errorf("goroutines grew during the run: %d after the warm-up, %d at the end", first.goroutines, end.goroutines)
	}
	if end.heap > first.heap+first.heap/4+16<<20 {
		t.Errorf("live heap grew during the run: %.1f MiB after the warm-up, %.1f MiB at the end", float64(first.heap)/(1<<20), float64(end.heap)/(1<<20))
	}
}

// sleepUntil waits until t, or reports false when stop is closed first.
func sleepUntil(stop <-chan struct{}, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return true
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-stop:
		return false
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// loadDevice is the load generator's MQTT client: 3.1.1, QoS 1, one
// request at a time, on a plain net.Conn (TCP, or a WebSocket's NetConn).
type loadDevice struct {
	conn   net.Conn
	r      *bufio.Reader
	w      *bufio.Writer
	topic  string // $sys/{pid}/{dev}/dp/post/json
	nextID uint16
}

func dialLoad(ctx context.Context, via, tcpAddr, wsURL, pid, dev, password string) (*loadDevice, error) {
	var conn net.Conn
	switch via {
	case "tcp":
		c, err := net.DialTimeout("tcp", tcpAddr, wait)
		if err != nil {
			return nil, err
		}
		conn = c
	default:
		dctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		c, _, err := websocket.Dial(dctx, wsURL, &websocket.DialOptions{Subprotocols: []string{"mqtt"}, HTTPClient: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}})
		if err != nil {
			return nil, err
		}
		conn = websocket.NetConn(ctx, c, websocket.MessageBinary)
	}
	d := &loadDevice{conn: conn, r: bufio.NewReaderSize(conn, 1024), w: bufio.NewWriterSize(conn, 1024), topic: "$sys/" + pid + "/" + dev + "/dp/post/json"}
	_ = conn.SetDeadline(time.Now().Add(wait))
	if _, err := d.w.Write(connectPacket(dev, pid, password)); err != nil {
		conn.Close()
		return nil, err
	}
	// SUBSCRIBE to the replies at QoS 1, in the same write.
	d.nextID++
	d.w.Write(subscribePacket(d.nextID, d.topic+"/+", 1))
	if err := d.w.Flush(); err != nil {
		conn.Close()
		return nil, err
	}
	pk, err := readPacket(d.r)
	if err != nil || pk.FixedHeader.Type != packets.Connack || pk.ReasonCode != 0 {
		conn.Close()
		return nil, fmt.Errorf("CONNACK: type %d, code %d, %v", pk.FixedHeader.Type, pk.ReasonCode, err)
	}
	pk, err = readPacket(d.r)
	if err != nil || pk.FixedHeader.Type != packets.Suback || !bytes.Equal(pk.ReasonCodes, []byte{0}) { // granted QoS 0: docs/PROTOCOL.md §4.7
		conn.Close()
		return nil, fmt.Errorf("SUBACK: type %d, codes % x, %v", pk.FixedHeader.Type, pk.ReasonCodes, err)
	}
	_ = conn.SetDeadline(time.Time{})
	return d, nil
}

// upload publishes {"id":id,...} at QoS 1 and waits for its PUBACK and
// its /accepted reply (acknowledging the reply, sent at QoS 1).
func (d *loadDevice) upload(id int, st *loadStats) error {
	d.nextID++
	if d.nextID == 0 {
		d.nextID = 1
	}
	pid := d.nextID
	payload := `{"id":` + strconv.Itoa(id) + `,"dp":{"temperature":[{"v":` + strconv.Itoa(20+id%10) + `}],"humidity":[{"v":61.5}]}}`
	_ = d.conn.SetDeadline(time.Now().Add(wait))
	d.w.Write(publishPacket(d.topic, 1, pid, []byte(payload)))
	if err := d.w.Flush(); err != nil {
		return err
	}
	st.published.Add(1)
	want := `{"id":` + strconv.Itoa(id) + `}`
	gotAck, gotReply := false, false
	for !gotAck || !gotReply {
		pk, err := readPacket(d.r)
		if err != nil {
			return fmt.Errorf("after %v PUBACK, %v reply: %w", gotAck, gotReply, err)
		}
		switch pk.FixedHeader.Type {
		case packets.Puback:
			if pk.PacketID != pid {
				return fmt.Errorf("PUBACK of packet id %d, want %d", pk.PacketID, pid)
			}
			gotAck = true
			st.acked.Add(1)
		case packets.Publish: // a reply
			topic, rest := pk.TopicName, pk.Payload
			if pk.FixedHeader.Qos > 0 { // acknowledge
				d.w.Write(pubackPacket(pk.PacketID))
				if err := d.w.Flush(); err != nil {
					return err
				}
			}
			switch {
			case topic == d.topic+"/accepted" && string(rest) == want:
				gotReply = true
				st.accepted.Add(1)
			case topic == d.topic+"/rejected":
				st.rejected.Add(1)
				return fmt.Errorf("rejected: %s", rest)
			default:
				return fmt.Errorf("unexpected %s %s", topic, rest)
			}
		default:
			return fmt.Errorf("unexpected packet type %d", pk.FixedHeader.Type)
		}
	}
	return nil
}

func (d *loadDevice) close() {
	_ = d.conn.SetDeadline(time.Now().Add(time.Second))
	_, _ = d.conn.Write(disconnectPacket)
	_ = d.conn.Close()
}
