package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/onenet-wasm/onenet-wasm/onenet"
	"github.com/onenet-wasm/onenet-wasm/onenet/devcode"
	"github.com/onenet-wasm/onenet-wasm/token"
)

const codeUsage = `usage: onenet-token code -lang LANG -product ID -device NAME [flags]

Prints a program that logs in to OneNET as the device, subscribes to the
replies of -topic, publishes -payload once and prints the platform's answer.
LANG is one of: %s.

The program carries a token made from the key (valid for -ttl, or until
-et), or a token given with -token; with -include-key it carries the key
itself and makes a fresh token at every start (not for c: OneNET's SDK
takes a token). The key comes from -key, -key-file or ONENET_ACCESS_KEY.

Flags:
`

func code(args []string, stdout, stderr io.Writer, getenv func(string) string, now time.Time) error {
	fs := flag.NewFlagSet("onenet-token code", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var langs []string
	for _, l := range devcode.Languages() {
		langs = append(langs, l.ID)
	}
	fs.Usage = func() { fmt.Fprintf(stderr, codeUsage, strings.Join(langs, ", ")); fs.PrintDefaults() }
	var (
		lang       = fs.String("lang", "", "mosquitto, python, node, quecpython or c")
		product    = fs.String("product", "", "product id (the MQTT user name)")
		device     = fs.String("device", "", "device name (the MQTT client id)")
		key        = fs.String("key", "", "access key, base64")
		keyFile    = fs.String("key-file", "", "file holding the access key")
		tok        = fs.String("token", "", "a token to put in the program instead of making one")
		includeKey = fs.Bool("include-key", false, "put the key in the program, which then makes its own tokens (keep the program secret)")
		host       = fs.String("host", "mqtts.heclouds.com", "the broker's host (MQTT over TCP)")
		port       = fs.Int("port", 1883, "the broker's port; 8883 is OneNET's TLS port")
		tls        = fs.Bool("tls", false, "connect with TLS (OneNET's CA certificate in onenet-ca.pem); default: when -port is 8883")
		topic      = fs.String("topic", "", "the topic to publish to (default: the device's $sys/{pid}/{device}/dp/post/json)")
		payload    = fs.String("payload", "", "the message (default: OneNET's example for the topic)")
		qos        = fs.Int("qos", 1, "0 or 1")
		keepAlive  = fs.Int("keepalive", 60, "seconds")
		method     = fs.String("method", token.DefaultMethod, "md5, sha1 or sha256")
		ttl        = fs.Duration("ttl", 720*time.Hour, "how long the token is valid")
		et         = fs.Int64("et", 0, "expiry, Unix seconds (instead of -ttl)")
	)
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 || *lang == "" || *product == "" || *device == "" {
		fmt.Fprintln(stderr, "onenet-token code: give -lang, -product and -device")
		fs.Usage()
		return errUsage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	s := devcode.Spec{
		Host: *host, Port: *port, TLS: *tls || !set["tls"] && *port == 8883,
		ProductID: *product, DeviceName: *device, KeepAlive: *keepAlive,
		Topic: *topic, Payload: *payload, QoS: *qos,
		IncludeKey: *includeKey, Method: *method, TTL: int64(ttl.Seconds()), ET: *et, Token: *tok,
		Now: now.Unix(),
	}
	if s.Topic == "" {
		t, err := onenet.Topic(onenet.KindDPPost, onenet.TopicArgs{ProductID: *product, DeviceName: *device})
		if err != nil {
			return err
		}
		s.Topic = t
	}
	if s.Payload == "" {
		info, err := onenet.ParseTopic(s.Topic)
		if err != nil {
			return err
		}
		s.Payload = string(info.Kind.Example())
	}
	if *tok == "" || *includeKey {
		k, err := readKey(*key, *keyFile, set, getenv)
		if err != nil {
			return err
		}
		s.Key = k
	}
	out, err := devcode.Generate(*lang, s)
	if err != nil {
		return err
	}
	if *includeKey && *lang != devcode.C {
		fmt.Fprintln(stderr, "onenet-token: warning: the program holds the device's access key: keep it secret")
	}
	fmt.Fprint(stdout, out)
	return nil
}
