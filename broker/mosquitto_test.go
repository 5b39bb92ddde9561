package broker

import (
	"bytes"
	"context"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// mosquittoTool returns the path of a mosquitto-clients program, failing
// the test when it is missing: interop is part of what this package
// promises, so it is not skipped silently.
func mosquittoTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found (%v): install mosquitto-clients (make deps)", name, err)
	}
	return path
}

// mosquittoArgs are the connection arguments of Debian's mosquitto clients
// for device dev of prod1 (docs/PROTOCOL.md §3).
func (e *env) mosquittoArgs(t testing.TB, dev, key string) []string {
	host, port, err := net.SplitHostPort(e.tcp)
	if err != nil {
		t.Fatal(err)
	}
	return []string{"-h", host, "-p", port, "-V", "mqttv311", "-i", dev, "-u", "prod1", "-P", devTok(t, "prod1", dev, key), "-k", "60"}
}

func runTool(t testing.TB, ctx context.Context, path string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, path, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout: %s\nstderr: %s", path, strings.Join(args[:4], " "), err, out.String(), errb.String())
	}
	return out.String()
}

// TestMosquittoClients: Debian's mosquitto_pub, mosquitto_rr and
// mosquitto_sub against the TCP listener. mosquitto_pub publishes a
// datapoint at QoS 1 on the $sys topic and gets its PUBACK; mosquitto_rr
// publishes one and prints dp/post/json/accepted (a device's replies go only
// to the device itself, so the uploader must also be the subscriber:
// mosquitto_sub and mosquitto_pub logging in as the same device would take
// each other over); mosquitto_sub receives a command.
func TestMosquittoClients(t *testing.T) {
	t.Parallel()
	pub := mosquittoTool(t, "mosquitto_pub")
	rr := mosquittoTool(t, "mosquitto_rr")
	sub := mosquittoTool(t, "mosquitto_sub")
	e := newEnv(t, noLimits)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	const dp = "$sys/prod1/dev1/dp/post/json"

	runTool(t, ctx, pub, append(e.mosquittoArgs(t, "dev1", keyD1), "-q", "1", "-t", dp, "-m", `{"id":41,"dp":{"temp":[{"v":20.5}]}}`)...)
	if pts := e.b.Datapoints("prod1", "dev1")["temp"]; len(pts) != 1 || string(pts[0].Value) != "20.5" {
		t.Errorf("after mosquitto_pub: temp %v", pts)
	}

	out := runTool(t, ctx, rr, append(e.mosquittoArgs(t, "dev1", keyD1), "-q", "1", "-W", "20",
		"-t", dp, "-e", dp+"/accepted", "-m", `{"id":42,"dp":{"temp":[{"v":21}]}}`)...)
	if strings.TrimSpace(out) != `{"id":42}` {
		t.Errorf("mosquitto_rr printed %q, want {\"id\":42}", out)
	}
	out = runTool(t, ctx, rr, append(e.mosquittoArgs(t, "dev1", keyD1), "-q", "1", "-W", "20",
		"-t", dp, "-e", dp+"/rejected", "-m", `{"id":43,"dp":{"temp":[{"v":[1]}]}}`)...)
	if !strings.HasPrefix(out, `{"id":43,"err_code":98,`) {
		t.Errorf("mosquitto_rr printed %q, want the rejection of id 43", out)
	}

	// mosquitto_sub as dev2 gets a command sent from the platform side.
	cmd := exec.CommandContext(ctx, sub, append(e.mosquittoArgs(t, "dev2", keyD2), "-v", "-C", "1", "-W", "20", "-t", "$sys/prod1/dev2/cmd/request/+")...)
	var subOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &subOut, &subOut
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := e.b.devices["prod1/dev2"]
	waitUntil(t, "mosquitto_sub subscribed", func() bool { return e.b.ready(d, "cmd/request/x") == nil })
	short, cancel2 := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel2()
	_, _ = e.b.SendCommand(short, "prod1", "dev2", []byte("reboot")) // mosquitto_sub does not answer
	if err := cmd.Wait(); err != nil {
		t.Fatalf("mosquitto_sub: %v: %s", err, subOut.String())
	}
	if got := subOut.String(); !strings.HasPrefix(got, "$sys/prod1/dev2/cmd/request/") || !strings.HasSuffix(got, " reboot\n") {
		t.Errorf("mosquitto_sub printed %q", got)
	}
}
