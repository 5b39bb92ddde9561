//go:build js && wasm

// Command mqtt is the page's MQTT client module: package mqttws running in
// the browser. web/onenet.js loads it after the core module and wraps it as
// onenet.connect and the client's methods.
//
// The JavaScript boundary is the hot path (docs/BENCHMARKS.md), so:
//   - asynchronous calls carry an id chosen by JavaScript, which keeps the
//     Promise; Go creates no js.Func and no Promise per call;
//   - acknowledged publishes are settled in batches, one call into
//     JavaScript per batch (settleMany);
//   - received messages are delivered in batches, packed into one byte
//     buffer (deliver), which JavaScript copies out and unpacks;
//   - both pass only numbers: where the ids or bytes are in this
//     instance's memory. JavaScript reads them there, so Go creates no
//     JavaScript object (each costs a finalizer) for them.
package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	neturl "net/url"
	"runtime/debug"
	"strings"
	"sync"
	"syscall/js"
	"time"
	"unsafe"

	"github.com/onenet-wasm/onenet-wasm/mqttws"
	"github.com/onenet-wasm/onenet-wasm/wasm/checks"
	"github.com/onenet-wasm/onenet-wasm/wasm/jsbridge"
)

// hooks are the JavaScript functions Go calls: settle, settleMany, deliver,
// state, password (see web/onenet.js).
var hooks struct {
	settle, settleMany, deliver, state, password js.Value
	wsOpen, wsRead, wsSend, wsClose              js.Value // see jsws.go
	uint8Array                                   js.Value
}

func main() {
	// The heap is small (a few MB) and the collector runs on the page's one
	// thread: let it grow to five times what is live before collecting
	// (default two), so that floods of messages are collected less often.
	debug.SetGCPercent(400)
	exports := js.Global().Get("Object").New()
	jsbridge.Export(exports, "init", initHooks)
	jsbridge.Export(exports, "newClient", newClient)
	jsbridge.Export(exports, "connect", connect)
	jsbridge.Export(exports, "subscribe", subscribe)
	jsbridge.Export(exports, "unsubscribe", unsubscribe)
	jsbridge.Export(exports, "disconnect", disconnect)
	jsbridge.Export(exports, "dropped", dropped)
	jsbridge.Export(exports, "thingModel", thingModel)
	jsbridge.Export(exports, "tmCheckValue", tmCheckValue)
	jsbridge.Export(exports, "tmCheckMessage", tmCheckMessage)
	jsbridge.Export(exports, "tmExample", tmExample)
	jsbridge.Export(exports, "tmReply", tmReply)
	jsbridge.Export(exports, "scenarioStart", scenarioStart)
	jsbridge.Export(exports, "scenarioStatus", scenarioStatus)
	jsbridge.Export(exports, "scenarioStop", scenarioStop)
	// Topics, payload checks, device code: what the token panel does not
	// need, so not in the first module (wasm/core).
	checks.Export(exports)
	// publishMany is the hot path: it skips the {value}/{error} wrapper
	// object and returns undefined, or an error object for a batch it
	// cannot read.
	exports.Set("publishMany", js.FuncOf(publishMany))
	exports.Set("wsEvent", js.FuncOf(wsEvent))
	js.Global().Set("__onenetMQTT", exports)
	if ready := js.Global().Get("__onenetMQTTReady"); ready.Type() == js.TypeFunction {
		ready.Invoke()
	}
	select {}
}

func initHooks(args []js.Value) (any, error) {
	if len(args) < 1 || args[0].Type() != js.TypeObject {
		return nil, errors.New("init(hooks): hooks must be an object")
	}
	h := args[0]
	hooks.settle = h.Get("settle")
	hooks.settleMany = h.Get("settleMany")
	hooks.deliver = h.Get("deliver")
	hooks.state = h.Get("state")
	hooks.password = h.Get("password")
	hooks.wsOpen = h.Get("wsOpen")
	hooks.wsRead = h.Get("wsRead")
	hooks.wsSend = h.Get("wsSend")
	hooks.wsClose = h.Get("wsClose")
	hooks.uint8Array = js.Global().Get("Uint8Array")
	go settler()
	return nil, nil
}

// ---- completions ----

type completion struct {
	id  int
	err error
	val any
}

var done struct {
	sync.Mutex
	ok     []int32      // ids that succeeded without a value
	other  []completion // everything else
	signal chan struct{}
}

func init() { done.signal = make(chan struct{}, 1) }

func complete(id int, val any, err error) {
	done.Lock()
	if err == nil && val == nil {
		done.ok = append(done.ok, int32(id))
	} else {
		done.other = append(done.other, completion{id, err, val})
	}
	done.Unlock()
	select {
	case done.signal <- struct{}{}:
	default:
	}
}

// settler hands completions to JavaScript in batches. It runs when the
// goroutines that complete calls have yielded, so a burst of acknowledgements
// becomes one call.
func settler() {
	var spare []int32
	for range done.signal {
		done.Lock()
		ok, other := done.ok, done.other
		done.ok, done.other = spare[:0], nil
		done.Unlock()
		if len(ok) > 0 {
			// settleMany(address, count): count int32 ids at address in
			// this instance's memory, read before it returns.
			hooks.settleMany.Invoke(address(unsafe.Pointer(&ok[0])), len(ok))
		}
		spare = ok
		for _, c := range other {
			if c.err != nil {
				hooks.settle.Invoke(c.id, errorValue(c.err), nil)
			} else {
				hooks.settle.Invoke(c.id, nil, c.val)
			}
		}
	}
}

// ---- clients ----

type client struct {
	handle int
	c      *mqttws.Client
	ctx    context.Context
	cancel context.CancelFunc

	buf []byte // onMessages's, reused
}

var clients = struct {
	sync.Mutex
	m    map[int]*client
	next int
}{m: map[int]*client{}}

func lookup(args []js.Value) (*client, error) {
	if len(args) < 1 || args[0].Type() != js.TypeNumber {
		return nil, &jsbridge.FieldError{Field: "client", Code: "mqtt.client", Msg: "not a client handle"}
	}
	return lookupHandle(args[0].Int())
}

func lookupHandle(handle int) (*client, error) {
	clients.Lock()
	cl := clients.m[handle]
	clients.Unlock()
	if cl == nil {
		return nil, &jsbridge.FieldError{Field: "client", Code: "mqtt.closed", Msg: "the client is closed: connect again"}
	}
	return cl, nil
}

func newClient(args []js.Value) (any, error) {
	clients.Lock()
	defer clients.Unlock()
	clients.next++
	ctx, cancel := context.WithCancel(context.Background())
	cl := &client{handle: clients.next, ctx: ctx, cancel: cancel}
	clients.m[cl.handle] = cl
	return cl.handle, nil
}

func forget(cl *client) {
	clients.Lock()
	delete(clients.m, cl.handle)
	clients.Unlock()
	cl.cancel()
}

// asyncID reads the call id that JavaScript keeps the Promise under.
func asyncID(args []js.Value, n int) (int, error) {
	if len(args) < n || args[0].Type() != js.TypeNumber {
		return 0, errors.New("internal: bad call from onenet.js")
	}
	return args[0].Int(), nil
}

// connect(id, handle, {url, clientId, username, password, passwordFunc,
// keepAlive, cleanSession, connectTimeout, autoReconnect}).
func connect(args []js.Value) (any, error) {
	id, err := asyncID(args, 3)
	if err != nil {
		return nil, err
	}
	cl, err := lookup(args[1:])
	if err != nil {
		return nil, err
	}
	o := args[2]
	url, err := jsbridge.String(o, "url")
	if err != nil {
		return nil, err
	}
	// MaxInflight 1024: a page that publishes in a loop keeps the connection
	// busy, as mqtt.js (which has no limit) does; mochi, like MQTT 5, takes
	// 1024 QoS 1 and 2 publishes in flight per client by default.
	opts := &mqttws.Options{AutoReconnect: jsbridge.Bool(o, "autoReconnect", true), QueueSize: 16384, MaxInflight: 1024}
	if opts.ClientID, err = jsbridge.String(o, "clientId"); err != nil {
		return nil, err
	}
	if opts.Username, err = jsbridge.String(o, "username"); err != nil {
		return nil, err
	}
	if opts.Password, err = jsbridge.String(o, "password"); err != nil {
		return nil, err
	}
	ka, err := jsbridge.Int(o, "keepAlive", 60)
	if err != nil {
		return nil, err
	}
	opts.KeepAlive = time.Duration(ka) * time.Second
	ct, err := jsbridge.Int(o, "connectTimeout", 10)
	if err != nil {
		return nil, err
	}
	opts.ConnectTimeout = time.Duration(ct) * time.Second
	opts.PersistentSession = !jsbridge.Bool(o, "cleanSession", true)
	if jsbridge.Bool(o, "passwordFunc", false) {
		opts.PasswordFunc = cl.password
	}
	if hooks.wsOpen.Type() == js.TypeFunction {
		opts.Dial = dialJS
	}
	opts.OnMessages = cl.onMessages
	// onMessages only hands the batch to the page (deliver), which never
	// waits for Go.
	opts.DirectDelivery = true
	opts.OnState = cl.onState
	go func() {
		c, err := mqttws.Dial(cl.ctx, url, opts)
		if err != nil {
			forget(cl)
			complete(id, nil, err)
			return
		}
		cl.c = c
		complete(id, cl.handle, nil)
	}()
	return nil, nil
}

// password asks the page for a fresh password (a new token) at every
// (re)connect. The page answers with a Promise.
func (cl *client) password(ctx context.Context) (string, error) {
	type result struct {
		s   string
		err error
	}
	ch := make(chan result, 1)
	var then, catch js.Func
	then = js.FuncOf(func(this js.Value, args []js.Value) any {
		if len(args) > 0 && args[0].Type() == js.TypeString {
			ch <- result{s: args[0].String()}
		} else {
			ch <- result{err: errors.New("the page gave no password")}
		}
		return nil
	})
	catch = js.FuncOf(func(this js.Value, args []js.Value) any {
		msg := "the page could not make a password"
		if len(args) > 0 && args[0].Type() == js.TypeObject && args[0].Get("message").Type() == js.TypeString {
			msg = args[0].Get("message").String()
		}
		ch <- result{err: errors.New(msg)}
		return nil
	})
	defer then.Release()
	defer catch.Release()
	hooks.password.Invoke(cl.handle).Call("then", then, catch)
	select {
	case r := <-ch:
		return r.s, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (cl *client) onState(ev mqttws.StateEvent) {
	var errv any
	if ev.Err != nil {
		errv = errorValue(ev.Err)
	}
	reason := ev.Reason
	if ev.Err != nil {
		reason = mqttws.Explain(ev.Err)
	}
	// state(handle, state, reason, error, backoff ms, attempt, resubscribed):
	// the numbers too, so that the page need not read them from the reason,
	// which for an error is the error's explanation.
	hooks.state.Invoke(cl.handle, string(ev.State), reason, errv, ev.Backoff.Milliseconds(), ev.Attempt, ev.Resubscribed)
	if ev.State == mqttws.StateClosed {
		forget(cl)
	}
}

// onMessages hands a batch of received messages (those mqttws had queued)
// to the page, packed into one buffer: flags u8, topic length u32,
// payload length u32, receivedAt f64 ms, topic, payload (little-endian).
// It runs on mqttws's delivering goroutine.
func (cl *client) onMessages(batch []mqttws.Message) {
	buf := cl.buf[:0]
	for i := range batch {
		m := &batch[i]
		flags := m.QoS & 3
		if m.Retained {
			flags |= 4
		}
		if m.Duplicate {
			flags |= 8
		}
		buf = append(buf, flags)
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(m.Topic)))
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(m.Payload)))
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(float64(m.ReceivedAt.UnixNano())/1e6))
		buf = append(buf, m.Topic...)
		buf = append(buf, m.Payload...)
	}
	// deliver(handle, address, length, count): JavaScript copies the bytes
	// out of this instance's memory before it returns.
	hooks.deliver.Invoke(cl.handle, address(unsafe.Pointer(&buf[0])), len(buf), len(batch))
	if cap(buf) > 4<<20 {
		buf = nil // don't keep a flood's buffer
	}
	cl.buf = buf
}

// publishMany(bytes, count) publishes a batch that web/onenet/calls.js packed,
// little-endian, per message: id u32, handle u32, qos u8 (255: invalid),
// flags u8 (retain 1, topic not a string 2, bad payload type 4), topic
// length u32, payload length u32, topic, payload. Each message's Promise is
// settled by its id: when the broker acknowledged it (QoS 1, 2) or it was
// written (QoS 0), or with the error. It returns undefined, or an error
// object when the batch cannot be read.
func publishMany(this js.Value, args []js.Value) (ret any) {
	defer func() {
		if r := recover(); r != nil {
			ret = map[string]any{"error": jsbridge.ErrorValue(jsbridge.Panic(r))}
		}
	}()
	if len(args) < 2 || !args[0].InstanceOf(hooks.uint8Array) {
		return map[string]any{"error": jsbridge.ErrorValue(errors.New("internal: bad call from onenet.js"))}
	}
	buf := make([]byte, args[0].Length())
	js.CopyBytesToGo(buf, args[0])
	count := args[1].Int()
	var (
		cl   *client
		last = -1
		lerr error
	)
	for i := 0; i < count; i++ {
		if len(buf) < 18 {
			return map[string]any{"error": jsbridge.ErrorValue(errors.New("internal: short publish batch from onenet.js"))}
		}
		id := int(binary.LittleEndian.Uint32(buf))
		handle := int(binary.LittleEndian.Uint32(buf[4:]))
		qos, flags := buf[8], buf[9]
		tlen := int(binary.LittleEndian.Uint32(buf[10:]))
		plen := int(binary.LittleEndian.Uint32(buf[14:]))
		if len(buf) < 18+tlen+plen {
			return map[string]any{"error": jsbridge.ErrorValue(errors.New("internal: short publish batch from onenet.js"))}
		}
		topic := string(buf[18 : 18+tlen])
		payload := buf[18+tlen : 18+tlen+plen : 18+tlen+plen]
		buf = buf[18+tlen+plen:]
		if handle != last {
			last = handle
			cl, lerr = lookupHandle(handle)
			if lerr == nil && cl.c == nil {
				lerr = &jsbridge.FieldError{Field: "client", Code: "mqtt.notConnected", Msg: "not connected yet"}
			}
		}
		var err error
		switch {
		case lerr != nil:
			err = lerr
		case flags&2 != 0:
			err = &jsbridge.FieldError{Field: "topic", Code: "arg.type", Msg: "must be a string"}
		case flags&4 != 0:
			err = &jsbridge.FieldError{Field: "payload", Code: "arg.type", Msg: "must be a string or a Uint8Array"}
		case qos > 2:
			err = &jsbridge.FieldError{Field: "qos", Code: "mqtt.qos", Msg: "must be 0, 1 or 2"}
		}
		if err != nil {
			complete(id, nil, err)
			continue
		}
		c, ctx, retain := cl.c, cl.ctx, flags&1 != 0
		work(func() { complete(id, nil, c.Publish(ctx, topic, payload, qos, retain)) })
	}
	return nil
}

// subscribe(id, handle, filter, qos) settles with the granted QoS.
func subscribe(args []js.Value) (any, error) {
	id, err := asyncID(args, 4)
	if err != nil {
		return nil, err
	}
	cl, err := connected(args[1:])
	if err != nil {
		return nil, err
	}
	if args[2].Type() != js.TypeString {
		return nil, &jsbridge.FieldError{Field: "filter", Code: "arg.type", Msg: "must be a string"}
	}
	filter, qos := args[2].String(), args[3].Int()
	go func() {
		g, err := cl.c.Subscribe(cl.ctx, filter, byte(qos))
		if err != nil {
			complete(id, nil, err)
			return
		}
		complete(id, int(g), nil)
	}()
	return nil, nil
}

func unsubscribe(args []js.Value) (any, error) {
	id, err := asyncID(args, 3)
	if err != nil {
		return nil, err
	}
	cl, err := connected(args[1:])
	if err != nil {
		return nil, err
	}
	if args[2].Type() != js.TypeString {
		return nil, &jsbridge.FieldError{Field: "filter", Code: "arg.type", Msg: "must be a string"}
	}
	filter := args[2].String()
	go func() { complete(id, nil, cl.c.Unsubscribe(cl.ctx, filter)) }()
	return nil, nil
}

func disconnect(args []js.Value) (any, error) {
	id, err := asyncID(args, 2)
	if err != nil {
		return nil, err
	}
	cl, err := lookup(args[1:])
	if err != nil {
		// Already closed: disconnecting is done.
		complete(id, nil, nil)
		return nil, nil
	}
	go func() {
		var err error
		if cl.c != nil {
			err = cl.c.Close()
		}
		forget(cl)
		complete(id, nil, err)
	}()
	return nil, nil
}

func dropped(args []js.Value) (any, error) {
	cl, err := connected(args)
	if err != nil {
		return nil, err
	}
	return float64(cl.c.Dropped()), nil
}

func connected(args []js.Value) (*client, error) {
	cl, err := lookup(args)
	if err != nil {
		return nil, err
	}
	if cl.c == nil {
		return nil, &jsbridge.FieldError{Field: "client", Code: "mqtt.notConnected", Msg: "not connected yet"}
	}
	return cl, nil
}

// errorValue describes an MQTT error for the page: the human explanation
// (English, for logs), the CONNACK code of a refused login, and a stable
// code with its parameters, which the page translates:
//
//	mqtt.connack          login refused; params.code is the CONNACK return code
//	mqtt.dial.<kind>      no connection (mqttws.DialErrorKind); params url, host, close, status
//	mqtt.suback           subscription refused; params filter, code ("0x80")
//	mqtt.lost             connection lost; params close (0 if unknown)
//	mqtt.lost.ping        connection lost: no answer to a keepalive ping
//	mqtt.lost.disconnect  connection lost: the server sent DISCONNECT
//	mqtt.password         the page could not make a password; params detail
//	mqtt.<field>          a bad option or argument (mqttws.FieldError.Field, lower case); params detail
//	mqtt.closed           the client is closed
//	mqtt.timeout          the operation timed out
//	mqtt.canceled         the operation was cancelled
func errorValue(err error) map[string]any {
	v := jsbridge.ErrorValue(err)
	v["message"] = mqttws.Explain(err)
	var ce *mqttws.ConnectError
	var de *mqttws.DialError
	var se *mqttws.SubscribeError
	var fe *mqttws.FieldError
	var le *mqttws.ConnectionLostError
	var pe *mqttws.PasswordError
	switch {
	case errors.As(err, &ce):
		v["connack"] = int(ce.Code)
		v["code"] = "mqtt.connack"
		v["params"] = map[string]any{"code": int(ce.Code)}
	case errors.As(err, &de):
		v["code"] = "mqtt.dial." + string(de.Kind)
		host := de.URL
		if u, perr := neturl.Parse(de.URL); perr == nil && u.Host != "" {
			host = u.Host
		}
		v["params"] = map[string]any{"url": de.URL, "host": host, "close": de.CloseCode, "status": de.StatusCode}
	case errors.As(err, &se):
		v["code"] = "mqtt.suback"
		v["field"] = "filter"
		v["params"] = map[string]any{"filter": se.Filter, "code": fmt.Sprintf("0x%02X", se.Code)}
	case errors.As(err, &fe):
		v["field"] = fe.Field
		v["code"] = "mqtt." + strings.ToLower(fe.Field)
		v["detail"] = fe.Msg
		v["params"] = map[string]any{"detail": fe.Msg}
	case errors.As(err, &pe):
		v["code"] = "mqtt.password"
		v["field"] = "password"
		v["detail"] = pe.Err.Error()
		v["params"] = map[string]any{"detail": pe.Err.Error()}
	case errors.As(err, &le):
		v["code"] = "mqtt.lost"
		switch {
		case le.Err != nil && strings.Contains(le.Err.Error(), "pingresp not received"):
			v["code"] = "mqtt.lost.ping"
		case le.Err != nil && strings.Contains(le.Err.Error(), "unexpected DISCONNECT packet"):
			// MQTT 3.1.1 has no DISCONNECT from the server, but mochi-mqtt
			// (the local server's broker) sends one when it shuts down,
			// when a session is taken over, or when it refuses a publish.
			v["code"] = "mqtt.lost.disconnect"
		}
		v["params"] = map[string]any{"close": le.CloseCode}
	case errors.Is(err, mqttws.ErrClosed):
		v["code"] = "mqtt.closed"
	case errors.Is(err, context.DeadlineExceeded):
		v["code"] = "mqtt.timeout"
	case errors.Is(err, context.Canceled):
		v["code"] = "mqtt.canceled"
	}
	return v
}

// address is where p is in this instance's memory, for JavaScript to read
// through a view of it (WebAssembly.Memory.buffer). The memory must not be
// read after the call it is passed to returns: Go may reuse it, and a
// growing memory detaches old views.
func address(p unsafe.Pointer) int { return int(uintptr(p)) }

// work runs job on a goroutine, reusing one that finished its last job
// when there is one: a new goroutine starts with a small stack that the
// publish path grows (copying it) every time.
func work(job func()) {
	workers.Lock()
	if workers.idle > 0 {
		workers.idle--
		workers.Unlock()
		workers.jobs <- job
		return
	}
	workers.Unlock()
	go worker(job)
}

// workers are the goroutines waiting for a job, at most maxIdleWorkers.
var workers = struct {
	sync.Mutex
	idle int
	jobs chan func()
}{jobs: make(chan func())}

const maxIdleWorkers = 256

func worker(job func()) {
	for {
		job()
		workers.Lock()
		if workers.idle >= maxIdleWorkers {
			workers.Unlock()
			return
		}
		workers.idle++
		workers.Unlock()
		job = <-workers.jobs
	}
}
