package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/heapprofiler"
	"github.com/chromedp/cdproto/network"
	cdpage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// inject runs in every document before the page's own scripts: it records
// long main-thread tasks, when document.body.dataset.ready changes, and the
// Go instances' memories (see window.__bench).
//
//go:embed inject.js
var inject string

// browser is one headless Chromium with a fresh profile and one tab.
type browser struct {
	ctx    context.Context
	cancel context.CancelFunc
	dir    string
}

// newBrowser starts Chromium with the flags of e2e/browser_test.go, a fresh
// --user-data-dir, and the bench script injected into every document.
func (h *harness) newBrowser(ctx context.Context) (*browser, error) {
	dir, err := os.MkdirTemp("", "onenet-bench-chromium-")
	if err != nil {
		return nil, err
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(h.cfg.chromiumPath()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(dir),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// A benchmark must not be slowed down for being in the background.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("enable-precise-memory-info", true),
		chromedp.WindowSize(1280, 1800),
	}
	actx, acancel := chromedp.NewExecAllocator(context.WithoutCancel(ctx), opts...)
	var copts []chromedp.ContextOption
	if h.cfg.verbose {
		// The page's console, in the log.
		copts = append(copts, chromedp.WithListener(func(ev any) {
			if e, ok := ev.(*runtime.EventConsoleAPICalled); ok {
				var parts []string
				for _, a := range e.Args {
					if a.Value != nil {
						parts = append(parts, strings.Trim(string(a.Value), `"`))
					} else {
						parts = append(parts, a.Description)
					}
				}
				h.cfg.logf("console.%s: %s", e.Type, strings.Join(parts, " "))
			}
		}))
	}
	bctx, bcancel := chromedp.NewContext(actx, copts...)
	b := &browser{ctx: bctx, dir: dir, cancel: func() {
		bcancel()
		acancel()
		os.RemoveAll(dir)
	}}
	// The first Do starts the browser; its context must have no deadline.
	if err := chromedp.Do(bctx); err != nil {
		b.cancel()
		return nil, fmt.Errorf("starting Chromium: %w", err)
	}
	if err := b.do(30*time.Second, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, cdpage.AddScriptToEvaluateOnNewDocument, cdpage.AddScriptToEvaluateOnNewDocumentParams{Source: inject})
		return err
	})); err != nil {
		b.cancel()
		return nil, err
	}
	return b, nil
}

func (b *browser) close() { b.cancel() }

// do runs actions with a timeout.
func (b *browser) do(timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

// throttle emulates a network of the given download and upload rate
// (bits per second) and latency for every request of the tab.
func (b *browser) throttle(bitsPerSec float64, latency time.Duration) error {
	return b.do(30*time.Second, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{
				Latency:            float64(latency / time.Millisecond),
				DownloadThroughput: bitsPerSec / 8,
				UploadThroughput:   bitsPerSec / 8,
			}},
		})
		return err
	}))
}

// navigate loads url and waits for its load event.
func (b *browser) navigate(url string) error {
	return b.do(2*time.Minute, chromedp.Navigate(url))
}

// eval evaluates a JavaScript expression, awaiting a Promise, into T.
func eval[T any](b *browser, timeout time.Duration, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		var zero T
		return zero, fmt.Errorf("evaluate %s: %w", clip(expr), err)
	}
	return v, nil
}

// waitJS polls a JavaScript condition until it is true.
func (b *browser) waitJS(timeout time.Duration, cond string) error {
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingInterval(20*time.Millisecond)))
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, chromedp.ErrPollingTimeout) {
		return fmt.Errorf("timed out after %s waiting for %s", timeout, cond)
	}
	return err
}

// heap is the tab's JavaScript heap after a garbage collection, and the
// memories of its Go instances.
type heap struct {
	JSUsed   float64   `json:"jsUsedBytes"`
	JSTotal  float64   `json:"jsTotalBytes"`
	Embedder float64   `json:"embedderBytes"` // DOM and other Blink objects
	Backing  float64   `json:"backingBytes"`  // ArrayBuffer contents (received payloads), wasm memories excepted
	Wasm     []float64 `json:"wasmBytes"`     // one per Go instance: core, mqtt
}

func (h heap) total() float64 {
	t := h.JSUsed + h.Embedder + h.Backing
	for _, w := range h.Wasm {
		t += w
	}
	return t
}

func (b *browser) heap() (heap, error) {
	var out heap
	err := b.do(time.Minute, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, heapprofiler.CollectGarbage, cdp.Empty{}); err != nil {
			return err
		}
		r, err := cdp.Call(ctx, t, runtime.GetHeapUsage, cdp.Empty{})
		if err != nil {
			return err
		}
		out.JSUsed, out.JSTotal = r.UsedSize, r.TotalSize
		out.Embedder, out.Backing = r.EmbedderHeapUsedSize, r.BackingStorageSize
		return nil
	}))
	if err != nil {
		return out, err
	}
	out.Wasm, err = eval[[]float64](b, 10*time.Second, `__bench.wasmBytes()`)
	return out, err
}

func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}
