package server

import (
	"testing"
	"time"

	"github.com/onenet-wasm/onenet-wasm/internal/testwatch"
)

// TestMain fails the package's tests when any goroutine is still running
// after the last of them (issue 7: no goroutine leak in tests), and ends
// them with the names of the tests still running when they hang.
func TestMain(m *testing.M) {
	testwatch.Main(m, 10*time.Minute)
}
