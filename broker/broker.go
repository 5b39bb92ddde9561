package broker

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"

	"github.com/onenet-wasm/onenet-wasm/internal/logsafe"
	"github.com/onenet-wasm/onenet-wasm/onenet"
)

// RateLimits are the per-device limits of docs/PROTOCOL.md §5.2–§5.6:
// within each Window a device may log in (with valid credentials) Connects
// times, publish QoS0 messages at QoS 0 and QoS1 at QoS 1, subscribe to
// Subscribes topics, send Unsubscribes UNSUBSCRIBE packets and Pings
// PINGREQ packets; one more and it is disconnected (or its login refused)
// and banned for Ban. A zero field takes the documented default; Disabled
// turns the limits off.
type RateLimits struct {
	Window       time.Duration // default 5s
	Connects     int           // default 10
	QoS0         int           // default 300
	QoS1         int           // default 100
	Subscribes   int           // default 15 (topics, refused ones included)
	Unsubscribes int           // default 10
	Pings        int           // default 10
	Ban          time.Duration // default 5 minutes
	// FailedLogins is how many refused logins one source address may have
	// within a Window before it is blocked for AddressBlock (limits.go).
	FailedLogins int           // default 10
	AddressBlock time.Duration // default 1 minute
	Disabled     bool
}

// Options configure a Broker. Only Registry is required.
type Options struct {
	// Registry lists the products and devices that may log in. Required;
	// it may be empty (every login is then refused with 1107).
	Registry *Registry
	// Now is the clock for tokens, rate limits and datapoint times.
	// Default time.Now.
	Now func() time.Time
	// Rand is read for command ids (UUIDs) and API request ids. Default
	// crypto/rand.Reader.
	Rand io.Reader
	// Limits are the per-device rate limits; the zero value means OneNET's.
	Limits RateLimits
	// MaxStoredPoints bounds the datapoints kept per datastream (the oldest
	// go first). Default 1000.
	MaxStoredPoints int
	// MaxStoredBytes bounds the bytes of datapoints kept per device (the
	// oldest go first); MaxTotalStoredBytes those of all devices together
	// (an upload past it is rejected). Defaults 16 MiB and 256 MiB
	// (store.go).
	MaxStoredBytes      int64
	MaxTotalStoredBytes int64
	// MaxStreams bounds the datastreams kept per device; a dp/post/json that
	// would add more is rejected. Default 100.
	MaxStreams int
	// Logf, if not nil, gets one line per event: connections, logins with
	// OneNET's reason code, disconnections and why, rejected publishes and
	// subscriptions, commands. Lines never hold a password, token, key or
	// payload.
	Logf func(format string, args ...any)
	// WebSocketOrigins are the host patterns (path.Match syntax, as in
	// github.com/coder/websocket AcceptOptions.OriginPatterns) of other
	// origins whose pages may connect to WebSocketHandler. The handler's own
	// origin is always allowed, and so are clients that send no Origin
	// header (programs, not browsers). "null" allows the opaque origin
	// "null": pages opened from disk (file://), such as the single-file
	// page.
	WebSocketOrigins []string
	// ConnectTimeout is how long a new connection may take to send its
	// CONNECT packet. Default 10s.
	ConnectTimeout time.Duration
}

// Errors of the platform-side calls; test with errors.Is.
var (
	ErrUnknownDevice = errors.New("no such device")
	ErrOffline       = errors.New("device offline")
	ErrNotSubscribed = errors.New("device has not subscribed to the topic")
	ErrTimeout       = errors.New("no answer from the device in time")
	ErrTooLarge      = errors.New("too large")
	ErrClosed        = errors.New("broker closed")
)

// A Broker is a local MQTT broker that behaves like OneNET's MQTT IoT kit
// and Studio thing model for the devices of a Registry.
type Broker struct {
	opts     Options
	srv      *mqtt.Server
	devices  map[string]*device // by "pid/name"; fixed after New
	products map[string]*Product
	ws       *wsListener

	randMu sync.Mutex

	pend pendingTable

	logins      loginThrottle
	storedTotal atomic.Int64 // bytes of datapoints stored, all devices (store.go)

	thingID atomic.Uint64

	mu        sync.Mutex // guards nListeners and closed
	nListener int
	closed    bool
	done      chan struct{}
	closeOnce sync.Once
}

// internalPrefix replaces "$sys/" inside mochi, which drops every client
// PUBLISH whose topic starts with $SYS in any case (TestBareMochiDropsSys
// shows it). Device topics are mapped to it when read and back when
// written, so that mochi's topic tree only ever sees internal names. No
// client can use it directly: a device may publish and subscribe only under
// "$sys/{pid}/{device}/" (docs/PROTOCOL.md §4.2).
const internalPrefix = "onenet:sys/"

// maxPacket bounds an incoming MQTT packet: the largest payload OneNET takes
// (docs/PROTOCOL.md §5.1) plus room for the longest topic and the headers. Anything
// bigger is refused while reading its header.
const maxPacket = onenet.MaxPayload + 65536 + 16

// New starts a broker with no listeners; add them with ListenTCP and
// WebSocketHandler.
func New(opts Options) (*Broker, error) {
	if opts.Registry == nil {
		return nil, errors.New("broker: Options.Registry is required")
	}
	if err := opts.Registry.check(); err != nil {
		return nil, fmt.Errorf("broker: registry: %w", err)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	l := &opts.Limits
	if l.Window <= 0 {
		l.Window = onenet.RateWindow
	}
	if l.Connects <= 0 {
		l.Connects = onenet.MaxLoginsPerWindow
	}
	if l.QoS0 <= 0 {
		l.QoS0 = onenet.MaxQoS0PerWindow
	}
	if l.QoS1 <= 0 {
		l.QoS1 = onenet.MaxQoS1PerWindow
	}
	if l.Subscribes <= 0 {
		l.Subscribes = 15
	}
	if l.Unsubscribes <= 0 {
		l.Unsubscribes = 10
	}
	if l.Pings <= 0 {
		l.Pings = 10
	}
	if l.Ban <= 0 {
		l.Ban = onenet.RateBan
	}
	if l.FailedLogins <= 0 {
		l.FailedLogins = 10
	}
	if l.AddressBlock <= 0 {
		l.AddressBlock = time.Minute
	}
	if opts.MaxStoredPoints <= 0 {
		opts.MaxStoredPoints = 1000
	}
	if opts.MaxStoredBytes <= 0 {
		opts.MaxStoredBytes = 16 << 20
	}
	if opts.MaxTotalStoredBytes <= 0 {
		opts.MaxTotalStoredBytes = 256 << 20
	}
	if opts.MaxStreams <= 0 {
		opts.MaxStreams = 100
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 10 * time.Second
	}

	b := &Broker{
		opts:     opts,
		devices:  map[string]*device{},
		products: map[string]*Product{},
		done:     make(chan struct{}),
	}
	b.pend.init()
	for i := range opts.Registry.Products {
		p := &opts.Registry.Products[i]
		if p.model == nil {
			// A registry built in code: an inline model, or a path from
			// the working directory.
			if err := p.loadModel("."); err != nil {
				return nil, fmt.Errorf("broker: registry: products[%d].%w", i, err)
			}
		}
		b.products[p.ID] = p
		for _, d := range p.Devices {
			dv := newDevice(p, d)
			b.devices[dv.key] = dv
		}
	}

	caps := mqtt.NewDefaultServerCapabilities()
	caps.MaximumPacketSize = maxPacket
	// What waits for a client that does not read is bounded (store.go).
	caps.MaximumClientWritesPending = maxPendingWrites
	b.srv = mqtt.New(&mqtt.Options{
		InlineClient: true,
		Capabilities: caps,
		// mochi's own log lines can hold payloads: keep them out.
		Logger: slog.New(slog.DiscardHandler),
		// mochi's $SYS statistics are of no use here and cost a
		// ReadMemStats per tick.
		SysTopicResendInterval: 24 * 3600,
	})
	for _, h := range b.hooks() {
		if err := b.srv.AddHook(h, nil); err != nil {
			return nil, fmt.Errorf("broker: %w", err)
		}
	}
	b.ws = newWSListener("ws", opts.WebSocketOrigins, opts.ConnectTimeout, b.logf)
	b.ws.establish = b.establish
	if err := b.srv.AddListener(b.ws); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	if err := b.srv.Serve(); err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	return b, nil
}

// establish hands c to mochi as a conn, and records when mochi has
// dropped it entirely: after its hooks' OnDisconnect, mochi removes the
// session's subscriptions and the session itself by client id, which a
// device's new login must not overtake (see loginHook.OnSessionEstablish).
func (b *Broker) establish(id string, c net.Conn) error {
	bc := &conn{Conn: c, ended: make(chan struct{})}
	defer close(bc.ended)
	return b.srv.EstablishConnection(id, bc)
}

// conn is a connection the broker hands mochi. It carries the session of
// the device logged in on it, which the hooks find from the client
// (mqtt.Client.Net.Conn) at every packet without a map look-up.
type conn struct {
	net.Conn
	sess  atomic.Pointer[session] // nil until the login, and after the disconnection
	ended chan struct{}           // closed when mochi has dropped the connection
}

// ended is closed once mochi has dropped the connection c; nil if c is
// not one of the broker's.
func (b *Broker) ended(c net.Conn) <-chan struct{} {
	if bc, ok := c.(*conn); ok {
		return bc.ended
	}
	return nil
}

// ListenTCP starts a plain MQTT listener on addr ("127.0.0.1:0" picks a
// free port) and returns the address it listens on.
func (b *Broker) ListenTCP(addr string) (net.Addr, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, fmt.Errorf("broker: listen %s: %w", addr, ErrClosed)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	b.nListener++
	l := newTCPListener("tcp"+strconv.Itoa(b.nListener), ln, b.opts.ConnectTimeout, b.logf)
	if err := b.srv.AddListener(l); err != nil {
		ln.Close()
		return nil, fmt.Errorf("broker: %w", err)
	}
	b.srv.Listeners.Serve(l.ID(), b.establish)
	b.logf("listening for MQTT on %s", ln.Addr())
	return ln.Addr(), nil
}

// WebSocketHandler returns the handler of MQTT over WebSocket (subprotocol
// "mqtt", binary messages), to mount on the caller's mux, e.g. at /mqtt. It
// serves any path it is given. Browsers may connect from the same origin
// and from Options.WebSocketOrigins only.
func (b *Broker) WebSocketHandler() http.Handler { return b.ws }

// Close disconnects every device, stops the listeners and ends waiting
// platform calls with ErrClosed. It returns when every connection has
// ended.
func (b *Broker) Close() error {
	b.closeOnce.Do(func() {
		b.mu.Lock()
		b.closed = true
		b.mu.Unlock()
		close(b.done)
		_ = b.srv.Close()
		b.logf("broker closed")
	})
	return nil
}

// closing reports whether Close has begun.
func (b *Broker) closing() bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}

func (b *Broker) logf(format string, args ...any) {
	if b.opts.Logf != nil {
		// Values a client sent are quoted with logsafe.Q where they are
		// logged; Line is the last guard on the whole line.
		b.opts.Logf("%s", logsafe.Line(fmt.Sprintf(format, args...)))
	}
}

func (b *Broker) now() time.Time { return b.opts.Now() }

// device returns the device pid/name or an error wrapping ErrUnknownDevice.
func (b *Broker) device(pid, name string) (*device, error) {
	if d := b.devices[pid+"/"+name]; d != nil {
		return d, nil
	}
	if b.products[pid] == nil {
		return nil, fmt.Errorf("broker: product %q: %w", pid, ErrUnknownDevice)
	}
	return nil, fmt.Errorf("broker: device %q of product %q: %w", name, pid, ErrUnknownDevice)
}

// A DeviceStatus is what the platform knows of a device's connection.
type DeviceStatus struct {
	Name     string
	Online   bool
	LastSeen time.Time // the last login, publish or disconnection; zero if never seen
	Remote   string    // the client's address while online
}

// Devices returns the devices of product pid in registry order, or nil for
// an unknown product.
func (b *Broker) Devices(pid string) []DeviceStatus {
	p := b.products[pid]
	if p == nil {
		return nil
	}
	out := make([]DeviceStatus, 0, len(p.Devices))
	for _, dd := range p.Devices {
		d := b.devices[pid+"/"+dd.Name]
		d.mu.Lock()
		out = append(out, DeviceStatus{Name: d.name, Online: d.online(), LastSeen: d.lastSeen, Remote: d.remote})
		d.mu.Unlock()
	}
	return out
}

// A StoredPoint is one value of a datastream or thing-model property.
type StoredPoint struct {
	At    time.Time       // the point's own time, or when it arrived
	Value json.RawMessage // the value as the device sent it (compact JSON)
}

// Datapoints returns a copy of the datapoints stored for a device, by
// datastream id, oldest first; nil for an unknown device.
func (b *Broker) Datapoints(pid, dev string) map[string][]StoredPoint {
	d := b.devices[pid+"/"+dev]
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string][]StoredPoint, len(d.streams))
	for id, r := range d.streams {
		out[id] = r.slice()
	}
	return out
}

// Properties returns the latest value of each thing-model property a device
// has posted (thing/property/post, thing/pack/post); nil for an unknown
// device.
func (b *Broker) Properties(pid, dev string) map[string]StoredPoint {
	d := b.devices[pid+"/"+dev]
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]StoredPoint, len(d.props))
	for k, v := range d.props {
		out[k] = v
	}
	return out
}

// uuid returns a random (version 4) UUID for a command id.
func (b *Broker) uuid() (string, error) {
	var u [16]byte
	b.randMu.Lock()
	_, err := io.ReadFull(b.opts.Rand, u[:])
	b.randMu.Unlock()
	if err != nil {
		return "", fmt.Errorf("broker: command id: %w", err)
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&15])
	}
	return string(out), nil
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// wait waits for a result on ch, the end of ctx or the broker's end.
func (b *Broker) wait(ctx context.Context, ch <-chan result) (result, error) {
	select {
	case r := <-ch:
		return r, nil
	case <-ctx.Done():
		return result{}, ctx.Err()
	case <-b.done:
		return result{}, ErrClosed
	}
}
