// Package broker is a local MQTT broker that behaves like China Mobile's
// OneNET platform (MQTT IoT kit and OneNET Studio thing model), for offline
// demos and tests. It is built on github.com/mochi-mqtt/server/v2 with one
// hook that calls five concerns in turn (access rules, login, rate limits,
// the $sys mapping, the platform's replies: see hook.go); it is server code,
// never built for js/wasm.
//
// Section numbers (§n) refer to docs/PROTOCOL.md.
//
// # Devices and logins (§3)
//
// A Registry lists products and devices with their access keys
// (LoadRegistry reads one from a JSON file, DemoRegistry makes one). A
// device logs in with client id = device name, username = product id and
// password = a token (package token) with res products/{pid}/devices/{name}
// signed with the device key or the product key, or res products/{pid}
// signed with the product key. Any token problem is refused with CONNACK 4
// and logged with OneNET's reason code (1101, 1103, 1104, 1106, 1107, 1110,
// 1111, 1114). MQTT other than 3.1.1 gets CONNACK 1; a keepalive outside
// [10, 1800] s, a will or clean session 0 gets CONNACK 5; a banned device
// gets CONNACK 3. A second login of a device disconnects the first.
//
// # Access rules (§5)
//
// A device publishes only under its own "$sys/{pid}/{device}/", at QoS 0
// or 1, without retain, with at most 256 KiB of payload; anything else
// disconnects it, as does a PUBACK for a packet the broker never sent.
// Filters outside its tree, with a wildcard before the 4th level, or more
// than 8 in one SUBSCRIBE get SUBACK 0x80; granted QoS is at most 1. Per
// device and 5 s window: 10 logins, 300 QoS 0 and 100 QoS 1 publishes; one
// more disconnects the device and bans it for 5 minutes (RateLimits).
//
// # What the platform answers (§4)
//
//   - dp/post/json: stored (Datapoints) and answered on
//     dp/post/json/accepted {"id":N}, or on dp/post/json/rejected with
//     err_code 98 and what is wrong; the connection stays open.
//   - cmd/request/{uuid}: sent by SendCommand (and the synccmds API), which
//     waits for cmd/response/{uuid}; the device gets
//     cmd/response/{uuid}/accepted, or /rejected with err_code 100 (too
//     large), 112 (too late) or 113 (unknown id).
//   - thing/property/post, event/post, property/desired/get and /delete,
//     pack/post, history/post: answered on …/reply with code 200, or 400
//     and what is wrong. SetProperty and InvokeService send
//     thing/property/set and thing/service/{id}/invoke and wait for the
//     set_reply or invoke_reply with the same id.
//   - image/update merges state.reported and state.desired at every depth
//     (null deletes a member) within OneNET's limits (4 KB, keys of 1 to 30
//     characters of [A-Za-z0-9_], 4 levels) and answers
//     image/update/accepted with the whole document, or /rejected
//     {"err_code":160…165,"err_msg":…} as OneNET documents; after any
//     update that leaves desired and reported different it sends
//     image/update/delta {"state","metadata","version","timestamp"} (seconds).
//     image/get answers image/get/accepted with the document
//     (docs/PROTOCOL.md §10).
//
// Replies go only to a device that has subscribed to them (the reply topic
// itself, a "+" level, or "$sys/{pid}/{device}/#"). A device's own
// publishes are never forwarded to subscribers: the platform consumes them.
//
// # The $SYS pitfall
//
// mochi drops every client PUBLISH whose topic begins with "$SYS" in any
// case, so a QoS 1 publish on "$sys/…" would never be acknowledged. The
// broker's sysHook maps "$sys/" to an internal prefix in the topics and filters a
// device sends (OnPacketRead) and back in the PUBLISH packets it receives
// (OnPacketEncode); mochi only ever sees the internal names.
//
// # Listeners
//
// ListenTCP serves plain MQTT. WebSocketHandler serves MQTT over WebSocket
// (subprotocol "mqtt", binary messages) on the caller's HTTP server, with
// same-origin checks (Options.WebSocketOrigins allows more). APIHandler
// serves the platform API of §6; its paths are listed on APIHandler.
package broker
