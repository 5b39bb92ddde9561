//go:build js && wasm

package checks

import (
	"errors"
	"syscall/js"

	"github.com/onenet-wasm/onenet-wasm/onenet/devcode"
	"github.com/onenet-wasm/onenet-wasm/wasm/jsbridge"
)

// codeLanguages lists the languages deviceCode writes.
func codeLanguages(args []js.Value) (any, error) {
	var out []any
	for _, l := range devcode.Languages() {
		out = append(out, map[string]any{"id": l.ID, "label": l.Label, "fileName": l.FileName, "computesToken": l.ComputesToken})
	}
	return out, nil
}

// deviceCode(lang, spec) writes the device's program (onenet/devcode); spec
// holds devcode.Spec's fields by their JSON names, now in Unix seconds
// (default: the page's clock).
func deviceCode(args []js.Value) (any, error) {
	if len(args) < 1 || args[0].Type() != js.TypeString {
		return nil, &jsbridge.FieldError{Field: "language", Code: "arg.type", Msg: "must be a string"}
	}
	o, err := jsbridge.Object(args, 1, "spec")
	if err != nil {
		return nil, err
	}
	var s devcode.Spec
	strs := map[string]*string{"host": &s.Host, "caFile": &s.CAFile, "productId": &s.ProductID, "deviceName": &s.DeviceName,
		"clientId": &s.ClientID, "username": &s.Username, "topic": &s.Topic, "payload": &s.Payload, "key": &s.Key,
		"method": &s.Method, "tokenVersion": &s.TokenVersion, "res": &s.Res, "token": &s.Token}
	for name, p := range strs {
		if *p, err = jsbridge.String(o, name); err != nil {
			return nil, err
		}
	}
	ints := map[string]*int64{"ttl": &s.TTL, "et": &s.ET, "now": &s.Now}
	for name, p := range ints {
		if *p, err = jsbridge.Int(o, name, 0); err != nil {
			return nil, err
		}
	}
	small := map[string]*int{"port": &s.Port, "keepAlive": &s.KeepAlive, "qos": &s.QoS}
	for name, p := range small {
		v, err := jsbridge.Int(o, name, 0)
		if err != nil {
			return nil, err
		}
		*p = int(v)
	}
	s.TLS = jsbridge.Bool(o, "tls", false)
	s.IncludeKey = jsbridge.Bool(o, "includeKey", false)
	if s.Now == 0 {
		s.Now = now().Unix()
	}
	code, err := devcode.Generate(args[0].String(), s)
	var de *devcode.Error
	if errors.As(err, &de) {
		return nil, &jsbridge.FieldError{Field: de.Field, Code: de.Code, Msg: de.Msg}
	}
	return code, err
}
