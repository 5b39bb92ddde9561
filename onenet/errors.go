package onenet

import "strconv"

// An Error is input that OneNET would refuse or that cannot be used: a topic,
// a filter, a payload, an argument. Every validation failure of this package
// is an *Error.
//
// Field names the input at fault, so a form can point at the right box. Code
// is stable and machine-readable (the list is in the package documentation),
// so a page can show its own translation of Msg, filling in Params.
type Error struct {
	// Field is the input at fault: "topic", "filter", "payload", "kind",
	// "keepAlive", "qos", "retain", "productId", "deviceName", "cmdId",
	// "identifier", or, for BuildDPPost, "id", "stream", "value" and "t".
	Field string
	// Code is a stable identifier of the problem, e.g. "topic.wildcard".
	Code string
	// Msg says, in English, what is wrong and, where it helps, what to do.
	Msg string
	// Params holds the values that appear in Msg (e.g. "line", "column",
	// "path"), for a translated rendering. It may be nil.
	Params map[string]string
	// Err is the underlying error, if any: a *SyntaxError for a payload that
	// is not JSON.
	Err error
}

// Error returns "onenet: <field>: <msg>".
func (e *Error) Error() string { return "onenet: " + e.Field + ": " + e.Msg }

// Unwrap returns the underlying error (a *SyntaxError, for instance), so that
// errors.As finds it.
func (e *Error) Unwrap() error { return e.Err }

// A Warning is advice about a plan that is not an input error: what OneNET
// would do with a connection or a publish that an MQTT client accepts.
type Warning struct {
	// Field is the input the warning is about: "protocolLevel", "clientId",
	// "username", "keepAlive", "cleanSession", "will", "qos", "retain",
	// "topic", "productId", "deviceName" or "payload".
	Field  string
	Code   string            // stable identifier, e.g. "connect.keepAlive"; see the package documentation
	Msg    string            // English, e.g. "OneNET would disconnect the device: …"
	Params map[string]string // the values in Msg, for a translated rendering
}

// String returns the warning's message.
func (w Warning) String() string { return w.Msg }

func newErr(field, code, msg string, params map[string]string) *Error {
	return &Error{Field: field, Code: code, Msg: msg, Params: params}
}

// kv builds a Params map from alternating keys and values.
func kv(pairs ...string) map[string]string {
	m := make(map[string]string, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return m
}

func itoa(n int) string { return strconv.Itoa(n) }
