package main

import (
	"context"
	"github.com/onenet-wasm/onenet-wasm/bridge"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/onenet-wasm/onenet-wasm/internal/pagefiles"
	"github.com/onenet-wasm/onenet-wasm/internal/version"
	"github.com/onenet-wasm/onenet-wasm/token"
	"github.com/onenet-wasm/onenet-wasm/web"
)

const registry = `{"products":[{"id":"469948","key":"kKsubaG7FzMgzR6N3eUD53319Qu+K4MCvw6KzOYc5eI=",
  "devices":[{"name":"Chic_D","key":"rs2FaE5BuygJZkWKDA5okKt1RFpwOx53hbu6hwyCS4U="}]}]}`

// build compiles the command once per test binary run.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "onenet-web")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// start runs the server and returns its page URL and MQTT address, read
// from what it prints, and its log. Its output is collected by exec's own
// copying, which cmd.Wait waits for: once Wait returns, the log holds
// everything the server wrote. (Reading a StderrPipe in a goroutine of
// the test's own lost the last lines: Wait closes the pipe under the
// reader.)
func start(t *testing.T, bin string, args ...string) (*exec.Cmd, string, string, *lockedBuf) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0", "-mqtt-addr", "127.0.0.1:0"}, args...)...)
	stdout, logs := &lockedBuf{}, &lockedBuf{}
	cmd.Stdout, cmd.Stderr = stdout, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	page := waitLog(t, stdout, `(?m)^onenet-web: open (\S+)$`)[1]
	addr := waitLog(t, logs, `MQTT over TCP on (\S+)`)[1]
	return cmd, page, addr, logs
}

func TestSIGTERMDisconnectsCleanly(t *testing.T) {
	bin := build(t)
	reg := filepath.Join(t.TempDir(), "devices.json")
	if err := os.WriteFile(reg, []byte(registry), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd, page, addr, logs := start(t, bin, "-devices", reg)

	resp, err := http.Get(page)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %v %v", page, resp, err)
	}
	resp.Body.Close()

	tok, err := token.Generate(token.Params{Res: "products/469948/devices/Chic_D", Key: "rs2FaE5BuygJZkWKDA5okKt1RFpwOx53hbu6hwyCS4U=", ET: time.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	lost := make(chan error, 1)
	opts := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID("Chic_D").SetUsername("469948").SetPassword(tok).
		SetProtocolVersion(4).SetAutoReconnect(false).SetKeepAlive(60 * time.Second).
		SetConnectionLostHandler(func(_ paho.Client, err error) { lost <- err })
	c := paho.NewClient(opts)
	if tk := c.Connect(); !tk.WaitTimeout(10*time.Second) || tk.Error() != nil {
		t.Fatalf("connect: %v\n%s", tk.Error(), logs.String())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-lost:
		// The broker closed the connection: paho reports EOF, not a timeout.
		if err == nil || !strings.Contains(err.Error(), "EOF") {
			t.Errorf("connection lost with %v, want EOF (a clean close)", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the device was not disconnected after SIGTERM")
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the server did not exit after SIGTERM")
	}
	for _, secret := range []string{tok, "kKsub", "rs2Fa", "sign="} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds a secret (%q):\n%s", secret, logs.String())
		}
	}
}

func TestBadRegistryNamesFileAndLine(t *testing.T) {
	f := filepath.Join(t.TempDir(), "devices.json")
	bad := "{\"products\":[\n  {\"id\":\"1\",\"key\":\"x\",}\n]}"
	if err := os.WriteFile(f, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-mqtt-addr", "", "-devices", f}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), f+":2:") {
		t.Errorf("run with a malformed registry = %v; want an error naming %s:2:", err, f)
	}
}

func TestDemoRegistryIsKept(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sub", "demo.json")
	a, err := demoRegistry(file)
	if err != nil {
		t.Fatal(err)
	}
	b, err := demoRegistry(file)
	if err != nil {
		t.Fatal(err)
	}
	if a.Products[0].Key != b.Products[0].Key || a.Products[0].Devices[0].Key != b.Products[0].Devices[0].Key {
		t.Error("the demo registry changed between runs")
	}
	if st, err := os.Stat(file); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("demo file: %v %v; want mode 0600", st, err)
	}
}

func TestUsage(t *testing.T) {
	var errb strings.Builder
	if err := run(context.Background(), []string{"-nope"}, io.Discard, &errb); err == nil || !strings.Contains(errb.String(), "-bridge-allow") {
		t.Errorf("unknown flag: %v, usage %q", err, errb.String())
	}
	if _, err := parseAllow("mqtt://x:1"); err == nil {
		t.Error("parseAllow accepted a URL")
	}
	ts, err := parseAllow("mqttstls.heclouds.com:8883, tls://127.0.0.1:8883,localhost:1883")
	if err != nil || len(ts) != 3 || !ts[0].TLS || !ts[0].VerifyOneNET || !ts[1].TLS || ts[2].TLS {
		t.Errorf("parseAllow = %+v, %v", ts, err)
	}
}

// TestRuleProductHostRelay: a product's own host, seen in community code
// only, can be allowed in the relay, port 8883 with TLS and OneNET's CA
// rule (docs/PROTOCOL.md §2).
func TestRuleProductHostRelay(t *testing.T) {
	ts, err := parseAllow("Ub99ifb8x7.mqtts.acc.cmcconenet.cn:1883,ub99ifb8x7.mqtts.acc.cmcconenet.cn:8883,tls://ub99ifb8x7.mqtts.acc.cmcconenet.cn:8883,x.mqtts.acc.cmcconenet.cn:6002")
	if err != nil || len(ts) != 4 {
		t.Fatalf("parseAllow = %+v, %v", ts, err)
	}
	if ts[0].Addr != "ub99ifb8x7.mqtts.acc.cmcconenet.cn:1883" || ts[0].TLS {
		t.Errorf("port 1883: %+v, want plain", ts[0])
	}
	if !ts[1].TLS || !ts[1].VerifyOneNET {
		t.Errorf("port 8883: %+v, want TLS with OneNET's CA rule", ts[1])
	}
	if !ts[2].TLS || ts[2].VerifyOneNET {
		t.Errorf("tls://…:8883: %+v, want TLS with the system roots", ts[2])
	}
	if ts[3].TLS || ts[3].VerifyOneNET {
		t.Errorf("another port: %+v, want plain TCP as any host", ts[3])
	}
	if _, ok := bridge.ProductTarget("a.b.mqtts.acc.cmcconenet.cn:1883"); ok {
		t.Error("ProductTarget took a two-label prefix")
	}
}

// TestVersion: -version prints the version and the build id of the page
// it carries, the id build.js has for the same files.
func TestVersion(t *testing.T) {
	var out strings.Builder
	if err := run(context.Background(), []string{"-version"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	b, err := pagefiles.Compute(web.Files)
	if err != nil {
		t.Fatal(err)
	}
	if want := "onenet-web v" + version.Version + " (page build " + b.ID + ")\n"; out.String() != want {
		t.Errorf("-version printed %q, want %q", out.String(), want)
	}
}
