package broker

import (
	"strconv"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// benchDevices is how many devices publish at once in the benchmarks.
const benchDevices = 8

const benchPayload = `{"id":1,"dp":{"temp":[{"v":23.5}],"hum":[{"v":61}]}}`

// BenchmarkBrokerDP: benchDevices devices publish datapoints at QoS 1 over
// TCP, each waiting for its PUBACK; every upload goes through the OneNET
// hook (access checks, rate counting, parsing, storage, reply). Compare
// with BenchmarkBareMochi.
func BenchmarkBrokerDP(b *testing.B) {
	p := Product{ID: "bench", Key: keyP1}
	for i := range benchDevices {
		p.Devices = append(p.Devices, Device{Name: "d" + strconv.Itoa(i)})
	}
	br, err := New(Options{Registry: &Registry{Products: []Product{p}}, Limits: RateLimits{Disabled: true}})
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	addr, err := br.ListenTCP("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	pw := tokAt(b, "products/bench", keyP1, time.Now().Add(time.Hour).Unix(), "")
	runPublishers(b, addr.String(), "bench", pw, func(i int) string { return "$sys/bench/d" + strconv.Itoa(i) + "/dp/post/json" })
}

// BenchmarkBareMochi: the same load on mochi with an allow-all hook and no
// OneNET hook (on topics without "$", which bare mochi would drop).
func BenchmarkBareMochi(b *testing.B) {
	addr, stop := bareMochi(b)
	defer stop()
	runPublishers(b, addr, "bench", "x", func(i int) string { return "sys/bench/d" + strconv.Itoa(i) + "/dp/post/json" })
}

// runPublishers connects benchDevices paho clients (client ids d0…) and has
// them publish b.N messages in all, at QoS 1.
func runPublishers(b *testing.B, addr, user, password string, topic func(int) string) {
	clients := make([]paho.Client, benchDevices)
	for i := range clients {
		c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + addr).
			SetClientID("d" + strconv.Itoa(i)).SetUsername(user).SetPassword(password).
			SetProtocolVersion(4).SetKeepAlive(60 * time.Second).SetAutoReconnect(false).
			SetConnectTimeout(wait).SetOrderMatters(false))
		if ct := c.Connect(); !ct.WaitTimeout(wait) || ct.Error() != nil {
			b.Fatalf("connect d%d: %v", i, ct.Error())
		}
		defer c.Disconnect(0)
		clients[i] = c
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPayload)))
	b.ResetTimer()
	var wg sync.WaitGroup
	errs := make(chan error, benchDevices)
	for i, c := range clients {
		n := b.N / benchDevices
		if i < b.N%benchDevices {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := topic(i)
			for range n {
				pt := c.Publish(t, 1, false, benchPayload)
				if !pt.WaitTimeout(wait) {
					errs <- errTimeoutBench
					return
				}
				if err := pt.Error(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

type benchErr string

func (e benchErr) Error() string { return string(e) }

const errTimeoutBench = benchErr("no PUBACK in time")
