package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/onenet-wasm/onenet-wasm/token"
)

// TokenResults are tokens generated per second.
type TokenResults struct {
	Wasm   float64 `json:"wasmPerSec"`   // onenet.token in the page (core.wasm), sha1
	Native float64 `json:"nativePerSec"` // token.Generate in Go, sha1
	Ratio  float64 `json:"ratio"`        // wasm / native
}

func measureTokens(ctx context.Context, h *harness, res *Results) error {
	tr := &TokenResults{}
	res.Tokens = tr
	p := token.Params{Res: "products/" + productID + "/devices/" + deviceName, Key: deviceKey, Method: "sha1", ET: 2000000000}
	if _, err := token.Generate(p); err != nil {
		return err
	}
	r := testing.Benchmark(func(b *testing.B) {
		for b.Loop() {
			if _, err := token.Generate(p); err != nil {
				b.Fatal(err)
			}
		}
	})
	tr.Native = float64(r.N) / r.T.Seconds()

	b, err := h.newBrowser(ctx)
	if err != nil {
		return err
	}
	defer b.close()
	if err := b.navigate(h.base + "/bench/clients.html"); err != nil {
		return err
	}
	if err := b.waitJS(time.Minute, `document.body.dataset.ready === "all"`); err != nil {
		return err
	}
	run, err := eval[tputRun](b, time.Minute, fmt.Sprintf(`bench.tokens({ms: %d})`, h.cfg.tokenMillis))
	if err != nil {
		return err
	}
	tr.Wasm = run.PerSec
	tr.Ratio = tr.Wasm / tr.Native
	return nil
}
