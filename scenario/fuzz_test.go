package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: Parse never panics, and whatever it refuses is an *Error with
// at least one problem; what it accepts has its devices within MaxDevices.
// Seeded with the examples in docs/examples.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(examples, "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"devices":[{"product":"p","device":"d{n}","count":3,"key":{"env":"K"},"publish":[{"every":1,"dp":{"t":{"walk":{"start":1,"step":1,"min":0,"max":2}}}}],"subDevices":[{"product":"s","device":"x"}]}]}`))
	fsys := testFS()
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.json", data, fsys)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || len(e.Problems) == 0 {
				t.Fatalf("Parse: %v (%T), want an *Error with problems", err, err)
			}
			return
		}
		if n := len(s.Instances()); n == 0 || n > MaxDevices {
			t.Fatalf("%d devices", n)
		}
	})
}
