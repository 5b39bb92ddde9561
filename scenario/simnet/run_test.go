package simnet_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/onenet-wasm/onenet-wasm/broker"
	"github.com/onenet-wasm/onenet-wasm/onenet"
	"github.com/onenet-wasm/onenet-wasm/scenario"
	"github.com/onenet-wasm/onenet-wasm/scenario/simnet"
)

// wait bounds how long the test waits for something that must happen:
// generous, for a loaded machine. Nothing asserts on timing.
const wait = 60 * time.Second

func testKey(seed byte) string {
	b := make([]byte, 32)
	for i := range b {
		b[i] = seed + byte(i)*3
	}
	return base64.StdEncoding.EncodeToString(b)
}

// startBroker starts the local broker with kit product "simkit" (devices
// named by names) and product "simstudio" (devices tm1, tm2), each with a
// product key only, and returns it with its TCP address and its WebSocket
// URL.
func startBroker(t *testing.T, names []string) (*broker.Broker, string, string) {
	t.Helper()
	kit := broker.Product{ID: "simkit", Key: testKey(1)}
	for _, name := range names {
		kit.Devices = append(kit.Devices, broker.Device{Name: name})
	}
	kit.Devices = append(kit.Devices, broker.Device{Name: "gw1"}, broker.Device{Name: "gw2"})
	studio := broker.Product{ID: "simstudio", Kind: broker.KindStudio, Key: testKey(2), Devices: []broker.Device{{Name: "tm1"}, {Name: "tm2"}}}
	sub := broker.Product{ID: "simsub", Key: testKey(3), Gateway: "simkit"}
	for g := 1; g <= 2; g++ {
		for i := 1; i <= 3; i++ {
			sub.Devices = append(sub.Devices, broker.Device{Name: fmt.Sprintf("s%d-%d", i, g)})
		}
	}
	var logMu sync.Mutex
	var log []string
	b, err := broker.New(broker.Options{Registry: &broker.Registry{Products: []broker.Product{kit, studio, sub}},
		Logf: func(f string, args ...any) {
			logMu.Lock()
			log = append(log, fmt.Sprintf(f, args...))
			logMu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := b.ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(b.WebSocketHandler())
	t.Cleanup(func() {
		hs.Close()
		b.Close()
		if t.Failed() {
			logMu.Lock()
			for _, l := range log[max(0, len(log)-40):] {
				t.Log("broker: " + l)
			}
			logMu.Unlock()
		}
	})
	return b, addr.String(), "ws" + strings.TrimPrefix(hs.URL, "http") + "/mqtt"
}

// TestRunLocalBroker runs 100 simulated devices against the local broker
// for at least 10 s, half over TCP and half over WebSocket, with two
// Studio devices, two MQTT-kit gateways of three sub-devices each and a
// device that ignores commands: every upload is answered on /accepted,
// commands and thing-model calls (property set and get, a service) are
// answered, or not, as the scenario says, and the faults (invalid upload,
// offline, reconnect) are rehearsed and recovered from.
func TestRunLocalBroker(t *testing.T) {
	var names []string
	for i := 1; i <= 50; i++ {
		names = append(names, fmt.Sprintf("dev%d", i), fmt.Sprintf("dev%dw", i))
	}
	names = append(names, "f1", "f2", "f3", "f4", "f5", "r1")
	b, tcpAddr, wsURL := startBroker(t, names)
	model, err := os.ReadFile("../../docs/examples/aircon-model.json")
	if err != nil {
		t.Fatal(err)
	}
	doc := fmt.Sprintf(`{
	  "name": "test", "seed": 1,
	  "devices": [
	    {"product": "simkit", "device": "dev{n}", "count": 45, "target": "tcp://%[1]s",
	     "key": {"value": "%[3]s", "scope": "product"},
	     "publish": [{"every": 1, "jitter": 0.2, "dp": {"temp": {"sine": {"min": 18, "max": 26, "period": 60}}, "n": {"sequence": {}}}}]},
	    {"product": "simkit", "device": "dev{n}w", "count": 50, "target": "%[2]s",
	     "key": {"value": "%[3]s", "scope": "product"},
	     "publish": [{"every": 1, "jitter": 0.2, "dp": {"hum": {"walk": {"start": 50, "step": 2, "min": 0, "max": 100}}}}],
	     "answers": {"command": {"reply": "done", "delay": 0.2}}},
	    {"product": "simkit", "device": "f{n}", "count": 5, "target": "tcp://%[1]s",
	     "key": {"value": "%[3]s", "scope": "product"},
	     "publish": [{"every": 1, "dp": {"temp": {"random": {"min": 0, "max": 1}}}}],
	     "faults": [{"at": 1, "invalid": true}, {"at": 2, "offline": 2}]},
	    {"product": "simkit", "device": "r1", "target": "tcp://%[1]s",
	     "key": {"value": "%[3]s", "scope": "product"},
	     "publish": [{"every": 1, "dp": {"temp": {"constant": 20}}}],
	     "answers": {"command": {"ignore": true}},
	     "faults": [{"at": 1, "reconnect": true}]},
	    {"product": "simstudio", "device": "tm1", "kind": "studio", "target": "%[2]s", "thingModel": "model.json",
	     "key": {"value": "%[4]s", "scope": "product"},
	     "publish": [{"every": 2, "properties": {"temperature": {"sine": {"min": 18, "max": 26, "period": 60}}}}]},
	    {"product": "simstudio", "device": "tm2", "kind": "studio", "target": "%[2]s", "thingModel": "model.json",
	     "key": {"value": "%[4]s", "scope": "product"},
	     "publish": [{"every": 2, "allProperties": true}],
	     "answers": {"propertyGet": {"reply": {"brightness": 7}, "delay": 0.2},
	                 "services": {"reboot": {"code": 500, "msg": "busy"}}}},
	    {"product": "simkit", "device": "gw{n}", "count": 2, "target": "tcp://%[1]s",
	     "key": {"value": "%[3]s", "scope": "product"},
	     "subDevices": [{"product": "simsub", "device": "s{n}", "count": 3,
	       "publish": [{"every": 1, "dp": {"level": {"sequence": {}}}}],
	       "answers": {"command": {"reply": "sub-ok"}}}],
	     "faults": [{"at": 2, "offline": 1}]}
	  ]}`, tcpAddr, wsURL, testKey(1), testKey(2))
	s, err := scenario.Parse("test.json", []byte(doc), fstest.MapFS{"model.json": {Data: model}})
	if err != nil {
		t.Fatal(err)
	}
	var evMu sync.Mutex
	events := map[string][]string{} // "{device} {what}" -> the messages
	eventsOf := func(key string) []string {
		evMu.Lock()
		defer evMu.Unlock()
		return append([]string(nil), events[key]...)
	}
	r, err := scenario.NewRunner(s, scenario.Options{
		Connect: simnet.Connect(""), Key: simnet.Keys(".", nil, nil), Token: simnet.Token,
		OnEvent: func(e scenario.Event) {
			if e.What == "error" {
				t.Logf("event: %s %s: %s", e.Device, e.What, e.Msg)
			}
			evMu.Lock()
			events[e.Device+" "+e.What] = append(events[e.Device+" "+e.What], e.Msg)
			evMu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan scenario.Report, 1)
	start := time.Now()
	go func() { done <- r.Run(ctx) }()

	waitFor(t, "every device online", func() bool { return r.Report().Online == len(s.Instances()) })

	// Commands: an echo from a TCP device, the fixed reply from a WebSocket
	// one, after its delay.
	var wg sync.WaitGroup
	for i := 1; i <= 10; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			payload := []byte(fmt.Sprintf(`{"led":%d}`, i))
			resp, err := b.SendCommand(ctx, "simkit", fmt.Sprintf("dev%d", i), payload)
			if err != nil || !bytes.Equal(resp, payload) {
				t.Errorf("command to dev%d: %q, %v; want the echo %s", i, resp, err, payload)
			}
		}()
		go func() {
			defer wg.Done()
			resp, err := b.SendCommand(ctx, "simkit", fmt.Sprintf("dev%dw", i), []byte("reboot"))
			if err != nil || string(resp) != "done" {
				t.Errorf("command to dev%dw: %q, %v; want done", i, resp, err)
			}
		}()
	}
	// Thing model: a property set (answered 200, then visible in the
	// device's property get: tm1 does not publish brightness itself), a
	// property get answered with the scenario's fixed reply, a service
	// answered with the failure code.
	rep, err := b.SetProperty(ctx, "simstudio", "tm1", json.RawMessage(`{"brightness":42}`))
	if err != nil || rep.Code != 200 {
		t.Errorf("SetProperty: %+v, %v; want code 200", rep, err)
	}
	rep, err = b.GetProperty(ctx, "simstudio", "tm1", []string{"brightness"})
	if err != nil || rep.Code != 200 || !sameJSON(rep.Data, `{"brightness":42}`) {
		t.Errorf("GetProperty tm1: %s, %v; want code 200 and the value set, 42", replyString(rep), err)
	}
	rep, err = b.GetProperty(ctx, "simstudio", "tm2", []string{"brightness", "power"})
	if err != nil || rep.Code != 200 || !sameJSON(rep.Data, `{"brightness":7}`) {
		t.Errorf("GetProperty tm2: %s, %v; want code 200 and the fixed reply", replyString(rep), err)
	}
	rep, err = b.InvokeService(ctx, "simstudio", "tm2", "reboot", json.RawMessage(`{"delay":1}`))
	if err != nil || rep.Code != 500 || rep.Msg != "busy" {
		t.Errorf("InvokeService: %+v, %v; want code 500 busy", rep, err)
	}
	// A sub-device answers through its gateway.
	waitFor(t, "the sub-devices logged in again after their gateway's fault", func() bool { return r.Report().Reconnects == 8 })
	waitFor(t, "every device online", func() bool { return r.Report().Online == len(s.Instances()) })
	resp, err := b.SendCommand(ctx, "simsub", "s2-1", []byte("ping"))
	if err != nil || string(resp) != "sub-ok" {
		t.Errorf("command to the sub-device s2-1: %q, %v; want sub-ok", resp, err)
	}
	wg.Wait()

	// The faults: one invalid upload rejected and one stay offline, each
	// followed by a reconnection, for each of the five devices.
	waitFor(t, "the faults rehearsed", func() bool {
		rp := r.Report()
		return rp.Reconnects == 8 && rp.InvalidRejected == 5
	})
	for i := 1; i <= 5; i++ {
		if ev := eventsOf(fmt.Sprintf("simkit/f%d connected", i)); len(ev) != 2 {
			t.Errorf("f%d connected %d times, want 2 (the offline fault)", i, len(ev))
		}
	}
	// The reconnect fault: r1 disconnected and logged in again at once.
	if ev := eventsOf("simkit/r1 fault"); len(ev) != 1 || ev[0] != "reconnecting" {
		t.Errorf("r1's faults: %q, want one, reconnecting", ev)
	}
	if ev := eventsOf("simkit/r1 connected"); len(ev) != 2 {
		t.Errorf("r1 connected %d times, want 2 (the reconnect fault)", len(ev))
	}
	// The ignored command: r1 takes it and never answers, so the platform
	// times out.
	waitFor(t, "every device online", func() bool { return r.Report().Online == len(s.Instances()) })
	ictx, icancel := context.WithTimeout(ctx, 2*time.Second)
	resp, err = b.SendCommand(ictx, "simkit", "r1", []byte("ignored"))
	icancel()
	if !errors.Is(err, broker.ErrTimeout) || resp != nil {
		t.Errorf("command to r1: %q, %v; want no answer (a timeout)", resp, err)
	}
	waitFor(t, "r1 to have the command", func() bool {
		for _, st := range r.Devices() {
			if st.Name == "simkit/r1" {
				return strings.HasPrefix(st.Request, "cmd/request/") && strings.HasSuffix(st.Request, " ignored")
			}
		}
		return false
	})
	// Ten seconds of traffic at least, then stop.
	for time.Since(start) < 10*time.Second {
		time.Sleep(100 * time.Millisecond)
	}
	for _, st := range r.Devices() {
		if st.State != "online" || !strings.HasPrefix(st.Name, "simkit/gw") && (st.Sent == 0 || st.Accepted == 0) {
			t.Errorf("during the run: %+v", st)
		}
	}
	cancel()
	final := <-done
	for _, st := range r.Devices() {
		if st.State != "stopped" {
			t.Errorf("after the run: %+v", st)
		}
	}
	if st := r.Devices()[0]; st.Name != "simkit/dev1" || !strings.HasPrefix(st.Request, "cmd/request/") || !strings.HasSuffix(st.Request, ` {"led":1}`) || !strings.HasPrefix(st.Last, "dp/post/json/accepted") {
		t.Errorf("dev1's status: %+v", st)
	}

	t.Logf("report: %+v", final)
	if final.Devices != 111 {
		t.Errorf("Devices = %d, want 111", final.Devices)
	}
	if final.Sent < 500 {
		t.Errorf("Sent = %d: fewer than expected from 102 devices over 10 s", final.Sent)
	}
	if final.Accepted != final.Sent || final.Rejected != 0 || final.Unanswered != 0 {
		t.Errorf("sent %d, accepted %d, rejected %d, unanswered %d: want every upload accepted", final.Sent, final.Accepted, final.Rejected, final.Unanswered)
	}
	// 20 commands, 1 to a sub-device and 1 ignored; a property set, two
	// gets, a service call.
	if final.Requests != 26 || final.Answered != 25 {
		t.Errorf("requests %d, answered %d; want 26 and 25 (one command ignored)", final.Requests, final.Answered)
	}
	// f1–f5: invalid and offline; gw1, gw2: offline; r1: reconnect.
	if final.Faults != 13 || final.InvalidSent != 5 || final.InvalidRejected != 5 || final.Reconnects != 8 {
		t.Errorf("faults %d, invalid %d/%d, reconnects %d; want 13, 5/5, 8", final.Faults, final.InvalidRejected, final.InvalidSent, final.Reconnects)
	}
	if final.Errors != 0 {
		t.Errorf("%d errors, the last: %s", final.Errors, final.LastError)
	}
	if final.Online != 0 {
		t.Errorf("%d devices still online after the run", final.Online)
	}
	if final.Latency.N == 0 || final.Latency.P50 <= 0 || final.Latency.Max < final.Latency.P99 {
		t.Errorf("latency %+v", final.Latency)
	}
	// The broker holds what the devices sent.
	if pts := b.Datapoints("simkit", "dev1"); len(pts["temp"]) == 0 || len(pts["n"]) == 0 {
		t.Errorf("dev1's datapoints on the broker: %v", pts)
	}
	for _, d := range []string{"s1-1", "s3-2"} {
		if pts := b.Datapoints("simsub", d); len(pts["level"]) < 2 {
			t.Errorf("%s's datapoints on the broker: %v", d, pts)
		}
	}
	if p := b.Properties("simstudio", "tm1"); len(p) == 0 {
		t.Error("tm1's properties on the broker: none")
	}
	waitFor(t, "every device offline on the broker", func() bool {
		for _, st := range b.Devices("simkit") {
			if st.Online {
				return false
			}
		}
		return true
	})
}

func replyString(r *onenet.ThingReply) string {
	if r == nil {
		return "no reply"
	}
	return fmt.Sprintf("code %d msg %q data %s", r.Code, r.Msg, r.Data)
}

// sameJSON reports whether got is the JSON value want.
func sameJSON(got json.RawMessage, want string) bool {
	var a, b any
	return json.Unmarshal(got, &a) == nil && json.Unmarshal([]byte(want), &b) == nil && fmt.Sprint(a) == fmt.Sprint(b)
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	end := time.Now().Add(wait)
	for !ok() {
		if time.Now().After(end) {
			t.Fatalf("%s: not after %s", what, wait)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRunPaced: a device answers a flood of commands, more than OneNET's
// 100 QoS 1 messages per 5 s: paced (the default), its answers are spread
// out, every one arrives and the broker, with OneNET's limits, never bans
// it; with "limits": "off", a like flood gets it banned (so the flood does
// exceed the limits).
func TestRunPaced(t *testing.T) {
	var logMu sync.Mutex
	var log []string
	logged := func(s string) bool {
		logMu.Lock()
		defer logMu.Unlock()
		for _, l := range log {
			if strings.Contains(l, s) {
				return true
			}
		}
		return false
	}
	b, err := broker.New(broker.Options{Registry: &broker.Registry{Products: []broker.Product{{ID: "simkit", Key: testKey(1),
		Devices: []broker.Device{{Name: "paced"}, {Name: "unpaced"}}}}},
		Logf: func(f string, args ...any) {
			logMu.Lock()
			log = append(log, fmt.Sprintf(f, args...))
			logMu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addr, err := b.ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// flood runs the device and sends it commands, 100 a second, n of
	// them or, with until, until until() holds; it returns the run's report
	// and how many commands were answered with their echo.
	flood := func(device, limits string, n int, until func() bool) (scenario.Report, int) {
		doc := fmt.Sprintf(`{"name":%q,"limits":%q,"devices":[{"product":"simkit","device":%q,"target":"tcp://%s",
		  "key":{"value":%q,"scope":"product"},"publish":[{"every":1,"dp":{"n":{"sequence":{}}}}]}]}`, device, limits, device, addr, testKey(1))
		s, err := scenario.Parse("paced.json", []byte(doc), nil)
		if err != nil {
			t.Fatal(err)
		}
		r, err := scenario.NewRunner(s, scenario.Options{Connect: simnet.Connect(""), Key: simnet.Keys(".", nil, nil), Token: simnet.Token})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan scenario.Report, 1)
		go func() { done <- r.Run(ctx) }()
		waitFor(t, device+" online", func() bool { return r.Report().Online == 1 })
		var wg sync.WaitGroup
		var mu sync.Mutex
		answered := 0
		tick := time.NewTicker(10 * time.Millisecond)
		for i := 0; i < n && (until == nil || !until()); i++ {
			<-tick.C
			wg.Add(1)
			go func() {
				defer wg.Done()
				payload := []byte(fmt.Sprintf(`{"n":%d}`, i))
				cctx, ccancel := context.WithTimeout(ctx, wait)
				defer ccancel()
				if resp, err := b.SendCommand(cctx, "simkit", device, payload); err == nil && bytes.Equal(resp, payload) {
					mu.Lock()
					answered++
					mu.Unlock()
				}
			}()
		}
		tick.Stop()
		if until != nil {
			cancel() // what is left is not awaited
		} else {
			// The device counts an answer once its PUBACK is back.
			waitFor(t, "every answer acknowledged, or a ban", func() bool { return r.Report().Answered == uint64(n) || logged("banned for") })
			if logged("banned for") {
				cancel()
				wg.Wait()
				t.Fatalf("%s banned: the pacing let too many messages through", device)
			}
		}
		wg.Wait()
		cancel()
		return <-done, answered
	}

	const commands = 150
	rep, answered := flood("paced", "onenet", commands, nil)
	t.Logf("paced: %d of %d commands answered; report %+v", answered, commands, rep)
	if answered != commands || rep.Answered != commands {
		t.Errorf("paced: %d of %d commands answered (report: %d)", answered, commands, rep.Answered)
	}
	if rep.Paced == 0 {
		t.Error("paced: no message was held back")
	}
	if rep.Errors != 0 || rep.Reconnects != 0 || rep.Accepted != rep.Sent || rep.Sent == 0 {
		t.Errorf("paced: errors %d (%s), reconnects %d, sent %d, accepted %d", rep.Errors, rep.LastError, rep.Reconnects, rep.Sent, rep.Accepted)
	}
	if logged("banned") {
		t.Error("paced: the broker banned the device")
	}

	banned := func() bool { return logged("disconnected: device simkit/unpaced") && logged("banned for") }
	rep, answered = flood("unpaced", "off", 3000, banned)
	t.Logf("unpaced: %d commands answered; report %+v", answered, rep)
	if !banned() || rep.Paced != 0 {
		t.Errorf("unpaced: not banned for its rate, or paced (%d)", rep.Paced)
	}
}
