package scenario

import (
	"encoding/json"
)

// A File is a scenario file (docs/SCENARIOS.md). Durations are in seconds.
type File struct {
	// Schema may name the JSON Schema (docs/scenario.schema.json), for
	// editors.
	Schema string `json:"$schema,omitempty"`
	// Name names the scenario in reports.
	Name string `json:"name,omitempty"`
	// Seed makes every random value the same from run to run; without it
	// the runner's caller picks one (and reports it).
	Seed *uint64 `json:"seed,omitempty"`
	// Target is where the devices connect unless a device says otherwise:
	// "local", "relay:HOST:PORT", a ws:// or wss:// URL, or, natively only,
	// tcp://HOST:PORT or tls://HOST:PORT. Default "local".
	Target string `json:"target,omitempty"`
	// Duration ends the run after this many seconds; 0 runs until stopped.
	Duration float64 `json:"duration,omitempty"`
	// Limits is "onenet" (the default: a scenario that would exceed
	// OneNET's rate limits is refused, and devices are paced to stay
	// within them) or "off" (for a local broker started without them).
	Limits string `json:"limits,omitempty"`
	// Devices are the simulated devices.
	Devices []Device `json:"devices"`
}

// A Device is one simulated device, or, with Count, a template for Count
// devices.
type Device struct {
	// Product is the product id (the MQTT user name).
	Product string `json:"product"`
	// Device is the device name (the MQTT client id). With Count > 1,
	// "{n}" in it is replaced by 1…Count (without "{n}", the number is
	// appended).
	Device string `json:"device"`
	// Count makes this entry a template of Count devices. Default 1.
	Count int `json:"count,omitempty"`
	// Kind is "kit" (MQTT IoT kit, the default: datapoints and commands)
	// or "studio" (OneNET Studio: thing-model properties, events and
	// services).
	Kind string `json:"kind,omitempty"`
	// Key says where the access key comes from.
	Key KeySource `json:"key"`
	// Target overrides the file's Target.
	Target string `json:"target,omitempty"`
	// ThingModel is the path of the product's thing-model file as the
	// OneNET console exports it, relative to the scenario file (Studio
	// products only).
	ThingModel string `json:"thingModel,omitempty"`
	// Publish are the device's publishing schedules.
	Publish []Publish `json:"publish,omitempty"`
	// Answers say how the device answers the platform's requests; a
	// device without them answers every request (see Answers).
	Answers *Answers `json:"answers,omitempty"`
	// Faults are rehearsed once each, at their time.
	Faults []Fault `json:"faults,omitempty"`
	// SubDevices make this device an MQTT-kit gateway: it logs each in on
	// $subdev/{pid}/{device}/login once connected (again after every
	// reconnection), uploads its datapoints and answers its commands
	// (docs/PROTOCOL.md §12).
	SubDevices []SubDevice `json:"subDevices,omitempty"`
}

// A SubDevice is a sub-device of an MQTT-kit gateway (or, with Count, a
// template for Count of them). It has no key or target of its own: the
// gateway speaks for it.
type SubDevice struct {
	Product string    `json:"product"`
	Device  string    `json:"device"`
	Count   int       `json:"count,omitempty"`
	Publish []Publish `json:"publish,omitempty"` // datapoints only
	Answers *Answers  `json:"answers,omitempty"` // commands only
}

// A KeySource says where a device's access key comes from: exactly one of
// Env, File, Prompt and Value. Value keeps the key in the scenario file;
// use it only for keys that are not secret (a local broker's demo keys).
type KeySource struct {
	Env    string `json:"env,omitempty"`    // an environment variable
	File   string `json:"file,omitempty"`   // a file holding the key, relative to the scenario file
	Prompt bool   `json:"prompt,omitempty"` // asked for when the run starts
	Value  string `json:"value,omitempty"`  // the key itself
	// Scope is "device" (the default: the device's own key) or "product"
	// (the product's key, which signs a token for any device of the
	// product).
	Scope string `json:"scope,omitempty"`
}

// A Publish is a schedule: every Every seconds (each wait changed by a
// random amount within ±Jitter), the device sends exactly one of DP
// (datapoints on dp/post/json), Properties (thing/property/post) or Event
// (thing/event/post).
type Publish struct {
	Every      float64              `json:"every"`
	Jitter     float64              `json:"jitter,omitempty"`
	QoS        *int                 `json:"qos,omitempty"` // 0 or 1; default 1
	DP         map[string]Generator `json:"dp,omitempty"`
	Properties map[string]Generator `json:"properties,omitempty"`
	// AllProperties posts every property of the thing model with "any"
	// valid value, besides those of Properties.
	AllProperties bool       `json:"allProperties,omitempty"`
	Event         *EventPost `json:"event,omitempty"`
}

// An EventPost is an event and the values of its output parameters.
// Parameters not listed get "any" valid value from the thing model.
type EventPost struct {
	Identifier string               `json:"identifier"`
	Values     map[string]Generator `json:"values,omitempty"`
}

// A Generator makes a value each time a schedule fires: exactly one of
// its fields is set.
type Generator struct {
	// Constant is always this JSON value.
	Constant json.RawMessage `json:"constant,omitempty"`
	// Sequence counts from Start by Step, or cycles through Values.
	Sequence *Sequence `json:"sequence,omitempty"`
	// Random is uniformly random in [Min, Max].
	Random *Range `json:"random,omitempty"`
	// Walk is a random walk: each value is the last plus a random amount
	// within ±Step, kept within [Min, Max].
	Walk *Walk `json:"walk,omitempty"`
	// Sine is a sine wave between Min and Max over Period seconds.
	Sine *Sine `json:"sine,omitempty"`
	// CSV reads a column of a CSV file, one row each time.
	CSV *CSVColumn `json:"csv,omitempty"`
	// Any is any valid value of the thing model's data type for this
	// identifier (random within its ranges).
	Any bool `json:"any,omitempty"`
}

// A Sequence counts from Start by Step, or, with Values, cycles through them.
type Sequence struct {
	Start  float64           `json:"start,omitempty"`
	Step   *float64          `json:"step,omitempty"` // default 1
	Values []json.RawMessage `json:"values,omitempty"`
}

// A Range is a random number in [Min, Max] with Decimals decimals (default
// 2; 0 gives integers).
type Range struct {
	Min      float64 `json:"min"`
	Max      float64 `json:"max"`
	Decimals *int    `json:"decimals,omitempty"`
}

// A Walk starts at Start and moves by at most Step each time, within
// [Min, Max].
type Walk struct {
	Start    float64 `json:"start"`
	Step     float64 `json:"step"`
	Min      float64 `json:"min"`
	Max      float64 `json:"max"`
	Decimals *int    `json:"decimals,omitempty"`
}

// A Sine goes between Min and Max over Period seconds, starting at Phase
// (a fraction of the period, 0 to 1) when the run starts.
type Sine struct {
	Min      float64 `json:"min"`
	Max      float64 `json:"max"`
	Period   float64 `json:"period"`
	Phase    float64 `json:"phase,omitempty"`
	Decimals *int    `json:"decimals,omitempty"`
}

// A CSVColumn reads the column named Column (its header, in the first row)
// of File, relative to the scenario file, one row each time, starting over
// after the last. Cells that are numbers are sent as numbers, others as
// strings.
type CSVColumn struct {
	File   string `json:"file"`
	Column string `json:"column"`
}

// Answers say how a device answers the platform. Without an entry, the
// device answers: commands with their own payload (echo), property set
// with code 200, property get with its latest values, services with code
// 200 and the service's output parameters ("any" valid values, or {}).
type Answers struct {
	Command     *Answer           `json:"command,omitempty"`
	PropertySet *Answer           `json:"propertySet,omitempty"`
	PropertyGet *Answer           `json:"propertyGet,omitempty"`
	Services    map[string]Answer `json:"services,omitempty"` // by identifier; "*" for any other
}

// An Answer is one way of answering a request: Echo (the request's own
// payload or params), Reply (a fixed JSON value: the command response, or
// the reply's "data"), Code (a thing-model reply's code, e.g. 500 for a
// failure; default 200) with Msg, Ignore (no answer: the platform times
// out), each after Delay seconds.
type Answer struct {
	Echo   bool            `json:"echo,omitempty"`
	Reply  json.RawMessage `json:"reply,omitempty"`
	Code   int             `json:"code,omitempty"`
	Msg    string          `json:"msg,omitempty"`
	Delay  float64         `json:"delay,omitempty"`
	Ignore bool            `json:"ignore,omitempty"`
}

// A Fault is rehearsed once, At seconds after the start: exactly one of
// Offline (close the connection and stay away this many seconds, then
// connect again), Reconnect (close and connect again at once) and Invalid
// (send one upload the platform must reject).
type Fault struct {
	At        float64 `json:"at"`
	Offline   float64 `json:"offline,omitempty"`
	Reconnect bool    `json:"reconnect,omitempty"`
	Invalid   bool    `json:"invalid,omitempty"`
}
