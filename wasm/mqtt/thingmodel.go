//go:build js && wasm

package main

import (
	"fmt"
	"syscall/js"

	"github.com/onenet-wasm/onenet-wasm/onenet"
	"github.com/onenet-wasm/onenet-wasm/wasm/jsbridge"
)

// The thing model's functions live in this module, not in the core one:
// they add about 40 KB (brotli) that the token generator would wait for
// (docs/BENCHMARKS.md), and forms built from a model are used with the
// MQTT client.

func tmKind(args []js.Value) (onenet.Kind, error) {
	if len(args) < 2 || args[1].Type() != js.TypeString {
		return "", &jsbridge.FieldError{Field: "kind", Code: "arg.type", Msg: "must be a string, one of onenet.kinds()"}
	}
	return onenet.Kind(args[1].String()), nil
}

// The thing model (docs/PROTOCOL.md §9). The page passes the model's text
// at every call: nothing is kept here, and a model is parsed in well under
// a millisecond.

// modelArg parses the thing model given as argument i.
func modelArg(args []js.Value, i int) (*onenet.ThingModel, error) {
	if len(args) <= i || args[i].Type() != js.TypeString {
		return nil, &jsbridge.FieldError{Field: "model", Code: "arg.type", Msg: "must be a string"}
	}
	return onenet.ParseThingModel([]byte(args[i].String()))
}

func stringArg(args []js.Value, i int, field string) (string, error) {
	if len(args) <= i || args[i].Type() != js.TypeString {
		return "", &jsbridge.FieldError{Field: field, Code: "arg.type", Msg: "must be a string"}
	}
	return args[i].String(), nil
}

// thingModel(text) parses a thing model and returns it as JSON (the
// onenet.ThingModel fields), or throws the error that names its path.
func thingModel(args []js.Value) (any, error) {
	m, err := modelArg(args, 0)
	if err != nil {
		return nil, err
	}
	return string(m.AppendJSON(nil)), nil
}

// checkResult is {ok:true} or {ok:false, error:{message, code, field, params, detail}}.
func checkResult(err error) map[string]any {
	if err == nil {
		return map[string]any{"ok": true}
	}
	return map[string]any{"ok": false, "error": jsbridge.ErrorValue(err)}
}

// tmCheckValue(model, where, owner, identifier, valueJSON) checks one value:
// where is "property", "event" (an output of event owner), "input" or
// "output" (of service owner).
func tmCheckValue(args []js.Value) (any, error) {
	m, err := modelArg(args, 0)
	if err != nil {
		return nil, err
	}
	var s [4]string
	for i, f := range []string{"where", "owner", "identifier", "value"} {
		if s[i], err = stringArg(args, i+1, f); err != nil {
			return nil, err
		}
	}
	where, owner, id, value := s[0], s[1], s[2], s[3]
	var dt *onenet.DataType
	var list []onenet.Param
	switch where {
	case "property":
		if p := m.Property(id); p != nil {
			dt = &p.DataType
		}
	case "event":
		if e := m.Event(owner); e != nil {
			list = e.Output
		}
	case "input", "output":
		if sv := m.Service(owner); sv != nil {
			list = sv.Input
			if where == "output" {
				list = sv.Output
			}
		}
	}
	for i := range list {
		if list[i].Identifier == id {
			dt = &list[i].DataType
		}
	}
	if dt == nil {
		return checkResult(&onenet.Error{Field: "identifier", Code: "tm.identifier.unknown", Msg: fmt.Sprintf("%q is not in the model", id),
			Params: map[string]string{"identifier": id, "path": id, "known": ""}}), nil
	}
	return checkResult(dt.CheckValue(id, []byte(value))), nil
}

// tmCheckMessage(model, kind, identifier, payload) checks a whole
// thing-model message: a request (CheckRequest) or a reply (CheckReply);
// identifier is a service's, for its invoke and invoke_reply.
func tmCheckMessage(args []js.Value) (any, error) {
	m, err := modelArg(args, 0)
	if err != nil {
		return nil, err
	}
	k, err := tmKind(args)
	if err != nil {
		return nil, err
	}
	id, err := stringArg(args, 2, "identifier")
	if err != nil {
		return nil, err
	}
	payload, err := stringArg(args, 3, "payload")
	if err != nil {
		return nil, err
	}
	if k.ReplyTo() != "" {
		return checkResult(m.CheckReply(k, id, []byte(payload))), nil
	}
	return checkResult(m.CheckRequest(k, id, []byte(payload))), nil
}

// tmExample(model, kind, identifier, id, nowMs) returns a valid request
// built from the model (ExampleRequest), its times nowMs (the page's clock).
func tmExample(args []js.Value) (any, error) {
	m, err := modelArg(args, 0)
	if err != nil {
		return nil, err
	}
	k, err := tmKind(args)
	if err != nil {
		return nil, err
	}
	ident, err := stringArg(args, 2, "identifier")
	if err != nil {
		return nil, err
	}
	id, err := stringArg(args, 3, "id")
	if err != nil {
		return nil, err
	}
	if len(args) < 5 || args[4].Type() != js.TypeNumber {
		return nil, &jsbridge.FieldError{Field: "nowMs", Code: "arg.type", Msg: "must be a number"}
	}
	b, err := m.ExampleRequest(k, ident, id, int64(args[4].Float()))
	return string(b), err
}

// tmReply(model, kind, identifier, request, nowMs) returns the device's
// reply to request, a property/set, property/get or service invoke of the
// platform, built from the model (ExampleReply): the values requested, or
// the service's output.
func tmReply(args []js.Value) (any, error) {
	m, err := modelArg(args, 0)
	if err != nil {
		return nil, err
	}
	k, err := tmKind(args)
	if err != nil {
		return nil, err
	}
	ident, err := stringArg(args, 2, "identifier")
	if err != nil {
		return nil, err
	}
	req, err := stringArg(args, 3, "request")
	if err != nil {
		return nil, err
	}
	if len(args) < 5 || args[4].Type() != js.TypeNumber {
		return nil, &jsbridge.FieldError{Field: "nowMs", Code: "arg.type", Msg: "must be a number"}
	}
	b, err := m.ExampleReply(k, ident, []byte(req), int64(args[4].Float()))
	return string(b), err
}
