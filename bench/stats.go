package main

import (
	"bytes"
	"compress/gzip"
	"math"
	"slices"

	"github.com/andybalholm/brotli"
)

// median of xs; NaN when empty.
func median(xs []float64) float64 { return percentile(xs, 50) }

// percentile p (0–100) of xs, by the nearest-rank method; NaN when empty.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if p <= 0 {
		return s[0]
	}
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func gzipLen(b []byte) int64 {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return int64(buf.Len())
}

func brotliLen(b []byte) int64 {
	var buf bytes.Buffer
	w := brotli.NewWriterLevel(&buf, brotli.BestCompression)
	w.Write(b)
	w.Close()
	return int64(buf.Len())
}
