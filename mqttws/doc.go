// Package mqttws is an MQTT 3.1.1 client over WebSocket (subprotocol
// "mqtt", binary frames) with the same API natively and in a browser
// (GOOS=js GOARCH=wasm). It speaks MQTT itself (internal/mqtt3), with
// github.com/coder/websocket carrying the connection.
//
//	c, err := mqttws.Dial(ctx, "ws://127.0.0.1:8080/mqtt", &mqttws.Options{
//		ClientID: device, Username: product,
//		PasswordFunc: freshToken, // called on every (re)connection
//		AutoReconnect: true,
//		OnMessage: func(m mqttws.Message) { … },
//	})
//	…
//	granted, err := c.Subscribe(ctx, "$sys/"+product+"/"+device+"/dp/post/json/+", 1)
//	err = c.Publish(ctx, "$sys/"+product+"/"+device+"/dp/post/json", payload, 1, false)
//	…
//	c.Close()
//
// # Connections
//
// The client opens its WebSocket itself (github.com/coder/websocket
// natively, the browser's WebSocket in a browser) unless Options.Dial is
// set. Dial opens it instead: with HTTP headers, TLS settings or a proxy of
// the caller's choosing, or as a plain TCP connection to an MQTT broker.
//
// # Blocking
//
// Dial, Publish, Subscribe, Unsubscribe and Close wait for the network. The
// first four take a context that bounds the wait; Close waits at most half a
// second for DISCONNECT to be written, then for the client's goroutines to
// end. In a browser, never call them inside a JavaScript callback (a
// js.FuncOf function): that blocks the page's only thread and can deadlock
// the Go program. Start a goroutine and settle a Promise from it.
//
// Options.OnMessage and Options.OnState are called from goroutines of their
// own and never hold up the connection: received messages wait in a bounded
// queue and are dropped, and counted by Client.Dropped, when OnMessage falls
// behind.
//
// # Sessions and reconnection
//
// The client logs in with clean session = 1 unless Options.PersistentSession
// is set (OneNET requires clean session). With Options.AutoReconnect, a lost
// connection is re-established with exponential backoff, asking
// Options.PasswordFunc for a fresh password each time, and every filter
// subscribed before is subscribed again before the client reports
// "connected". What the client guarantees across a lost connection:
//
//   - Publish calls made while the client is reconnecting wait for the new
//     connection (bounded by their contexts) and are then sent: they are not
//     lost.
//   - A QoS 1 or 2 publish in flight when the connection drops is sent again
//     on the next connection, so it arrives at least once (possibly twice),
//     up to three connections. A QoS 0 publish is never repeated.
//   - Messages other clients publish while this client is away reach it only
//     if the broker keeps them: with PersistentSession and QoS 1 or 2, the
//     broker queues them and delivers them after the reconnection. With a
//     clean session (and so on OneNET) they are lost.
//   - Messages received are acknowledged as soon as they are queued for
//     OnMessage, so a message dropped from a full queue is lost even at QoS 1.
//
// Without AutoReconnect, a lost connection closes the client; its methods
// then return an error that matches ErrClosed and wraps the
// *ConnectionLostError.
//
// # Errors
//
// Errors a user can act on are typed, for errors.As, and Explain turns any
// error from this package into one sentence for a person:
//
//   - *FieldError: a bad option, URL or argument; Field names it ("url",
//     "clientID", "topic", …). A mqtt:// URL is one: browsers cannot open TCP.
//   - *ConnectError: the broker refused the login; Code is the CONNACK
//     return code (4: bad user name or password — for OneNET, the token).
//   - *DialError: the connection did not open; Kind says why (host
//     unreachable, connection refused, WebSocket upgrade refused with an HTTP
//     StatusCode, "mqtt" subprotocol not accepted, TLS, timeout, closed with a
//     WebSocket CloseCode, …).
//   - *SubscribeError: the broker refused a subscription (SUBACK 0x80).
//   - *ConnectionLostError: an established connection broke.
//   - *PasswordError: Options.PasswordFunc failed.
//
// # Wasm
//
// In a browser (GOOS=js GOARCH=wasm) the WebSocket is the browser's, and so:
//
//   - No custom headers. Credentials go in the MQTT user name and password.
//   - The browser sets the Origin header to the page's origin; the broker or
//     relay decides whether to accept it.
//   - TLS trust is the browser's: a wss:// URL works only if the browser
//     trusts the server's certificate.
//     A page served over https:// may only open wss:// URLs (KindBlocked).
//   - Error texts: the browser does not tell a page why a WebSocket failed.
//     Every failure to open — unreachable host, refused port, wrong path,
//     subprotocol not accepted, untrusted certificate — is a *DialError of
//     KindClosed with CloseCode 1006, explained as "the connection closed
//     abnormally (1006): the server is unreachable, refused the WebSocket
//     upgrade, or a wss:// certificate is not trusted". StatusCode is 0. The
//     browser's console shows the real cause.
//   - A connection the broker or the network drops is reported without a
//     close code either: the *ConnectionLostError says "the WebSocket
//     closed". It is noticed at once all the same, not at the next keepalive.
//   - WebSocket pings are not available to pages (coder/websocket's Ping is
//     a no-op there); MQTT keepalive (Options.KeepAlive) detects dead
//     connections instead, natively too.
//   - Timers in background tabs may be throttled by the browser, which can
//     delay keepalive pings and reconnection attempts.
package mqttws
