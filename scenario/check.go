package scenario

import (
	"fmt"
	"io/fs"
	"math"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/onenet-wasm/onenet-wasm/onenet"
)

// Product kinds (docs/PROTOCOL.md §5.6, §5.7).
const (
	KindKit    = "kit"
	KindStudio = "studio"
)

type checker struct {
	s        *Scenario
	fsys     fs.FS
	problems []Problem
}

func (c *checker) add(path, format string, args ...any) {
	if len(c.problems) < maxProblems {
		c.problems = append(c.problems, Problem{path, fmt.Sprintf(format, args...)})
	}
}

func (c *checker) file() {
	f := &c.s.File
	if f.Seed != nil && *f.Seed > 1<<53 {
		c.add("seed", "must be a whole number from 0 to 2^53 (JSON numbers are exact only up to there)")
	}
	if f.Target != "" {
		if msg := checkTarget(f.Target); msg != "" {
			c.add("target", "%s", msg)
		}
	}
	if f.Duration < 0 || f.Duration > MaxDuration || math.IsNaN(f.Duration) {
		c.add("duration", "must be from 0 (until stopped) to %d seconds", MaxDuration)
	}
	switch f.Limits {
	case "", "onenet", "off":
	default:
		c.add("limits", "%q: give \"onenet\" (the default) or \"off\"", f.Limits)
	}
	if len(f.Devices) == 0 {
		c.add("devices", "no devices: add at least one")
	}
	c.s.models = make([]*onenet.ThingModel, len(f.Devices))
	total := 0
	for i := range f.Devices {
		c.device(i, &f.Devices[i])
		n := 1
		for _, sd := range f.Devices[i].SubDevices {
			n += max(sd.Count, 1)
		}
		total += max(f.Devices[i].Count, 1) * n
	}
	if total > MaxDevices {
		c.add("devices", "%d devices in all; at most %d", total, MaxDevices)
	}
	if len(c.problems) == 0 {
		seen := map[string]string{}
		for _, in := range c.s.Instances() {
			k := in.Product + "/" + in.Device
			p := fmt.Sprintf("devices[%d]", in.Entry)
			if prev, ok := seen[k]; ok {
				c.add(p+".device", "the device %s of product %s is also %s: each simulated device needs its own name", in.Device, in.Product, prev)
				break
			}
			seen[k] = p
		}
	}
}

// checkTarget returns what is wrong with a target, or "".
func checkTarget(t string) string {
	const want = `give "local", "relay:HOST:PORT", a ws:// or wss:// URL, tcp://HOST:PORT or tls://HOST:PORT`
	switch {
	case t == "local":
		return ""
	case strings.HasPrefix(t, "relay:"):
		if _, _, err := net.SplitHostPort(t[len("relay:"):]); err != nil {
			return fmt.Sprintf("%q: the relay's target must be HOST:PORT, e.g. relay:mqttstls.heclouds.com:8883", t)
		}
		return ""
	}
	u, err := url.Parse(t)
	if err != nil || u.Host == "" {
		return fmt.Sprintf("%q is not a target: %s", t, want)
	}
	switch u.Scheme {
	case "ws", "wss":
		return ""
	case "tcp", "tls":
		if u.Port() == "" || (u.Path != "" && u.Path != "/") {
			return fmt.Sprintf("%q: give %s://HOST:PORT", t, u.Scheme)
		}
		return ""
	}
	return fmt.Sprintf("%q: unknown scheme %q: %s", t, u.Scheme, want)
}

func (c *checker) device(i int, d *Device) {
	p := fmt.Sprintf("devices[%d]", i)
	studio := false
	switch d.Kind {
	case "", KindKit:
	case KindStudio:
		studio = true
	default:
		c.add(p+".kind", "%q: give \"kit\" (MQTT IoT kit, the default) or \"studio\" (OneNET Studio)", d.Kind)
	}
	if _, err := onenet.Topic(onenet.KindDPPost, onenet.TopicArgs{ProductID: d.Product, DeviceName: "x"}); err != nil {
		c.add(p+".product", "%s", onenetMsg(err))
	}
	name := strings.ReplaceAll(d.Device, numberPattern, "1")
	if _, err := onenet.Topic(onenet.KindDPPost, onenet.TopicArgs{ProductID: "x", DeviceName: name}); err != nil {
		c.add(p+".device", "%s", onenetMsg(err))
	}
	if d.Count < 0 || d.Count > MaxDevices {
		c.add(p+".count", "must be from 1 to %d", MaxDevices)
	}
	c.key(p+".key", &d.Key)
	if d.Target != "" {
		if msg := checkTarget(d.Target); msg != "" {
			c.add(p+".target", "%s", msg)
		}
	}
	if d.ThingModel != "" {
		if !studio {
			c.add(p+".thingModel", "a thing model belongs to a OneNET Studio product: set \"kind\": \"studio\"")
		} else if b, err := readFile(c.fsys, d.ThingModel, onenet.MaxModelSize); err != nil {
			c.add(p+".thingModel", "cannot read it: %v", err)
		} else if m, err := onenet.ParseThingModel(b); err != nil {
			c.add(p+".thingModel", "%s", onenetMsg(err))
		} else {
			c.s.models[i] = m
		}
	}
	model := c.s.models[i]
	if len(d.Publish) > MaxSchedules {
		c.add(p+".publish", "%d schedules; at most %d", len(d.Publish), MaxSchedules)
	}
	for j := range d.Publish {
		c.publish(fmt.Sprintf("%s.publish[%d]", p, j), &d.Publish[j], studio, model, d.ThingModel != "")
	}
	if d.Answers != nil {
		c.answers(p+".answers", d.Answers, studio, model)
	}
	if len(d.Faults) > MaxFaults {
		c.add(p+".faults", "%d faults; at most %d", len(d.Faults), MaxFaults)
	}
	for j, f := range d.Faults {
		fp := fmt.Sprintf("%s.faults[%d]", p, j)
		if f.At < 0 || f.At > MaxDuration || math.IsNaN(f.At) {
			c.add(fp+".at", "must be from 0 to %d seconds", MaxDuration)
		}
		n := 0
		if f.Offline != 0 {
			n++
			if f.Offline < 0 || f.Offline > MaxDelay || math.IsNaN(f.Offline) {
				c.add(fp+".offline", "must be from 0 to %d seconds", MaxDelay)
			}
		}
		if f.Reconnect {
			n++
		}
		if f.Invalid {
			n++
		}
		if n != 1 {
			c.add(fp, "give exactly one of \"offline\" (seconds), \"reconnect\": true and \"invalid\": true")
		}
	}
	if len(d.SubDevices) > 0 {
		c.subDevices(p, d, studio)
	}
	if c.s.File.Limits != "off" {
		c.rates(p, d, studio)
	}
}

// MaxSubDevices is how many sub-devices a simulated gateway speaks for: a
// gateway subscribes to each one's topics, within the 15 subscriptions
// OneNET allows a session beside its own 3 (docs/PROTOCOL.md §5.2, §12).
const MaxSubDevices = 12

func (c *checker) subDevices(p string, d *Device, studio bool) {
	if studio {
		c.add(p+".subDevices", "sub-devices are simulated for MQTT-kit gateways only ($subdev/ topics); a OneNET Studio gateway is not simulated yet")
		return
	}
	total := 0
	for j := range d.SubDevices {
		sd := &d.SubDevices[j]
		sp := fmt.Sprintf("%s.subDevices[%d]", p, j)
		total += max(sd.Count, 1)
		if _, err := onenet.Topic(onenet.KindDPPost, onenet.TopicArgs{ProductID: sd.Product, DeviceName: "x"}); err != nil {
			c.add(sp+".product", "%s", onenetMsg(err))
		}
		if _, err := onenet.Topic(onenet.KindDPPost, onenet.TopicArgs{ProductID: "x", DeviceName: strings.ReplaceAll(sd.Device, numberPattern, "1")}); err != nil {
			c.add(sp+".device", "%s", onenetMsg(err))
		}
		if sd.Count < 0 {
			c.add(sp+".count", "must be from 1 to %d", MaxSubDevices)
		}
		for k := range sd.Publish {
			pp := fmt.Sprintf("%s.publish[%d]", sp, k)
			if sd.Publish[k].DP == nil && (sd.Publish[k].Properties != nil || sd.Publish[k].AllProperties || sd.Publish[k].Event != nil) {
				c.add(pp, "a sub-device of an MQTT-kit gateway uploads datapoints (\"dp\") only")
				continue
			}
			c.publish(pp, &sd.Publish[k], false, nil, false)
		}
		if sd.Answers != nil {
			if sd.Answers.PropertySet != nil || sd.Answers.PropertyGet != nil || sd.Answers.Services != nil {
				c.add(sp+".answers", "a sub-device of an MQTT-kit gateway answers commands only")
			}
			c.answers(sp+".answers", sd.Answers, false, nil)
		}
	}
	if total > MaxSubDevices {
		c.add(p+".subDevices", "%d sub-devices; a simulated gateway speaks for at most %d (one subscription each, within OneNET's 15 per session, docs/PROTOCOL.md §5.2)", total, MaxSubDevices)
	}
}

// onenetMsg is an onenet error's message without the package prefix.
func onenetMsg(err error) string {
	if e, ok := err.(*onenet.Error); ok {
		if path := e.Params["path"]; path != "" && !strings.Contains(e.Msg, path) {
			return path + ": " + e.Msg
		}
		return e.Msg
	}
	return err.Error()
}

func (c *checker) key(p string, k *KeySource) {
	n := 0
	for _, set := range []bool{k.Env != "", k.File != "", k.Prompt, k.Value != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		c.add(p, "give exactly one of \"env\" (an environment variable), \"file\", \"prompt\": true or \"value\" (the key itself, kept in the file)")
	}
	switch k.Scope {
	case "", "device", "product":
	default:
		c.add(p+".scope", "%q: give \"device\" (the default) or \"product\"", k.Scope)
	}
}

func checkSeconds(v, lo, hi float64) bool { return !math.IsNaN(v) && v >= lo && v <= hi }

func (c *checker) publish(p string, s *Publish, studio bool, m *onenet.ThingModel, hasModel bool) {
	if !checkSeconds(s.Every, minEvery, MaxPeriod) {
		c.add(p+".every", "must be from %g to %d seconds", minEvery, MaxPeriod)
	}
	if !checkSeconds(s.Jitter, 0, MaxPeriod) || s.Jitter >= s.Every && s.Jitter > 0 {
		c.add(p+".jitter", "must be at least 0 and less than \"every\"")
	}
	if s.QoS != nil && *s.QoS != 0 && *s.QoS != 1 {
		c.add(p+".qos", "must be 0 or 1 (OneNET takes no QoS 2)")
	}
	n := 0
	if s.DP != nil {
		n++
	}
	if s.Properties != nil || s.AllProperties {
		n++
	}
	if s.Event != nil {
		n++
	}
	if n != 1 {
		c.add(p, "give exactly one of \"dp\" (datapoints), \"properties\" (or \"allProperties\") and \"event\"")
		return
	}
	switch {
	case s.DP != nil:
		if studio {
			c.add(p+".dp", "datapoints belong to MQTT-kit products; a Studio product posts \"properties\" or an \"event\"")
		}
		if len(s.DP) == 0 {
			c.add(p+".dp", "no datastreams: add one, e.g. \"temp\": {\"random\": {\"min\": 18, \"max\": 26}}")
		}
		c.values(p+".dp", s.DP, nil, false)
		for _, k := range sortedKeys(s.DP) {
			if _, err := onenet.BuildDPPost(1, []onenet.Row{{Stream: k, Value: "0"}}); err != nil {
				c.add(p+".dp."+k, "%s", onenetMsg(err))
			}
		}
	case s.Properties != nil || s.AllProperties:
		if !studio {
			c.add(p+".properties", "properties belong to OneNET Studio products: set \"kind\": \"studio\", or post \"dp\"")
		}
		if s.AllProperties && !hasModel {
			c.add(p+".allProperties", "needs the product's \"thingModel\"")
		}
		if len(s.Properties) == 0 && !s.AllProperties {
			c.add(p+".properties", "no properties: add one, or \"allProperties\": true")
		}
		types := map[string]*onenet.DataType{}
		for _, k := range sortedKeys(s.Properties) {
			if m != nil {
				if pr := m.Property(k); pr != nil {
					types[k] = &pr.DataType
				} else {
					c.add(p+".properties."+k, "%q is not a property of the thing model", k)
				}
			}
		}
		c.values(p+".properties", s.Properties, types, m != nil)
	case s.Event != nil:
		if !studio {
			c.add(p+".event", "events belong to OneNET Studio products: set \"kind\": \"studio\"")
		}
		if s.Event.Identifier == "" {
			c.add(p+".event.identifier", "empty: give the event's identifier")
		}
		types := map[string]*onenet.DataType{}
		if m != nil {
			ev := m.Event(s.Event.Identifier)
			if ev == nil {
				c.add(p+".event.identifier", "%q is not an event of the thing model", s.Event.Identifier)
			} else {
				for _, k := range sortedKeys(s.Event.Values) {
					found := false
					for i := range ev.Output {
						if ev.Output[i].Identifier == k {
							types[k], found = &ev.Output[i].DataType, true
						}
					}
					if !found {
						c.add(p+".event.values."+k, "%q is not an output parameter of the event %q", k, ev.Identifier)
					}
				}
			}
		}
		c.values(p+".event.values", s.Event.Values, types, m != nil)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// values checks generators; types, when known, are the model's data types
// of the identifiers.
func (c *checker) values(p string, gens map[string]Generator, types map[string]*onenet.DataType, hasModel bool) {
	if len(gens) > MaxValues {
		c.add(p, "%d values; at most %d", len(gens), MaxValues)
	}
	for _, k := range sortedKeys(gens) {
		c.generator(p+"."+k, k, gens[k], types[k], hasModel)
	}
}

func (c *checker) decimals(p string, d *int) {
	if d != nil && (*d < 0 || *d > maxDecimals) {
		c.add(p+".decimals", "must be from 0 to %d", maxDecimals)
	}
}

func finite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

func (c *checker) generator(p, id string, g Generator, dt *onenet.DataType, hasModel bool) {
	n := 0
	numeric := false
	if g.Constant != nil {
		n++
		if dt != nil {
			if err := dt.CheckValue(id, g.Constant); err != nil {
				c.add(p+".constant", "%s", onenetMsg(err))
			}
		}
	}
	if q := g.Sequence; q != nil {
		n++
		if len(q.Values) == 0 {
			numeric = true
			if q.Step != nil && !finite(*q.Step) {
				c.add(p+".sequence.step", "must be a number")
			}
		}
		if dt != nil {
			for i, v := range q.Values {
				if err := dt.CheckValue(id, v); err != nil {
					c.add(fmt.Sprintf("%s.sequence.values[%d]", p, i), "%s", onenetMsg(err))
				}
			}
		}
	}
	if r := g.Random; r != nil {
		n++
		numeric = true
		if !(r.Min <= r.Max) {
			c.add(p+".random", "min (%g) must not be greater than max (%g)", r.Min, r.Max)
		}
		c.decimals(p+".random", r.Decimals)
	}
	if w := g.Walk; w != nil {
		n++
		numeric = true
		switch {
		case !(w.Min <= w.Max):
			c.add(p+".walk", "min (%g) must not be greater than max (%g)", w.Min, w.Max)
		case w.Start < w.Min || w.Start > w.Max:
			c.add(p+".walk.start", "%g is outside [min, max] = [%g, %g]", w.Start, w.Min, w.Max)
		}
		if !(w.Step > 0) || !finite(w.Step) {
			c.add(p+".walk.step", "must be greater than 0")
		}
		c.decimals(p+".walk", w.Decimals)
	}
	if s := g.Sine; s != nil {
		n++
		numeric = true
		if !(s.Min <= s.Max) {
			c.add(p+".sine", "min (%g) must not be greater than max (%g)", s.Min, s.Max)
		}
		if !checkSeconds(s.Period, minEvery, MaxPeriod) {
			c.add(p+".sine.period", "must be from %g to %d seconds", minEvery, MaxPeriod)
		}
		if !(s.Phase >= 0 && s.Phase <= 1) {
			c.add(p+".sine.phase", "must be from 0 to 1 (a fraction of the period)")
		}
		c.decimals(p+".sine", s.Decimals)
	}
	if f := g.CSV; f != nil {
		n++
		cols, ok := c.s.csv[f.File]
		if !ok {
			var err error
			if cols, err = loadCSV(c.fsys, f.File); err != nil {
				c.add(p+".csv.file", "cannot read it: %v", err)
			} else {
				c.s.csv[f.File] = cols
			}
		}
		if cols != nil {
			if vals, ok := cols[f.Column]; !ok {
				c.add(p+".csv.column", "%q is not a column of %s (its header names %s)", f.Column, f.File, strings.Join(sortedKeys(cols), ", "))
			} else if len(vals) == 0 {
				c.add(p+".csv.column", "the column %q of %s is empty", f.Column, f.File)
			} else if dt != nil {
				for i, v := range vals {
					if err := dt.CheckValue(id, v); err != nil {
						c.add(p+".csv", "row %d: %s", i+2, onenetMsg(err))
						break
					}
				}
			}
		}
	}
	if g.Any {
		n++
		if !hasModel {
			c.add(p+".any", "needs the product's \"thingModel\" to know the valid values")
		}
	}
	if n != 1 {
		c.add(p, "give exactly one generator: constant, sequence, random, walk, sine, csv or any")
		return
	}
	if numeric && dt != nil {
		switch dt.Type {
		case onenet.TypeInt32, onenet.TypeInt64, onenet.TypeFloat, onenet.TypeDouble:
		default:
			c.add(p, "a number generator for %q, whose type is %s", id, dt.Type)
		}
	}
}

func (c *checker) answers(p string, a *Answers, studio bool, m *onenet.ThingModel) {
	if a.Command != nil {
		if studio {
			c.add(p+".command", "commands belong to MQTT-kit products; a Studio product answers propertySet, propertyGet and services")
		}
		if a.Command.Code != 0 || a.Command.Msg != "" {
			c.add(p+".command", "a command response has no code: answer with \"echo\", a \"reply\" or \"ignore\" (no answer)")
		}
		c.answer(p+".command", a.Command)
	}
	for name, an := range map[string]*Answer{"propertySet": a.PropertySet, "propertyGet": a.PropertyGet} {
		if an == nil {
			continue
		}
		if !studio {
			c.add(p+"."+name, "property calls belong to OneNET Studio products: set \"kind\": \"studio\"")
		}
		c.answer(p+"."+name, an)
	}
	for _, id := range sortedKeys(a.Services) {
		an := a.Services[id]
		if !studio {
			c.add(p+".services", "services belong to OneNET Studio products: set \"kind\": \"studio\"")
		}
		if m != nil && id != "*" && m.Service(id) == nil {
			c.add(p+".services."+id, "%q is not a service of the thing model", id)
		}
		c.answer(p+".services."+id, &an)
	}
}

func (c *checker) answer(p string, a *Answer) {
	n := 0
	for _, set := range []bool{a.Echo, a.Reply != nil, a.Ignore} {
		if set {
			n++
		}
	}
	if n > 1 {
		c.add(p, "give at most one of \"echo\", \"reply\" and \"ignore\"")
	}
	if !checkSeconds(a.Delay, 0, MaxDelay) {
		c.add(p+".delay", "must be from 0 to %d seconds", MaxDelay)
	}
	if a.Code < 0 || a.Code > 999999 {
		c.add(p+".code", "must be from 0 to 999999")
	}
	if len(a.Msg) > 256 {
		c.add(p+".msg", "at most 256 bytes")
	}
}

// Rate limits per device (docs/PROTOCOL.md §5.6 for the MQTT kit, §5.7 for
// OneNET Studio).
func (c *checker) rates(p string, d *Device, studio bool) {
	var qos0, qos1, all float64 // messages per onenet.RateWindow, at the fastest
	win := onenet.RateWindow.Seconds()
	sched := append([]Publish(nil), d.Publish...)
	for _, sd := range d.SubDevices { // a gateway's connection carries its sub-devices' uploads
		for range max(sd.Count, 1) {
			sched = append(sched, sd.Publish...)
		}
	}
	for _, s := range sched {
		if !(s.Every > s.Jitter) || s.Every <= 0 {
			continue
		}
		n := math.Ceil(win / (s.Every - s.Jitter))
		if s.QoS != nil && *s.QoS == 0 {
			qos0 += n
		} else {
			qos1 += n
		}
		all += n
	}
	const fix = ", or set \"limits\": \"off\" for a broker without OneNET's limits"
	if studio {
		if limit := float64(onenet.StudioMaxUplinkPerSecond) * win; all > limit {
			c.add(p+".publish", "up to %g messages per %g s; OneNET Studio takes %d per second and delays the rest (docs/PROTOCOL.md §5.7): publish less often%s",
				all, win, onenet.StudioMaxUplinkPerSecond, fix)
		}
	} else {
		if qos1 > onenet.MaxQoS1PerWindow {
			c.add(p+".publish", "up to %g QoS 1 messages per %g s; OneNET bans a device for 5 minutes over %d (docs/PROTOCOL.md §5.6): publish less often%s",
				qos1, win, onenet.MaxQoS1PerWindow, fix)
		}
		if qos0 > onenet.MaxQoS0PerWindow {
			c.add(p+".publish", "up to %g QoS 0 messages per %g s; OneNET bans a device for 5 minutes over %d (docs/PROTOCOL.md §5.6): publish less often%s",
				qos0, win, onenet.MaxQoS0PerWindow, fix)
		}
	}
	// Logins: the first, and one per fault that reconnects, in any window.
	limit := onenet.MaxLoginsPerWindow
	if studio {
		limit = onenet.StudioMaxLoginsPerWindow
	}
	var at []float64
	for _, f := range d.Faults {
		if f.Offline > 0 || f.Reconnect {
			at = append(at, f.At+f.Offline)
		}
	}
	sort.Float64s(at)
	at = append([]float64{0}, at...)
	for i := range at {
		n := 0
		for j := i; j < len(at) && at[j]-at[i] < win; j++ {
			n++
		}
		if n > limit {
			c.add(p+".faults", "%d logins within %g s; OneNET allows %d (docs/PROTOCOL.md §5.6, §5.7): space the faults out%s", n, win, limit, fix)
			break
		}
	}
}

// An Instance is one simulated device of a scenario.
type Instance struct {
	Index   int // 0-based, over the whole scenario
	Entry   int // the index of its entry in File.Devices
	N       int // 1…Count within its entry
	Product string
	Device  string
	Spec    *Device
	Model   *onenet.ThingModel // nil without one
	Target  string             // the effective target
	// Gateway is the Index of the gateway a sub-device belongs to, or -1.
	Gateway int
}

// Studio reports whether the device is of a OneNET Studio product.
func (in *Instance) Studio() bool { return in.Spec.Kind == KindStudio }

// Instances returns the scenario's devices, templates multiplied.
func (s *Scenario) Instances() []Instance {
	var out []Instance
	for i := range s.File.Devices {
		d := &s.File.Devices[i]
		count := max(d.Count, 1)
		for n := 1; n <= count; n++ {
			name := d.Device
			if count > 1 || strings.Contains(name, numberPattern) {
				if strings.Contains(name, numberPattern) {
					name = strings.ReplaceAll(name, numberPattern, strconv.Itoa(n))
				} else {
					name += strconv.Itoa(n)
				}
			}
			target := d.Target
			if target == "" {
				target = s.File.Target
			}
			if target == "" {
				target = "local"
			}
			gw := len(out)
			out = append(out, Instance{Index: gw, Entry: i, N: n, Product: d.Product, Device: name, Spec: d, Model: s.models[i], Target: target, Gateway: -1})
			for j := range d.SubDevices {
				sd := &d.SubDevices[j]
				spec := &Device{Product: sd.Product, Device: sd.Device, Kind: KindKit, Publish: sd.Publish, Answers: sd.Answers}
				for m := 1; m <= max(sd.Count, 1); m++ {
					sub := sd.Device
					if strings.Contains(sub, numberPattern) {
						sub = strings.ReplaceAll(sub, numberPattern, strconv.Itoa(m))
					} else if sd.Count > 1 {
						sub += strconv.Itoa(m)
					}
					if count > 1 { // each gateway of a template has sub-devices of its own
						sub += "-" + strconv.Itoa(n)
					}
					out = append(out, Instance{Index: len(out), Entry: i, N: m, Product: sd.Product, Device: sub, Spec: spec, Target: target, Gateway: gw})
				}
			}
		}
	}
	return out
}

// Multiply makes every device entry a template of n devices (the
// command line's -devices n), checking names and the total again.
func (s *Scenario) Multiply(n int) error {
	if n < 1 || n*len(s.File.Devices) > MaxDevices {
		return &Error{"", []Problem{{"devices", fmt.Sprintf("%d × %d devices; at most %d in all", n, len(s.File.Devices), MaxDevices)}}}
	}
	for i := range s.File.Devices {
		s.File.Devices[i].Count = n
	}
	seen := map[string]bool{}
	for _, in := range s.Instances() {
		k := in.Product + "/" + in.Device
		if seen[k] {
			return &Error{"", []Problem{{fmt.Sprintf("devices[%d].device", in.Entry), fmt.Sprintf("%q is made twice: put {n} in the name of each template", in.Device)}}}
		}
		seen[k] = true
	}
	return nil
}

// SetTarget sends every device to target (the command line's -target).
func (s *Scenario) SetTarget(target string) error {
	if msg := checkTarget(target); msg != "" {
		return &Error{"", []Problem{{"target", msg}}}
	}
	s.File.Target = target
	for i := range s.File.Devices {
		s.File.Devices[i].Target = ""
	}
	return nil
}
