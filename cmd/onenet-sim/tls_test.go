package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onenet-wasm/onenet-wasm/broker"
)

// testCert returns a self-signed CA (PEM) and a server certificate it
// signed for 127.0.0.1.
func testCert(t *testing.T, cn string) ([]byte, tls.Certificate) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ = x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "test server"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tlsFront serves TLS with cert on 127.0.0.1 and relays each connection,
// decrypted, to target.
func tlsFront(t *testing.T, cert tls.Certificate, target string) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
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
			mu.Lock()
			conns = append(conns, c, s)
			mu.Unlock()
			wg.Add(2)
			go func() { defer wg.Done(); io.Copy(s, c); s.Close() }()
			go func() { defer wg.Done(); io.Copy(c, s); c.Close() }()
		}
	}()
	return ln.Addr().String()
}

// TestTLSTarget: a tls:// target is reached over TLS, its certificate
// verified against the system's roots (here a test CA, given to the
// command with SSL_CERT_FILE); with another CA the connection is refused,
// saying why.
func TestTLSTarget(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{6}, 32))
	b, err := broker.New(broker.Options{Registry: &broker.Registry{Products: []broker.Product{{
		ID: "simprod", Key: key, Devices: []broker.Device{{Name: "t1"}},
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addr, err := b.ListenTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	caPEM, cert := testCert(t, "onenet-sim test CA")
	otherPEM, _ := testCert(t, "another CA")
	front := tlsFront(t, cert, addr.String())
	dir := t.TempDir()
	for name, data := range map[string][]byte{"ca.pem": caPEM, "other.pem": otherPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := write(t, "s.json", fmt.Sprintf(`{"name":"tls","duration":3,"devices":[{"product":"simprod","device":"t1","key":{"value":%q,"scope":"product"},
	  "target":"tls://%s","publish":[{"every":0.5,"dp":{"t":{"constant":1}}}]}]}`, key, front))
	noDir := t.TempDir() // no system certificates besides SSL_CERT_FILE's
	sim := func(roots string) (string, string, error) {
		cmd := exec.Command(os.Args[0], "-quiet", path)
		cmd.Env = append(os.Environ(), "ONENET_SIM_TEST_MAIN=1", "SSL_CERT_FILE="+filepath.Join(dir, roots), "SSL_CERT_DIR="+noDir)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}

	out, errOut, err := sim("ca.pem")
	t.Logf("with the test CA:\nstdout:\n%s\nstderr:\n%s", out, errOut)
	if err != nil {
		t.Fatalf("onenet-sim: %v", err)
	}
	var sent, accepted int
	if i := strings.Index(out, "uploads"); i < 0 {
		t.Fatal("no report")
	} else if _, err := fmt.Sscanf(out[i:], "uploads   sent %d  accepted %d", &sent, &accepted); err != nil || sent == 0 || sent != accepted {
		t.Errorf("uploads: sent %d, accepted %d (%v)", sent, accepted, err)
	}
	if !strings.Contains(out, "errors    0") {
		t.Error("errors in the report")
	}
	if pts := b.Datapoints("simprod", "t1")["t"]; len(pts) == 0 {
		t.Error("no datapoints on the broker")
	}

	out, errOut, err = sim("other.pem")
	t.Logf("with another CA:\nstdout:\n%s\nstderr:\n%s", out, errOut)
	if err != nil {
		t.Fatalf("onenet-sim: %v", err)
	}
	if !strings.Contains(out, "sent 0") || strings.Contains(out, "errors    0") || !strings.Contains(errOut, "simprod/t1 error: connect: TLS failure") {
		t.Error("with a certificate of an unknown CA: want no uploads and a connection error")
	}
}
