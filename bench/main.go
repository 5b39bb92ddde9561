// Command bench measures onenet-wasm against what a user would otherwise
// pick — mqtt.js in the browser, bare mochi as a broker, a direct TCP
// connection instead of the relay — side by side, in one run on one
// machine, and reports ratios. `make bench` runs it (scripts/bench.sh).
//
//	go run ./bench                 full run (about 10 minutes on 2 cores)
//	BENCH_QUICK=1 go run ./bench   a quick run, for development
//	go run ./bench -only clients,flood
//
// It starts the real local server (server.New) in-process on 127.0.0.1,
// a bare mochi broker beside it, and headless Chromium, then measures:
//
//   - load.go: bytes of the page and the wasm (raw, gzip, brotli as
//     served), time from navigation to a working token generator and MQTT
//     client with a fresh profile, also at 10 Mbit/s and 20 ms;
//   - clients.go: the onenet client (through its JavaScript API) against
//     mqtt.js in the same page (page/clients.js): publish→receive latency
//     and throughput at QoS 0 and 1;
//   - flood.go: the page under a flood published by a native client:
//     longest main-thread task, messages kept, memory;
//   - tokens.go: tokens per second in wasm and natively;
//   - brokerbench.go: the OneNET broker against bare mochi, 1,000 and
//     5,000 devices (in a child process, for its memory);
//   - relay.go: /bridge against a direct connection.
//
// It prints a table and writes bench/results.json with the machine, the
// versions and the date. There are no pass/fail timings: the table says
// which targets the run met.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"time"
)

func main() {
	if isChild() {
		os.Exit(childMain())
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// sections are the parts of a run, in order.
var sections = []string{"load", "clients", "flood", "tokens", "broker", "relay"}

func run() error {
	cfg := defaultConfig()
	flag.StringVar(&cfg.root, "root", ".", "the repository: web/ with the built wasm, node_modules/ with mqtt.js")
	flag.StringVar(&cfg.out, "out", "bench/results.json", "where to write the results (empty: nowhere)")
	flag.StringVar(&cfg.chromium, "chromium", "", "Chromium's path (default: $CHROMIUM, /usr/bin/chromium)")
	only := flag.String("only", "", "comma-separated sections to run: "+strings.Join(sections, ","))
	flag.BoolVar(&cfg.quick, "quick", os.Getenv("BENCH_QUICK") == "1", "a quick run (also BENCH_QUICK=1)")
	flag.BoolVar(&cfg.verbose, "v", false, "log progress in detail")
	flag.StringVar(&cfg.web, "web", "", "serve the page from this folder instead of web/ (e.g. wasm built with names, for -profile)")
	flag.StringVar(&cfg.profile, "profile", "", "write Chromium CPU profiles (a throughput and a latency run per client, the flood, a page load per network condition) into this folder")
	rounds := flag.Int("rounds", 0, "rounds of the client comparison (default 3, quick 1)")
	cpuprofile := flag.String("cpuprofile", "", "write a Go CPU profile of the harness (and the in-process server, bridge, bare broker) to this file")
	flag.Parse()
	if *only != "" {
		cfg.only = strings.Split(*only, ",")
		for _, s := range cfg.only {
			if !slices.Contains(sections, s) {
				return fmt.Errorf("-only: unknown section %q (have %s)", s, strings.Join(sections, ", "))
			}
		}
	}
	cfg.scale()
	if *rounds > 0 {
		cfg.rounds = *rounds
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	start := time.Now()
	res, err := runAll(ctx, cfg)
	if err != nil {
		return err
	}
	res.Seconds = time.Since(start).Seconds()
	printTable(os.Stdout, res)
	if cfg.out != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(cfg.out), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(cfg.out, append(b, '\n'), 0o644); err != nil {
			return err
		}
		fmt.Printf("\nwrote %s (%.0f s)\n", cfg.out, res.Seconds)
	}
	if len(res.Errors) > 0 {
		return errors.New(strings.Join(res.Errors, "; "))
	}
	return nil
}

// runAll runs the chosen sections; a section that fails is recorded in
// Results.Errors and the others still run.
func runAll(ctx context.Context, cfg config) (*Results, error) {
	res := newResults(cfg)
	h, err := startHarness(cfg)
	if err != nil {
		return nil, err
	}
	defer h.close()
	res.Versions["chromium"] = chromiumVersion(cfg.chromiumPath())
	steps := []struct {
		name string
		fn   func(context.Context, *harness, *Results) error
	}{
		{"load", measureLoad},
		{"clients", measureClients},
		{"flood", measureFlood},
		{"tokens", measureTokens},
		{"broker", measureBroker},
		{"relay", measureRelay},
	}
	for _, s := range steps {
		if !cfg.runs(s.name) {
			continue
		}
		if err := ctx.Err(); err != nil {
			// A section that never ran is a failure of the run, not a
			// result left empty without a word.
			res.Errors = append(res.Errors, s.name+": not run: "+err.Error())
			continue
		}
		t0 := time.Now()
		cfg.logf("== %s", s.name)
		if err := s.fn(ctx, h, res); err != nil {
			res.Errors = append(res.Errors, s.name+": "+err.Error())
			cfg.logf("%s failed: %v", s.name, err)
		}
		cfg.logf("== %s took %.1f s", s.name, time.Since(t0).Seconds())
		if res.Machine.SectionLoad == nil {
			res.Machine.SectionLoad = map[string]string{}
		}
		res.Machine.SectionLoad[s.name] = readTrim("/proc/loadavg")
	}
	res.evaluate()
	return res, nil
}
