package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"
)

// FloodResults are the real page (index.html, its message log) receiving
// a flood that a native client publishes into its subscription.
type FloodResults struct {
	Broker string `json:"broker"`
	// Target is the run of the target: Rate messages a second for
	// Seconds, then the page's memory.
	Target FloodStep `json:"target"`
	// Heap is the page's memory after the target's messages.
	Heap heap `json:"heap"`
	// HeapBefore is the page's memory after connecting, before the flood.
	HeapBefore heap `json:"heapBefore"`
	// Steps raise the rate; KeptUp is the highest rate the page's log
	// received entirely, with no main-thread task over 100 ms.
	Steps  []FloodStep `json:"steps"`
	KeptUp int         `json:"keptUpRate"`
}

// FloodStep is one flood at a fixed rate.
type FloodStep struct {
	Rate     int     `json:"rate"`     // messages a second, as published
	Seconds  float64 `json:"seconds"`  // how long
	Sent     int     `json:"sent"`     // messages published
	Received int     `json:"received"` // messages the page's log counted
	// LongestTaskMs is the longest main-thread task from the start of the
	// flood until the page had counted everything (or gave up).
	LongestTaskMs float64 `json:"longestTaskMs"`
	// CatchUpMs is how long after the last publish the log had them all.
	CatchUpMs float64 `json:"catchUpMs"`
	// Achieved is the rate the publisher reached.
	Achieved float64 `json:"achieved"`
}

const floodTopic = "flood/page"

// countExpr reads the page's own count of received messages.
const countExpr = `(() => { const m = /([\d,.\s]+)\s*received/.exec(document.getElementById("msg-count").textContent); return m ? Number(m[1].replace(/\D/g, "")) : -1 })()`

func measureFlood(ctx context.Context, h *harness, res *Results) error {
	cfg := h.cfg
	fr := &FloodResults{Broker: "bare mochi over WebSocket (" + h.wsURL("/bare/mqtt") + "), topic " + floodTopic + ", QoS 0, ~100-byte JSON payloads published over TCP by a native client; the page's inspector open on a message"}
	res.Flood = fr
	b, err := h.newBrowser(ctx)
	if err != nil {
		return err
	}
	defer b.close()
	if err := h.openPageSubscribed(b); err != nil {
		return err
	}
	if fr.HeapBefore, err = b.heap(); err != nil {
		return err
	}
	// Let the page settle (the forced collection above, its own start-up)
	// before the flood, so that the long tasks counted are the flood's.
	time.Sleep(2 * time.Second)
	pub, err := h.floodPublisher()
	if err != nil {
		return err
	}
	defer pub.disconnect()
	total := 1 // the probe the inspector shows
	step := func(rate int, d time.Duration) (FloodStep, error) {
		st := FloodStep{Rate: rate, Seconds: d.Seconds()}
		since, err := eval[float64](b, 10*time.Second, `performance.now()`)
		if err != nil {
			return st, err
		}
		t0 := time.Now()
		st.Sent, err = pub.flood(ctx, rate, d)
		if err != nil {
			return st, err
		}
		st.Achieved = float64(st.Sent) / time.Since(t0).Seconds()
		total += st.Sent
		end := time.Now()
		// Wait until the page has counted everything, or stops counting.
		last, lastChange := -1, time.Now()
		for {
			n, err := eval[int](b, 10*time.Second, countExpr)
			if err != nil {
				return st, err
			}
			if n != last {
				last, lastChange = n, time.Now()
			}
			if n >= total || time.Since(lastChange) > 3*time.Second || time.Since(end) > 30*time.Second {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		st.CatchUpMs = float64(lastChange.Sub(end).Milliseconds())
		st.Received = last - (total - st.Sent)
		st.LongestTaskMs, err = eval[float64](b, 10*time.Second, fmt.Sprintf(`__bench.longest(%f)`, since))
		cfg.debugf("flood %d/s for %s: sent %d, page counted %d, longest task %.0f ms, caught up %.0f ms after",
			rate, d, st.Sent, st.Received, st.LongestTaskMs, st.CatchUpMs)
		return st, err
	}

	// The target first, on a fresh page: rate × seconds messages, then memory.
	if cfg.profile != "" {
		if err := b.startProfile(); err != nil {
			return err
		}
	}
	if fr.Target, err = step(cfg.floodRate, time.Duration(cfg.floodSeconds)*time.Second); err != nil {
		return err
	}
	if cfg.profile != "" {
		p, err := b.stopProfile()
		if err != nil {
			return err
		}
		if err := writeProfile(os.Stdout, cfg.profile, "flood", p); err != nil {
			return err
		}
	}
	if cfg.verbose {
		lt, _ := eval[[][2]float64](b, 10*time.Second, `__bench.longtasks`)
		cfg.logf("long tasks of the page so far (start, duration ms): %v", lt)
	}
	if fr.Heap, err = b.heap(); err != nil {
		return err
	}
	// Then raise the rate (the log is full by now: trimming included).
	for _, rate := range cfg.floodRates {
		st, err := step(rate, cfg.floodStep)
		if err != nil {
			return err
		}
		fr.Steps = append(fr.Steps, st)
		if st.Received >= st.Sent && st.LongestTaskMs <= 100 {
			fr.KeptUp = max(fr.KeptUp, rate)
		}
	}
	return nil
}

// openPageSubscribed opens the real page, connects it to the bare broker
// with the URL target and subscribes it to the flood's topic at QoS 0, all
// through the page's own form.
func (h *harness) openPageSubscribed(b *browser) error {
	if err := b.navigate(h.base + "/"); err != nil {
		return err
	}
	if err := b.waitJS(time.Minute, `document.body.dataset.ready === "all"`); err != nil {
		return err
	}
	set := func(id, value string) string {
		return fmt.Sprintf(`{ const el = document.getElementById(%q); el.value = %q; el.dispatchEvent(new Event("input", {bubbles: true})); el.dispatchEvent(new Event("change", {bubbles: true})); }`, id, value)
	}
	check := func(sel string, on bool) string {
		return fmt.Sprintf(`{ const el = document.querySelector(%q); if (el.checked !== %v) el.click(); }`, sel, on)
	}
	script := check("input[name=target][value=url]", true) + check("#cred-auto", false) +
		set("url", h.wsURL("/bare/mqtt")) + set("clientId", "bench-page") + set("username", "") + set("password", "") +
		`document.getElementById("connect").click(); return true`
	if _, err := eval[bool](b, 10*time.Second, "(() => {"+script+"})()"); err != nil {
		return err
	}
	if err := b.waitJS(30*time.Second, `document.getElementById("conn-state").dataset.state === "connected"`); err != nil {
		msg, _ := eval[string](b, 5*time.Second, `document.getElementById("conn-msgs").textContent`)
		return fmt.Errorf("%w (page says %q)", err, msg)
	}
	script = set("sub-filter", "flood/#") + set("sub-qos", "0") + `document.getElementById("subscribe").click(); return true`
	if _, err := eval[bool](b, 10*time.Second, "(() => {"+script+"})()"); err != nil {
		return err
	}
	if err := b.waitJS(30*time.Second, `document.querySelectorAll("#subs li").length === 1`); err != nil {
		return err
	}
	// One message of the page's own, opened in the inspector, which stays
	// open through the flood (the flood's count starts at 1).
	script = set("pub-kind", "") + `document.getElementById("tab-raw").click();` + set("pub-topic", "flood/probe") +
		set("pub-qos", "0") + set("payload", `{"probe":true,"dp":{"t":[{"v":1}]}}`) + `document.getElementById("publish").click(); return true`
	if _, err := eval[bool](b, 10*time.Second, "(() => {"+script+"})()"); err != nil {
		return err
	}
	if err := b.waitJS(30*time.Second, `document.querySelectorAll("#msg-list .msg:not([hidden])").length === 1`); err != nil {
		return err
	}
	if _, err := eval[bool](b, 10*time.Second, `(document.querySelector("#msg-list .msg:not([hidden])").click(), true)`); err != nil {
		return err
	}
	return b.waitJS(30*time.Second, `!document.getElementById("inspector").hidden`)
}

// floodClient publishes at a fixed rate over TCP.
type floodClient struct {
	*rawClient
	seq int
}

func (h *harness) floodPublisher() (*floodClient, error) {
	conn, err := net.Dial("tcp", h.bareTCP)
	if err != nil {
		return nil, err
	}
	c, err := rawConnect(conn, "bench-flood", "", "")
	if err != nil {
		conn.Close()
		return nil, err
	}
	// The broker sends nothing back at QoS 0; drain anyway (pings).
	go func() {
		for {
			if _, _, err := c.readPacket(); err != nil {
				return
			}
		}
	}()
	return &floodClient{rawClient: c}, nil
}

// flood publishes rate messages a second for d, paced every 2 ms, and
// returns how many it sent.
func (c *floodClient) flood(ctx context.Context, rate int, d time.Duration) (int, error) {
	want := int(float64(rate) * d.Seconds())
	start := time.Now()
	sent := 0
	buf := make([]byte, 0, 128)
	for sent < want {
		if ctx.Err() != nil {
			return sent, ctx.Err()
		}
		due := min(want, int(float64(rate)*time.Since(start).Seconds())+1)
		for ; sent < due; sent++ {
			c.seq++
			buf = buf[:0]
			buf = append(buf, `{"id":`...)
			buf = strconv.AppendInt(buf, int64(c.seq), 10)
			buf = append(buf, `,"dp":{"temperature":[{"v":23.5}],"humidity":[{"v":61}],"note":[{"v":"flood from bench"}]}}`...)
			c.publish(floodTopic, buf, 0)
		}
		if err := c.flush(); err != nil {
			return sent, err
		}
		time.Sleep(2 * time.Millisecond)
	}
	return sent, nil
}
