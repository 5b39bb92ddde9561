package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/profiler"
	"github.com/chromedp/chromedp"
)

// Profiling (-profile DIR): the clients section also runs one throughput
// run of each client under Chromium's sampling profiler, writes the
// profiles (.cpuprofile, for Chromium's DevTools) into DIR and prints the
// functions with the most self time. Serve wasm built with its names
// (-web, see docs/BENCHMARKS.md) to see Go functions by name.

// profileRun runs expr under the profiler and returns the profile.
func (b *browser) profileRun(expr string) (*profiler.Profile, error) {
	if err := b.startProfile(); err != nil {
		return nil, err
	}
	if _, err := eval[json.RawMessage](b, 3*time.Minute, expr); err != nil {
		return nil, err
	}
	return b.stopProfile()
}

// startProfile starts Chromium's sampling profiler (100 µs).
func (b *browser) startProfile() error {
	start := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, profiler.Enable, cdp.Empty{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, t, profiler.SetSamplingInterval, profiler.SetSamplingIntervalParams{Interval: 100}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, profiler.Start, cdp.Empty{})
		return err
	})
	return b.do(30*time.Second, start)
}

// stopProfile stops the profiler and returns the profile.
func (b *browser) stopProfile() (*profiler.Profile, error) {
	var prof *profiler.Profile
	err := b.do(time.Minute, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		r, err := cdp.Call(ctx, t, profiler.Stop, cdp.Empty{})
		prof = r.Profile
		return err
	}))
	return prof, err
}

// writeProfile saves p as DIR/name.cpuprofile and prints its top functions.
func writeProfile(w io.Writer, dir, name string, p *profiler.Profile) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, name+".cpuprofile")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return err
	}
	self := map[string]float64{}
	byID := map[int64]*profiler.ProfileNode{}
	for _, n := range p.Nodes {
		byID[n.ID] = n
	}
	var total float64
	for i, id := range p.Samples {
		if i >= len(p.TimeDeltas) {
			break
		}
		d := float64(p.TimeDeltas[i])
		if i+1 < len(p.TimeDeltas) {
			d = float64(p.TimeDeltas[i+1]) // the time until the next sample
		}
		n := byID[id]
		if n == nil || n.CallFrame == nil {
			continue
		}
		key := n.CallFrame.FunctionName
		if key == "" {
			key = "(anonymous)"
		}
		if u := n.CallFrame.URL; u != "" {
			key += "  " + filepath.Base(u)
		}
		self[key] += d
		total += d
	}
	type kv struct {
		k string
		v float64
	}
	var top []kv
	for k, v := range self {
		top = append(top, kv{k, v})
	}
	sort.Slice(top, func(i, j int) bool { return top[i].v > top[j].v })
	fmt.Fprintf(w, "\nprofile %s (%s, %.0f ms sampled): self time\n", name, path, total/1000)
	for i, e := range top {
		if i == 30 {
			break
		}
		fmt.Fprintf(w, "  %6.1f%% %8.1f ms  %s\n", 100*e.v/total, e.v/1000, strings.TrimSpace(e.k))
	}
	return nil
}
