package token

import (
	"fmt"
	"testing"
)

// The package writes its messages without fmt; these helpers must say what
// fmt's verbs would.
func TestFormatHelpers(t *testing.T) {
	for _, r := range []rune{0, 7, 0x1f, 0x7f, 'A', 0x4e2d, 0x1f600, 0x10ffff} {
		if got, want := codePoint(r), fmt.Sprintf("%U", r); got != want {
			t.Errorf("codePoint(%d) = %q, want %q", r, got, want)
		}
	}
	for _, n := range []int64{0, -1, 1700000000, -9223372036854775808} {
		if got, want := itoa(n), fmt.Sprint(n); got != want {
			t.Errorf("itoa(%d) = %q, want %q", n, got, want)
		}
	}
}
