package testwatch

import (
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m, 5*time.Minute) }

// The report holds the stacks of a test and of a goroutine it started, and
// names the test last.
func TestReportNamesRunningTests(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	done := make(chan struct{})
	go waitingHelper(started, release, done)
	// Until it has run, a new goroutine's stack names only the go
	// statement's wrapper, not waitingHelper.
	<-started
	r := string(Report(time.Minute))
	close(release)
	<-done
	last := r[strings.LastIndex(strings.TrimSuffix(r, "\n"), "\n")+1:]
	if last != "testwatch: the tests had not finished after 1m0s; still running: TestReportNamesRunningTests\n" {
		t.Fatalf("last line %q", last)
	}
	if !strings.Contains(r, "testwatch.waitingHelper(") {
		t.Errorf("no stack of the goroutine the test started:\n%s", r)
	}
}

func waitingHelper(started, release, done chan struct{}) {
	close(started)
	<-release
	close(done)
}
