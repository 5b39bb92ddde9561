package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
)

// LoadResults are the page's bytes and how soon it works.
type LoadResults struct {
	Files  []FileSize `json:"files"`  // every file the page loads, as served
	Page   Sizes      `json:"page"`   // HTML, CSS, JavaScript
	Wasm   Sizes      `json:"wasm"`   // core.wasm + mqtt.wasm
	Core   Sizes      `json:"core"`   // core.wasm
	MQTTjs Sizes      `json:"mqttjs"` // mqtt.js's browser bundle (dist/mqtt.min.js), for comparison
	// Encoding is the Content-Encoding Chromium got for the wasm.
	Encoding  string    `json:"encoding"`
	Local     LoadTimes `json:"local"`     // no emulation, 127.0.0.1
	Throttled LoadTimes `json:"throttled"` // 10 Mbit/s, 20 ms
}

// Sizes are a file's (or files') bytes on the wire by encoding.
type Sizes struct {
	Raw    int64 `json:"raw"`
	Gzip   int64 `json:"gzip"`
	Brotli int64 `json:"brotli"`
}

func (s *Sizes) add(o Sizes) {
	s.Raw += o.Raw
	s.Gzip += o.Gzip
	s.Brotli += o.Brotli
}

// FileSize is one file of the page.
type FileSize struct {
	Path string `json:"path"`
	Sizes
}

// LoadTimes are fresh-profile loads under one network condition.
type LoadTimes struct {
	Condition string    `json:"condition"`
	CoreMs    []float64 `json:"coreMs"` // navigation → document.body.dataset.ready = "core"
	AllMs     []float64 `json:"allMs"`  // navigation → "all"
	Core      float64   `json:"coreMedianMs"`
	All       float64   `json:"allMedianMs"`
	// Transferred is what Chromium fetched in the first load (resource
	// timing transferSize, headers included), in bytes.
	Transferred float64 `json:"transferredBytes"`
	// When the last byte of core.wasm and of mqtt.wasm arrived (medians):
	// the rest of the time to ready is compiling, starting Go and the
	// page's own start-up, which a loaded machine slows down.
	CoreBytes float64 `json:"coreBytesMedianMs"`
	MQTTBytes float64 `json:"mqttBytesMedianMs"`
	// Mbps is the bandwidth achieved: bytes transferred over the time from
	// the first request to mqtt.wasm's last byte (median).
	Mbps float64 `json:"achievedMbps"`
	// Marks are the medians of the loader's performance marks (ms after
	// navigation): "onenet:core.wasm:compiled" (compiled and instantiated),
	// "onenet:core.wasm:started" (Go has started), the same for mqtt.wasm;
	// and the paint timings, "first-paint" and "first-contentful-paint".
	Marks map[string]float64 `json:"marksMedianMs,omitempty"`
	// Floors, loaded the same way: an empty page (the browser's and the
	// harness's own cost; FCP and its script's run) and the onenet API
	// alone (onenet.js and core.wasm, fetched and compiled as index.html
	// does, without the page's UI) computing one token (medians, ms).
	FloorBlankFCP   float64 `json:"floorBlankFCPMedianMs"`
	FloorBlankReady float64 `json:"floorBlankReadyMedianMs"`
	FloorTokens     float64 `json:"floorTokensMedianMs"`
	FloorTokensCore float64 `json:"floorTokensCoreBytesMedianMs"` // core.wasm's last byte
}

// pageLoad is what the page reports after one load.
type pageLoad struct {
	Ready struct {
		Core float64 `json:"core"`
		All  float64 `json:"all"`
	} `json:"ready"`
	Nav       float64    `json:"nav"` // the document's transferSize
	Resources []resource `json:"res"`
	Marks     []struct {
		Name  string  `json:"name"`
		Start float64 `json:"start"`
	} `json:"marks"`
}

// resourceEnd is when the last byte of the resource whose URL ends with
// suffix arrived (ms after navigation), or 0 if it was not loaded.
func (pl *pageLoad) resourceEnd(suffix string) float64 {
	for _, r := range pl.Resources {
		if strings.HasSuffix(r.Name, suffix) {
			return r.End
		}
	}
	return 0
}

type resource struct {
	Name     string  `json:"name"`
	Start    float64 `json:"start"`
	End      float64 `json:"end"`
	Transfer float64 `json:"transfer"`
	Encoded  float64 `json:"encoded"`
	Decoded  float64 `json:"decoded"`
}

const loadReport = `(() => ({
  ready: __bench.ready,
  nav: performance.getEntriesByType("navigation")[0].transferSize,
  marks: [...performance.getEntriesByType("mark").filter((m) => m.name.startsWith("onenet:")), ...performance.getEntriesByType("paint")].map((m) => ({ name: m.name, start: m.startTime })),
  res: performance.getEntriesByType("resource").map((e) => ({ name: e.name, start: e.startTime, end: e.responseEnd, transfer: e.transferSize, encoded: e.encodedBodySize, decoded: e.decodedBodySize })),
}))()`

func measureLoad(ctx context.Context, h *harness, res *Results) error {
	lr := &LoadResults{}
	res.Load = lr
	var first pageLoad
	for _, cond := range []struct {
		name    string
		bits    float64
		latency time.Duration
		out     *LoadTimes
	}{
		{"127.0.0.1", 0, 0, &lr.Local},
		{fmt.Sprintf("%g Mbit/s, %d ms", h.cfg.throttleBits/1e6, h.cfg.throttleRTT.Milliseconds()), h.cfg.throttleBits, h.cfg.throttleRTT, &lr.Throttled},
	} {
		cond.out.Condition = cond.name
		var coreBytes, mqttBytes, mbps []float64
		marks := map[string][]float64{}
		for i := range h.cfg.loadSamples {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// With -profile, the second load of each condition (the first
			// warms the server's caches) runs under Chromium's profiler.
			prof := ""
			if h.cfg.profile != "" && i == 1 {
				prof = "load-" + strings.NewReplacer(" ", "", "/", "", ",", "-", ".", "_").Replace(cond.name)
			}
			pl, err := h.loadPage(ctx, "/", cond.bits, cond.latency, prof)
			if err != nil {
				return fmt.Errorf("%s, load %d: %w", cond.name, i+1, err)
			}
			h.cfg.debugf("load %s #%d: core %.0f ms, all %.0f ms", cond.name, i+1, pl.Ready.Core, pl.Ready.All)
			for _, r := range pl.Resources {
				h.cfg.debugf("    %-40s %6.0f → %6.0f ms, %8.0f bytes", strings.TrimPrefix(r.Name, h.base), r.Start, r.End, r.Transfer)
			}
			for _, m := range pl.Marks {
				h.cfg.debugf("    %-40s %6.0f ms", m.Name, m.Start)
				marks[m.Name] = append(marks[m.Name], m.Start)
			}
			var total float64
			start := math.Inf(1)
			for _, r := range pl.Resources {
				start = min(start, r.Start)
				total += r.Transfer
			}
			ce, me := pl.resourceEnd("/core.wasm"), pl.resourceEnd("/mqtt.wasm")
			coreBytes, mqttBytes = append(coreBytes, ce), append(mqttBytes, me)
			if me > start {
				mbps = append(mbps, (total+pl.Nav)*8/1e6/((me-start)/1000))
			}
			cond.out.CoreMs = append(cond.out.CoreMs, pl.Ready.Core)
			cond.out.AllMs = append(cond.out.AllMs, pl.Ready.All)
			if i == 0 {
				cond.out.Transferred = total + pl.Nav
				if first.Resources == nil {
					first = pl
				}
			}
		}
		cond.out.CoreBytes, cond.out.MQTTBytes, cond.out.Mbps = median(coreBytes), median(mqttBytes), median(mbps)
		if len(marks) > 0 {
			cond.out.Marks = map[string]float64{}
			for name, v := range marks {
				cond.out.Marks[name] = median(v)
			}
		}
		cond.out.Core = median(cond.out.CoreMs)
		cond.out.All = median(cond.out.AllMs)
		if err := h.measureFloors(ctx, cond.bits, cond.latency, cond.out); err != nil {
			return fmt.Errorf("%s: %w", cond.name, err)
		}
	}
	return h.measureSizes(lr, first)
}

// measureFloors loads the two floor pages (bench/page/floor-*.html) as
// many times as the page itself, alternating them.
func (h *harness) measureFloors(ctx context.Context, bits float64, latency time.Duration, out *LoadTimes) error {
	var fcp, blank, tokens, coreBytes []float64
	for i := range h.cfg.loadSamples {
		pl, err := h.loadPage(ctx, "/bench/floor-blank.html", bits, latency, "")
		if err != nil {
			return fmt.Errorf("empty page, load %d: %w", i+1, err)
		}
		blank = append(blank, pl.Ready.Core)
		for _, m := range pl.Marks {
			if m.Name == "first-contentful-paint" {
				fcp = append(fcp, m.Start)
			}
		}
		if pl, err = h.loadPage(ctx, "/bench/floor-tokens.html", bits, latency, ""); err != nil {
			return fmt.Errorf("the API alone, load %d: %w", i+1, err)
		}
		tokens = append(tokens, pl.Ready.Core)
		coreBytes = append(coreBytes, pl.resourceEnd("/core.wasm"))
		h.cfg.debugf("floors #%d: empty page ready %.0f ms, the API's token %.0f ms", i+1, blank[len(blank)-1], tokens[len(tokens)-1])
	}
	out.FloorBlankFCP, out.FloorBlankReady, out.FloorTokens, out.FloorTokensCore = median(fcp), median(blank), median(tokens), median(coreBytes)
	return nil
}

// loadPage loads path (the page is "/") in a fresh browser and waits
// until the page sets data-ready="all". With profile set, the load runs
// under Chromium's profiler, written as -profile's profile.cpuprofile.
func (h *harness) loadPage(ctx context.Context, path string, bits float64, latency time.Duration, profile string) (pageLoad, error) {
	var pl pageLoad
	b, err := h.newBrowser(ctx)
	if err != nil {
		return pl, err
	}
	defer b.close()
	if bits > 0 {
		if err := b.throttle(bits, latency); err != nil {
			return pl, err
		}
	}
	if profile != "" {
		if err := b.startProfile(); err != nil {
			return pl, err
		}
	}
	if err := b.navigate(h.base + path); err != nil {
		return pl, err
	}
	if err := b.waitJS(time.Minute, `__bench.ready.all !== undefined`); err != nil {
		return pl, err
	}
	if profile != "" {
		p, err := b.stopProfile()
		if err != nil {
			return pl, err
		}
		if err := writeProfile(os.Stdout, h.cfg.profile, profile, p); err != nil {
			return pl, err
		}
	}
	return eval[pageLoad](b, 10*time.Second, loadReport)
}

// measureSizes fetches every file the page loaded with each encoding, as
// the server serves it.
func (h *harness) measureSizes(lr *LoadResults, pl pageLoad) error {
	paths := []string{"/"}
	for _, r := range pl.Resources {
		u, err := url.Parse(r.Name)
		if err != nil || u.Host != strings.TrimPrefix(h.base, "http://") {
			continue
		}
		if !slices.Contains(paths, u.Path) {
			paths = append(paths, u.Path)
		}
		if strings.HasSuffix(u.Path, ".wasm") && lr.Encoding == "" {
			switch {
			case r.Encoded == 0:
			case r.Encoded == r.Decoded:
				lr.Encoding = "identity"
			default:
				lr.Encoding = h.encodingOf(u.Path, int64(r.Encoded))
			}
		}
	}
	for _, p := range paths {
		fs := FileSize{Path: p}
		var err error
		if fs.Raw, _, err = h.fetchSize(p, "identity"); errors.Is(err, errNotFound) {
			continue // e.g. /favicon.ico
		} else if err != nil {
			return err
		}
		if fs.Gzip, _, err = h.fetchSize(p, "gzip"); err != nil {
			return err
		}
		if fs.Brotli, _, err = h.fetchSize(p, "br"); err != nil {
			return err
		}
		lr.Files = append(lr.Files, fs)
		switch {
		case strings.HasSuffix(p, ".wasm"):
			lr.Wasm.add(fs.Sizes)
			if strings.HasSuffix(p, "/core.wasm") {
				lr.Core.add(fs.Sizes)
			}
		case p == "/local.json":
		default:
			lr.Page.add(fs.Sizes)
		}
	}
	raw, err := os.ReadFile(h.cfg.path("node_modules/mqtt/dist/mqtt.min.js"))
	if err != nil {
		return err
	}
	lr.MQTTjs = Sizes{Raw: int64(len(raw)), Gzip: gzipLen(raw), Brotli: brotliLen(raw)}
	return nil
}

// encodingOf names the encoding whose size is n.
func (h *harness) encodingOf(path string, n int64) string {
	for _, enc := range []string{"br", "gzip", "identity"} {
		if m, _, err := h.fetchSize(path, enc); err == nil && m == n {
			return enc
		}
	}
	return "?"
}

var errNotFound = errors.New("not found")

// fetchSize returns the size of path's body as served for Accept-Encoding enc.
func (h *harness) fetchSize(path, enc string) (int64, string, error) {
	req, err := http.NewRequest("GET", h.base+path, nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Accept-Encoding", enc)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if resp.StatusCode == http.StatusNotFound {
		return 0, "", errNotFound
	}
	if resp.StatusCode != http.StatusOK {
		return 0, "", fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return n, resp.Header.Get("Content-Encoding"), err
}
