package bridge

import (
	"crypto/tls"
	"crypto/x509"
	_ "embed"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"sync"
)

// oneNETCAPEM is OneNET's MQTTS CA certificate, "C=CN, O=CMIOT,
// CN=OneNET MQTTS", self-signed, valid 2019-05-29 to 2049-05-21.
// Source: OneNET's official C SDK, github.com/cm-heclouds/OneNET_AIO_c,
// onenet/iot/mqtts/iot_mqtts.c (docs/PROTOCOL.md §2).
// SHA-256 fingerprint:
// 7D:E9:BC:4C:1A:ED:01:34:46:67:64:56:78:D4:49:74:12:10:B1:70:49:48:98:38:BF:63:79:53:B3:E9:01:17
// (checked by TestOneNETCA).
//
//go:embed onenet-mqtts-ca.pem
var oneNETCAPEM []byte

var oneNETCA = sync.OnceValue(func() *x509.Certificate {
	block, _ := pem.Decode(oneNETCAPEM)
	if block == nil {
		panic("bridge: embedded onenet-mqtts-ca.pem holds no PEM block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		panic("bridge: embedded onenet-mqtts-ca.pem: " + err.Error())
	}
	return cert
})

// OneNETCertPool returns a new pool holding only OneNET's MQTTS CA, the
// self-signed "CN=OneNET MQTTS, O=CMIOT" certificate from OneNET's C SDK.
func OneNETCertPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(oneNETCA())
	return p
}

// ClientTLSConfig returns the TLS client configuration the bridge uses for
// t, for other programs that connect to the same endpoints (onenet-sim):
// with VerifyOneNET, OneNET's CA and verification rule.
func ClientTLSConfig(t Target) *tls.Config { return tlsConfig(t) }

// tlsConfig returns the client configuration for a TLS target.
func tlsConfig(t Target) *tls.Config {
	name := t.ServerName
	if name == "" {
		name, _, _ = net.SplitHostPort(t.Addr)
	}
	cfg := &tls.Config{ServerName: name, RootCAs: t.RootCAs}
	if t.VerifyOneNET {
		roots := t.RootCAs
		if roots == nil {
			roots = OneNETCertPool()
		}
		cfg.RootCAs = nil
		// Go's own check would demand a subject alternative name matching
		// ServerName, which OneNET's certificate does not have.
		// VerifyConnection runs on every handshake, also with
		// InsecureSkipVerify, and does the whole check instead.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			return verifyOneNET(cs.PeerCertificates, roots, name)
		}
	}
	return cfg
}

// verifyOneNET accepts a certificate chain only if it leads to a root in
// roots; when the leaf names hosts (DNS or IP subject alternative names),
// one of them must be host. A leaf named by its common name alone, like
// OneNET's, is accepted on the strength of its chain: roots is a private
// CA, so whatever it signed is the platform's.
func verifyOneNET(chain []*x509.Certificate, roots *x509.CertPool, host string) error {
	if len(chain) == 0 {
		return errors.New("the server sent no certificate")
	}
	leaf := chain[0]
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter}); err != nil {
		return fmt.Errorf("certificate %q: %w", leaf.Subject.CommonName, err)
	}
	if len(leaf.DNSNames) > 0 || len(leaf.IPAddresses) > 0 {
		if err := leaf.VerifyHostname(host); err != nil {
			return fmt.Errorf("certificate %q: %w", leaf.Subject.CommonName, err)
		}
	}
	return nil
}
