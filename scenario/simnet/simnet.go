// Package simnet gives a scenario run (package scenario) what it takes
// from a native program: connections over WebSocket, TCP and TLS, and
// access keys from the environment, files or a prompt. It is native only:
// the page gives its own.
package simnet

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/onenet-wasm/onenet-wasm/bridge"
	"github.com/onenet-wasm/onenet-wasm/mqttws"
	"github.com/onenet-wasm/onenet-wasm/onenet"
	"github.com/onenet-wasm/onenet-wasm/scenario"
	"github.com/onenet-wasm/onenet-wasm/token"
)

// Token is scenario.Options.Token: a sha256 token of package token.
func Token(res, key string, et int64) (string, error) {
	return token.Generate(token.Params{Res: res, Key: key, Method: "sha256", ET: et})
}

// DefaultServer is where the local server (onenet-web) listens by
// default: its broker at /mqtt, its relay at /bridge.
const DefaultServer = "127.0.0.1:8080"

// Connect returns a scenario.Options.Connect for the local server at
// server (host:port, DefaultServer when ""):
//
//	local            ws://{server}/mqtt
//	relay:HOST:PORT  ws://{server}/bridge?target=HOST:PORT
//	ws://…, wss://…  as given
//	tcp://HOST:PORT  plain MQTT over TCP
//	tls://HOST:PORT  MQTT over TLS; a OneNET host (heclouds.com) is
//	                 verified against OneNET's CA as the relay does
//	                 (bridge.ClientTLSConfig), any other against the
//	                 system's roots
func Connect(server string) func(ctx context.Context, in *scenario.Instance) (string, func(context.Context, string) (net.Conn, error), error) {
	if server == "" {
		server = DefaultServer
	}
	return func(ctx context.Context, in *scenario.Instance) (string, func(context.Context, string) (net.Conn, error), error) {
		t := in.Target
		switch {
		case t == "local":
			return "ws://" + server + "/mqtt", nil, nil
		case strings.HasPrefix(t, "relay:"):
			return "ws://" + server + "/bridge?target=" + url.QueryEscape(t[len("relay:"):]), nil, nil
		}
		u, err := url.Parse(t)
		if err != nil {
			return "", nil, fmt.Errorf("target %q: %w", t, err)
		}
		switch u.Scheme {
		case "ws", "wss":
			return t, nil, nil
		case "tcp", "tls":
		default:
			return "", nil, fmt.Errorf("target %q: unknown scheme", t)
		}
		addr := u.Host
		var cfg *tls.Config
		if u.Scheme == "tls" {
			cfg = bridge.ClientTLSConfig(bridge.Target{Addr: addr, TLS: true, VerifyOneNET: onenet.IsOneNETHost(u.Hostname())})
		}
		// mqttws takes a ws:// URL for its messages; the connection is
		// Dial's.
		return "ws://" + addr + "/", func(ctx context.Context, _ string) (net.Conn, error) {
			return dial(ctx, addr, cfg)
		}, nil
	}
}

func dial(ctx context.Context, addr string, cfg *tls.Config) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		kind := mqttws.KindNetwork
		if ctx.Err() != nil {
			kind = mqttws.KindTimeout
		}
		return nil, &mqttws.DialError{URL: addr, Kind: kind, Err: err}
	}
	if cfg == nil {
		return c, nil
	}
	tc := tls.Client(c, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, &mqttws.DialError{URL: addr, Kind: mqttws.KindTLS, Err: err}
	}
	return tc, nil
}

// Keys returns a scenario.Options.Key that reads keys from the
// environment, from files relative to dir, or, for "prompt", asks on out
// and reads a line from in (once per product or device the key is for).
// Keys are read once and kept for the run.
func Keys(dir string, in io.Reader, out io.Writer) func(ctx context.Context, inst *scenario.Instance) (string, error) {
	var mu sync.Mutex
	cache := map[string]string{}
	var lines *bufio.Reader
	return func(ctx context.Context, inst *scenario.Instance) (string, error) {
		k := inst.Spec.Key
		id := inst.Product
		if k.Scope != "product" {
			id += "/" + inst.Device
		}
		mu.Lock()
		defer mu.Unlock()
		var key string
		switch {
		case k.Value != "":
			return k.Value, nil
		case k.Env != "":
			key = os.Getenv(k.Env)
			if key == "" {
				return "", fmt.Errorf("the environment variable %s is not set", k.Env)
			}
		case k.File != "":
			if v, ok := cache["file:"+k.File]; ok {
				return v, nil
			}
			b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(k.File)))
			if err != nil {
				return "", err
			}
			key = strings.TrimSpace(string(b))
			cache["file:"+k.File] = key
		case k.Prompt:
			if v, ok := cache["prompt:"+id]; ok {
				return v, nil
			}
			if in == nil {
				return "", errors.New("the key is to be asked for, but there is no terminal")
			}
			if lines == nil {
				lines = bufio.NewReader(in)
			}
			fmt.Fprintf(out, "access key for %s (shown as typed): ", id)
			line, err := lines.ReadString('\n')
			if err != nil && line == "" {
				return "", fmt.Errorf("reading the key for %s: %w", id, err)
			}
			key = strings.TrimSpace(line)
			cache["prompt:"+id] = key
		}
		return key, nil
	}
}
