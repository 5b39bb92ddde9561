// Package testwatch ends a test binary that has run too long, printing the
// stacks of its goroutines, a summary of where they wait and, last, the
// names of the tests still running. go test's own -timeout prints every
// goroutine after the test names, so when only the end of a long log is
// kept, the names are lost; here they and the summary are the last lines.
package testwatch

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"reflect"
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

var (
	testFunc = regexp.MustCompile(`(?m)^[\w./-]+\.((?:Test|Fuzz|Benchmark|Example)\w*)\(`)
	header   = regexp.MustCompile(`^goroutine \d+ \[([^\]]*)\]:`)
	// module is this module's import path: its frames are the ones that say
	// where a goroutine is in the project's code.
	module = strings.TrimSuffix(reflect.TypeOf(marker{}).PkgPath(), "/internal/testwatch")
)

type marker struct{}

// summaryLines bounds the report's summary, so that it and the names fit in
// the end of a log that is cut.
const summaryLines = 40

// Report is the stacks of every goroutine but those of tests not yet
// started (waiting in t.Parallel), then a summary of them, one line for
// each group of goroutines blocked at the same place (the frame where it
// waits and the deepest frame of this module), then one line naming the
// tests still running. The summary and the names come last: a log cut to
// its end keeps them.
func Report(after time.Duration) []byte {
	buf := make([]byte, 8<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out bytes.Buffer
	var names []string
	seen := map[string]bool{}
	parked := 0
	counts := map[string]int{}
	var order []string
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("testing.(*T).Parallel(")) {
			parked++ // a parallel test waiting for the sequential ones
			continue
		}
		out.Write(g)
		out.WriteString("\n\n")
		if bytes.Contains(g, []byte("testing.tRunner")) || bytes.Contains(g, []byte("_test.go:")) {
			for _, m := range testFunc.FindAllSubmatch(g, -1) {
				if n := string(m[1]); !seen[n] && n != "TestMain" {
					seen[n] = true
					names = append(names, n)
				}
			}
		}
		if k := where(string(g)); k != "" {
			if counts[k] == 0 {
				order = append(order, k)
			}
			counts[k]++
		}
	}
	fmt.Fprintf(&out, "testwatch: where the goroutines wait (count, state, frame, deepest frame of %s):\n", module)
	for i, k := range order {
		if i == summaryLines {
			fmt.Fprintf(&out, "  ... and %d more places\n", len(order)-i)
			break
		}
		fmt.Fprintf(&out, "%4d %s\n", counts[k], k)
	}
	fmt.Fprintf(&out, "testwatch: the tests had not finished after %s; still running: %s", after, strings.Join(names, ", "))
	if parked > 0 {
		fmt.Fprintf(&out, "; %d waiting in t.Parallel", parked)
	}
	out.WriteString("\n")
	return out.Bytes()
}

// where is a goroutine's place in one line: its state (without the time
// it has waited), the function it is in, and the deepest frame in this
// module's code, with its file and line.
func where(g string) string {
	lines := strings.Split(strings.TrimSpace(g), "\n")
	m := header.FindStringSubmatch(lines[0])
	if m == nil || len(lines) < 3 {
		return ""
	}
	state, _, _ := strings.Cut(m[1], ",")
	top := strings.TrimPrefix(funcName(lines[1]), module+"/")
	for i := 1; i+1 < len(lines); i += 2 {
		f := funcName(lines[i])
		if !strings.HasPrefix(f, module+"/") {
			continue
		}
		f = strings.TrimPrefix(f, module+"/")
		file := strings.TrimSpace(lines[i+1])
		if j := strings.LastIndexByte(file, '/'); j >= 0 {
			file = file[j+1:]
		}
		file, _, _ = strings.Cut(file, " +")
		if f == top {
			return "[" + state + "] " + f + " " + file
		}
		return "[" + state + "] " + top + " <- " + f + " " + file
	}
	return "[" + state + "] " + top
}

// funcName is a stack line's function, without its arguments.
func funcName(line string) string {
	f := strings.TrimSpace(line)
	f = strings.TrimPrefix(f, "created by ")
	if i := strings.LastIndex(f, "("); i > 0 && strings.HasSuffix(f, ")") {
		f = f[:i]
	}
	if i := strings.Index(f, " in goroutine"); i > 0 {
		f = f[:i]
	}
	return f
}
