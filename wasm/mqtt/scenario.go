//go:build js && wasm

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"strings"
	"sync"
	"syscall/js"
	"time"

	"github.com/onenet-wasm/onenet-wasm/scenario"
	"github.com/onenet-wasm/onenet-wasm/wasm/jsbridge"
)

// Scenarios (docs/SCENARIOS.md) run here, in the MQTT module: each device
// is an mqttws client over a WebSocket the page opens (dialJS), like the
// page's own client. The page gives the scenario's text, the files it
// names (thing models, CSV files) and the keys it has; nothing is read from
// anywhere else.

// maxPageDevices bounds the connections of a scenario in a page: Chromium
// lets a page's profile open 255 WebSockets (docs/BENCHMARKS.md).
const maxPageDevices = 250

var runs = struct {
	sync.Mutex
	next int
	m    map[int]*run
}{m: map[int]*run{}}

type run struct {
	r      *scenario.Runner
	cancel context.CancelFunc
	done   chan scenario.Report
}

// mapFS is the files a page gave, by name.
type mapFS map[string]string

func (m mapFS) Open(name string) (fs.File, error) {
	s, ok := m[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memFile{name: name, r: strings.NewReader(s)}, nil
}

type memFile struct {
	name string
	r    *strings.Reader
}

func (f *memFile) Stat() (fs.FileInfo, error) { return nil, errors.New("no file information") }
func (f *memFile) Read(p []byte) (int, error) { return f.r.Read(p) }
func (f *memFile) Close() error               { return nil }

var _ io.Reader = (*memFile)(nil)

// scenarioStart(id, text, {base, keys, files, seed}) parses a scenario
// and starts it; it settles with the run's handle, or with the error that
// lists the file's problems by path. base is the local server's address
// (host:port) for the targets "local" and "relay:…"; keys maps
// "{product}/{device}" or "{product}" to a key, for the devices whose key
// source is not "value" (a page has no environment, files or prompt of its
// own); files maps the names the scenario uses to their text.
func scenarioStart(args []js.Value) (any, error) {
	id, err := asyncID(args, 3)
	if err != nil {
		return nil, err
	}
	if args[1].Type() != js.TypeString {
		return nil, &jsbridge.FieldError{Field: "scenario", Code: "arg.type", Msg: "must be a string"}
	}
	text := args[1].String()
	o := args[2]
	base, _ := jsbridge.String(o, "base")
	files := mapFS{}
	keys := map[string]string{}
	for name, dst := range map[string]map[string]string{"files": files, "keys": keys} {
		v := o.Get(name)
		if v.Type() != js.TypeObject {
			continue
		}
		ks := js.Global().Get("Object").Call("keys", v)
		for i := 0; i < ks.Length(); i++ {
			k := ks.Index(i).String()
			if s := v.Get(k); s.Type() == js.TypeString {
				dst[k] = s.String()
			}
		}
	}
	seed, _ := jsbridge.Int(o, "seed", time.Now().UnixNano()&(1<<53-1))
	s, err := scenario.Parse("", []byte(text), files)
	if err != nil {
		return nil, err
	}
	conns := 0
	for _, in := range s.Instances() {
		if in.Gateway < 0 {
			conns++
		}
	}
	if conns > maxPageDevices {
		return nil, &jsbridge.FieldError{Field: "scenario", Code: "scenario.devices",
			Msg: fmt.Sprintf("%d devices, each with its own WebSocket; a browser opens about 255 at most (Chromium refuses the 256th), so a page runs at most %d: run bigger scenarios with onenet-sim", conns, maxPageDevices)}
	}
	r, err := scenario.NewRunner(s, scenario.Options{
		Seed: uint64(seed),
		Connect: func(_ context.Context, in *scenario.Instance) (string, func(context.Context, string) (net.Conn, error), error) {
			t := in.Target
			switch {
			case t == "local":
				return "ws://" + base + "/mqtt", dialJS, nil
			case strings.HasPrefix(t, "relay:"):
				return "ws://" + base + "/bridge?target=" + url.QueryEscape(t[len("relay:"):]), dialJS, nil
			case strings.HasPrefix(t, "ws://"), strings.HasPrefix(t, "wss://"):
				return t, dialJS, nil
			}
			return "", nil, errors.New("target " + t + ": a page cannot open TCP or TLS connections; use the relay (relay:HOST:PORT)")
		},
		Token: pageToken,
		Key: func(_ context.Context, in *scenario.Instance) (string, error) {
			if v := in.Spec.Key.Value; v != "" {
				return v, nil
			}
			if k, ok := keys[in.Product+"/"+in.Device]; ok {
				return k, nil
			}
			if k, ok := keys[in.Product]; ok {
				return k, nil
			}
			return "", errors.New("no key for " + in.Product + "/" + in.Device + ": in a page, give it in the scenario (\"key\": {\"value\": …}) or in the token panel")
		},
	})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	ru := &run{r: r, cancel: cancel, done: make(chan scenario.Report, 1)}
	runs.Lock()
	runs.next++
	h := runs.next
	runs.m[h] = ru
	runs.Unlock()
	go func() { ru.done <- r.Run(ctx) }()
	complete(id, h, nil)
	return nil, nil
}

func lookupRun(args []js.Value, i int) (*run, int, error) {
	if len(args) <= i || args[i].Type() != js.TypeNumber {
		return nil, 0, errors.New("internal: bad call from onenet.js")
	}
	h := args[i].Int()
	runs.Lock()
	defer runs.Unlock()
	ru := runs.m[h]
	if ru == nil {
		return nil, 0, errors.New("no such scenario run (stopped?)")
	}
	return ru, h, nil
}

// scenarioStatus(handle) returns {report, devices} as JSON text.
func scenarioStatus(args []js.Value) (any, error) {
	ru, _, err := lookupRun(args, 0)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(struct {
		Report  scenario.Report         `json:"report"`
		Devices []scenario.DeviceStatus `json:"devices"`
	}{ru.r.Report(), ru.r.Devices()})
	return string(b), err
}

// scenarioStop(id, handle) stops every device of the run and settles with
// the final report as JSON text, once they have disconnected.
func scenarioStop(args []js.Value) (any, error) {
	id, err := asyncID(args, 2)
	if err != nil {
		return nil, err
	}
	ru, h, err := lookupRun(args, 1)
	if err != nil {
		return nil, err
	}
	ru.cancel()
	go func() {
		rep := <-ru.done
		ru.done <- rep // a second stop gets it too
		b, err := json.Marshal(rep)
		complete(id, string(b), err)
		runs.Lock()
		delete(runs.m, h)
		runs.Unlock()
	}()
	return nil, nil
}

// pageToken makes a token with the page's core module (onenet.token), so
// that this module carries no token code of its own.
func pageToken(res, key string, et int64) (token string, err error) {
	defer func() {
		if r := recover(); r != nil { // a js.Error thrown by onenet.token
			err = fmt.Errorf("token: %v", r)
		}
	}()
	o := js.Global().Get("Object").New()
	o.Set("res", res)
	o.Set("key", key)
	o.Set("method", "sha256")
	o.Set("et", et)
	return js.Global().Get("onenet").Call("token", o).String(), nil
}
