//go:build js && wasm

// Command tools is the page's third module: what neither the token panel
// nor the MQTT client needs. The topic, payload, connect and publish checks,
// the endpoints and device code (wasm/checks), the thing model's functions
// (thingmodel.go) and the scenarios (scenario.go). web/onenet/loader.js
// downloads it after the MQTT module's bytes have arrived, so that the
// client does not share the network with it (docs/BENCHMARKS.md).
//
// Its scenarios' devices dial as the MQTT module's client does: over
// WebSockets that web/onenet/socket.js opens and drives for this instance
// (wasm/jsws), and it is built with the tag mqttws_dialonly like the MQTT
// module. mqttws's own WebSocket (github.com/coder/websocket, net/http,
// crypto/tls) would make it about 350 kB (brotli) bigger, 1.53 MB instead
// of 1.18 MB, which the page's forms would wait for (docs/BENCHMARKS.md).
package main

import (
	"errors"
	"runtime/debug"
	"syscall/js"

	"github.com/onenet-wasm/onenet-wasm/mqttws"
	"github.com/onenet-wasm/onenet-wasm/wasm/checks"
	"github.com/onenet-wasm/onenet-wasm/wasm/jsbridge"
	"github.com/onenet-wasm/onenet-wasm/wasm/jsws"
)

// hooks are the JavaScript functions Go calls: settle (web/onenet/calls.js),
// and the WebSocket's (wasm/jsws).
var hooks struct {
	settle js.Value
}

func main() {
	// A scenario of a few hundred devices allocates on the page's one
	// thread: collect less often, as the MQTT module does.
	debug.SetGCPercent(400)
	exports := js.Global().Get("Object").New()
	jsbridge.Export(exports, "init", initHooks)
	checks.Export(exports)
	jsbridge.Export(exports, "thingModel", thingModel)
	jsbridge.Export(exports, "tmCheckValue", tmCheckValue)
	jsbridge.Export(exports, "tmCheckMessage", tmCheckMessage)
	jsbridge.Export(exports, "tmExample", tmExample)
	jsbridge.Export(exports, "tmReply", tmReply)
	jsbridge.Export(exports, "scenarioStart", scenarioStart)
	jsbridge.Export(exports, "scenarioStatus", scenarioStatus)
	jsbridge.Export(exports, "scenarioStop", scenarioStop)
	exports.Set("wsEvent", js.FuncOf(jsws.Event))
	js.Global().Set("__onenetTools", exports)
	if ready := js.Global().Get("__onenetToolsReady"); ready.Type() == js.TypeFunction {
		ready.Invoke()
	}
	select {}
}

func initHooks(args []js.Value) (any, error) {
	if len(args) < 1 || args[0].Type() != js.TypeObject {
		return nil, &jsbridge.FieldError{Field: "hooks", Code: "arg.type", Msg: "init(hooks): hooks must be an object"}
	}
	hooks.settle = args[0].Get("settle")
	jsws.Init(args[0])
	return nil, nil
}

// complete settles the asynchronous call id (web/onenet/calls.js keeps its
// Promise). The calls here are few (a scenario's start and stop): each is
// settled on its own, with no batching.
func complete(id int, val any, err error) {
	if err != nil {
		v := jsbridge.ErrorValue(err)
		v["message"] = mqttws.Explain(err)
		hooks.settle.Invoke(id, v, nil)
		return
	}
	hooks.settle.Invoke(id, nil, val)
}

// asyncID reads the call id that JavaScript keeps the Promise under.
func asyncID(args []js.Value, n int) (int, error) {
	if len(args) < n || args[0].Type() != js.TypeNumber {
		return 0, errors.New("internal: bad call from onenet.js")
	}
	return args[0].Int(), nil
}
