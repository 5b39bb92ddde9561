package onenet

import "fmt"

// ConnackMessage explains an MQTT CONNACK return code as OneNET uses it
// (docs/PROTOCOL.md §3): 0 accepted, 4 for any token problem.
func ConnackMessage(code byte) string {
	switch code {
	case 0:
		return "connection accepted (CONNACK 0)"
	case 1:
		return "login refused (CONNACK 1): unacceptable protocol version: OneNET speaks MQTT 3.1.1 (protocol level 4) only"
	case 2:
		return "login refused (CONNACK 2): the client id was rejected: it must be the device name"
	case 3:
		return "login refused (CONNACK 3): the server is unavailable: try again later"
	case 4:
		return "login refused (CONNACK 4): the token does not match this product id and device name, or has expired"
	case 5:
		return "login refused (CONNACK 5): not authorized; OneNET does not document this code: check the product id, device name and token"
	}
	return fmt.Sprintf("login refused (CONNACK %d): not a return code of MQTT 3.1.1", code)
}

// reasons are the codes of OneNET's console log for a refused login
// (docs/PROTOCOL.md §3.7). 1102, 1105, 1108, 1109 and 1112 are the
// platform's own failures: the local broker never gives them.
var reasons = map[int]string{
	1101: "the client id, username or password is empty: set the client id to the device name, the username to the product id and the password to the token",
	1102: "OneNET had an internal error: try again later; if it stays, ask OneNET's support",
	1103: "the token is not valid: generate it again; it must read version=…&res=…&et=…&method=…&sign=…",
	1104: "the token has expired: generate one with a later et (Unix seconds)",
	1105: "OneNET found no access key for the device or the product: if the device and product exist, ask OneNET's support",
	1106: "the token's sign does not match: check the access key (the device's or the product's) and that res names this product and device",
	1107: "the device does not exist: check the device name and the product id, or create the device in the console",
	1108: "OneNET found no internal product id for this product: ask OneNET's support",
	1109: "OneNET found no internal device id for this device: ask OneNET's support",
	1110: "the token's method is not supported: use md5, sha1 or sha256",
	1111: "the token's version is not supported: use 2018-10-31",
	1112: "the protocol does not match the access service: connect an MQTT device to an MQTT address",
	1114: "the client id and username do not match the token's res: the client id must be the device name and the username the product id in res",
}

// ReasonMessage explains a code of OneNET's console log (1101 … 1114,
// docs/PROTOCOL.md §3.7), which says why OneNET refused a login that the
// device saw only as CONNACK 4 or a closed connection.
func ReasonMessage(code int) string {
	if r, ok := reasons[code]; ok {
		return fmt.Sprintf("%s (OneNET log code %d)", r, code)
	}
	return fmt.Sprintf("OneNET log code %d is not documented here", code)
}
