//go:build js && wasm

// Command core is the small wasm module the page loads first: OneNET tokens
// (generate, decode, verify) and nothing else, so that the token generator
// works long before the larger MQTT module has arrived. The protocol checks
// (topics, payloads, connect and publish rules) and device code come with
// the MQTT module (wasm/checks). It links neither fmt nor reflect
// (wasm/deps_test.go), which keeps it small to download and quick to
// compile (docs/BENCHMARKS.md).
//
// It registers its functions on globalThis.__onenetCore; web/onenet.js wraps
// them as the documented `onenet` API.
package main

import (
	"syscall/js"
	"time"

	"github.com/onenet-wasm/onenet-wasm/internal/version"
	"github.com/onenet-wasm/onenet-wasm/token"
	"github.com/onenet-wasm/onenet-wasm/wasm/jsbridge"
)

func main() {
	exports := js.Global().Get("Object").New()
	jsbridge.Export(exports, "token", generate)
	jsbridge.Export(exports, "tokenWarnings", tokenWarnings)
	jsbridge.Export(exports, "parseToken", parseToken)
	jsbridge.Export(exports, "verifyToken", verifyToken)
	exports.Set("version", version.Version)
	js.Global().Set("__onenetCore", exports)
	if ready := js.Global().Get("__onenetCoreReady"); ready.Type() == js.TypeFunction {
		ready.Invoke()
	}
	select {}
}

// now is the page's clock: the one place this module reads the time.
func now() time.Time { return time.UnixMilli(int64(js.Global().Get("Date").Call("now").Float())) }

// params reads the token inputs of the page: res, or productId with an
// optional deviceName; or resKind "user" with userId.
func params(o js.Value) (token.Params, error) {
	var p token.Params
	get := func(name string) string {
		s, _ := jsbridge.String(o, name)
		return s
	}
	for _, f := range []string{"res", "resKind", "productId", "deviceName", "userId", "key", "method", "version"} {
		if _, err := jsbridge.String(o, f); err != nil {
			return p, err
		}
	}
	var err error
	switch res, kind := get("res"), get("resKind"); {
	case res != "":
		p.Res = res
	case kind == "user":
		p.Res, err = token.UserResource(get("userId"))
	case kind == "product":
		p.Res, err = token.Resource(get("productId"), "")
	default:
		if get("deviceName") == "" && kind == "device" {
			return p, &token.Error{Field: "deviceName", Code: "name.empty", Msg: "empty device name", Params: map[string]string{"name": "deviceName"}}
		}
		p.Res, err = token.Resource(get("productId"), get("deviceName"))
	}
	if err != nil {
		return p, err
	}
	p.Key, p.Method, p.Version = get("key"), get("method"), get("version")
	et, err := jsbridge.Int(o, "et", 0)
	if err != nil {
		return p, err
	}
	ttl, err := jsbridge.Int(o, "ttlSeconds", 0)
	if err != nil {
		return p, err
	}
	switch {
	case et != 0 && ttl != 0:
		return p, &jsbridge.FieldError{Field: "et", Code: "token.et.both", Msg: "give et or ttlSeconds, not both"}
	case ttl < 0:
		return p, &jsbridge.FieldError{Field: "ttlSeconds", Code: "token.ttl.negative", Msg: "must be positive"}
	case ttl > 0:
		et = now().Unix() + ttl
	case et == 0:
		return p, &jsbridge.FieldError{Field: "et", Code: "token.et.missing", Msg: "missing: give the expiry (et, Unix seconds) or a duration (ttlSeconds)"}
	}
	p.ET = et
	return p, nil
}

func generate(args []js.Value) (any, error) {
	o, err := jsbridge.Object(args, 0, "options")
	if err != nil {
		return nil, err
	}
	p, err := params(o)
	if err != nil {
		return nil, err
	}
	return token.Generate(p)
}

// tokenWarnings returns advice on the inputs that is not an error: an
// expiry in the past or beyond what device SDKs can hold, a version that is
// not for MQTT. The first error, if any, is returned as a warning too, so the
// page can show everything in one place.
func tokenWarnings(args []js.Value) (any, error) {
	o, err := jsbridge.Object(args, 0, "options")
	if err != nil {
		return nil, err
	}
	var out []any
	p, err := params(o)
	if err != nil {
		return []any{jsbridge.ErrorValue(err)}, nil
	}
	if t := now(); p.ET <= t.Unix() {
		date := time.Unix(p.ET, 0).UTC().Format(time.RFC3339)
		out = append(out, map[string]any{"field": "et", "code": "token.et.past", "reason": token.ErrExpired.Code,
			"message": "et: " + date + " is in the past: OneNET will refuse this token as expired (1104)",
			"params":  map[string]any{"et": p.ET, "date": date}})
	}
	for _, w := range token.Warnings(p) {
		out = append(out, map[string]any{"field": w.Field, "code": "token." + w.Code, "message": w.String(), "params": jsbridge.Params(w.Params)})
	}
	return out, nil
}

func tokenValue(t *token.Token) map[string]any {
	return map[string]any{
		"version":   t.Version,
		"res":       t.Res,
		"et":        t.ET,
		"method":    t.Method,
		"sign":      t.Sign,
		"expiresAt": t.Expires().Format(time.RFC3339),
	}
}

func parseToken(args []js.Value) (any, error) {
	if len(args) < 1 || args[0].Type() != js.TypeString {
		return nil, &jsbridge.FieldError{Field: "token", Code: "arg.type", Msg: "must be a string"}
	}
	t, err := token.Parse(args[0].String())
	if err != nil {
		return nil, err
	}
	return tokenValue(t), nil
}

// verifyToken(token, key, {res, now}) → {valid, reason, code, field, expiresAt, token}.
func verifyToken(args []js.Value) (any, error) {
	if len(args) < 2 || args[0].Type() != js.TypeString || args[1].Type() != js.TypeString {
		return nil, &jsbridge.FieldError{Field: "token", Code: "arg.type", Msg: "verifyToken(token, key, options): token and key must be strings"}
	}
	o, err := jsbridge.Object(args, 2, "options")
	if err != nil {
		return nil, err
	}
	res, err := jsbridge.String(o, "res")
	if err != nil {
		return nil, err
	}
	at := now()
	if n := o.Get("now"); !n.IsUndefined() && !n.IsNull() {
		ms, err := jsbridge.Int(o, "now", 0)
		if n.InstanceOf(js.Global().Get("Date")) {
			ms, err = int64(n.Call("getTime").Float()), nil
		}
		if err != nil {
			return nil, err
		}
		at = time.UnixMilli(ms)
	}
	t, verr := token.Verify(args[0].String(), args[1].String(), token.VerifyOptions{Now: at, Res: res})
	out := map[string]any{"valid": verr == nil, "reason": "", "code": 0, "field": "", "expiresAt": nil, "token": nil}
	if t != nil {
		out["expiresAt"] = t.Expires().Format(time.RFC3339)
		out["token"] = tokenValue(t)
	}
	if verr != nil {
		e := jsbridge.ErrorValue(verr)
		out["reason"] = e["message"]
		out["field"] = e["field"]
		out["error"] = e
		out["code"] = token.CodeOf(verr)
	}
	return out, nil
}
