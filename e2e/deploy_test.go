package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/onenet-wasm/onenet-wasm/broker"
	"github.com/onenet-wasm/onenet-wasm/token"
)

// teamHost is the name the team reaches the server by, as in
// deploy/nginx.conf.
const teamHost = "onenet.example.internal"

// testCert makes a CA and a certificate for teamHost signed by it, writes
// the certificate (with the CA) and key as PEM into dir, and returns the
// CA pool and the certificate's SPKI hash for Chromium.
func testCert(t *testing.T, dir string) (*x509.CertPool, string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "onenet-web test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: teamHost}, DNSNames: []string{teamHost},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	keyDER, _ := x509.MarshalECPrivateKey(key)
	chain := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})...)
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), chain, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	spki := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	return pool, base64.StdEncoding.EncodeToString(spki[:])
}

// freePort is a port free a moment ago on 127.0.0.1.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startOnenetWeb builds and starts the onenet-web command with args and
// returns its address (from "open http://…/"), the process and its log.
func startOnenetWeb(t *testing.T, args ...string) (string, *exec.Cmd, *logBuffer) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "onenet-web")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/onenet-web").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, args...)
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	logs := &logBuffer{}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logs.Logf("%s", sc.Text())
		}
	}()
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "onenet-web: open http://"); ok {
			go io.Copy(io.Discard, stdout)
			return strings.TrimSuffix(u, "/"), cmd, logs
		}
	}
	t.Fatalf("onenet-web did not start: %s", logs.String())
	return "", nil, nil
}

// startNginx runs deploy/nginx.conf with the test's certificate on two
// ports free a moment before, and returns them. Another process may take
// a port first (nginx then cannot listen and exits), hence the retries.
func startNginx(t *testing.T, dir, upstream string) (httpsPort, httpPort int) {
	t.Helper()
	var last string
	for try := 0; try < 3; try++ {
		httpsPort, httpPort = freePort(t), freePort(t)
		if httpsPort == httpPort {
			continue
		}
		var ok bool
		if ok, last = runNginx(t, dir, httpsPort, httpPort, upstream); ok {
			return httpsPort, httpPort
		}
	}
	t.Fatalf("nginx did not start:\n%s", last)
	return 0, 0
}

// runNginx starts nginx on the ports and waits until it listens; if it
// exits first, it returns false and nginx's output and error log.
func runNginx(t *testing.T, dir string, httpsPort, httpPort int, upstream string) (bool, string) {
	t.Helper()
	site, err := os.ReadFile("../deploy/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	conf := string(site)
	for _, r := range [][2]string{
		{"listen 443 ssl;", fmt.Sprintf("listen 127.0.0.1:%d ssl;", httpsPort)},
		{"listen 80;", fmt.Sprintf("listen 127.0.0.1:%d;", httpPort)},
		{"/etc/ssl/onenet-web/cert.pem", filepath.Join(dir, "cert.pem")},
		{"/etc/ssl/onenet-web/key.pem", filepath.Join(dir, "key.pem")},
		{"http://127.0.0.1:8080", "http://" + upstream},
	} {
		if !strings.Contains(conf, r[0]) {
			t.Fatalf("deploy/nginx.conf has no %q, which this test replaces", r[0])
		}
		conf = strings.ReplaceAll(conf, r[0], r[1])
	}
	if err := os.WriteFile(filepath.Join(dir, "site.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(dir, "nginx.pid")
	main := fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
pid %[2]s;
error_log %[1]s/error.log info;
events { worker_connections 256; }
http {
  access_log %[1]s/access.log;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  include %[1]s/site.conf;
}
`, dir, pidFile)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(nginxPath(t), "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", filepath.Join(dir, "nginx.conf"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx:\n%s%s", out.String(), log)
		}
	})
	// nginx writes its pid file once it has its ports: until then a
	// connection could reach whatever took one of them.
	pid := []byte(fmt.Sprint(cmd.Process.Pid))
	deadline := time.Now().Add(30 * time.Second)
	for {
		if p, err := os.ReadFile(pidFile); err == nil && bytes.Equal(bytes.TrimSpace(p), pid) {
			if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", httpsPort)); err == nil {
				c.Close()
				return true, ""
			}
		}
		select {
		case <-done:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			return false, out.String() + string(log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("nginx did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// mqttConnectFrame is an MQTT 3.1.1 CONNECT of the test device.
func mqttConnectFrame(t *testing.T) []byte {
	tok, err := token.Generate(token.Params{Res: "products/" + productID + "/devices/" + deviceName, Key: deviceKey, ET: time.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	pk := packets.Packet{FixedHeader: packets.FixedHeader{Type: packets.Connect}, ProtocolVersion: 4, Connect: packets.ConnectParams{
		ProtocolName: []byte("MQTT"), Clean: true, Keepalive: 60, ClientIdentifier: deviceName,
		UsernameFlag: true, Username: []byte(productID), PasswordFlag: true, Password: []byte(tok),
	}}
	var b bytes.Buffer
	if err := pk.ConnectEncode(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestTeamDeploymentBehindNginx (issue: "a team deployment, tested"):
// onenet-web on loopback with -host, Debian's nginx in front with
// deploy/nginx.conf and a certificate made here. Over https: the page; over
// wss: the broker and the relay; the Host and Origin checks with the
// proxy's name; plain http redirected. In Chromium: the page from
// https://onenet.example.internal/, its service worker active, a login to
// the broker and one through the relay.
func TestTeamDeploymentBehindNginx(t *testing.T) {
	dir := t.TempDir()
	pool, spki := testCert(t, dir)

	target, err := broker.New(broker.Options{Registry: testRegistry(), Limits: broker.RateLimits{Disabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	targetAddr, err := target.ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	regJSON, _ := json.Marshal(testRegistry())
	reg := filepath.Join(dir, "devices.json")
	if err := os.WriteFile(reg, regJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	upstream, _, logs := startOnenetWeb(t, "-addr", "127.0.0.1:0", "-mqtt-addr", "", "-devices", reg,
		"-host", teamHost, "-trust-proxy", "-bridge-allow", targetAddr.String(), "-rate-limits=false")
	httpsPort, httpPort := startNginx(t, dir, upstream)
	base := fmt.Sprintf("https://%s:%d", teamHost, httpsPort)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("onenet-web log:\n%s", logs.String())
		}
	})

	// Native clients: the name resolves to nginx, the test CA is trusted.
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, _ := net.SplitHostPort(addr)
		if host == teamHost {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	client := &http.Client{
		Transport:     &http.Transport{DialContext: dial, TLSClientConfig: &tls.Config{RootCAs: pool}, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
	get := func(u, host string) *http.Response {
		req, _ := http.NewRequest("GET", u, nil)
		if host != "" {
			req.Host = host
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	if r := get(base+"/", ""); r.StatusCode != 200 || r.Header.Get("Content-Security-Policy") == "" || r.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("GET / over https: %d, CSP %q, HSTS %q", r.StatusCode, r.Header.Get("Content-Security-Policy"), r.Header.Get("Strict-Transport-Security"))
	}
	if r := get(base+"/local.json", fmt.Sprintf("rebind.evil.test:%d", httpsPort)); r.StatusCode != 421 {
		t.Errorf("a foreign Host through nginx: %d, want 421", r.StatusCode)
	}
	if r := get(fmt.Sprintf("http://%s:%d/x?y=1", teamHost, httpPort), ""); r.StatusCode != 301 || r.Header.Get("Location") != fmt.Sprintf("https://%s:%d/x?y=1", teamHost, httpPort) {
		t.Errorf("plain http: %d to %q, want 301 to https", r.StatusCode, r.Header.Get("Location"))
	}
	wsLogin := func(path, origin string) (int, []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, resp, err := websocket.Dial(ctx, "wss://"+strings.TrimPrefix(base, "https://")+path, &websocket.DialOptions{
			HTTPClient: client, Subprotocols: []string{"mqtt"}, HTTPHeader: http.Header{"Origin": {origin}}})
		if err != nil {
			if resp != nil {
				return resp.StatusCode, nil
			}
			t.Fatalf("wss %s: %v", path, err)
		}
		defer c.CloseNow()
		if err := c.Write(ctx, websocket.MessageBinary, mqttConnectFrame(t)); err != nil {
			t.Fatal(err)
		}
		_, ack, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("wss %s: no CONNACK: %v", path, err)
		}
		return resp.StatusCode, ack
	}
	for _, path := range []string{"/mqtt", "/bridge?target=" + targetAddr.String()} {
		if code, ack := wsLogin(path, base); code != 101 || !bytes.Equal(ack, []byte{0x20, 2, 0, 0}) {
			t.Errorf("wss %s from the page's origin: %d, CONNACK % x; want 101 and a login", path, code, ack)
		}
		if code, _ := wsLogin(path, "https://evil.test"); code != 403 {
			t.Errorf("wss %s from another origin: %d, want 403", path, code)
		}
	}
	if t.Failed() {
		return
	}

	// Chromium, resolving the name to nginx and trusting the certificate.
	e := &env{t: t, logs: &logBuffer{}}
	e.ctx, e.cancel = newBrowser(t,
		chromedp.Flag("host-resolver-rules", "MAP "+teamHost+" 127.0.0.1"),
		chromedp.Flag("ignore-certificate-errors-spki-list", spki))
	t.Cleanup(e.cancel)
	e.openURL(base + "/")
	e.waitAsync(`(async () => !!navigator.serviceWorker.controller || !!(await navigator.serviceWorker.getRegistration())?.active)()`, "the service worker to be active")
	e.set("resKind", "device")
	e.set("productId", productID)
	e.set("deviceName", deviceName)
	e.set("key", deviceKey)
	e.check("#cred-auto", true)
	e.check("input[name=target][value=local]", true)
	e.click("connect")
	e.waitJS(fmt.Sprintf(stateIs, "connected"), "a login to the broker through nginx (wss)")
	e.click("disconnect")
	e.waitJS(fmt.Sprintf(stateIs, "closed"), "disconnected")
	e.check("input[name=target][value=url]", true)
	e.set("url", "wss://"+strings.TrimPrefix(base, "https://")+"/bridge?target="+targetAddr.String())
	e.click("connect")
	e.waitJS(fmt.Sprintf(stateIs, "connected"), "a login through the relay, through nginx (wss)")
	t.Logf("service worker: %v; page: %s", eval[bool](e, `!!navigator.serviceWorker.controller`), e.text("conn-msgs"))
}
