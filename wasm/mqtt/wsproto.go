//go:build js && wasm

package main

// The numbers of the socket protocol between jsws.go and
// web/onenet/socket.js, which defines the same constants in
// web/onenet/wsproto.js (wasm/wsproto_test.go checks that they agree).
const (
	// wsEvent(id, kind, …): what happened to a WebSocket.
	wsEventOpen   = 1 // it opened; then whether the server chose "mqtt"
	wsEventData   = 2 // data arrived while Go was waiting for it
	wsEventClosed = 3 // it closed; then the close code and reason

	// wsRead(id, address, length) returns the bytes copied (> 0), or:
	wsReadNothing = 0  // nothing has arrived; wsEventData will say when something does
	wsReadClosed  = -1 // the WebSocket closed and everything was read
	wsReadDrained = -2 // wsReadDrained - n: n bytes copied, and that was all; wsEventData will say when more arrives

	// wsSend(id, address, length) returns:
	wsSendOK     = 0
	wsSendClosed = -1
)
