package scenario

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"encoding/json"

	"github.com/onenet-wasm/onenet-wasm/mqttws"
	"github.com/onenet-wasm/onenet-wasm/onenet"
)

// Options are what a run takes from its caller: the network, the keys and
// the clock.
type Options struct {
	// Seed seeds every generator; the file's "seed" takes precedence.
	Seed uint64
	// Now is the clock for schedules' values (sine, dates), token expiry
	// and latency. Default time.Now.
	Now func() time.Time
	// Connect says how a device reaches its target: the URL to give
	// mqttws.Dial and the Options.Dial to use (nil: mqttws's own
	// WebSocket). Required.
	Connect func(ctx context.Context, in *Instance) (url string, dial func(ctx context.Context, url string) (net.Conn, error), err error)
	// Key returns a device's access key (base64) from in.Spec.Key.
	// Required.
	Key func(ctx context.Context, in *Instance) (string, error)
	// Token returns a OneNET token for res ("products/{pid}/devices/{name}"
	// or "products/{pid}") signed with key, valid until et (Unix
	// seconds): the password of every login. Required (natively,
	// simnet.Token; a page, its core module's).
	Token func(res, key string, et int64) (string, error)
	// OnEvent, if set, is told of what happens to devices: connections,
	// faults, errors. It is called from many goroutines.
	OnEvent func(Event)
	// MaxConnecting bounds the devices connecting at once. Default 32.
	MaxConnecting int
	// KeepAlive is each device's MQTT keepalive. Default 60s.
	KeepAlive time.Duration
	// Drain is how long a device waits, once the run ends, for the answers
	// to its last uploads before it disconnects. Default 5s.
	Drain time.Duration
}

// An Event is something that happened to a device, for a log.
type Event struct {
	Device string // "{product}/{device}"
	What   string // "connected", "offline", "fault", "error"
	Msg    string
}

// A Runner runs a scenario: each device connects, publishes on its
// schedules, answers the platform's requests and rehearses its faults.
type Runner struct {
	s       *Scenario
	opts    Options
	seed    uint64
	st      stats
	devs    []*simDevice
	start   time.Time    // set by Run before any device starts
	began   atomic.Value // start, for Report
	stopped atomic.Bool  // Run has returned
	sem     chan struct{}
}

// NewRunner prepares a run of s.
func NewRunner(s *Scenario, opts Options) (*Runner, error) {
	if opts.Connect == nil || opts.Key == nil || opts.Token == nil {
		return nil, errors.New("scenario: Options.Connect, Options.Key and Options.Token are required")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxConnecting <= 0 {
		opts.MaxConnecting = 32
	}
	if opts.Drain <= 0 {
		opts.Drain = 5 * time.Second
	}
	r := &Runner{s: s, opts: opts, seed: opts.Seed, sem: make(chan struct{}, opts.MaxConnecting)}
	if s.File.Seed != nil {
		r.seed = *s.File.Seed
	}
	for _, in := range s.Instances() {
		d := r.newDevice(in)
		if in.Gateway >= 0 {
			d.gw = r.devs[in.Gateway]
			d.gw.subs = append(d.gw.subs, d)
		}
		r.devs = append(r.devs, d)
	}
	return r, nil
}

// Report returns the counts so far (safe to call during Run).
func (r *Runner) Report() Report {
	rep := r.st.report()
	rep.Name, rep.Seed, rep.Devices = r.s.File.Name, r.seed, len(r.devs)
	if start, ok := r.began.Load().(time.Time); ok {
		rep.Elapsed = r.opts.Now().Sub(start)
	}
	return rep
}

// Run runs the scenario until ctx is done or the file's duration has
// passed, then disconnects every device and returns the final report.
// Answers still awaited when it ends count as unanswered.
func (r *Runner) Run(ctx context.Context) Report {
	r.start = r.opts.Now()
	r.began.Store(r.start)
	if d := r.s.File.Duration; d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(d*float64(time.Second)))
		defer cancel()
	}
	var wg sync.WaitGroup
	for _, d := range r.devs {
		if d.gw != nil {
			continue // its gateway runs it
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.run(ctx)
		}()
	}
	wg.Wait()
	r.stopped.Store(true)
	return r.Report()
}

func (r *Runner) event(d *simDevice, what, msg string) {
	if what == "error" {
		r.st.fail(d.name + ": " + msg)
	}
	if r.opts.OnEvent != nil {
		r.opts.OnEvent(Event{Device: d.name, What: what, Msg: msg})
	}
}

// elapsed is the time since the start, in seconds.
func (r *Runner) elapsed() float64 { return r.opts.Now().Sub(r.start).Seconds() }

// sleep waits d or until ctx is done; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// A schedule is a compiled Publish.
type schedule struct {
	spec   *Publish
	kind   onenet.Kind
	names  []string   // datastreams or identifiers, sorted
	gens   []valueGen // by names
	event  string
	jitter *rand.Rand
	qos    byte
}

type pending struct {
	at      time.Time
	invalid bool
}

// A simDevice is one simulated device.
type simDevice struct {
	r     *Runner
	in    Instance
	name  string
	sched []*schedule
	lim   *limiter
	gw    *simDevice   // a sub-device's gateway, else nil
	subs  []*simDevice // a gateway's sub-devices

	sent, accepted, rejected atomic.Uint64 // this device's uploads

	mu      sync.Mutex
	last    string // the platform's last answer to an upload, for a status
	request string // the platform's last request
	client  *mqttws.Client
	link    *link // the client's: counted online or not
	leaving bool  // a fault is about to take the device offline
	login   bool  // a sub-device: logged in through its gateway
	nextID  int64
	pending map[string]pending
	current map[string]json.RawMessage // latest property values
	rand    *rand.Rand                 // for answers' "any" values
}

func (r *Runner) newDevice(in Instance) *simDevice {
	d := &simDevice{r: r, in: in, name: in.Product + "/" + in.Device, pending: map[string]pending{}, current: map[string]json.RawMessage{},
		rand: newRand(r.seed, in.Index, "answers")}
	if r.s.File.Limits != "off" {
		if in.Studio() {
			d.lim = newLimiter(onenet.StudioMaxUplinkPerSecond, time.Second)
		} else {
			d.lim = newLimiter(onenet.MaxQoS1PerWindow, onenet.RateWindow)
		}
	}
	for j := range in.Spec.Publish {
		p := &in.Spec.Publish[j]
		path := fmt.Sprintf("publish[%d]", j)
		sc := &schedule{spec: p, jitter: newRand(r.seed, in.Index, path+".jitter"), qos: 1}
		if p.QoS != nil {
			sc.qos = byte(*p.QoS)
		}
		var gens map[string]Generator
		types := map[string]*onenet.DataType{}
		switch {
		case p.DP != nil:
			sc.kind, gens = onenet.KindDPPost, p.DP
		case p.Event != nil:
			sc.kind, gens, sc.event = onenet.KindEventPost, map[string]Generator{}, p.Event.Identifier
			for k, g := range p.Event.Values {
				gens[k] = g
			}
			if in.Model != nil {
				if ev := in.Model.Event(sc.event); ev != nil {
					for i := range ev.Output {
						o := &ev.Output[i]
						types[o.Identifier] = &o.DataType
						if _, ok := gens[o.Identifier]; !ok {
							gens[o.Identifier] = Generator{Any: true}
						}
					}
				}
			}
		default:
			sc.kind, gens = onenet.KindPropertyPost, map[string]Generator{}
			for k, g := range p.Properties {
				gens[k] = g
			}
			if in.Model != nil {
				for i := range in.Model.Properties {
					pr := &in.Model.Properties[i]
					types[pr.Identifier] = &pr.DataType
					if _, ok := gens[pr.Identifier]; !ok && p.AllProperties {
						gens[pr.Identifier] = Generator{Any: true}
					}
				}
			}
		}
		sc.names = sortedKeys(gens)
		for _, k := range sc.names {
			sc.gens = append(sc.gens, r.s.newGen(gens[k], types[k], newRand(r.seed, in.Index, path+"."+k)))
		}
		d.sched = append(d.sched, sc)
	}
	return d
}

func (d *simDevice) topic(kind onenet.Kind, param string) string {
	if d.gw != nil {
		kind = subdevKinds[kind]
	}
	t, _ := onenet.Topic(kind, onenet.TopicArgs{ProductID: d.in.Product, DeviceName: d.in.Device, CmdID: param, Identifier: param})
	return t
}

// subdevKinds are the topics a gateway uses for a sub-device instead of a
// device's own (docs/PROTOCOL.md §12), and fromSubdev back.
var (
	subdevKinds = map[onenet.Kind]onenet.Kind{
		onenet.KindDPPost:      onenet.KindSubdevDPPost,
		onenet.KindCmdResponse: onenet.KindSubdevCmdResponse,
	}
	fromSubdev = map[onenet.Kind]onenet.Kind{
		onenet.KindSubdevDPAccepted: onenet.KindDPAccepted,
		onenet.KindSubdevDPRejected: onenet.KindDPRejected,
		onenet.KindSubdevCmdRequest: onenet.KindCmdRequest,
	}
)

// filters are what a device subscribes to: its uploads' answers and the
// platform's requests (within OneNET's 8 filters per SUBSCRIBE and 10 or
// 15 per session, docs/PROTOCOL.md §5.2, §5.7).
func (d *simDevice) filters() []string {
	p := onenet.SysPrefix + d.in.Product + "/" + d.in.Device + "/"
	if d.in.Studio() {
		return []string{p + "thing/property/post/reply", p + "thing/event/post/reply", p + "thing/property/set", p + "thing/property/get", p + "thing/service/+/invoke"}
	}
	fs := []string{p + "dp/post/json/+", p + "cmd/request/+", p + "cmd/response/+/+"}
	for _, sd := range d.subs {
		fs = append(fs, onenet.SubdevPrefix+sd.in.Product+"/"+sd.in.Device+"/#")
	}
	return fs
}

func (d *simDevice) run(ctx context.Context) {
	if !d.connect(ctx) {
		return
	}
	var wg sync.WaitGroup
	for _, dev := range append([]*simDevice{d}, d.subs...) {
		for _, sc := range dev.sched {
			wg.Add(1)
			go func() {
				defer wg.Done()
				dev.publishLoop(ctx, sc)
			}()
		}
	}
	d.faults(ctx)
	wg.Wait()
	d.drain()
	d.disconnect()
}

// drain waits, at most Options.Drain, until every upload is answered.
func (d *simDevice) drain() {
	end := time.Now().Add(d.r.opts.Drain)
	for time.Now().Before(end) {
		n := 0
		for _, dev := range append([]*simDevice{d}, d.subs...) {
			dev.mu.Lock()
			n += len(dev.pending)
			dev.mu.Unlock()
		}
		if n == 0 || d.conn() == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// connect logs the device in and subscribes; it reports false when ctx
// ended first or the device cannot connect.
func (d *simDevice) connect(ctx context.Context) bool {
	select {
	case d.r.sem <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	defer func() { <-d.r.sem }()
	r := d.r
	key, err := r.opts.Key(ctx, &d.in)
	if err != nil {
		r.event(d, "error", "key: "+err.Error())
		return false
	}
	url, dial, err := r.opts.Connect(ctx, &d.in)
	if err != nil {
		r.event(d, "error", err.Error())
		return false
	}
	res := "products/" + d.in.Product + "/devices/" + d.in.Device
	if d.in.Spec.Key.Scope == "product" {
		res = "products/" + d.in.Product
	}
	// A device counts as online once subscribed: from then on it can be
	// sent requests. After a lost connection, mqttws reports "connected"
	// only once the subscriptions are restored.
	ln := &link{}
	c, err := mqttws.Dial(ctx, url, &mqttws.Options{
		ClientID: d.in.Device, Username: d.in.Product,
		PasswordFunc: func(context.Context) (string, error) {
			return r.opts.Token(res, key, r.opts.Now().Add(time.Hour).Unix())
		},
		KeepAlive: r.opts.KeepAlive, AutoReconnect: true, Dial: dial,
		OnMessage: d.onMessage,
		OnState: func(ev mqttws.StateEvent) {
			switch {
			case ev.State == mqttws.StateConnected && ln.back():
				r.st.online.Add(1)
				r.st.reconnects.Add(1)
				go d.loginSubs(context.Background())
			case ev.State == mqttws.StateReconnecting && ln.lose():
				r.st.online.Add(-1)
				d.logoutSubs()
				r.event(d, "offline", ev.Reason)
			}
		},
	})
	if err != nil {
		if ctx.Err() == nil {
			r.event(d, "error", "connect: "+mqttws.Explain(err))
		}
		return false
	}
	for _, f := range d.filters() {
		if _, err := c.Subscribe(ctx, f, 0); err != nil {
			if ctx.Err() == nil {
				r.event(d, "error", "subscribe: "+mqttws.Explain(err))
			}
			c.Close()
			return false
		}
	}
	d.mu.Lock()
	d.client, d.link, d.leaving = c, ln, false
	ln.up()
	r.st.online.Add(1)
	d.mu.Unlock()
	r.event(d, "connected", url)
	d.loginSubs(ctx)
	return true
}

// loginSubs logs a gateway's sub-devices in, with an empty payload on
// $subdev/{pid}/{device}/login (docs/PROTOCOL.md §12); each is online
// once the platform answers login/accepted.
func (d *simDevice) loginSubs(ctx context.Context) {
	c := d.conn()
	for _, sd := range d.subs {
		if c == nil || !d.pace(ctx) {
			return
		}
		if err := c.Publish(ctx, sd.topicOf(onenet.KindSubdevLogin), nil, 1, false); err != nil {
			if ctx.Err() == nil {
				d.r.event(sd, "error", "login: "+mqttws.Explain(err))
			}
			return
		}
	}
}

// logoutSubs marks a gateway's sub-devices offline (the gateway's
// connection is gone).
func (d *simDevice) logoutSubs() {
	for _, sd := range d.subs {
		sd.setLogin(false)
	}
}

func (d *simDevice) setLogin(on bool) {
	d.mu.Lock()
	was := d.login
	d.login = on
	d.mu.Unlock()
	switch {
	case on && !was:
		d.r.st.online.Add(1)
		d.r.event(d, "connected", "through its gateway "+d.gw.name)
	case !on && was:
		d.r.st.online.Add(-1)
	}
}

// topicOf is a topic of the sub-device's own $subdev/ family.
func (d *simDevice) topicOf(kind onenet.Kind) string {
	t, _ := onenet.Topic(kind, onenet.TopicArgs{ProductID: d.in.Product, DeviceName: d.in.Device})
	return t
}

// disconnect closes the device's connection, if open.
func (d *simDevice) disconnect() {
	d.mu.Lock()
	c, ln := d.client, d.link
	d.client, d.link = nil, nil
	d.mu.Unlock()
	d.logoutSubs()
	if c != nil {
		if ln.down() {
			d.r.st.online.Add(-1)
		}
		c.Close()
	}
}

// A link is what the run knows of one client's connection: whether it is
// ready (logged in and subscribed, until the device disconnects), and
// whether it is counted online (ready and not lost). mqttws reports states
// from a goroutine of its own, possibly late: only a "connected" after a
// "reconnecting" counts as a reconnection.
type link struct {
	mu                   sync.Mutex
	ready, lost, counted bool
}

func (l *link) up() {
	l.mu.Lock()
	l.ready, l.counted = true, true
	l.mu.Unlock()
}

// lose reports whether a counted connection was lost.
func (l *link) lose() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.ready || !l.counted {
		return false
	}
	l.counted, l.lost = false, true
	return true
}

// back reports whether a lost connection is back.
func (l *link) back() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.ready || !l.lost {
		return false
	}
	l.counted, l.lost = true, false
	return true
}

// down ends the link; it reports whether it was counted online.
func (l *link) down() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	was := l.counted
	l.ready, l.counted = false, false
	return was
}

func (l *link) online() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counted
}

func (d *simDevice) conn() *mqttws.Client {
	if d.gw != nil {
		return d.gw.conn()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.client
}

// uploader returns the connection to upload on, or nil when the device is
// offline or about to be.
func (d *simDevice) uploader() *mqttws.Client {
	if d.gw != nil {
		d.mu.Lock()
		login := d.login
		d.mu.Unlock()
		if !login {
			return nil
		}
		return d.gw.uploader()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.leaving || d.client == nil || d.client.State() != mqttws.StateConnected {
		return nil
	}
	return d.client
}

func (d *simDevice) faults(ctx context.Context) {
	fs := append([]Fault(nil), d.in.Spec.Faults...)
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].At < fs[j].At })
	for _, f := range fs {
		if !sleep(ctx, seconds(f.At-d.r.elapsed())) {
			return
		}
		d.r.st.faults.Add(1)
		switch {
		case f.Invalid:
			d.r.event(d, "fault", "sending an invalid upload")
			d.sendInvalid(ctx)
		default:
			msg := fmt.Sprintf("going offline for %gs", f.Offline)
			if f.Reconnect {
				msg = "reconnecting"
			}
			d.r.event(d, "fault", msg)
			// The answers to uploads already sent are awaited first, so
			// that the rehearsal loses none.
			d.mu.Lock()
			d.leaving = true
			d.mu.Unlock()
			d.drain()
			d.disconnect()
			if !sleep(ctx, seconds(f.Offline)) {
				return
			}
			for !d.connect(ctx) {
				if !sleep(ctx, time.Second) {
					return
				}
			}
			d.r.st.reconnects.Add(1)
		}
	}
	<-ctx.Done()
}

func (d *simDevice) publishLoop(ctx context.Context, sc *schedule) {
	// The first upload comes at a random point of the first period, so that
	// devices started together do not publish together. Later ones are due
	// every Every seconds (± Jitter) from the previous one's due time, not
	// from its answer, so that a slow platform does not slow the schedule;
	// an upload that falls behind is sent at once, and the schedule starts
	// again from then (no burst to catch up).
	due := time.Now().Add(seconds(sc.jitter.Float64() * sc.spec.Every))
	for sleep(ctx, time.Until(due)) {
		d.upload(ctx, sc)
		due = due.Add(seconds(sc.spec.Every + (2*sc.jitter.Float64()-1)*sc.spec.Jitter))
		if now := time.Now(); due.Before(now) {
			due = now
		}
	}
}

// newID returns the next upload id ("1", "2", …).
func (d *simDevice) newID(at time.Time, invalid bool) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.nextID = d.nextID%onenet.MaxDPID + 1
	id := strconv.FormatInt(d.nextID, 10)
	d.pending[id] = pending{at, invalid}
	return id
}

func (d *simDevice) upload(ctx context.Context, sc *schedule) {
	c := d.uploader()
	if c == nil {
		return // offline: a real device would not send either
	}
	if !d.pace(ctx) {
		return
	}
	now := d.r.opts.Now()
	id := d.newID(now, false)
	b := d.build(sc, id, now)
	d.r.st.sent.Add(1)
	d.sent.Add(1)
	if err := c.Publish(ctx, d.topic(sc.kind, ""), b, sc.qos, false); err != nil {
		d.forget(id)
		d.r.st.sent.Add(^uint64(0))
		d.sent.Add(^uint64(0))
		if ctx.Err() == nil {
			d.r.event(d, "error", "publish: "+mqttws.Explain(err))
		}
	}
}

// build returns the payload of an upload of sc with the given id at now.
func (d *simDevice) build(sc *schedule, id string, now time.Time) []byte {
	el, ms := now.Sub(d.r.start).Seconds(), now.UnixMilli()
	vals := make([]json.RawMessage, len(sc.gens))
	for i, g := range sc.gens {
		vals[i] = g.next(el, ms)
	}
	var b []byte
	switch sc.kind {
	case onenet.KindDPPost:
		b = append(b, `{"id":`+id+`,"dp":{`...)
		for i, k := range sc.names {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendQuote(b, k)
			b = append(b, `:[{"v":`...)
			b = append(b, vals[i]...)
			b = append(b, "}]"...)
		}
		b = append(b, "}}"...)
	case onenet.KindPropertyPost:
		b = append(b, `{"id":"`+id+`","version":"1.0","params":{`...)
		d.mu.Lock()
		for i, k := range sc.names {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendQuote(b, k)
			b = append(b, `:{"value":`...)
			b = append(b, vals[i]...)
			b = append(b, `,"time":`+strconv.FormatInt(ms, 10)+`}`...)
			d.current[k] = vals[i]
		}
		d.mu.Unlock()
		b = append(b, "}}"...)
	case onenet.KindEventPost:
		b = append(b, `{"id":"`+id+`","version":"1.0","params":{`...)
		b = appendQuote(b, sc.event)
		b = append(b, `:{"value":{`...)
		for i, k := range sc.names {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendQuote(b, k)
			b = append(b, ':')
			b = append(b, vals[i]...)
		}
		b = append(b, `},"time":`+strconv.FormatInt(ms, 10)+`}}}`...)
	}
	return b
}

func (d *simDevice) forget(id string) {
	d.mu.Lock()
	delete(d.pending, id)
	d.mu.Unlock()
}

// sendInvalid sends one upload the platform must reject: a datapoint
// without a value, or a property post whose params are not an object.
func (d *simDevice) sendInvalid(ctx context.Context) {
	c := d.conn()
	if c == nil || !d.pace(ctx) {
		return
	}
	id := d.newID(d.r.opts.Now(), true)
	kind := onenet.KindDPPost
	b := []byte(`{"id":` + id + `,"dp":{"temp":[{"t":1}]}}`)
	if d.in.Studio() {
		kind = onenet.KindPropertyPost
		b = []byte(`{"id":"` + id + `","version":"1.0","params":"not an object"}`)
	}
	d.r.st.invalidSent.Add(1)
	if err := c.Publish(ctx, d.topic(kind, ""), b, 1, false); err != nil && ctx.Err() == nil {
		d.r.event(d, "error", "publish: "+mqttws.Explain(err))
	}
}

// pace waits until the device may send another message within OneNET's
// rates; it reports false if ctx ended first.
func (d *simDevice) pace(ctx context.Context) bool {
	if d.gw != nil { // one connection: the gateway's limits
		return d.gw.pace(ctx)
	}
	if d.lim == nil {
		return true
	}
	w := d.lim.reserve(d.r.opts.Now())
	if w > 0 {
		d.r.st.paced.Add(1)
	}
	return sleep(ctx, w)
}

// onMessage handles the platform's answers and requests.
func (d *simDevice) onMessage(m mqttws.Message) {
	info, err := onenet.ParseTopic(m.Topic)
	if err != nil {
		return
	}
	if info.Kind.IsSubdev() {
		for _, sd := range d.subs {
			if sd.in.Product == info.ProductID && sd.in.Device == info.DeviceName {
				sd.onSubdev(info, m)
			}
		}
		return
	}
	d.handle(info, m)
}

// onSubdev handles a message on a sub-device's $subdev/ topics.
func (d *simDevice) onSubdev(info onenet.TopicInfo, m mqttws.Message) {
	switch info.Kind {
	case onenet.KindSubdevLoginAccepted:
		d.setLogin(true)
	case onenet.KindSubdevLoginRejected:
		d.r.event(d, "error", "login rejected through "+d.gw.name+": "+string(m.Payload))
	case onenet.KindSubdevLogoutNotify:
		d.setLogin(false)
		d.r.event(d, "offline", "logged out by the platform")
	default:
		if k, ok := fromSubdev[info.Kind]; ok {
			info.Kind = k
			d.handle(info, m)
		}
	}
}

// handle handles the platform's answers and requests for the device.
func (d *simDevice) handle(info onenet.TopicInfo, m mqttws.Message) {
	// The topic after "$sys/{pid}/{device}/" (or the $subdev/ prefix), and the payload.
	what := m.Topic
	if parts := strings.SplitN(m.Topic, "/", 4); len(parts) == 4 {
		what = parts[3]
	}
	what += " " + string(m.Payload[:min(len(m.Payload), 200)])
	d.mu.Lock()
	switch info.Kind {
	case onenet.KindCmdRequest, onenet.KindPropertySet, onenet.KindPropertyGet, onenet.KindServiceInvoke:
		d.request = what
	default:
		d.last = what
	}
	d.mu.Unlock()
	switch info.Kind {
	case onenet.KindDPAccepted, onenet.KindDPRejected:
		var v struct {
			ID json.RawMessage `json:"id"`
		}
		if json.Unmarshal(m.Payload, &v) != nil {
			return
		}
		d.answered(string(v.ID), info.Kind == onenet.KindDPAccepted)
	case onenet.KindPropertyPostReply, onenet.KindEventPostReply:
		rep, err := onenet.ParseThingReply(m.Payload)
		if err != nil {
			return
		}
		d.answered(rep.ID, rep.Code == 200)
	case onenet.KindCmdRequest:
		d.r.st.requests.Add(1)
		d.answer(d.answerFor(func(a *Answers) *Answer { return a.Command }), func(a *Answer) (onenet.Kind, string, []byte) {
			out := m.Payload
			if a.Reply != nil {
				out = []byte(a.Reply)
				var s string
				if json.Unmarshal(a.Reply, &s) == nil {
					out = []byte(s)
				}
			}
			return onenet.KindCmdResponse, info.CmdID, out
		})
	case onenet.KindPropertySet, onenet.KindPropertyGet, onenet.KindServiceInvoke:
		d.r.st.requests.Add(1)
		req, err := onenet.ParseThingRequest(info.Kind, m.Payload)
		if err != nil {
			return
		}
		d.thingAnswer(info, req)
	}
}

// answered settles the upload id.
func (d *simDevice) answered(id string, ok bool) {
	d.mu.Lock()
	p, found := d.pending[id]
	delete(d.pending, id)
	d.mu.Unlock()
	if !found {
		return
	}
	switch {
	case p.invalid:
		if !ok {
			d.r.st.invalidRejected.Add(1)
		}
		return
	case ok:
		d.r.st.accepted.Add(1)
		d.accepted.Add(1)
	default:
		d.r.st.rejected.Add(1)
		d.rejected.Add(1)
	}
	d.r.st.latency(d.r.opts.Now().Sub(p.at))
}

var defaultAnswer = Answer{}

func (d *simDevice) answerFor(pick func(*Answers) *Answer) *Answer {
	if a := d.in.Spec.Answers; a != nil {
		if an := pick(a); an != nil {
			return an
		}
	}
	return &defaultAnswer
}

// answer sends the reply build makes, after the answer's delay, unless
// the answer is to ignore.
func (d *simDevice) answer(a *Answer, build func(*Answer) (kind onenet.Kind, param string, payload []byte)) {
	if a.Ignore {
		return
	}
	kind, param, payload := build(a)
	send := func() {
		c := d.conn()
		if c == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if !d.pace(ctx) {
			return
		}
		if err := c.Publish(ctx, d.topic(kind, param), payload, 1, false); err != nil {
			d.r.event(d, "error", "answer: "+mqttws.Explain(err))
			return
		}
		d.r.st.answered.Add(1)
	}
	if a.Delay > 0 {
		time.AfterFunc(seconds(a.Delay), send)
	} else {
		go send()
	}
}

func (d *simDevice) thingAnswer(info onenet.TopicInfo, req *onenet.ThingRequest) {
	var an *Answer
	switch info.Kind {
	case onenet.KindPropertySet:
		an = d.answerFor(func(a *Answers) *Answer { return a.PropertySet })
	case onenet.KindPropertyGet:
		an = d.answerFor(func(a *Answers) *Answer { return a.PropertyGet })
	default:
		an = d.answerFor(func(a *Answers) *Answer {
			if s, ok := a.Services[info.Identifier]; ok {
				return &s
			}
			if s, ok := a.Services["*"]; ok {
				return &s
			}
			return nil
		})
	}
	d.answer(an, func(a *Answer) (onenet.Kind, string, []byte) {
		code, msg := a.Code, a.Msg
		if code == 0 {
			code = 200
		}
		if msg == "" {
			msg = "success"
			if code != 200 {
				msg = "failure"
			}
		}
		var data []byte
		switch {
		case a.Reply != nil:
			data = a.Reply
		case a.Echo:
			data = req.Params
		case info.Kind == onenet.KindPropertySet:
			if code == 200 {
				var params map[string]json.RawMessage
				if json.Unmarshal(req.Params, &params) == nil {
					d.mu.Lock()
					for k, v := range params {
						d.current[k] = v
					}
					d.mu.Unlock()
				}
			}
		case info.Kind == onenet.KindPropertyGet:
			var ids []string
			_ = json.Unmarshal(req.Params, &ids)
			data = d.currentValues(ids)
		default:
			data = []byte("{}")
			if d.in.Model != nil {
				if s := d.in.Model.Service(info.Identifier); s != nil {
					d.mu.Lock()
					data = appendAnyParams(nil, s.Output, d.rand, d.r.opts.Now().UnixMilli(), 0)
					d.mu.Unlock()
				}
			}
		}
		b := []byte(`{"id":`)
		b = appendQuote(b, req.ID)
		b = append(b, `,"code":`+strconv.Itoa(code)+`,"msg":`...)
		b = appendQuote(b, msg)
		if data != nil {
			b = append(b, `,"data":`...)
			b = append(b, data...)
		}
		b = append(b, '}')
		return replyKind(info.Kind), info.Identifier, b
	})
}

func replyKind(k onenet.Kind) onenet.Kind {
	switch k {
	case onenet.KindPropertySet:
		return onenet.KindPropertySetReply
	case onenet.KindPropertyGet:
		return onenet.KindPropertyGetReply
	}
	return onenet.KindServiceInvokeReply
}

// currentValues returns {"id": latest value, …} for ids (every property
// known when ids is empty).
func (d *simDevice) currentValues(ids []string) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(ids) == 0 {
		ids = sortedKeys(d.current)
	}
	b := []byte{'{'}
	n := 0
	for _, id := range ids {
		v, ok := d.current[id]
		if !ok {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = appendQuote(b, id)
		b = append(b, ':')
		b = append(b, v...)
	}
	return append(b, '}')
}

// A limiter keeps a device within n messages per window, sliding: it
// remembers the times of the last n.
type limiter struct {
	mu     sync.Mutex
	window time.Duration
	times  []time.Time // a ring of the last n send times
	i      int
}

func newLimiter(n int, window time.Duration) *limiter {
	return &limiter{window: window, times: make([]time.Time, n)}
}

// reserve books a send and returns how long to wait before it.
func (l *limiter) reserve(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	oldest := l.times[l.i]
	at := now
	// A small margin, so that the platform's own clock never sees n+1.
	if free := oldest.Add(l.window + 50*time.Millisecond); !oldest.IsZero() && free.After(now) {
		at = free
	}
	l.times[l.i] = at
	l.i = (l.i + 1) % len(l.times)
	return at.Sub(now)
}

// A DeviceStatus is one simulated device's state and counts, for a page
// or a log.
type DeviceStatus struct {
	Name     string `json:"name"`  // "{product}/{device}"
	State    string `json:"state"` // "connecting", "online", "offline" or "stopped"
	Sent     uint64 `json:"sent"`
	Accepted uint64 `json:"accepted"`
	Rejected uint64 `json:"rejected"`
	Last     string `json:"last"`    // the platform's last answer to an upload: its topic kind and payload (cut at 200 bytes)
	Request  string `json:"request"` // the platform's last request (command, property set or get, service call), the same way
}

// Devices returns every device's status (safe to call during Run).
func (r *Runner) Devices() []DeviceStatus {
	out := make([]DeviceStatus, len(r.devs))
	stopped := r.stopped.Load()
	for i, d := range r.devs {
		st := "connecting"
		switch {
		case stopped:
			st = "stopped"
		case d.gw != nil:
			d.mu.Lock()
			if d.login {
				st = "online"
			}
			d.mu.Unlock()
		default:
			d.mu.Lock()
			c, ln := d.client, d.link
			d.mu.Unlock()
			switch {
			case c != nil && ln != nil && ln.online():
				st = "online"
			case c != nil || d.r.began.Load() != nil && d.sent.Load() > 0:
				st = "offline"
			}
		}
		d.mu.Lock()
		last, req := d.last, d.request
		d.mu.Unlock()
		out[i] = DeviceStatus{Name: d.name, State: st, Sent: d.sent.Load(), Accepted: d.accepted.Load(), Rejected: d.rejected.Load(), Last: last, Request: req}
	}
	return out
}
