package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/onenet-wasm/onenet-wasm/bridge"
	"github.com/onenet-wasm/onenet-wasm/broker"
	"github.com/onenet-wasm/onenet-wasm/server"
)

// TestMain runs the command itself when the tests start this test binary
// as onenet-sim (TestSecondInterrupt): the same main, with its signals.
func TestMain(m *testing.M) {
	if os.Getenv("ONENET_SIM_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

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
	waitForUploads(t, b, &stderr, 1, "s1", "s2", "s3")
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

// A stallProxy forwards TCP connections to a server until it is stalled:
// from then on nothing more goes either way, as with a server that has
// stopped (SIGSTOP) with its connections open.
type stallProxy struct {
	ln     net.Listener
	stall  chan struct{}
	closed chan struct{}
	once   sync.Once
}

func newStallProxy(t *testing.T, target string) *stallProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, stall: make(chan struct{}), closed: make(chan struct{})}
	var conns sync.WaitGroup
	t.Cleanup(func() {
		close(p.closed)
		ln.Close()
		conns.Wait()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			conns.Add(2)
			go p.pipe(&conns, s, c)
			go p.pipe(&conns, c, s)
		}
	}()
	return p
}

// pipe copies from src to dst until either fails or the proxy stalls; a
// stalled pipe holds both connections open until the proxy is closed.
func (p *stallProxy) pipe(wg *sync.WaitGroup, dst, src net.Conn) {
	defer wg.Done()
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		select {
		case <-p.stall:
			<-p.closed
			return
		default:
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *stallProxy) Stall() { p.once.Do(func() { close(p.stall) }) }

// waitOutput waits until re matches what the command wrote from the byte
// offset from on.
func waitOutput(t *testing.T, what string, b *syncBuf, from int, re *regexp.Regexp, within time.Duration) bool {
	t.Helper()
	for end := time.Now().Add(within); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if re.MatchString(b.String()[from:]) {
			return true
		}
	}
	t.Errorf("%s: not after %s", what, within)
	return false
}

// TestSecondInterrupt: the first SIGINT stops the devices, which wait (up
// to 5 s) for the answers to their last uploads; the server has stopped
// answering, so they wait. A second SIGINT ends the program at once: it
// dies of the signal, without its report.
func TestSecondInterrupt(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{5}, 32))
	b, err := broker.New(broker.Options{Registry: &broker.Registry{Products: []broker.Product{{
		ID: "simprod", Key: key, Devices: []broker.Device{{Name: "s1"}},
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addr, err := b.ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := newStallProxy(t, addr.String())
	// QoS 0: a publish needs no PUBACK, so uploads go on once the server
	// has stalled, and wait for their /accepted.
	path := write(t, "s.json", fmt.Sprintf(`{"devices":[{"product":"simprod","device":"s1","key":{"value":%q,"scope":"product"},
	  "publish":[{"every":0.2,"qos":0,"dp":{"t":{"constant":1}}}]}]}`, key))
	cmd := exec.Command(os.Args[0], "-target", "tcp://"+p.ln.Addr().String(), path)
	cmd.Env = append(os.Environ(), "ONENET_SIM_TEST_MAIN=1")
	var stdout, stderr syncBuf
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if t.Failed() {
			t.Logf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		}
	}()
	defer cmd.Process.Kill()

	if !waitOutput(t, "an upload accepted", &stderr, 0, regexp.MustCompile(`accepted [1-9]`), 60*time.Second) {
		return
	}
	p.Stall()
	// A line a second: wait for one, written after the stall, that shows
	// uploads awaiting answers.
	if !waitOutput(t, "uploads awaiting their answers", &stderr, len(stderr.String()), regexp.MustCompile(`waiting [1-9]`), 60*time.Second) {
		return
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	first := time.Now()
	// The program says it is stopping once a second signal would end it
	// (at once; within the 5 s the devices wait, to see the second
	// signal's effect even without the line).
	waitOutput(t, "the stopping line", &stderr, 0, regexp.MustCompile(`stopping: .*Ctrl-C again ends at once`), 4*time.Second)
	select {
	case err := <-exited:
		t.Fatalf("the program ended after the first SIGINT (%v): it should wait for its uploads' answers", err)
	default:
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	second := time.Now()
	var werr error
	select {
	case werr = <-exited:
	case <-time.After(60 * time.Second):
		t.Fatal("the program still runs 60 s after the second SIGINT")
	}
	t.Logf("ended %s after the first SIGINT, %s after the second: %v", time.Since(first).Round(time.Millisecond), time.Since(second).Round(time.Millisecond), werr)
	var ee *exec.ExitError
	if !errors.As(werr, &ee) {
		t.Fatalf("the program exited with %v; want it ended by the second SIGINT", werr)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Errorf("the program ended with %v; want it ended by the second SIGINT", werr)
	}
	if strings.Contains(stdout.String(), "uploads") {
		t.Error("the program printed its report: it waited for the devices instead of ending at once")
	}
}

// TestKeysAndRelay: keys from a file beside the scenario (one for the
// product, read for two devices) and from the prompt (a device's own key,
// typed on standard input), with every device sent through the local
// server's relay (/bridge) to the broker's TCP endpoint on its allow-list.
func TestKeysAndRelay(t *testing.T) {
	productKey := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, 32))
	deviceKey := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{4}, 32))
	b, err := broker.New(broker.Options{Registry: &broker.Registry{Products: []broker.Product{{
		ID: "simprod", Key: productKey, Devices: []broker.Device{{Name: "f1"}, {Name: "f2"}, {Name: "p1", Key: deviceKey}},
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addr, err := b.ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var logMu sync.Mutex
	var logs []string
	srv, err := server.New(server.Config{
		Registry:      &broker.Registry{},
		BridgeTargets: []bridge.Target{{Addr: addr.String()}},
		Files:         fstest.MapFS{},
		Logf: func(f string, args ...any) {
			logMu.Lock()
			logs = append(logs, fmt.Sprintf(f, args...))
			logMu.Unlock()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer srv.Close()
	defer hs.Close()

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "product.key"), []byte(productKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "s.json")
	relay := "relay:" + addr.String()
	if err := os.WriteFile(path, []byte(fmt.Sprintf(`{"name":"keys","devices":[
	  {"product":"simprod","device":"f{n}","count":2,"key":{"file":"product.key","scope":"product"},"target":%q,
	   "publish":[{"every":0.5,"dp":{"t":{"constant":1}}}]},
	  {"product":"simprod","device":"p1","key":{"prompt":true},"target":%q,
	   "publish":[{"every":0.5,"dp":{"t":{"constant":2}}}]}]}`, relay, relay)), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuf
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-server", strings.TrimPrefix(hs.URL, "http://"), "-quiet", path}, strings.NewReader(deviceKey+"\n"), &stdout, &stderr)
	}()
	// Two uploads each: a device's first one has then had its PUBACK, so
	// the report counts it (an upload still awaiting its PUBACK when the
	// run stops is not counted as sent, though the broker may have it).
	waitForUploads(t, b, &stderr, 2, "f1", "f2", "p1")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	out, errOut := stdout.String(), stderr.String()
	t.Logf("stdout:\n%s\nstderr:\n%s", out, errOut)
	// One prompt, for the device whose key is asked for; none for the file.
	if n := strings.Count(errOut, "access key for"); n != 1 || !strings.Contains(errOut, "access key for simprod/p1 ") {
		t.Errorf("prompts on stderr: %d, want one, for simprod/p1", n)
	}
	for _, want := range []string{"scenario keys, seed", ": 3 devices", "unanswered 0", "errors    0"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	var sent, accepted int
	if _, err := fmt.Sscanf(out[strings.Index(out, "uploads"):], "uploads   sent %d  accepted %d", &sent, &accepted); err != nil || sent < 3 || sent != accepted {
		t.Errorf("uploads: sent %d, accepted %d (%v)", sent, accepted, err)
	}
	// Every device came through the relay.
	logMu.Lock()
	opened := 0
	for _, l := range logs {
		if strings.Contains(l, "-> "+addr.String()+" opened") {
			opened++
		}
	}
	if opened != 3 {
		t.Errorf("%d connections relayed to %s, want 3; the server's log:\n%s", opened, addr, strings.Join(logs, "\n"))
	}
	logMu.Unlock()
}

// waitForUploads waits (a minute at most) until each of simprod's devices
// has had n uploads of stream t stored; stderr is the command's, shown if
// they do not.
func waitForUploads(t *testing.T, b *broker.Broker, stderr *syncBuf, n int, devices ...string) {
	t.Helper()
	for end := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		ok := true
		for _, d := range devices {
			ok = ok && len(b.Datapoints("simprod", d)["t"]) >= n
		}
		if ok {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("no uploads from every device; stderr:\n%s", stderr.String())
		}
	}
}
