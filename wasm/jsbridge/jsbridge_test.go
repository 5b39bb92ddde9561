//go:build js && wasm

package jsbridge

import (
	"errors"
	"strings"
	"syscall/js"
	"testing"

	"github.com/onenet-wasm/onenet-wasm/token"
)

func TestExportRecoversPanics(t *testing.T) {
	obj := js.Global().Get("Object").New()
	Export(obj, "boom", func([]js.Value) (any, error) {
		panic("boom")
	})
	Export(obj, "ok", func(args []js.Value) (any, error) { return args[0].Int() + 1, nil })
	r := obj.Call("boom")
	if msg := r.Get("error").Get("message").String(); !strings.Contains(msg, "internal error") || !strings.Contains(msg, "boom") {
		t.Errorf("boom() error message = %q", msg)
	}
	// The instance keeps working after the panic.
	if v := obj.Call("ok", 41).Get("value").Int(); v != 42 {
		t.Errorf("ok(41) after a panic = %d", v)
	}
}

func TestErrorValue(t *testing.T) {
	_, terr := token.Generate(token.Params{Res: "products/1", Key: "abc*"})
	for _, tc := range []struct {
		err         error
		field, code string
	}{
		{terr, "key", "token.key.base64.char"},
		{&FieldError{Field: "url", Code: "x", Msg: "bad"}, "url", "x"},
		{errors.New("plain"), "", ""},
	} {
		v := ErrorValue(tc.err)
		if v["field"] != tc.field || v["message"] != tc.err.Error() {
			t.Errorf("ErrorValue(%v) = %v; want field %q", tc.err, v, tc.field)
		}
		if v["code"] != tc.code {
			t.Errorf("ErrorValue(%v) code = %q, want %q", tc.err, v["code"], tc.code)
		}
	}
	// A token error carries its Params for translation.
	_, perr := token.Generate(token.Params{Res: "products/1", Key: "YWJj", ET: 1700000000000})
	v := ErrorValue(perr)
	if p, _ := v["params"].(map[string]any); v["code"] != "token.et.milliseconds" || p["seconds"] != "1700000000" {
		t.Errorf("ErrorValue(%v) = %v; want token.et.milliseconds with params.seconds", perr, v)
	}
}

type describedError struct{}

func (describedError) Error() string { return "described" }

// A package's Describer fills in its errors (wasm/checks: onenet's).
func TestDescribe(t *testing.T) {
	saved := describers
	defer func() { describers = saved }()
	Describe(func(err error, v map[string]any) bool {
		if !errors.As(err, new(describedError)) {
			return false
		}
		v["field"], v["code"] = "f", "c"
		return true
	})
	if v := ErrorValue(describedError{}); v["field"] != "f" || v["code"] != "c" || v["message"] != "described" {
		t.Errorf("ErrorValue(described) = %v", v)
	}
	if v := ErrorValue(&FieldError{Field: "url", Code: "x", Msg: "bad"}); v["field"] != "url" {
		t.Errorf("ErrorValue(FieldError) with a describer = %v", v)
	}
}

func TestArgs(t *testing.T) {
	o := js.ValueOf(map[string]any{"s": "x", "n": 5, "ns": "12", "f": 1.5, "b": true, "bad": "1e3"})
	if s, err := String(o, "s"); s != "x" || err != nil {
		t.Errorf("String = %q, %v", s, err)
	}
	if n, err := Int(o, "n", 0); n != 5 || err != nil {
		t.Errorf("Int(n) = %d, %v", n, err)
	}
	if n, err := Int(o, "ns", 0); n != 12 || err != nil {
		t.Errorf("Int(ns) = %d, %v", n, err)
	}
	if n, err := Int(o, "missing", 7); n != 7 || err != nil {
		t.Errorf("Int(missing) = %d, %v", n, err)
	}
	for _, name := range []string{"f", "bad", "b"} {
		var fe *FieldError
		if _, err := Int(o, name, 0); !errors.As(err, &fe) || fe.Field != name {
			t.Errorf("Int(%s) error = %v; want a FieldError naming it", name, err)
		}
	}
	if !Bool(o, "b", false) || Bool(o, "s", false) {
		t.Error("Bool")
	}
	if _, err := Object([]js.Value{js.ValueOf(3)}, 0, "options"); err == nil {
		t.Error("Object(3) accepted a number")
	}
}
