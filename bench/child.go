package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/onenet-wasm/onenet-wasm/broker"
)

// The broker benchmark runs each broker in a child process (this program,
// run again with childEnv set), so that its memory is its own.
const (
	childEnv        = "ONENET_BENCH_CHILD"
	childKindEnv    = "ONENET_BENCH_KIND"
	childDevicesEnv = "ONENET_BENCH_DEVICES"
	childRoleEnv    = "ONENET_BENCH_ROLE" // "publish" (brokerRun) or "hold" (holdRun)
	// childProfileEnv, if set, is where a child writes its CPU profile
	// (PATH.KIND.DEVICES, and PATH.KIND.DEVICES.hold for the WebSocket
	// hold), e.g. ONENET_BENCH_CHILD_PROFILE=/tmp/broker.prof.
	childProfileEnv = "ONENET_BENCH_CHILD_PROFILE"
	benchProduct    = "bench"
)

func isChild() bool { return os.Getenv(childEnv) == "broker" }

// childAddrs is what a child prints when it is ready.
type childAddrs struct {
	TCP string `json:"tcp"`
	WS  string `json:"ws"`
}

// childStats is what a child answers to "stats".
type childStats struct {
	RSS        int64 `json:"rssBytes"`  // VmRSS
	HWM        int64 `json:"peakBytes"` // VmHWM
	HeapInuse  int64 `json:"heapInuseBytes"`
	StackInuse int64 `json:"stackInuseBytes"`
	Sys        int64 `json:"sysBytes"`
	Goroutines int   `json:"goroutines"`
	Clients    int   `json:"clients"` // devices (onenet) or clients (bare) connected
}

// benchRegistry is one product with n devices d0…, logging in with the
// product key.
func benchRegistry(n int) *broker.Registry {
	p := broker.Product{ID: benchProduct, Key: productKey}
	for i := range n {
		p.Devices = append(p.Devices, broker.Device{Name: "d" + strconv.Itoa(i)})
	}
	return &broker.Registry{Products: []broker.Product{p}}
}

// childMain serves one broker until its stdin closes.
func childMain() int {
	kind := os.Getenv(childKindEnv)
	n, _ := strconv.Atoi(os.Getenv(childDevicesEnv))
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "bench child:", err)
		return 1
	}
	var (
		tcp     string
		ws      http.Handler
		clients func() int
		closeFn func()
	)
	switch kind {
	case "onenet":
		b, err := broker.New(broker.Options{Registry: benchRegistry(n), Limits: broker.RateLimits{Disabled: true}})
		if err != nil {
			return fail(err)
		}
		addr, err := b.ListenTCP("127.0.0.1:0")
		if err != nil {
			return fail(err)
		}
		tcp, ws, closeFn = addr.String(), b.WebSocketHandler(), func() { b.Close() }
		clients = func() int {
			online := 0
			for _, d := range b.Devices(benchProduct) {
				if d.Online {
					online++
				}
			}
			return online
		}
	case "bare":
		s, addr, err := startBareMochi()
		if err != nil {
			return fail(err)
		}
		tcp, ws, closeFn = addr, bareWSHandler(s), func() { s.Close() }
		clients = func() int { return int(atomic.LoadInt64(&s.Info.ClientsConnected)) }
	default:
		return fail(fmt.Errorf("%s=%q: want onenet or bare", childKindEnv, kind))
	}
	defer closeFn()
	if path := os.Getenv(childProfileEnv); path != "" {
		name := path + "." + kind + "." + strconv.Itoa(n)
		if os.Getenv(childRoleEnv) == "hold" {
			name += ".hold"
		}
		f, err := os.Create(name)
		if err != nil {
			return fail(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fail(err)
		}
		defer pprof.StopCPUProfile()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/mqtt", ws)
	go http.Serve(ln, mux)
	out := json.NewEncoder(os.Stdout)
	out.Encode(childAddrs{TCP: tcp, WS: "ws://" + ln.Addr().String() + "/mqtt"})
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "cpu":
			out.Encode(cpuSeconds())
		case "stats":
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			st := childStats{HeapInuse: int64(ms.HeapInuse), StackInuse: int64(ms.StackInuse), Sys: int64(ms.Sys),
				Goroutines: runtime.NumGoroutine(), Clients: clients()}
			st.RSS, st.HWM = procStatus("VmRSS"), procStatus("VmHWM")
			out.Encode(st)
		}
	}
	return 0
}

// procStatus reads a size from /proc/self/status, in bytes.
func procStatus(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// child is a running broker child.
type child struct {
	cmd   *exec.Cmd
	in    *bufio.Writer
	inc   interface{ Close() error }
	out   *json.Decoder
	addrs childAddrs
}

func startChild(ctx context.Context, kind, role string, devices int) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), childEnv+"=broker", childKindEnv+"="+kind, childDevicesEnv+"="+strconv.Itoa(devices), childRoleEnv+"="+role)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, in: bufio.NewWriter(stdin), inc: stdin, out: json.NewDecoder(stdout)}
	done := make(chan error, 1)
	go func() { done <- c.out.Decode(&c.addrs) }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		err = fmt.Errorf("no address in 30 s")
	}
	if err != nil {
		c.stop()
		return nil, fmt.Errorf("broker child %s: %w", kind, err)
	}
	return c, nil
}

func (c *child) stats() (childStats, error) {
	var st childStats
	if _, err := c.in.WriteString("stats\n"); err != nil {
		return st, err
	}
	if err := c.in.Flush(); err != nil {
		return st, err
	}
	return st, c.out.Decode(&st)
}

// cpuSeconds is the CPU time (user and system) the process has used.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// cpu asks the child for its CPU time so far, in seconds.
func (c *child) cpu() (float64, error) {
	var s float64
	if _, err := c.in.WriteString("cpu\n"); err != nil {
		return 0, err
	}
	if err := c.in.Flush(); err != nil {
		return 0, err
	}
	return s, c.out.Decode(&s)
}

func (c *child) stop() {
	c.inc.Close()
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}
