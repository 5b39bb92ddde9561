package mqttws

import (
	"context"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Defaults for the zero values of Options.
const (
	DefaultKeepAlive      = 60 * time.Second
	DefaultConnectTimeout = 10 * time.Second
	DefaultMinBackoff     = 1 * time.Second
	DefaultMaxBackoff     = 60 * time.Second
	DefaultMaxInflight    = 64
	DefaultQueueSize      = 1024
)

// Options configure a Client. The zero value (or a nil *Options) is a
// clean-session client without credentials or reconnection, whose received
// messages are discarded.
type Options struct {
	// ClientID is the MQTT client identifier. For OneNET it is the device
	// name. It may be empty only without PersistentSession; the broker then
	// assigns one.
	ClientID string

	// Username and Password are sent in CONNECT. For OneNET: the product ID
	// and a token (see package token).
	Username string
	Password string

	// PasswordFunc, if set, is called before EVERY connection attempt — the
	// first and each reconnection — and its result is sent instead of
	// Password, so each login can carry a fresh OneNET token. Its context is
	// bounded by ConnectTimeout. An error fails that attempt with a
	// *PasswordError (a reconnection is then retried after a backoff).
	PasswordFunc func(ctx context.Context) (string, error)

	// KeepAlive is the MQTT keepalive interval, rounded up to whole seconds;
	// default 60s. The client pings when the connection has been idle that
	// long and treats a ping unanswered within max(10s, KeepAlive/2) as a
	// lost connection. OneNET accepts 10s to 1800s.
	KeepAlive time.Duration

	// PersistentSession asks the broker to keep the session (subscriptions and
	// undelivered QoS 1/2 messages) while the client is away: CONNECT is sent
	// with clean session = 0. The default, false, is clean session = 1, which
	// is what OneNET requires (it refuses clean session = 0). With a
	// persistent session, QoS 1/2 messages published to the client's
	// subscriptions while it was disconnected are delivered after it
	// reconnects; with a clean session the broker forgets them.
	PersistentSession bool

	// ConnectTimeout bounds each connection attempt: WebSocket handshake,
	// CONNECT/CONNACK and, after a reconnection, re-subscribing. Default 10s.
	ConnectTimeout time.Duration

	// AutoReconnect makes the client reconnect when an established
	// connection is lost, waiting MinBackoff (default 1s) before the first
	// attempt and doubling the wait after each failed attempt up to
	// MaxBackoff (default 60s). The wait starts again from MinBackoff once a
	// connection has stayed up for MaxBackoff. After reconnecting, the
	// client subscribes again to every filter subscribed before. While it
	// is reconnecting, Publish, Subscribe and Unsubscribe wait for the
	// connection (bounded by their contexts). Without AutoReconnect a lost
	// connection closes the client.
	AutoReconnect bool
	MinBackoff    time.Duration
	MaxBackoff    time.Duration

	// MaxInflight limits the QoS 1 and 2 publishes awaiting acknowledgement
	// at once, counting those waiting for a reconnection; further Publish
	// calls wait for a slot. Default 64.
	MaxInflight int

	// OnMessage receives every message that arrives on a subscription. It is
	// called from one goroutine, in the order messages arrived, fed by a
	// queue of QueueSize messages (default 1024). A slow OnMessage never
	// stalls the client: when the queue is full, further messages are
	// dropped (they were already acknowledged to the broker, so they are
	// lost) and counted by Client.Dropped. OnMessage may call Publish,
	// Subscribe and Unsubscribe, but not Close (Close waits for OnMessage to
	// return). If OnMessage is nil, messages are discarded.
	OnMessage func(Message)
	QueueSize int

	// OnMessages, if set instead of OnMessage, receives the messages in
	// batches: each call gets those queued at that moment (at least one),
	// in order. The slice is the client's again once OnMessages returns.
	// Everything said of OnMessage holds. It saves a call per message
	// where calls cost (a browser page: one call into JavaScript per batch).
	OnMessages func([]Message)

	// DirectDelivery hands a message that arrives alone while nothing is
	// queued to OnMessage or OnMessages at once, on the goroutine that reads the
	// connection, rather than through the queue's goroutine: a goroutine
	// switch less per message. Calls still come one at a time, in order.
	// The connection is not read meanwhile, so the handler must return
	// without waiting for the broker (it may start a Publish, not wait for
	// its acknowledgement). For a handler that only hands the messages on,
	// as a browser page's does (wasm/mqtt).
	DirectDelivery bool

	// OnState, if set, is told of every change of state, in order, from one
	// goroutine (not the one calling OnMessage). It must not call Close.
	OnState func(StateEvent)

	// Dial, if set, opens the connection instead of the WebSocket the
	// client would open itself: it is given the URL and returns a
	// connection that carries MQTT (a WebSocket with subprotocol "mqtt",
	// opened), or an error — a *DialError when it knows why. ctx bounds
	// opening only. An error of the connection that has a method
	// CloseCode() int gives the WebSocket close code
	// (ConnectionLostError.CloseCode).
	//
	// Dial is where HTTP headers and TLS settings go natively: the
	// client's own WebSocket sends no headers of its own choosing and
	// trusts the system's certificates (see the example of Options.Dial).
	// Browsers let pages set neither. The page uses Dial to hand the client
	// a WebSocket that its JavaScript drives (wasm/mqtt), and builds mqttws
	// with the tag mqttws_dialonly, which leaves out the client's own
	// WebSocket (ws.go): Dial is then required.
	Dial func(ctx context.Context, url string) (net.Conn, error)
}

// config is Options with the defaults applied and the URL checked.
type config struct {
	Options
	url      string // the URL to dial, as given
	host     string // host:port, for messages
	keepSecs int64
}

// newConfig validates rawURL and opts and applies the defaults.
func newConfig(rawURL string, opts *Options) (*config, error) {
	c := &config{}
	if opts != nil {
		c.Options = *opts
	}
	host, err := checkURL(rawURL)
	if err != nil {
		return nil, err
	}
	c.url, c.host = rawURL, host
	o := &c.Options
	switch {
	case !utf8.ValidString(o.ClientID) || strings.ContainsRune(o.ClientID, 0):
		return nil, fieldErr("clientID", "must be valid UTF-8 without NUL characters")
	case len(o.ClientID) > 65535:
		return nil, fieldErr("clientID", "longer than 65535 bytes")
	case o.PersistentSession && o.ClientID == "":
		return nil, fieldErr("clientID", "a persistent session needs a client ID, so the broker can find the session again")
	case !utf8.ValidString(o.Username) || strings.ContainsRune(o.Username, 0):
		return nil, fieldErr("username", "must be valid UTF-8 without NUL characters")
	case o.Username == "" && (o.Password != "" || o.PasswordFunc != nil):
		return nil, fieldErr("username", "empty, but a password is set: MQTT 3.1.1 sends a password only with a user name "+
			"(for OneNET, the user name is the product ID)")
	case o.KeepAlive < 0:
		return nil, fieldErr("keepAlive", "must not be negative")
	case o.KeepAlive > 65535*time.Second:
		return nil, fieldErr("keepAlive", "MQTT allows at most 65535s (18h12m15s)")
	case o.ConnectTimeout < 0:
		return nil, fieldErr("connectTimeout", "must not be negative")
	case o.MinBackoff < 0:
		return nil, fieldErr("minBackoff", "must not be negative")
	case o.MaxBackoff < 0:
		return nil, fieldErr("maxBackoff", "must not be negative")
	case o.MaxInflight < 0 || o.MaxInflight > 65535:
		return nil, fieldErr("maxInflight", "must be between 0 (the default, 64) and 65535, the number of MQTT packet identifiers")
	case o.QueueSize < 0:
		return nil, fieldErr("queueSize", "must not be negative")
	}
	if o.KeepAlive == 0 {
		o.KeepAlive = DefaultKeepAlive
	}
	c.keepSecs = int64((o.KeepAlive + time.Second - 1) / time.Second)
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.MinBackoff == 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = max(DefaultMaxBackoff, o.MinBackoff)
	}
	if o.MaxBackoff < o.MinBackoff {
		return nil, fieldErr("maxBackoff", "must not be less than minBackoff ("+o.MinBackoff.String()+")")
	}
	if o.MaxInflight == 0 {
		o.MaxInflight = DefaultMaxInflight
	}
	if o.QueueSize == 0 {
		o.QueueSize = DefaultQueueSize
	}
	if err := checkPlatformOptions(o); err != nil {
		return nil, err
	}
	return c, nil
}

// checkURL checks that rawURL is a ws:// or wss:// URL with a host, and
// returns its host:port.
func checkURL(rawURL string) (string, error) {
	if rawURL == "" {
		return "", fieldErr("url", "empty; give the broker's WebSocket URL, e.g. ws://127.0.0.1:8080/mqtt")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", &FieldError{Field: "url", Msg: "not a URL; give e.g. ws://127.0.0.1:8080/mqtt", Err: err}
	}
	scheme := strings.ToLower(u.Scheme)
	switch scheme {
	case "ws", "wss":
	case "mqtt", "tcp", "mqtts", "ssl", "tls":
		return "", fieldErr("url", scheme+":// cannot be opened from a browser; use ws:// or wss://")
	case "http", "https":
		return "", fieldErr("url", scheme+":// is not a WebSocket URL; use ws:// or wss://")
	case "":
		return "", fieldErr("url", "no scheme; start the URL with ws:// or wss://")
	default:
		return "", fieldErr("url", "scheme "+scheme+":// is not supported; use ws:// or wss://")
	}
	if u.Hostname() == "" {
		return "", fieldErr("url", "no host; give e.g. ws://127.0.0.1:8080/mqtt")
	}
	if u.User != nil {
		return "", fieldErr("url", "must not contain a user name or password; use the username and password options")
	}
	host := u.Host
	if u.Port() == "" {
		port := "80"
		if scheme == "wss" {
			port = "443"
		}
		host = strings.TrimSuffix(host, ":") + ":" + port
	}
	return host, nil
}

// checkTopic checks a topic name to publish to (MQTT 3.1.1 §4.7).
func checkTopic(topic string) error {
	switch {
	case topic == "":
		return fieldErr("topic", "empty")
	case strings.ContainsAny(topic, "+#"):
		return fieldErr("topic", "wildcards + and # are for subscriptions, not for publishing")
	}
	return checkString("topic", topic)
}

// checkFilter checks a topic filter to subscribe to (MQTT 3.1.1 §4.7.1).
func checkFilter(filter string) error {
	if filter == "" {
		return fieldErr("filter", "empty")
	}
	levels := strings.Split(filter, "/")
	for i, l := range levels {
		if strings.Contains(l, "#") && (l != "#" || i != len(levels)-1) {
			return fieldErr("filter", "# must be a whole level and the last one, e.g. a/b/#")
		}
		if strings.Contains(l, "+") && l != "+" {
			return fieldErr("filter", "+ must be a whole level, e.g. a/+/c")
		}
	}
	return checkString("filter", filter)
}

func checkString(field, s string) error {
	switch {
	case len(s) > 65535:
		return fieldErr(field, "longer than 65535 bytes")
	case !utf8.ValidString(s):
		return fieldErr(field, "not valid UTF-8")
	case strings.ContainsRune(s, 0):
		return fieldErr(field, "contains a NUL character")
	}
	return nil
}

func checkQoS(qos byte) error {
	if qos > 2 {
		return fieldErr("qos", "must be 0, 1 or 2")
	}
	return nil
}
