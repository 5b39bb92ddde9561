//go:build js && wasm

// Command core is the small wasm module the page loads first: OneNET tokens
// (generate, decode, verify) and the protocol checks (topics, payloads,
// connect and publish rules). It holds no MQTT client, so that the token
// generator works long before the larger MQTT module has arrived.
//
// It registers its functions on globalThis.__onenetCore; web/onenet.js wraps
// them as the documented `onenet` API.
package main

import (
	"errors"
	"fmt"
	"strconv"
	"syscall/js"
	"time"

	"github.com/onenet-wasm/onenet-wasm/internal/version"
	"github.com/onenet-wasm/onenet-wasm/onenet"
	"github.com/onenet-wasm/onenet-wasm/token"
	"github.com/onenet-wasm/onenet-wasm/wasm/jsbridge"
)

func main() {
	exports := js.Global().Get("Object").New()
	jsbridge.Export(exports, "token", generate)
	jsbridge.Export(exports, "tokenWarnings", tokenWarnings)
	jsbridge.Export(exports, "parseToken", parseToken)
	jsbridge.Export(exports, "verifyToken", verifyToken)
	jsbridge.Export(exports, "topic", topic)
	jsbridge.Export(exports, "parseTopic", parseTopic)
	jsbridge.Export(exports, "kinds", kinds)
	jsbridge.Export(exports, "checkPayload", checkPayload)
	jsbridge.Export(exports, "checkConnect", checkConnect)
	jsbridge.Export(exports, "checkPublish", checkPublish)
	jsbridge.Export(exports, "checkFilter", checkFilter)
	jsbridge.Export(exports, "endpoints", endpoints)
	jsbridge.Export(exports, "explainConnack", explainConnack)
	jsbridge.Export(exports, "codeLanguages", codeLanguages)
	jsbridge.Export(exports, "deviceCode", deviceCode)
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
			"message": fmt.Sprintf("et: %s is in the past: OneNET will refuse this token as expired (1104)", date),
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

func topicArgs(o js.Value) (onenet.TopicArgs, error) {
	var a onenet.TopicArgs
	for _, f := range []struct {
		name string
		dst  *string
	}{{"productId", &a.ProductID}, {"deviceName", &a.DeviceName}, {"cmdId", &a.CmdID}, {"identifier", &a.Identifier}} {
		s, err := jsbridge.String(o, f.name)
		if err != nil {
			return a, err
		}
		*f.dst = s
	}
	return a, nil
}

func kindArg(args []js.Value) (onenet.Kind, error) {
	if len(args) < 1 || args[0].Type() != js.TypeString {
		return "", &jsbridge.FieldError{Field: "kind", Code: "arg.type", Msg: "must be a string, one of onenet.kinds()"}
	}
	return onenet.Kind(args[0].String()), nil
}

func topic(args []js.Value) (any, error) {
	k, err := kindArg(args)
	if err != nil {
		return nil, err
	}
	o, err := jsbridge.Object(args, 1, "options")
	if err != nil {
		return nil, err
	}
	a, err := topicArgs(o)
	if err != nil {
		return nil, err
	}
	if k.IsSubdev() {
		// A gateway's $subdev topic holds its sub-device's ids, given as
		// subProductId and subDeviceName (docs/PROTOCOL.md §12).
		if a.ProductID, err = jsbridge.String(o, "subProductId"); err != nil {
			return nil, err
		}
		if a.DeviceName, err = jsbridge.String(o, "subDeviceName"); err != nil {
			return nil, err
		}
	}
	return onenet.Topic(k, a)
}

func parseTopic(args []js.Value) (any, error) {
	if len(args) < 1 || args[0].Type() != js.TypeString {
		return nil, &jsbridge.FieldError{Field: "topic", Code: "arg.type", Msg: "must be a string"}
	}
	ti, err := onenet.ParseTopic(args[0].String())
	out := map[string]any{"kind": string(ti.Kind), "productId": ti.ProductID, "deviceName": ti.DeviceName, "cmdId": ti.CmdID, "identifier": ti.Identifier}
	if err != nil {
		out["error"] = jsbridge.ErrorValue(err)
	}
	return out, nil
}

func kinds(args []js.Value) (any, error) {
	var out []any
	for _, k := range onenet.Kinds() {
		out = append(out, map[string]any{"kind": string(k), "direction": k.Direction(), "replyTo": string(k.ReplyTo())})
	}
	return out, nil
}

// checkPayload(kind, text) → {ok, error, line, column, field, code}.
func checkPayload(args []js.Value) (any, error) {
	k, err := kindArg(args)
	if err != nil {
		return nil, err
	}
	if len(args) < 2 || args[1].Type() != js.TypeString {
		return nil, &jsbridge.FieldError{Field: "payload", Code: "arg.type", Msg: "must be a string"}
	}
	text := args[1].String()
	perr := onenet.CheckPayload(k, []byte(text))
	out := map[string]any{"ok": perr == nil, "error": "", "line": 0, "column": 0}
	if perr != nil {
		e := jsbridge.ErrorValue(perr)
		out["error"] = e["message"]
		out["detail"] = e["detail"]
		out["field"] = e["field"]
		out["code"] = e["code"]
		out["params"] = e["params"]
		// The position of the error: a syntax error's, or the offending
		// value's. offset counts UTF-16 units, as a textarea does.
		var se *onenet.SyntaxError
		var oe *onenet.Error
		switch {
		case errors.As(perr, &se):
			out["line"], out["column"], out["offset"] = se.Line, se.Column, onenet.UTF16Offset([]byte(text), se.Offset)
		case errors.As(perr, &oe) && oe.Params["line"] != "":
			line, _ := strconv.Atoi(oe.Params["line"])
			col, _ := strconv.Atoi(oe.Params["column"])
			off, _ := strconv.Atoi(oe.Params["offset"])
			out["line"], out["column"], out["offset"] = line, col, onenet.UTF16Offset([]byte(text), off)
		}
	}
	return out, nil
}

func warnings(ws []onenet.Warning) []any {
	out := make([]any, 0, len(ws))
	for _, w := range ws {
		p := map[string]any{}
		for k, v := range w.Params {
			p[k] = v
		}
		out = append(out, map[string]any{"field": w.Field, "code": w.Code, "message": w.Msg, "params": p, "section": onenet.Section(w.Code)})
	}
	return out
}

// checkConnect({clientId, username, keepAlive, cleanSession, will, kit}) → [warning].
func checkConnect(args []js.Value) (any, error) {
	o, err := jsbridge.Object(args, 0, "options")
	if err != nil {
		return nil, err
	}
	cid, _ := jsbridge.String(o, "clientId")
	user, _ := jsbridge.String(o, "username")
	ka, err := jsbridge.Int(o, "keepAlive", 60)
	if err != nil {
		return nil, err
	}
	return warnings(onenet.CheckConnect(onenet.ConnectPlan{
		ClientID: cid, Username: user, KeepAlive: int(ka),
		CleanSession: jsbridge.Bool(o, "cleanSession", true), Will: jsbridge.Bool(o, "will", false), ProtocolLevel: 4,
		Kit: jsbridge.Bool(o, "kit", false),
	})), nil
}

// checkPublish({topic, productId, deviceName, qos, retain, payloadLength}) → [warning].
func checkPublish(args []js.Value) (any, error) {
	o, err := jsbridge.Object(args, 0, "options")
	if err != nil {
		return nil, err
	}
	var p onenet.PublishPlan
	p.Topic, _ = jsbridge.String(o, "topic")
	p.ProductID, _ = jsbridge.String(o, "productId")
	p.DeviceName, _ = jsbridge.String(o, "deviceName")
	qos, err := jsbridge.Int(o, "qos", 0)
	if err != nil {
		return nil, err
	}
	n, err := jsbridge.Int(o, "payloadLength", 0)
	if err != nil {
		return nil, err
	}
	p.QoS, p.Retain, p.PayloadLen = byte(qos), jsbridge.Bool(o, "retain", false), int(n)
	return warnings(onenet.CheckPublish(p)), nil
}

// checkFilter(filter, {productId, deviceName}) → null or error value.
func checkFilter(args []js.Value) (any, error) {
	if len(args) < 1 || args[0].Type() != js.TypeString {
		return nil, &jsbridge.FieldError{Field: "filter", Code: "arg.type", Msg: "must be a string"}
	}
	o, err := jsbridge.Object(args, 1, "options")
	if err != nil {
		return nil, err
	}
	pid, _ := jsbridge.String(o, "productId")
	dev, _ := jsbridge.String(o, "deviceName")
	if err := onenet.CheckFilter(args[0].String(), pid, dev); err != nil {
		return jsbridge.ErrorValue(err), nil
	}
	return nil, nil
}

func endpoints(args []js.Value) (any, error) {
	var out []any
	for _, e := range onenet.Endpoints() {
		out = append(out, map[string]any{"name": e.Name, "host": e.Host, "port": e.Port, "tls": e.TLS, "studio": e.Studio, "label": e.Label, "addr": e.Addr()})
	}
	return out, nil
}

func explainConnack(args []js.Value) (any, error) {
	if len(args) < 1 || args[0].Type() != js.TypeNumber {
		return nil, &jsbridge.FieldError{Field: "code", Code: "arg.type", Msg: "must be a number"}
	}
	return onenet.ConnackMessage(byte(args[0].Int())), nil
}
