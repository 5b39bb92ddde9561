// Package testwatch ends a test binary that has run too long, printing the
// stacks of its test goroutines and, last, the names of the tests still
// running. go test's own -timeout prints every goroutine after the test
// names, so when only the end of a long log is kept, the names are lost;
// here they are the last lines.
package testwatch

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Main runs the package's tests with goleak's check for goroutines left
// running, and ends the binary after limit with a report of the tests that
// have not finished. limit is cut to leave a minute of go test's own
// -timeout, so that this report comes first.
func Main(m *testing.M, limit time.Duration, opts ...goleak.Option) {
	flag.Parse()
	if d, ok := testDeadline(); ok && d-time.Minute < limit {
		limit = max(d-time.Minute, d/2)
	}
	timer := time.AfterFunc(limit, func() {
		os.Stderr.Write(Report(limit))
		os.Exit(2)
	})
	code := m.Run()
	timer.Stop()
	if code == 0 {
		if err := goleak.Find(opts...); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: Errors on successful test run: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// testDeadline is the -test.timeout the binary runs under, if any.
func testDeadline() (time.Duration, bool) {
	f := flag.Lookup("test.timeout")
	if f == nil {
		return 0, false
	}
	d, err := time.ParseDuration(f.Value.String())
	return d, err == nil && d > 0
}

var testFunc = regexp.MustCompile(`(?m)^[\w./-]+\.((?:Test|Fuzz|Benchmark|Example)\w*)\(`)

// Report is the stacks of the goroutines running tests, then one line
// naming those tests.
func Report(after time.Duration) []byte {
	buf := make([]byte, 8<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out bytes.Buffer
	var names []string
	seen := map[string]bool{}
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if !bytes.Contains(g, []byte("testing.tRunner")) && !bytes.Contains(g, []byte("_test.go:")) {
			continue
		}
		out.Write(g)
		out.WriteString("\n\n")
		for _, m := range testFunc.FindAllSubmatch(g, -1) {
			if n := string(m[1]); !seen[n] && n != "TestMain" {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	fmt.Fprintf(&out, "testwatch: the tests had not finished after %s; still running: %s\n", after, strings.Join(names, ", "))
	return out.Bytes()
}
