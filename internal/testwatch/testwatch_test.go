package testwatch

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m, 5*time.Minute) }

// The report holds the stacks of a test and of a goroutine it started,
// places that goroutine in its summary, and names the test last, with the
// count of tests waiting in t.Parallel, whose stacks it leaves out.
func TestReportNamesRunningTests(t *testing.T) {
	t.Run("parked", func(t *testing.T) { t.Parallel() }) // runs when this test returns
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
	if last != "testwatch: the tests had not finished after 1m0s; still running: TestReportNamesRunningTests; 1 waiting in t.Parallel\n" {
		t.Fatalf("last line %q", last)
	}
	if !strings.Contains(r, "testwatch.waitingHelper(") {
		t.Errorf("no stack of the goroutine the test started:\n%s", r)
	}
	if strings.Contains(r, "TestReportNamesRunningTests/parked") {
		t.Errorf("the stack of a test waiting in t.Parallel:\n%s", r)
	}
	// The helper waits in a channel receive in its own frame.
	if !regexp.MustCompile(`(?m)^   1 \[chan receive\] internal/testwatch\.waitingHelper testwatch_test\.go:\d+$`).MatchString(r) {
		t.Errorf("the summary does not place the helper:\n%s", r[strings.Index(r, "testwatch: where"):])
	}
}

func waitingHelper(started, release, done chan struct{}) {
	close(started)
	<-release
	close(done)
}
