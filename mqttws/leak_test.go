package mqttws

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when any goroutine is still running
// after the last of them (issue 7: no goroutine leak in tests).
// runtime.handleEvent is the js/wasm runtime's own goroutine, always present
// when the tests run under GOOS=js.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("runtime.handleEvent"))
}
