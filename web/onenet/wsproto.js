// The numbers of the socket protocol between socket.js and
// wasm/mqtt/jsws.go, which defines the same constants in
// wasm/mqtt/wsproto.go (wasm/wsproto_test.go checks that they agree).

// wsEvent(id, kind, …): what happened to a WebSocket.
export const wsEventOpen = 1; // it opened; then whether the server chose "mqtt"
export const wsEventData = 2; // data arrived while Go was waiting for it
export const wsEventClosed = 3; // it closed; then the close code and reason

// wsRead(id, address, length) returns the bytes copied (> 0), or:
export const wsReadNothing = 0; // nothing has arrived; wsEventData will say when something does
export const wsReadClosed = -1; // the WebSocket closed and everything was read
export const wsReadDrained = -2; // wsReadDrained - n: n bytes copied, and that was all; wsEventData will say when more arrives

// wsSend(id, address, length) returns:
export const wsSendOK = 0;
export const wsSendClosed = -1;
