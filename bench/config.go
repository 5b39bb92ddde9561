package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// config is one run's settings: what to measure and how much of it.
type config struct {
	root     string   // repository root
	out      string   // results.json path
	chromium string   // Chromium's path, "" for the default
	only     []string // sections to run; nil means all
	quick    bool
	verbose  bool
	web      string   // the page's folder; "" means root/web
	profile  string   // where to write Chromium CPU profiles; "" means none
	logw     *os.File // progress log; nil means stderr

	// load
	loadSamples  int           // page loads per condition, each with a fresh profile
	throttleBits float64       // the emulated network: bits per second…
	throttleRTT  time.Duration // …and latency

	// clients
	rounds      int // alternating rounds of onenet and mqtt.js
	latencyN    int // publish→receive samples per round
	smallN      int // messages per throughput run, 100 B
	largeN      int // messages per throughput run, 4 KB
	tputWindow  int // messages published but not yet received, at most
	warmN       int // messages of each client's warm-up run, not counted
	tokenMillis int // how long to generate tokens in the page

	// flood
	floodRates   []int         // messages per second, a step each
	floodStep    time.Duration // length of a step
	floodRate    int           // the target's rate
	floodSeconds int           // the target's length

	// broker
	brokerDevices []int         // concurrent publishing devices, a run each
	brokerTime    time.Duration // publishing time per run
	wsDevices     int           // WebSocket devices held at once

	// relay
	relayLatencyN int
	relayN        int
}

func defaultConfig() config {
	return config{
		loadSamples:   10,
		throttleBits:  10e6,
		throttleRTT:   20 * time.Millisecond,
		rounds:        3,
		latencyN:      1000,
		smallN:        20000,
		largeN:        5000,
		tputWindow:    1000,
		warmN:         2000,
		tokenMillis:   2000,
		floodRates:    []int{5000, 10000, 20000, 40000},
		floodStep:     3 * time.Second,
		floodRate:     10000,
		floodSeconds:  10,
		brokerDevices: []int{1000, 5000},
		brokerTime:    5 * time.Second,
		wsDevices:     5000,
		relayLatencyN: 2000,
		relayN:        200000,
	}
}

// scale shrinks a run for BENCH_QUICK=1: every measurement still runs once.
func (c *config) scale() {
	if !c.quick {
		return
	}
	c.loadSamples = 2
	c.rounds = 1
	c.latencyN = 200
	c.smallN = 3000
	c.largeN = 1000
	c.tokenMillis = 500
	c.floodRates = []int{10000}
	c.floodStep = time.Second
	c.floodSeconds = 2
	c.brokerDevices = []int{200}
	c.brokerTime = 2 * time.Second
	c.wsDevices = 500
	c.relayLatencyN = 300
	c.relayN = 20000
}

func (c *config) runs(section string) bool {
	return c.only == nil || slices.Contains(c.only, section)
}

func (c *config) logf(format string, args ...any) {
	w := c.logw
	if w == nil {
		w = os.Stderr
	}
	fmt.Fprintf(w, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func (c *config) debugf(format string, args ...any) {
	if c.verbose {
		c.logf(format, args...)
	}
}

func (c *config) path(elem ...string) string {
	return filepath.Join(append([]string{c.root}, elem...)...)
}

// chromiumPath finds Debian's Chromium.
func (c *config) chromiumPath() string {
	for _, p := range []string{c.chromium, os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return "chromium"
}

func chromiumVersion(path string) string {
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	return strings.TrimSpace(string(out))
}

func (c *config) webDir() string {
	if c.web != "" {
		return c.web
	}
	return c.path("web")
}
