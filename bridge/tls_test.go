package bridge

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// A testCA issues certificates in memory.
type testCA struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func newKey(t *testing.T) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var serial int64

func template(cn string) *x509.Certificate {
	serial++
	return &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"bridge test"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
}

func create(t *testing.T, tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newCA returns a self-signed CA named only by cn, like OneNET's.
func newCA(t *testing.T, cn string) *testCA {
	key := newKey(t)
	tmpl := template(cn)
	tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	return &testCA{create(t, tmpl, tmpl, key.Public(), key), key}
}

// intermediate issues a CA certificate signed by ca.
func (ca *testCA) intermediate(t *testing.T, cn string) *testCA {
	key := newKey(t)
	tmpl := template(cn)
	tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	return &testCA{create(t, tmpl, ca.cert, key.Public(), ca.key), key}
}

// leaf issues a server certificate named cn, with the given subject
// alternative names (none, like OneNET's, when both are empty).
func (ca *testCA) leaf(t *testing.T, cn string, dns []string, ips []net.IP) (*x509.Certificate, crypto.Signer) {
	key := newKey(t)
	tmpl := template(cn)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	tmpl.DNSNames, tmpl.IPAddresses = dns, ips
	return create(t, tmpl, ca.cert, key.Public(), ca.key), key
}

func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// startTLSEcho serves a TLS echo on 127.0.0.1 presenting chain.
func startTLSEcho(t *testing.T, key crypto.Signer, chain ...*x509.Certificate) string {
	t.Helper()
	cert := tls.Certificate{PrivateKey: key, Leaf: chain[0]}
	for _, c := range chain {
		cert.Certificate = append(cert.Certificate, c.Raw)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startServer(t, tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}}), echoHandler)
}

// TestTLS checks the OneNET rule against local TLS servers whose
// certificates are named only by a common name.
func TestTLS(t *testing.T) {
	ca := newCA(t, "Test OneNET MQTTS CA")
	other := newCA(t, "Test OneNET MQTTS CA") // same name, other key
	inter := ca.intermediate(t, "Test intermediate")
	loopback := []net.IP{net.IPv4(127, 0, 0, 1)}

	type server struct {
		key   crypto.Signer
		chain []*x509.Certificate
	}
	serve := func(c *x509.Certificate, k crypto.Signer, rest ...*x509.Certificate) server {
		return server{k, append([]*x509.Certificate{c}, rest...)}
	}
	cnOnly := serve(ca.leaf(t, "OneNET MQTTS", nil, nil))
	fromOther := serve(other.leaf(t, "OneNET MQTTS", nil, nil))
	otherHost := serve(ca.leaf(t, "OneNET MQTTS", []string{"other.example"}, nil))
	rightIP := serve(ca.leaf(t, "OneNET MQTTS", nil, loopback))
	l, lk := inter.leaf(t, "OneNET MQTTS", nil, nil)
	viaInter := serve(l, lk, inter.cert)
	noInter := serve(l, lk)

	for _, tc := range []struct {
		name   string
		srv    server
		target Target // Addr is filled in
		reason string // "" means the relay works; else the close reason's start after "cannot reach addr: "
	}{
		{"CN only, signed by the CA", cnOnly, Target{TLS: true, VerifyOneNET: true, RootCAs: ca.pool()}, ""},
		{"signed by another CA", fromOther, Target{TLS: true, VerifyOneNET: true, RootCAs: ca.pool()}, "TLS: certificate not signed by the expected CA"},
		{"OneNET's own CA as roots", cnOnly, Target{TLS: true, VerifyOneNET: true}, "TLS: certificate not signed by the expected CA"},
		{"names another host", otherHost, Target{TLS: true, VerifyOneNET: true, RootCAs: ca.pool(), ServerName: "broker.test"}, "TLS: x509: certificate is valid for other.example, not broker.test"},
		{"names hosts, not this IP", otherHost, Target{TLS: true, VerifyOneNET: true, RootCAs: ca.pool()}, "TLS: x509: cannot validate certificate for 127.0.0.1"},
		{"names this IP", rightIP, Target{TLS: true, VerifyOneNET: true, RootCAs: ca.pool()}, ""},
		{"via an intermediate", viaInter, Target{TLS: true, VerifyOneNET: true, RootCAs: ca.pool()}, ""},
		{"intermediate missing", noInter, Target{TLS: true, VerifyOneNET: true, RootCAs: ca.pool()}, "TLS: certificate not signed by the expected CA"},
		// Go's standard check refuses a certificate without subject
		// alternative names: why VerifyOneNET exists.
		{"standard check, CN only", cnOnly, Target{TLS: true, RootCAs: ca.pool()}, "TLS: x509: cannot validate certificate for 127.0.0.1"},
		{"standard check, right IP", rightIP, Target{TLS: true, RootCAs: ca.pool()}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := startTLSEcho(t, tc.srv.key, tc.srv.chain...)
			tc.target.Addr = addr
			b := startBridge(t, Options{Allow: []Target{tc.target}})
			c := b.dial(t, addr)
			if tc.reason == "" {
				echo(t, c, "over TLS")
				b.log.waitFor(t, "-> "+addr+" opened, TLS, certificate \"OneNET MQTTS\" verified")
				return
			}
			code, reason := closeOf(t, c)
			want := "cannot reach " + addr + ": " + tc.reason
			if code != websocket.StatusBadGateway || !strings.HasPrefix(reason, want) {
				t.Fatalf("close = %v %q, want 1014 %q…", code, reason, want)
			}
			b.log.waitFor(t, "-> "+addr+" cannot connect: TLS handshake:")
		})
	}
}

func TestOneNETCA(t *testing.T) {
	ca := oneNETCA()
	const want = "7D:E9:BC:4C:1A:ED:01:34:46:67:64:56:78:D4:49:74:12:10:B1:70:49:48:98:38:BF:63:79:53:B3:E9:01:17"
	sum := sha256.Sum256(ca.Raw)
	var hex []string
	for _, b := range sum {
		hex = append(hex, fmt.Sprintf("%02X", b))
	}
	if got := strings.Join(hex, ":"); got != want {
		t.Errorf("embedded CA SHA-256 fingerprint %s, want %s", got, want)
	}
	if ca.Subject.String() != "CN=OneNET MQTTS,O=CMIOT,C=CN" || !ca.IsCA || len(ca.DNSNames) != 0 {
		t.Errorf("embedded CA: subject %q, CA %v, DNS names %v", ca.Subject, ca.IsCA, ca.DNSNames)
	}

	// The default TLS targets accept OneNET's certificate chain, here the
	// CA itself (no network: the chain is handed to VerifyConnection), and
	// refuse another CA's leaf of the same name.
	h := New(Options{Logf: func(string, ...any) {}})
	cfg := h.tls["mqttstls.heclouds.com:8883"]
	if cfg == nil || !cfg.InsecureSkipVerify || cfg.VerifyConnection == nil || cfg.ServerName != "mqttstls.heclouds.com" {
		t.Fatalf("mqttstls.heclouds.com:8883 TLS config = %+v", cfg)
	}
	if err := cfg.VerifyConnection(tls.ConnectionState{PeerCertificates: []*x509.Certificate{ca}}); err != nil {
		t.Errorf("OneNET's CA refused: %v", err)
	}
	fake, _ := newCA(t, "OneNET MQTTS").leaf(t, "OneNET MQTTS", nil, nil)
	if err := cfg.VerifyConnection(tls.ConnectionState{PeerCertificates: []*x509.Certificate{fake}}); err == nil {
		t.Error("a look-alike certificate was accepted")
	}
	if err := cfg.VerifyConnection(tls.ConnectionState{}); err == nil {
		t.Error("no certificate was accepted")
	}
	// OneNETCertPool hands out a fresh pool each time.
	p := OneNETCertPool()
	p.AddCert(fake)
	if OneNETCertPool().Equal(p) {
		t.Error("OneNETCertPool shares its pool")
	}
}
