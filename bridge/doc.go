// Package bridge relays WebSocket connections from the page to
// allow-listed MQTT endpoints over TCP or TLS, unchanged in both
// directions.
//
// OneNET offers no MQTT-over-WebSocket endpoint and a browser cannot open
// TCP (docs/PROTOCOL.md §2), so the page connects to
//
//	ws://localhost:8080/bridge?target=mqttstls.heclouds.com:8883
//
// with subprotocol "mqtt" and speaks MQTT in binary messages; the bridge
// connects to the target (doing the TLS itself) and copies bytes. It reads
// and changes nothing of the MQTT stream, and never logs it.
//
// The package is server-only; it is never built for js/wasm.
//
//   - target.go: Target, DefaultTargets (OneNET's four endpoints), ParseTarget
//   - bridge.go: Options, New, Handler (ServeHTTP, Close, Stats)
//   - relay.go: one connection, from checks to close
//   - tls.go: OneNET's CA (embedded, OneNETCertPool) and its verification
//
// # Checks
//
// In order: the WebSocket upgrade and its Origin (same host as the bridge,
// or Options.AllowedOrigins; otherwise HTTP 403); the ?target= value
// (ParseTarget, then an exact match against Options.Allow); the limits on
// open connections in total and per client IP; the connection to the
// target, within Options.DialTimeout.
//
// # Close codes
//
// A browser cannot read the body of a refused WebSocket upgrade: it sees
// only that the connection failed. So, apart from the Origin check, every
// refusal accepts the upgrade and immediately closes the WebSocket with a
// close code and a reason the page can show (CloseEvent.code,
// CloseEvent.reason; reasons are cut to the 123 bytes a close frame holds):
//
//	ws.onclose = (e) => show(`${e.code} ${e.reason}`)
//
//	1008 policy violation  "target evil.com:1883 is not allowed; allowed: mqtts.heclouds.com:1883, …"
//	                       "bad target: missing port; want host:port, e.g. mqttstls.heclouds.com:8883"
//	                       "give exactly one ?target=host:port"
//	1013 try again later   "try again later: too many connections"
//	1014 bad gateway       "cannot reach mqttstls.heclouds.com:8883: connection refused"
//	                       "cannot reach …: timed out after 10s", "…: no such host",
//	                       "cannot reach …: TLS: certificate not signed by the expected CA"
//	                       "connection to mqtts.heclouds.com:1883 lost: connection reset by peer"
//	1000 normal closure    "mqtts.heclouds.com:1883 closed the connection" (e.g. after a refused CONNECT)
//	                       "idle timeout: no traffic for 5m0s"
//	1001 going away        "bridge shutting down" (Handler.Close)
//	1009 message too big   a message from the page over ReadLimit (1 MiB)
//
// An upgrade from a page on another origin is refused with HTTP 403 before
// any WebSocket exists (the browser reports close code 1006), and upgrades
// after Handler.Close with HTTP 503.
//
// # Subprotocol
//
// The bridge answers subprotocol "mqtt" when the page offers it. A page
// that offers none is still served, and the log notes it; a page that
// offers only other subprotocols gets none back, which browsers treat as a
// failed connection.
//
// # TLS
//
// OneNET's TLS endpoint presents a certificate chained to OneNET's own
// self-signed CA, named only by the common name "OneNET MQTTS" without
// subject alternative names. Go's standard check (and any host-name check)
// refuses it, and device code in the wild turns verification off. A Target
// with VerifyOneNET instead verifies the chain against OneNET's CA
// (embedded, see OneNETCertPool) with no host name, and checks the host
// name only when the certificate lists some; nothing else is accepted.
//
// # Limits
//
// The page's WebSocket messages may be up to ReadLimit bytes each;
// NetConn-style streaming means an MQTT packet may span messages and a
// message may hold several packets. What the target sends is passed on in
// binary messages of at most 32 KiB; what arrives while the last message is
// being written goes out together (both ways), so that a burst of small
// packets costs one system call, not one each. Connections with no traffic
// either way for Options.IdleTimeout are closed.
package bridge
