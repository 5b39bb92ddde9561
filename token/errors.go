package token

import (
	"errors"
	"strconv"
)

// A Reason is one of the reasons OneNET gives in its console log when it
// refuses a token (docs/PROTOCOL.md §3). The device only ever sees
// CONNACK 4; the reason is what tells the user what to fix.
type Reason struct {
	Code int    // OneNET's log code, e.g. 1104
	Text string // OneNET's meaning of the code, in English
}

// Error returns the reason's text and OneNET's code.
func (r *Reason) Error() string { return r.Text + " (" + strconv.Itoa(r.Code) + ")" }

// OneNET's reasons for refusing a token. Test for them with errors.Is.
var (
	ErrInvalid          = &Reason{1103, "invalid token"}
	ErrExpired          = &Reason{1104, "token expired"}
	ErrSignMismatch     = &Reason{1106, "sign mismatch"}
	ErrMethod           = &Reason{1110, "unsupported method"}
	ErrVersion          = &Reason{1111, "unsupported version"}
	ErrResourceMismatch = &Reason{1114, "resource does not match the client"}
)

// An Error is a token that cannot be generated, parsed or verified. Field
// names the input at fault, so a form can point at the right box. Code is
// stable and machine-readable (the list is in the package documentation), so
// a page can show its own translation of Msg, filling in Params.
type Error struct {
	Field  string            // "res", "productId", "deviceName", "userId", "key", "et", "method", "version", "sign" or "token"
	Code   string            // stable identifier of the problem, e.g. "key.base64"
	Msg    string            // what is wrong and, where it helps, what to do, in English
	Params map[string]string // the values in Msg, for a translated rendering; may be nil
	Reason *Reason           // OneNET's reason when OneNET would refuse the token for it; nil for plain input errors
	Err    error             // the underlying error, if any
}

// Error returns "token: field: msg".
func (e *Error) Error() string { return "token: " + e.Field + ": " + e.Msg }

// Unwrap returns the Reason and the underlying error, so errors.Is and
// errors.As see both.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Reason != nil {
		errs = append(errs, e.Reason)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// CodeOf returns OneNET's reason code for err (1103, 1104, …), or 0 when err
// carries no Reason.
func CodeOf(err error) int {
	var r *Reason
	if errors.As(err, &r) {
		return r.Code
	}
	return 0
}

// fieldErr builds an *Error; kv are the Params as alternating keys and values.
func fieldErr(field, code, msg string, reason *Reason, err error, kv ...string) *Error {
	e := &Error{Field: field, Code: code, Msg: msg, Reason: reason, Err: err}
	if len(kv) > 0 {
		e.Params = make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			e.Params[kv[i]] = kv[i+1]
		}
	}
	return e
}
