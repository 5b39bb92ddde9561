package main

import (
	"github.com/onenet-wasm/onenet-wasm/internal/version"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	seedKey   = "rs2FaE5BuygJZkWKDA5okKt1RFpwOx53hbu6hwyCS4U="
	seedToken = "version=2018-10-31&res=products%2F469948%2Fdevices%2FChic_D&et=1673053248&method=sha1&sign=prIMDQ23WFI6PMj2IWpaRJJL4eE%3D"
)

var now = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

func runCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb strings.Builder
	code = run(args, &out, &errb, func(k string) string { return env[k] }, now)
	return code, out.String(), errb.String()
}

func TestGenerate(t *testing.T) {
	code, out, errs := runCLI(t, nil, "-res", "products/469948/devices/Chic_D", "-key", seedKey, "-et", "1673053248", "-method", "sha1", "-allow-expired")
	if code != 0 || out != seedToken+"\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q; want the seed token", code, out, errs)
	}
	// -product/-device and the key from the environment give the same token.
	code, out, _ = runCLI(t, map[string]string{"ONENET_ACCESS_KEY": seedKey}, "-product", "469948", "-device", "Chic_D", "-et", "1673053248", "-allow-expired")
	if code != 0 || out != seedToken+"\n" {
		t.Fatalf("env key: exit %d, stdout %q", code, out)
	}
	// -key-file, with the newline an editor leaves.
	f := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(f, []byte(seedKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI(t, nil, "-product", "469948", "-device", "Chic_D", "-key-file", f, "-ttl", "24h")
	if code != 0 {
		t.Fatalf("-key-file -ttl: exit %d", code)
	}
	want := "et=" + strconv.FormatInt(now.Add(24*time.Hour).Unix(), 10) + "&"
	if !strings.Contains(out, want) {
		t.Errorf("-ttl 24h: %q does not contain %q", out, want)
	}
	// The token verifies.
	code, vout, verr := runCLI(t, nil, "verify", "-key", seedKey, "-res", "products/469948/devices/Chic_D", strings.TrimSpace(out))
	if code != 0 || !strings.Contains(vout, "valid") {
		t.Errorf("verify: exit %d, %q %q", code, vout, verr)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no args", nil, 2, "give either -res or -product"},
		{"unknown flag", []string{"-x"}, 2, "usage:"},
		{"both res and product", []string{"-res", "products/1", "-product", "1", "-key", seedKey}, 2, "give either"},
		{"et and ttl", []string{"-product", "1", "-et", "1", "-ttl", "1h", "-key", seedKey}, 2, "not both"},
		{"stray arg", []string{"-product", "1", "extra"}, 2, "unexpected argument"},
		{"no key", []string{"-product", "1"}, 1, "no key"},
		{"bad key", []string{"-product", "1", "-key", "abc*"}, 1, "token: key: not base64"},
		{"milliseconds", []string{"-product", "1", "-key", seedKey, "-et", "1700000000000"}, 1, "looks like milliseconds"},
		{"past", []string{"-product", "1", "-key", seedKey, "-et", "1700000000"}, 1, "-allow-expired"},
		{"method", []string{"-product", "1", "-key", seedKey, "-method", "sha512"}, 1, "token: method:"},
		{"verify no token", []string{"verify", "-key", seedKey}, 2, "exactly one TOKEN"},
		{"verify expired", []string{"verify", "-key", seedKey, seedToken}, 1, "OneNET reason 1104"},
		{"verify wrong key", []string{"verify", "-key", "KuF3NT/jUBJ62LNBB/A8XZA9CqS3Cu79B/ABmfA1UCw=", seedToken}, 1, "OneNET reason 1106"},
		{"verify garbage", []string{"verify", "-key", seedKey, "hello"}, 1, "OneNET reason 1103"},
	} {
		code, out, errs := runCLI(t, nil, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.msg) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and %q", tc.name, code, errs, tc.code, tc.msg)
		}
		if code != 0 && strings.Contains(out, "version=") {
			t.Errorf("%s: failed but printed a token: %q", tc.name, out)
		}
	}
}

func TestWarningGoesToStderr(t *testing.T) {
	code, out, errs := runCLI(t, nil, "-res", "products/Ck2AF9QD2K/devices/test", "-key", "KuF3NT/jUBJ62LNBB/A8XZA9CqS3Cu79B/ABmfA1UCw=", "-et", "32472115200", "-method", "md5")
	want := "version=2018-10-31&res=products%2FCk2AF9QD2K%2Fdevices%2Ftest&et=32472115200&method=md5&sign=htDD26UhXtXayMFAWRmNiA%3D%3D\n"
	if code != 0 || out != want || !strings.Contains(errs, "uint32") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestCode(t *testing.T) {
	env := map[string]string{"ONENET_ACCESS_KEY": seedKey}
	code, out, errs := runCLI(t, env, "code", "-lang", "python", "-product", "469948", "-device", "Chic_D", "-et", "1900000000")
	if code != 0 || !strings.Contains(out, "import paho.mqtt.client as mqtt") || !strings.Contains(out, "et=1900000000") ||
		!strings.Contains(out, `TOPIC = "$sys/469948/Chic_D/dp/post/json"`) || strings.Contains(out, seedKey) {
		t.Fatalf("code: exit %d, stderr %q, stdout:\n%s", code, errs, out)
	}
	// With the key in it: a warning, and the program makes its tokens.
	code, out, errs = runCLI(t, env, "code", "-lang", "node", "-product", "469948", "-device", "Chic_D", "-include-key", "-port", "8883")
	if code != 0 || !strings.Contains(out, seedKey) || !strings.Contains(out, "function makeToken()") ||
		!strings.Contains(out, `protocol: "mqtts"`) || !strings.Contains(errs, "warning") {
		t.Fatalf("code -include-key: exit %d, stderr %q, stdout:\n%s", code, errs, out)
	}
	// Bad input names the field.
	code, _, errs = runCLI(t, env, "code", "-lang", "python", "-product", "469948", "-device", "Chic_D", "-qos", "2")
	if code != 1 || !strings.Contains(errs, "qos") {
		t.Errorf("-qos 2: exit %d, stderr %q", code, errs)
	}
	code, _, _ = runCLI(t, env, "code", "-lang", "python")
	if code != 2 {
		t.Errorf("no -product: exit %d, want 2", code)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, nil, "-version")
	if code != 0 || out != "onenet-token v"+version.Version+"\n" {
		t.Errorf("-version: exit %d, %q", code, out)
	}
}
