package mqttws

import (
	"testing"
	"time"

	"github.com/onenet-wasm/onenet-wasm/internal/testwatch"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when any goroutine is still running
// after the last of them (issue 7: no goroutine leak in tests), and ends
// them with the names of the tests still running when they hang.
// runtime.handleEvent is the js/wasm runtime's own goroutine, always present
// when the tests run under GOOS=js.
func TestMain(m *testing.M) {
	testwatch.Main(m, 10*time.Minute, goleak.IgnoreAnyFunction("runtime.handleEvent"))
}
