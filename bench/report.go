package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Results are one run: where, with what, and what it measured.
type Results struct {
	Date     string            `json:"date"`
	Command  string            `json:"command"`
	Quick    bool              `json:"quick"`
	Seconds  float64           `json:"seconds"`
	Machine  Machine           `json:"machine"`
	Versions map[string]string `json:"versions"`
	Load     *LoadResults      `json:"load,omitempty"`
	Clients  *ClientResults    `json:"clients,omitempty"`
	Flood    *FloodResults     `json:"flood,omitempty"`
	Tokens   *TokenResults     `json:"tokens,omitempty"`
	Broker   *BrokerResults    `json:"broker,omitempty"`
	Relay    *RelayResults     `json:"relay,omitempty"`
	Targets  []Target          `json:"targets"`
	Errors   []string          `json:"errors,omitempty"`
}

// Machine is where the run happened.
type Machine struct {
	OS       string `json:"os"`
	Arch     string `json:"arch"`
	CPUs     int    `json:"cpus"`
	CPU      string `json:"cpu"`
	MemoryMB int64  `json:"memoryMB"`
	Kernel   string `json:"kernel"`
	// LoadAvg is /proc/loadavg at the start, and SectionLoad after each
	// section: other work on the machine (2 means both cores busy).
	LoadAvg     string            `json:"loadAvg"`
	SectionLoad map[string]string `json:"sectionLoadAvg"`
}

// Target is one of the targets and whether this run met it.
type Target struct {
	Name string  `json:"name"`
	Want string  `json:"want"`
	Got  float64 `json:"got"`
	Unit string  `json:"unit"`
	Met  bool    `json:"met"`
	// Note says why a target was not measured at its full scale.
	Note string `json:"note,omitempty"`
}

func newResults(cfg config) *Results {
	r := &Results{
		Date:     time.Now().UTC().Format(time.RFC3339),
		Command:  strings.Join(os.Args, " "),
		Quick:    cfg.quick,
		Versions: map[string]string{"go": runtime.Version()},
		Machine: Machine{
			OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(),
			CPU:     cpuModel(),
			Kernel:  readTrim("/proc/sys/kernel/osrelease"),
			LoadAvg: readTrim("/proc/loadavg"),
		},
	}
	r.Machine.MemoryMB = memTotal() / (1 << 20)
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			for _, m := range []string{"github.com/eclipse/paho.mqtt.golang", "github.com/coder/websocket",
				"github.com/mochi-mqtt/server/v2", "github.com/chromedp/chromedp"} {
				if d.Path == m {
					r.Versions[m] = d.Version
				}
			}
		}
	}
	var pkg struct{ Version string }
	if b, err := os.ReadFile(cfg.path("node_modules/mqtt/package.json")); err == nil && json.Unmarshal(b, &pkg) == nil {
		r.Versions["mqtt.js"] = pkg.Version
	}
	if out, err := exec.Command("git", "-C", cfg.root, "describe", "--always", "--dirty").Output(); err == nil {
		r.Versions["onenet-wasm"] = strings.TrimSpace(string(out))
	}
	return r
}

func readTrim(path string) string {
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b))
}

func cpuModel() string {
	for line := range strings.SplitSeq(readTrim("/proc/cpuinfo"), "\n") {
		if v, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return ""
}

func memTotal() int64 {
	for line := range strings.SplitSeq(readTrim("/proc/meminfo"), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kb)
			return kb * 1024
		}
	}
	return 0
}

// The targets (issue 16, performance round two).
const (
	goalLatencyMedian = 0.90   // onenet / mqtt.js, QoS 0 and 1
	goalLatencyP99    = 1.20   // onenet / mqtt.js, QoS 0
	goalThroughput    = 2.0    // onenet / mqtt.js, all four cases
	goalLocalTokensMs = 250.0  // 127.0.0.1: navigation → tokens work
	goalSlowTokensMs  = 700.0  // 10 Mbit/s, 20 ms: navigation → tokens work
	goalSlowMQTTMs    = 1800.0 // 10 Mbit/s, 20 ms: navigation → MQTT client loaded
	goalBroker        = 0.90   // OneNET hooks / bare mochi
)

func p99Goal(qos int) string {
	if qos == 0 {
		return fmt.Sprintf("≤ %.2f×", goalLatencyP99)
	}
	return ""
}

// evaluate fills Targets from what was measured.
func (r *Results) evaluate() {
	add := func(name, want string, got float64, unit string, met bool) {
		t := Target{Name: name, Want: want, Got: got, Unit: unit, Met: met && !math.IsNaN(got)}
		if r.Quick {
			t.Note = "quick run: smaller than the target's scale"
		}
		r.Targets = append(r.Targets, t)
	}
	if c := r.Clients; c != nil {
		for _, l := range c.Latency {
			add(fmt.Sprintf("latency QoS %d, median, onenet / mqtt.js", l.QoS), fmt.Sprintf("≤ %.2f", goalLatencyMedian), l.RatioMedian, "×", l.RatioMedian <= goalLatencyMedian)
			if l.QoS == 0 {
				add("latency QoS 0, p99, onenet / mqtt.js", fmt.Sprintf("≤ %.2f", goalLatencyP99), l.RatioP99, "×", l.RatioP99 <= goalLatencyP99)
			}
		}
		for _, p := range c.Throughput {
			add(fmt.Sprintf("throughput QoS %d, %s, onenet / mqtt.js", p.QoS, sizeName(p.Size)), fmt.Sprintf("≥ %.2f", goalThroughput), p.Ratio, "×", p.Ratio >= goalThroughput)
		}
	}
	if l := r.Load; l != nil && len(l.Local.CoreMs) > 0 {
		add("127.0.0.1: navigation → tokens work (median)", fmt.Sprintf("≤ %.0f ms", goalLocalTokensMs), l.Local.Core, "ms", l.Local.Core <= goalLocalTokensMs)
	}
	if l := r.Load; l != nil && len(l.Throttled.CoreMs) > 0 && l.Throttled.Condition == "10 Mbit/s, 20 ms" {
		add("10 Mbit/s, 20 ms: navigation → tokens work (median)", fmt.Sprintf("≤ %.0f ms", goalSlowTokensMs), l.Throttled.Core, "ms", l.Throttled.Core <= goalSlowTokensMs)
		add("10 Mbit/s, 20 ms: navigation → MQTT client loaded (median)", fmt.Sprintf("≤ %.0f ms", goalSlowMQTTMs), l.Throttled.All, "ms", l.Throttled.All <= goalSlowMQTTMs)
	}
	if f := r.Flood; f != nil && f.Target.Sent > 0 {
		name := fmt.Sprintf("flood %d msg/s for %.0f s: longest main-thread task", f.Target.Rate, f.Target.Seconds)
		add(name, "≤ 100 ms", f.Target.LongestTaskMs, "ms", f.Target.LongestTaskMs <= 100)
		mem := f.Heap.total() / (1 << 20)
		add(fmt.Sprintf("page memory after %d messages (JS heap + wasm)", f.Target.Sent), "≤ 200 MB", mem, "MB", mem <= 200)
	}
	if b := r.Broker; b != nil {
		for _, p := range b.Pairs {
			add(fmt.Sprintf("broker, %d devices: OneNET hooks / bare mochi", p.Devices), fmt.Sprintf("≥ %.2f", goalBroker), p.Ratio, "×", p.Ratio >= goalBroker)
		}
		for _, h := range b.Hold {
			if h.Kind == "onenet" {
				add(fmt.Sprintf("broker holds %d WebSocket devices (answering a ping)", h.Devices), fmt.Sprintf("= %d", h.Devices), float64(h.Alive), "devices", h.Alive == h.Devices)
			}
		}
	}
	if rl := r.Relay; rl != nil && rl.Direct.PerSec > 0 {
		add("relay throughput: /bridge / direct (mqttws, the page's client)", "≥ 0.80", rl.Ratio, "×", rl.Ratio >= 0.8)
	}
}

func sizeName(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return fmt.Sprintf("%d KB", n/1024)
	}
	return fmt.Sprintf("%d B", n)
}

// table is a Markdown table.
type table struct {
	title string
	head  []string
	rows  [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer) {
	fmt.Fprintf(w, "\n### %s\n\n", t.title)
	fmt.Fprintf(w, "| %s |\n", strings.Join(t.head, " | "))
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(t.head)))
	for _, r := range t.rows {
		fmt.Fprintf(w, "| %s |\n", strings.Join(r, " | "))
	}
}

func f0(x float64) string { return fmtNum(x, 0) }
func f1(x float64) string { return fmtNum(x, 1) }
func f2(x float64) string { return fmtNum(x, 2) }
func f3(x float64) string { return fmtNum(x, 3) }

func fmtNum(x float64, prec int) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	s := fmt.Sprintf("%.*f", prec, x)
	// Thousands separators for the integer part.
	intPart, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if neg {
		out = "-" + out
	}
	if frac != "" {
		out += "." + frac
	}
	return out
}

func kb(n int64) string { return fmtNum(float64(n)/1000, 0) + " kB" }

// printTable writes the run as Markdown: the machine, then a table per
// section, then the targets.
func printTable(w io.Writer, r *Results) {
	fmt.Fprintf(w, "\n## onenet-wasm benchmarks, %s\n\n", r.Date)
	fmt.Fprintf(w, "Machine: %s/%s, %d CPUs (%s), %d MB; load average at start %s.  \n", r.Machine.OS, r.Machine.Arch, r.Machine.CPUs, r.Machine.CPU, r.Machine.MemoryMB, r.Machine.LoadAvg)
	if len(r.Machine.SectionLoad) > 0 {
		var ls []string
		for _, s := range sections {
			if l, ok := r.Machine.SectionLoad[s]; ok {
				f := strings.Fields(l)
				if len(f) > 0 {
					ls = append(ls, s+" "+f[0])
				}
			}
		}
		fmt.Fprintf(w, "Load average (1 min) after each section: %s.  \n", strings.Join(ls, ", "))
	}
	var vs []string
	for _, k := range []string{"onenet-wasm", "go", "chromium", "mqtt.js", "github.com/eclipse/paho.mqtt.golang", "github.com/coder/websocket", "github.com/mochi-mqtt/server/v2", "github.com/chromedp/chromedp"} {
		if v, ok := r.Versions[k]; ok {
			vs = append(vs, k+" "+v)
		}
	}
	fmt.Fprintf(w, "Versions: %s.  \n", strings.Join(vs, ", "))
	mode := "full"
	if r.Quick {
		mode = "quick (BENCH_QUICK=1)"
	}
	fmt.Fprintf(w, "Run: %s, `%s`.\n", mode, r.Command)

	if l := r.Load; l != nil {
		t := &table{title: "Loading: bytes as served", head: []string{"", "raw", "gzip", "brotli"}}
		t.add("page (HTML, CSS, JS)", kb(l.Page.Raw), kb(l.Page.Gzip), kb(l.Page.Brotli))
		t.add("core.wasm", kb(l.Core.Raw), kb(l.Core.Gzip), kb(l.Core.Brotli))
		t.add("core.wasm + mqtt.wasm", kb(l.Wasm.Raw), kb(l.Wasm.Gzip), kb(l.Wasm.Brotli))
		t.add("mqtt.js bundle (dist/mqtt.min.js), for comparison", kb(l.MQTTjs.Raw), kb(l.MQTTjs.Gzip), kb(l.MQTTjs.Brotli))
		t.write(w)
		fmt.Fprintf(w, "\nChromium received the wasm as %q; it transferred %s in a fresh load.\n", l.Encoding, kb(int64(l.Local.Transferred)))
		t = &table{title: fmt.Sprintf("Loading: navigation → working (fresh profile, median of %d)", len(l.Local.CoreMs)),
			head: []string{"network", "tokens work (ready=core)", "MQTT client loaded (ready=all)", "core.wasm / mqtt.wasm received", "bandwidth achieved", "target"}}
		t.add(l.Local.Condition, f0(l.Local.Core)+" ms", f0(l.Local.All)+" ms", f0(l.Local.CoreBytes)+" / "+f0(l.Local.MQTTBytes)+" ms", f1(l.Local.Mbps)+" Mbit/s", fmt.Sprintf("≤ %.0f ms / –", goalLocalTokensMs))
		t.add(l.Throttled.Condition, f0(l.Throttled.Core)+" ms", f0(l.Throttled.All)+" ms", f0(l.Throttled.CoreBytes)+" / "+f0(l.Throttled.MQTTBytes)+" ms", f1(l.Throttled.Mbps)+" Mbit/s", fmt.Sprintf("≤ %.0f ms / ≤ %.0f ms", goalSlowTokensMs, goalSlowMQTTMs))
		t.write(w)
		for _, lt := range []LoadTimes{l.Local, l.Throttled} {
			if m := lt.Marks; len(m) > 0 {
				fmt.Fprintf(w, "\n%s, where the time to ready goes (medians, ms after navigation): first contentful paint %s, core.wasm received %s, compiled %s, Go started %s, tokens work %s; mqtt.wasm received %s, compiled %s, Go started %s, client loaded %s.\n",
					lt.Condition, f0(m["first-contentful-paint"]), f0(lt.CoreBytes), f0(m["onenet:core.wasm:compiled"]), f0(m["onenet:core.wasm:started"]), f0(lt.Core),
					f0(lt.MQTTBytes), f0(m["onenet:mqtt.wasm:compiled"]), f0(m["onenet:mqtt.wasm:started"]), f0(lt.All))
			}
			if lt.FloorTokens > 0 {
				fmt.Fprintf(w, "\n%s, the floors, loaded the same way (medians): an empty page paints at %s ms and runs its script at %s ms; the onenet API alone (onenet.js and core.wasm, no page UI) has core.wasm at %s ms and a token at %s ms.\n",
					lt.Condition, f0(lt.FloorBlankFCP), f0(lt.FloorBlankReady), f0(lt.FloorTokensCore), f0(lt.FloorTokens))
			}
		}
	}
	if c := r.Clients; c != nil {
		t := &table{title: "The client in the browser: onenet (Go wasm, through the JS API) vs mqtt.js, same page, same broker",
			head: []string{"measurement", "onenet", "mqtt.js", "onenet / mqtt.js", "target", "WebSocket sends / receives per message, onenet – mqtt.js"}}
		for _, l := range c.Latency {
			t.add(fmt.Sprintf("latency QoS %d, 100 B, median", l.QoS), f3(l.Onenet.Median)+" ms", f3(l.MQTTjs.Median)+" ms", f2(l.RatioMedian)+"×", fmt.Sprintf("≤ %.2f×", goalLatencyMedian), "")
			t.add(fmt.Sprintf("latency QoS %d, 100 B, p99", l.QoS), f3(l.Onenet.P99)+" ms", f3(l.MQTTjs.P99)+" ms", f2(l.RatioP99)+"×", p99Goal(l.QoS), "")
			t.add(fmt.Sprintf("… of which publish() → WebSocket.send / send → message event / message event → callback, QoS %d", l.QoS),
				f3(l.Onenet.Outbound)+" / "+f3(l.Onenet.Between)+" / "+f3(l.Onenet.Inbound)+" ms", f3(l.MQTTjs.Outbound)+" / "+f3(l.MQTTjs.Between)+" / "+f3(l.MQTTjs.Inbound)+" ms", "", "", "")
			t.add(fmt.Sprintf("… the WebSocket.send call itself, QoS %d", l.QoS), f3(l.Onenet.SendCall)+" ms", f3(l.MQTTjs.SendCall)+" ms", "", "", "")
		}
		for _, p := range c.Throughput {
			t.add(fmt.Sprintf("throughput QoS %d, %s (%s msgs)", p.QoS, sizeName(p.Size), f0(float64(p.N))), f0(p.Onenet)+" msg/s", f0(p.MQTTjs)+" msg/s", f2(p.Ratio)+"×", fmt.Sprintf("≥ %.2f×", goalThroughput),
				fmt.Sprintf("%.2f / %.2f – %.2f / %.2f", p.OnenetWS[0], p.OnenetWS[1], p.MQTTjsWS[0], p.MQTTjsWS[1]))
		}
		t.write(w)
		fmt.Fprintf(w, "\nBroker: %s. Each client publishes to a topic it subscribes to; throughput keeps at most %d messages published but not yet received; %d rounds, alternating which client goes first; medians. performance.now() resolution: %s.\n",
			c.Broker, c.Window, c.Rounds, map[bool]string{true: "5 µs (cross-origin isolated)", false: "100 µs"}[c.Isolated])
	}
	if f := r.Flood; f != nil {
		t := &table{title: "The page under a flood (real page, its message log)", head: []string{"rate", "sent", "page counted", "longest task", "caught up after"}}
		row := func(s FloodStep) {
			t.add(fmt.Sprintf("%s msg/s × %.0f s (achieved %s/s)", f0(float64(s.Rate)), s.Seconds, f0(s.Achieved)), f0(float64(s.Sent)), f0(float64(s.Received)), f0(s.LongestTaskMs)+" ms", f0(s.CatchUpMs)+" ms")
		}
		row(f.Target)
		for _, s := range f.Steps {
			row(s)
		}
		t.write(w)
		fmt.Fprintf(w, "\nHighest rate kept up with (everything counted, no task over 100 ms): %s msg/s.\n", f0(float64(f.KeptUp)))
		fmt.Fprintf(w, "Page memory after %s messages: %.1f MB (JS heap %.1f MB, DOM %.1f MB, ArrayBuffers %.1f MB, wasm %s); before the flood %.1f MB.\n",
			f0(float64(f.Target.Sent)), f.Heap.total()/(1<<20), f.Heap.JSUsed/(1<<20), f.Heap.Embedder/(1<<20), f.Heap.Backing/(1<<20), mbList(f.Heap.Wasm), f.HeapBefore.total()/(1<<20))
	}
	if tk := r.Tokens; tk != nil {
		t := &table{title: "Tokens (sha1)", head: []string{"", "tokens/s"}}
		t.add("wasm, onenet.token in the page", f0(tk.Wasm))
		t.add("native Go, token.Generate", f0(tk.Native))
		t.add("wasm / native", f2(tk.Ratio)+"×")
		t.write(w)
	}
	if b := r.Broker; b != nil {
		t := &table{title: "The local broker: OneNET hooks vs bare mochi (TCP, QoS 1 datapoints)", head: []string{"devices", "OneNET broker", "bare mochi", "ratio", "RSS OneNET / bare", "target"}}
		for _, p := range b.Pairs {
			t.add(f0(float64(p.Devices)), f0(p.Onenet)+" msg/s", f0(p.Bare)+" msg/s", f2(p.Ratio)+"×", fmt.Sprintf("%.0f / %.0f MB", p.OnenetMB, p.BareMB), fmt.Sprintf("≥ %.2f×", goalBroker))
		}
		t.write(w)
		t = &table{title: "WebSocket devices held at once", head: []string{"broker", "devices", "logged in", "answered a ping", "connect time", "RSS"}}
		for _, h := range b.Hold {
			t.add(h.Kind, f0(float64(h.Devices)), f0(float64(h.Connected)), f0(float64(h.Alive)), f1(h.ConnectS)+" s", fmt.Sprintf("%.0f MB", mb(h.RSS)))
		}
		t.write(w)
		fmt.Fprintf(w, "\nLoad: %s.\n", b.Load)
	}
	if rl := r.Relay; rl != nil {
		t := &table{title: "The relay: /bridge vs a direct TCP connection (QoS 0, 100 B)", head: []string{"client", "", "direct", "/bridge", "bridge / direct", "target"}}
		for _, x := range []*RelayResults{rl, rl.Paho} {
			if x == nil {
				continue
			}
			t.add(x.Client, "latency, median", f3(x.Direct.Latency.Median)+" ms", f3(x.Bridge.Latency.Median)+" ms", f2(x.Latency)+"×", "")
			t.add(x.Client, "latency, p99", f3(x.Direct.Latency.P99)+" ms", f3(x.Bridge.Latency.P99)+" ms", f2(x.Bridge.Latency.P99/x.Direct.Latency.P99)+"×", "")
			t.add(x.Client, "throughput", f0(x.Direct.PerSec)+" msg/s", f0(x.Bridge.PerSec)+" msg/s", f2(x.Ratio)+"×", "≥ 0.80×")
		}
		t.write(w)
		fmt.Fprintf(w, "\nBroker: %s. mqttws is the page's client (run natively; over TCP directly through Options.Dial), the one the target is about; paho, bridge/BenchmarkRelay's client, is for reference: through the relay it speaks WebSocket through websocket.NetConn, whose own per-call cost (a context.AfterFunc per read and write) is the client's, not the relay's. Throughput: a publisher and a subscriber, at most 256 messages in flight.\n", rl.Broker)
	}
	if len(r.Targets) > 0 {
		t := &table{title: "Targets", head: []string{"target", "want", "got", "met"}}
		for _, tg := range r.Targets {
			met := "yes"
			if !tg.Met {
				met = "**no**"
			}
			if tg.Note != "" {
				met += " (" + tg.Note + ")"
			}
			t.add(tg.Name, tg.Want, f2(tg.Got)+" "+tg.Unit, met)
		}
		t.write(w)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "\nERROR: %s\n", e)
	}
}

func mbList(xs []float64) string {
	var s []string
	for _, x := range xs {
		s = append(s, fmt.Sprintf("%.1f", x/(1<<20)))
	}
	return strings.Join(s, " + ") + " MB"
}
