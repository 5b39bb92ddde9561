package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onenet-wasm/onenet-wasm/broker"
)

// syncBuf is a bytes.Buffer safe for the run's goroutines.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRun: onenet-sim runs a template of three devices against the local
// broker over TCP, with the product key in an environment variable, until
// it is stopped (as by Ctrl-C), and reports.
func TestRun(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	b, err := broker.New(broker.Options{Registry: &broker.Registry{Products: []broker.Product{{
		ID: "simprod", Key: key, Devices: []broker.Device{{Name: "s1"}, {Name: "s2"}, {Name: "s3"}},
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addr, err := b.ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SIM_TEST_KEY", key)
	path := write(t, "s.json", `{"name":"cmd","devices":[{"product":"simprod","device":"s{n}","key":{"env":"SIM_TEST_KEY","scope":"product"},
	  "publish":[{"every":0.5,"dp":{"t":{"random":{"min":1,"max":9}}}}]}]}`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuf
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-devices", "3", "-seed", "9", "-target", "tcp://" + addr.String(), path}, nil, &stdout, &stderr)
	}()
	// Stop once every device has had an upload accepted.
	end := time.Now().Add(60 * time.Second)
	for {
		ok := true
		for _, d := range []string{"s1", "s2", "s3"} {
			ok = ok && len(b.Datapoints("simprod", d)["t"]) > 0
		}
		if ok {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("no uploads from every device; stderr:\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	out := stdout.String()
	t.Logf("stdout:\n%s\nstderr:\n%s", out, stderr.String())
	for _, want := range []string{"scenario cmd, seed 9: 3 devices", "unanswered 0", "errors    0"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	var sent, accepted int
	if _, err := fmt.Sscanf(out[strings.Index(out, "uploads"):], "uploads   sent %d  accepted %d", &sent, &accepted); err != nil || sent == 0 || sent != accepted {
		t.Errorf("uploads: sent %d, accepted %d (%v)", sent, accepted, err)
	}
	// The broker sees the disconnections (asynchronously).
	for end := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		online := 0
		for _, st := range b.Devices("simprod") {
			if st.Online {
				online++
			}
		}
		if online == 0 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("%d devices still online after the run", online)
		}
	}
}

// TestBadFiles: errors name the file and the path in it.
func TestBadFiles(t *testing.T) {
	cases := []struct{ content, want string }{
		{`{"devices":[{"product":"p","device":"d","key":{"env":"K"},"publish":[{"every":"5","dp":{"t":{"constant":1}}}]}]}`,
			`devices[0].publish[0].every: a string where a number is expected`},
		{`{"devices":[{"product":"p","device":"d","key":{"env":"SIM_TEST_NO_SUCH_VARIABLE"}}]}`,
			"p/d: key: the environment variable SIM_TEST_NO_SUCH_VARIABLE is not set"},
	}
	for _, c := range cases {
		path := write(t, "bad.json", c.content)
		var stdout, stderr syncBuf
		err := run(context.Background(), []string{"-target", "tcp://127.0.0.1:1", path}, nil, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want …%s…", c.content, err, c.want)
		}
	}
	if err := run(context.Background(), nil, nil, &syncBuf{}, &syncBuf{}); err == nil {
		t.Error("no file: no error")
	}
}
