//go:build js && wasm

// Package jsbridge is the little that the wasm mains share: exporting Go
// functions to JavaScript without letting a panic or an error escape as
// anything but plain data, and turning Go errors into objects the page can
// show next to the right input.
//
// Every exported function returns either {value: v} or {error: {...}}; the
// JavaScript wrapper in web/onenet.js turns the second into a thrown Error
// (synchronous calls) or a rejected Promise (asynchronous ones). Go never
// throws into JavaScript, and a panic is reported as an error while the
// instance keeps working.
//
// It links neither fmt nor the onenet package: the page's first module
// (wasm/core, tokens only) must stay small. The modules that use onenet's
// errors register their description with Describe (wasm/checks does).
package jsbridge

import (
	"errors"
	"runtime"
	"strconv"
	"syscall/js"

	"github.com/onenet-wasm/onenet-wasm/token"
)

// Func is a Go function exported to JavaScript.
type Func func(args []js.Value) (any, error)

// Export sets obj[name] to fn, wrapped so that it returns {value} or {error}.
// The js.Func lives as long as the program.
func Export(obj js.Value, name string, fn Func) {
	obj.Set(name, js.FuncOf(func(this js.Value, args []js.Value) (ret any) {
		defer func() {
			if r := recover(); r != nil {
				ret = map[string]any{"error": ErrorValue(Panic(r))}
			}
		}()
		v, err := fn(args)
		if err != nil {
			return map[string]any{"error": ErrorValue(err)}
		}
		return map[string]any{"value": v}
	}))
}

// Panic turns a recovered panic into an error that says where it happened.
func Panic(r any) error {
	var what string
	switch v := r.(type) {
	case error:
		what = v.Error()
	case string:
		what = v
	case interface{ String() string }:
		what = v.String()
	default:
		what = "panic"
	}
	buf := make([]byte, 8<<10)
	buf = buf[:runtime.Stack(buf, false)]
	return errors.New("internal error (please report it): " + what + "\n" + string(buf))
}

// A Describer fills v (see ErrorValue) for the errors of one package and
// says whether err was one of them.
type Describer func(err error, v map[string]any) bool

var describers []Describer

// Describe adds d to what ErrorValue consults, before its own cases. It is
// called from init functions, before any call from JavaScript.
func Describe(d Describer) { describers = append(describers, d) }

// FieldError is an error caused by one argument of a JavaScript call.
type FieldError struct {
	Field string
	Code  string
	Msg   string
}

// Error returns "field: msg".
func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// ErrorValue describes err as plain data: message, the field at fault, a
// stable code and its parameters for translation, and OneNET's reason code
// where there is one. A token error's code is "token." + its Code, e.g.
// "token.key.base64"; an onenet error's is its Code, e.g. "topic.wildcard".
func ErrorValue(err error) map[string]any {
	v := map[string]any{"message": err.Error(), "field": "", "code": "", "params": map[string]any{}}
	for _, d := range describers {
		if d(err, v) {
			return v
		}
	}
	var te *token.Error
	var fe *FieldError
	switch {
	case errors.As(err, &te):
		v["field"] = te.Field
		v["detail"] = te.Msg
		v["code"] = "token." + te.Code
		v["params"] = Params(te.Params)
		if c := token.CodeOf(err); c != 0 {
			v["reason"] = c
		}
	case errors.As(err, &fe):
		v["field"] = fe.Field
		v["code"] = fe.Code
		v["detail"] = fe.Msg
	}
	return v
}

// Params copies a Params map of the onenet or token package into a value
// that crosses to JavaScript (a nil map gives an empty object).
func Params(m map[string]string) map[string]any {
	p := make(map[string]any, len(m))
	for k, s := range m {
		p[k] = s
	}
	return p
}

// Object reads args[i] as an object; undefined and null give an empty one.
func Object(args []js.Value, i int, field string) (js.Value, error) {
	if i >= len(args) || args[i].IsUndefined() || args[i].IsNull() {
		return js.Global().Get("Object").New(), nil
	}
	if args[i].Type() != js.TypeObject {
		return js.Value{}, &FieldError{Field: field, Code: "arg.type", Msg: "must be an object"}
	}
	return args[i], nil
}

// String reads obj[name] as a string; undefined and null give "".
func String(obj js.Value, name string) (string, error) {
	v := obj.Get(name)
	switch v.Type() {
	case js.TypeUndefined, js.TypeNull:
		return "", nil
	case js.TypeString:
		return v.String(), nil
	case js.TypeNumber:
		return v.String(), nil
	}
	return "", &FieldError{Field: name, Code: "arg.type", Msg: "must be a string"}
}

// Int reads obj[name] as a whole number; undefined, null and "" give def.
func Int(obj js.Value, name string, def int64) (int64, error) {
	v := obj.Get(name)
	switch v.Type() {
	case js.TypeUndefined, js.TypeNull:
		return def, nil
	case js.TypeNumber:
		f := v.Float()
		if f != float64(int64(f)) {
			return 0, &FieldError{Field: name, Code: "arg.integer", Msg: strconv.FormatFloat(f, 'g', -1, 64) + " is not a whole number"}
		}
		return int64(f), nil
	case js.TypeString:
		s := v.String()
		if s == "" {
			return def, nil
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || strconv.FormatInt(n, 10) != s {
			return 0, &FieldError{Field: name, Code: "arg.integer", Msg: strconv.Quote(s) + " is not a whole number"}
		}
		return n, nil
	}
	return 0, &FieldError{Field: name, Code: "arg.type", Msg: "must be a number"}
}

// Bool reads obj[name] as a boolean; undefined and null give def.
func Bool(obj js.Value, name string, def bool) bool {
	v := obj.Get(name)
	if v.Type() != js.TypeBoolean {
		return def
	}
	return v.Bool()
}
