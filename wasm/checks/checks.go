//go:build js && wasm

// Package checks holds the page's OneNET functions that the token panel
// does not need: topics, payload, connect, publish and filter checks, the
// endpoints, CONNACK explanations and device code (onenet, onenet/devcode).
// The MQTT module (wasm/mqtt) exports them, so that the first module
// (wasm/core) holds only tokens and arrives sooner (docs/BENCHMARKS.md).
package checks

import (
	"errors"
	"strconv"
	"syscall/js"
	"time"

	"github.com/onenet-wasm/onenet-wasm/onenet"
	"github.com/onenet-wasm/onenet-wasm/wasm/jsbridge"
)

func init() { jsbridge.Describe(describe) }

// describe fills in an onenet error: its field, code, parameters and the
// rule's section of docs/PROTOCOL.md.
func describe(err error, v map[string]any) bool {
	var oe *onenet.Error
	if !errors.As(err, &oe) {
		return false
	}
	v["field"] = oe.Field
	v["code"] = oe.Code
	v["detail"] = oe.Msg
	v["params"] = jsbridge.Params(oe.Params)
	if s := onenet.Section(oe.Code); s != "" {
		v["section"] = s // the rule's section of docs/PROTOCOL.md
	}
	return true
}

// Export sets the functions on exports (the module's global).
func Export(exports js.Value) {
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
}

// now is the page's clock.
func now() time.Time { return time.UnixMilli(int64(js.Global().Get("Date").Call("now").Float())) }

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
