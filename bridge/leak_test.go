package bridge

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when any goroutine is still running
// after the last of them (issue 7: no goroutine leak in tests).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
