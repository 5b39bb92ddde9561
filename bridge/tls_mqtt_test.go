package bridge

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	mqtt "github.com/eclipse/paho.mqtt.golang"
	mochi "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
)

// startTLSBroker starts an MQTT broker (mochi) whose only listener is TLS
// on 127.0.0.1, presenting chain: a stand-in for OneNET's MQTTS endpoint.
func startTLSBroker(t *testing.T, key crypto.Signer, chain ...*x509.Certificate) string {
	t.Helper()
	cert := tls.Certificate{PrivateKey: key, Leaf: chain[0]}
	for _, c := range chain {
		cert.Certificate = append(cert.Certificate, c.Raw)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := mochi.New(&mochi.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := s.AddHook(new(allowAll), nil); err != nil {
		t.Fatal(err)
	}
	if err := s.AddListener(listeners.NewNet("tls", tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}}))); err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return ln.Addr().String()
}

// TestTLSMQTTTarget: the relay to a local TLS MQTT broker standing in for
// OneNET's MQTTS endpoint, verified as OneNET's is (VerifyOneNET): a
// certificate named by its common name only and signed by the expected CA
// carries MQTT both ways; one from another CA, and an expired one, are
// refused before any MQTT byte is relayed, and the page is told why.
func TestTLSMQTTTarget(t *testing.T) {
	ca := newCA(t, "Test OneNET MQTTS CA")
	other := newCA(t, "Test OneNET MQTTS CA")

	good, goodKey := ca.leaf(t, "OneNET MQTTS", nil, nil)
	wrong, wrongKey := other.leaf(t, "OneNET MQTTS", nil, nil)
	expTmpl := template("OneNET MQTTS")
	expTmpl.NotBefore, expTmpl.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)
	expTmpl.KeyUsage = x509.KeyUsageDigitalSignature
	expTmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	expKey := newKey(t)
	expired := create(t, expTmpl, ca.cert, expKey.Public(), ca.key)

	t.Run("verified without a host name", func(t *testing.T) {
		addr := startTLSBroker(t, goodKey, good)
		b := startBridge(t, Options{Allow: []Target{{Addr: addr, TLS: true, VerifyOneNET: true, RootCAs: ca.pool()}}})
		c := mqttClient(t, b.url(addr), "dev1", nil)
		got := make(chan string, 1)
		waitToken(t, "subscribe", c.Subscribe("t/1", 1, func(_ mqtt.Client, m mqtt.Message) { got <- string(m.Payload()) }))
		waitToken(t, "publish", c.Publish("t/1", 1, false, "over TLS"))
		select {
		case p := <-got:
			if p != "over TLS" {
				t.Fatalf("got %q", p)
			}
		case <-time.After(wait):
			t.Fatal("no message back through the TLS target")
		}
		b.log.waitFor(t, "-> "+addr+" opened, TLS, certificate \"OneNET MQTTS\" verified")
	})
	for _, tc := range []struct {
		name   string
		cert   *x509.Certificate
		key    crypto.Signer
		reason string
	}{
		{"another CA", wrong, wrongKey, "certificate not signed by the expected CA"},
		{"expired", expired, expKey, "expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := startTLSBroker(t, tc.key, tc.cert)
			b := startBridge(t, Options{Allow: []Target{{Addr: addr, TLS: true, VerifyOneNET: true, RootCAs: ca.pool()}}})
			code, reason := closeOf(t, b.dial(t, addr))
			if code != websocket.StatusBadGateway || !strings.HasPrefix(reason, "cannot reach "+addr+": TLS") || !strings.Contains(reason, tc.reason) {
				t.Fatalf("close = %v %q, want 1014 cannot reach %s: TLS … %s", code, reason, addr, tc.reason)
			}
			b.log.waitFor(t, "-> "+addr+" cannot connect: TLS handshake:")
		})
	}
}
