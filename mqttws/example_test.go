package mqttws_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/onenet-wasm/onenet-wasm/mqttws"
)

func ExampleExplain() {
	_, err := mqttws.Dial(context.Background(), "mqtt://broker.example:1883", nil)
	fmt.Println(err)
	var fe *mqttws.FieldError
	if errors.As(err, &fe) {
		fmt.Println("field:", fe.Field)
	}
	fmt.Println(mqttws.Explain(&mqttws.ConnectError{Code: 4}))
	// What a browser reports for any WebSocket that fails to open:
	fmt.Println(mqttws.Explain(&mqttws.DialError{URL: "wss://relay.example/mqtt", Kind: mqttws.KindClosed, CloseCode: 1006}))
	// Output:
	// mqttws: url: mqtt:// cannot be opened from a browser; use ws:// or wss://
	// field: url
	// Login refused (CONNACK 4): bad user name or password — for OneNET, the token (password) is invalid or expired, or the user name is not the product ID.
	// The connection closed abnormally (1006): the server is unreachable, refused the WebSocket upgrade (wrong path, or the "mqtt" subprotocol not accepted), or a wss:// certificate is not trusted.
}
