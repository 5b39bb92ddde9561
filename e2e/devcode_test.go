package e2e

// The device as code (issue 15): the programs onenet/devcode writes are run
// against the local broker's TCP listener by the real tools (Debian's
// mosquitto-clients and python3-paho-mqtt, mqtt.js from package-lock.json),
// and the broker stores their datapoint and answers it on /accepted.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/onenet-wasm/onenet-wasm/broker"
	"github.com/onenet-wasm/onenet-wasm/onenet/devcode"
	"github.com/onenet-wasm/onenet-wasm/server"
	"github.com/onenet-wasm/onenet-wasm/token"
)

// debianPython is Debian's python3, which python3-paho-mqtt is installed
// for (another python3 may come first in PATH).
func debianPython(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(p); err == nil {
			if exec.Command(path, "-c", "import paho.mqtt.client").Run() == nil {
				return path
			}
		}
	}
	t.Fatal("python3 with paho-mqtt not found: install Debian's python3-paho-mqtt (make deps)")
	return ""
}

// buildTokenCommand builds onenet-token into dir, for the mosquitto script
// that makes its own token.
func buildTokenCommand(t *testing.T, dir string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "onenet-token"), "../cmd/onenet-token")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building onenet-token: %v\n%s", err, out)
	}
}

func TestDevCodeRuns(t *testing.T) {
	b, err := broker.New(broker.Options{Registry: testRegistry(), Limits: broker.RateLimits{Disabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addr, err := b.ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host, portStr, _ := net.SplitHostPort(addr.String())
	port, _ := strconv.Atoi(portStr)
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	buildTokenCommand(t, bin)
	python := debianPython(t)
	for _, tool := range []string{"mosquitto_rr", "mosquitto_pub", "mosquitto_sub", "node"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: make deps", tool)
		}
	}
	nodeModules, err := filepath.Abs("../node_modules")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(nodeModules, "mqtt")); err != nil {
		t.Fatal("node_modules/mqtt is missing: run make build (npm ci)")
	}
	now := time.Now().Unix()
	id := 100
	for _, tc := range []struct {
		lang       string
		includeKey bool
		run        func(file string) *exec.Cmd
	}{
		{devcode.Mosquitto, false, func(f string) *exec.Cmd { return exec.Command("sh", f) }},
		{devcode.Mosquitto, true, func(f string) *exec.Cmd { return exec.Command("sh", f) }},
		{devcode.Python, false, func(f string) *exec.Cmd { return exec.Command(python, f) }},
		{devcode.Python, true, func(f string) *exec.Cmd { return exec.Command(python, f) }},
		{devcode.Node, false, func(f string) *exec.Cmd { return exec.Command("node", f) }},
		{devcode.Node, true, func(f string) *exec.Cmd { return exec.Command("node", f) }},
	} {
		id++
		name := fmt.Sprintf("%s/key=%v", tc.lang, tc.includeKey)
		t.Run(name, func(t *testing.T) {
			stream := fmt.Sprintf("s%d", id)
			spec := devcode.Spec{
				Host: host, Port: port, ProductID: productID, DeviceName: deviceName,
				Topic:   "$sys/" + productID + "/" + deviceName + "/dp/post/json",
				Payload: fmt.Sprintf(`{"id":%d,"dp":{%q:[{"v":%d}]}}`, id, stream, id),
				QoS:     1, Key: deviceKey, IncludeKey: tc.includeKey, Method: "sha256", TTL: 3600, Now: now,
			}
			code, err := devcode.Generate(tc.lang, spec)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(code, deviceKey) != tc.includeKey {
				t.Fatalf("the key is in the program: %v, want %v", !tc.includeKey, tc.includeKey)
			}
			f := filepath.Join(dir, fmt.Sprintf("%d-%s", id, map[string]string{devcode.Mosquitto: "dev.sh", devcode.Python: "dev.py", devcode.Node: "dev.js"}[tc.lang]))
			if err := os.WriteFile(f, []byte(code), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := tc.run(f)
			cmd = exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...)
			cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "NODE_PATH="+nodeModules)
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			if err := cmd.Run(); err != nil {
				t.Fatalf("%s: %v\nstdout: %s\nstderr: %s\nprogram:\n%s", name, err, out.String(), errb.String(), code)
			}
			// The answer on /accepted, with the datapoint's id.
			if want := regexp.MustCompile(fmt.Sprintf(`\{"id":"?%d"?\}`, id)); !want.MatchString(out.String()) {
				t.Errorf("%s printed %q, want the /accepted answer %s", name, out.String(), want)
			}
			if tc.lang != devcode.Mosquitto && !strings.Contains(out.String(), "/dp/post/json/accepted") {
				t.Errorf("%s printed %q, want the /accepted topic", name, out.String())
			}
			if pts := b.Datapoints(productID, deviceName)[stream]; len(pts) != 1 || string(pts[0].Value) != strconv.Itoa(id) {
				t.Errorf("%s: broker stored %v for %s", name, pts, stream)
			}
		})
	}

	// mosquitto_pub, the script's other command line, publishes too.
	t.Run("mosquitto_pub", func(t *testing.T) {
		spec := devcode.Spec{Host: host, Port: port, ProductID: productID, DeviceName: deviceName,
			Topic: "$sys/" + productID + "/" + deviceName + "/dp/post/json", Payload: `{"id":7,"dp":{"pubonly":[{"v":7}]}}`,
			QoS: 1, Key: deviceKey, Now: now}
		code, err := devcode.Generate(devcode.Mosquitto, spec)
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`(?m)^# (mosquitto_pub .*)$`).FindStringSubmatch(code)
		if m == nil {
			t.Fatalf("no mosquitto_pub line in\n%s", code)
		}
		// The script's variables, then its mosquitto_pub line.
		head, _, _ := strings.Cut(code, "\n# Publish and print")
		f := filepath.Join(dir, "pub.sh")
		if err := os.WriteFile(f, []byte(head+"\n"+m[1]+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("sh", f).CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if pts := b.Datapoints(productID, deviceName)["pubonly"]; len(pts) != 1 {
			t.Errorf("mosquitto_pub: broker stored %v", pts)
		}
	})

	// mosquitto_sub, the script's line to listen as the device: it receives
	// a command the platform sends.
	t.Run("mosquitto_sub", func(t *testing.T) {
		spec := devcode.Spec{Host: host, Port: port, ProductID: productID, DeviceName: deviceName,
			Topic: "$sys/" + productID + "/" + deviceName + "/dp/post/json", Payload: `{"id":8,"dp":{"subonly":[{"v":8}]}}`,
			QoS: 1, Key: deviceKey, Now: now}
		code, err := devcode.Generate(devcode.Mosquitto, spec)
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`(?m)^# (mosquitto_sub .*)$`).FindStringSubmatch(code)
		if m == nil {
			t.Fatalf("no mosquitto_sub line in\n%s", code)
		}
		// The script's variables, then its mosquitto_sub line, to stop
		// after one message or 20 s.
		head, _, _ := strings.Cut(code, "\n# Publish and print")
		f := filepath.Join(dir, "sub.sh")
		if err := os.WriteFile(f, []byte(head+"\n"+m[1]+" -C 1 -W 20\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "sh", f)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		// The command, once mosquitto_sub has logged in and subscribed
		// (until then the broker refuses to send it); mosquitto_sub does
		// not answer, so the broker's wait for the answer times out.
		const command = "open-valve-8"
		sent := false
		for deadline := time.Now().Add(30 * time.Second); !sent && time.Now().Before(deadline); {
			cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := b.SendCommand(cctx, productID, deviceName, []byte(command))
			ccancel()
			switch {
			case errors.Is(err, broker.ErrOffline), errors.Is(err, broker.ErrNotSubscribed):
				time.Sleep(100 * time.Millisecond)
			case errors.Is(err, broker.ErrTimeout):
				sent = true
			default:
				t.Fatalf("sending the command: %v, want a timeout (mosquitto_sub does not answer)", err)
			}
		}
		if !sent {
			t.Fatalf("mosquitto_sub did not subscribe to the commands in 30 s\nstdout: %s\nstderr: %s", out.String(), errb.String())
		}
		if err := <-exited; err != nil {
			t.Fatalf("mosquitto_sub: %v\nstdout: %s\nstderr: %s\nline: %s", err, out.String(), errb.String(), m[1])
		}
		want := regexp.MustCompile(`^\$sys/` + productID + `/` + deviceName + `/cmd/request/[0-9a-f-]{36} ` + command + `\n$`)
		if !want.MatchString(out.String()) {
			t.Errorf("mosquitto_sub printed %q, want %s", out.String(), want)
		}
	})

	// QuecPython: compiled by python3, the topics and payload checked, and
	// its token function (on CPython's hashlib and binascii, which uhashlib
	// and ubinascii mirror) gives token.Generate's token.
	t.Run("quecpython", func(t *testing.T) {
		spec := devcode.Spec{Host: "mqtts.heclouds.com", Port: 1883, ProductID: productID, DeviceName: deviceName,
			Topic: "$sys/" + productID + "/" + deviceName + "/dp/post/json", Payload: `{"id":123,"dp":{"temperature":[{"v":30}],"power":[{"v":4.5}]}}`,
			QoS: 1, Key: deviceKey, Method: "sha1", ET: 2000000000, Now: now}
		for _, withKey := range []bool{false, true} {
			spec.IncludeKey = withKey
			code, err := devcode.Generate(devcode.QuecPython, spec)
			if err != nil {
				t.Fatal(err)
			}
			qdir := filepath.Join(dir, fmt.Sprintf("quec-%v", withKey))
			os.MkdirAll(qdir, 0o755)
			for name, src := range map[string]string{
				"main.py":      code,
				"umqtt.py":     "MQTTClient = None\n",
				"uhashlib.py":  "from hashlib import md5, sha1, sha256\n",
				"ubinascii.py": "from binascii import a2b_base64, b2a_base64\n",
			} {
				if err := os.WriteFile(filepath.Join(qdir, name), []byte(src), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if out, err := exec.Command(python, "-m", "py_compile", filepath.Join(qdir, "main.py")).CombinedOutput(); err != nil {
				t.Fatalf("py_compile: %v\n%s\n%s", err, out, code)
			}
			out, err := exec.Command(python, "-c", `import sys, json; sys.path.insert(0, sys.argv[1]); import main; print(json.dumps({"token": main.make_token(), "sub": main.SUB_TOPICS, "pub": main.PUB_TOPIC, "payload": json.loads(main.PAYLOAD)}))`, qdir).CombinedOutput()
			if err != nil {
				t.Fatalf("running main.make_token: %v\n%s", err, out)
			}
			want, _ := token.Generate(token.Params{Res: "products/" + productID + "/devices/" + deviceName, Key: deviceKey, Method: "sha1", ET: 2000000000})
			for _, s := range []string{
				`"token": "` + want + `"`,
				`"sub": ["$sys/469948/Chic_D/dp/post/json/accepted", "$sys/469948/Chic_D/dp/post/json/rejected"]`,
				`"pub": "$sys/469948/Chic_D/dp/post/json"`,
				`"payload": {"id": 123, "dp": {"temperature": [{"v": 30}], "power": [{"v": 4.5}]}}`,
			} {
				if !strings.Contains(string(out), s) {
					t.Errorf("key=%v: %s lacks %s", withKey, out, s)
				}
			}
			for _, s := range []string{"c.subscribe(t, 0)", "c.publish(PUB_TOPIC, PAYLOAD, qos=QOS)", "keepalive=KEEPALIVE"} {
				if !strings.Contains(code, s) {
					t.Errorf("key=%v: the script lacks %q", withKey, s)
				}
			}
		}
	})
}

// TestCodePanel: the page's Code panel writes, from its forms, a Python
// program that the broker answers (the same server's TCP listener); with
// "put the key in the program" the key is in it and a warning shows; a bad
// port is explained instead of code.
func TestCodePanel(t *testing.T) {
	python := debianPython(t)
	e := newEnv(t, server.Config{})
	addr, err := e.srv.ListenMQTT("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(addr.String())
	e.open("/")
	e.fillToken("device", productID, deviceName, deviceKey, "sha1", time.Now().Add(time.Hour).Unix())
	e.set("pub-kind", "dp/post/json")
	e.click("tab-raw")
	e.set("payload", `{"id":321,"dp":{"fromcode":[{"v":3.5}]}}`)
	if got := e.value("code-host"); got != "127.0.0.1" {
		t.Errorf("code host for the local broker: %q, want 127.0.0.1", got)
	}
	e.set("code-host", host)
	e.set("code-port", port)
	e.set("code-lang", "python")
	e.click("code-write")
	code := e.text("code-out")
	tok := e.value("token-out")
	if !strings.Contains(code, tok) || strings.Contains(code, deviceKey) || !strings.Contains(code, "dp/post/json/accepted") {
		t.Fatalf("the page's Python program lacks the token or the reply topic, or holds the key:\n%s", code)
	}
	f := filepath.Join(t.TempDir(), "device.py")
	if err := os.WriteFile(f, []byte(code), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(python, f).CombinedOutput()
	if err != nil || !regexp.MustCompile(`dp/post/json/accepted \{"id":"?321"?\}`).Match(out) {
		t.Fatalf("the page's Python program: %v\n%s", err, out)
	}
	if pts := e.srv.Broker().Datapoints(productID, deviceName)["fromcode"]; len(pts) != 1 {
		t.Errorf("broker stored %v", pts)
	}

	// The key, when asked for, with the warning.
	if !eval[bool](e, `document.getElementById("code-key-warn").hidden`) {
		t.Error("the key warning shows before the key is asked for")
	}
	e.set("code-lang", "node")
	e.check("#code-key", true)
	code = e.text("code-out")
	if !strings.Contains(code, deviceKey) || !strings.Contains(code, "makeToken") || eval[bool](e, `document.getElementById("code-key-warn").hidden`) {
		t.Errorf("with the key: warning hidden, or the program lacks the key:\n%s", code)
	}
	// A bad port: the error, no code.
	e.set("code-port", "70000")
	e.click("code-write")
	if msg := e.text("code-msgs"); !strings.Contains(msg, "65535") || e.text("code-out") != "" {
		t.Errorf("port 70000: message %q, code %q", msg, clip(e.text("code-out")))
	}
}
