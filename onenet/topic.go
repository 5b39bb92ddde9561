package onenet

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// A Kind is one of the documented OneNET topics, written as its suffix after
// "$sys/{pid}/{device}/", with a placeholder in braces where the topic holds
// a command id or an identifier (docs/PROTOCOL.md §4.6).
type Kind string

// The MQTT IoT kit's topics (docs/PROTOCOL.md §4).
const (
	KindDPPost              Kind = "dp/post/json"                  // device uploads datapoints
	KindDPAccepted          Kind = "dp/post/json/accepted"         // upload accepted (sent only if subscribed)
	KindDPRejected          Kind = "dp/post/json/rejected"         // upload rejected, err_code 98
	KindCmdRequest          Kind = "cmd/request/{cmdid}"           // platform sends a command
	KindCmdResponse         Kind = "cmd/response/{cmdid}"          // device answers a command
	KindCmdResponseAccepted Kind = "cmd/response/{cmdid}/accepted" // answer accepted
	KindCmdResponseRejected Kind = "cmd/response/{cmdid}/rejected" // answer rejected
	KindImageUpdate         Kind = "image/update"                  // device updates its shadow
	KindImageUpdateAccepted Kind = "image/update/accepted"         // shadow update accepted
	KindImageUpdateRejected Kind = "image/update/rejected"         // shadow update rejected
	KindImageGet            Kind = "image/get"                     // device asks for its shadow
	KindImageGetAccepted    Kind = "image/get/accepted"            // the shadow
	KindImageGetRejected    Kind = "image/get/rejected"            // shadow request rejected
	KindImageUpdateDelta    Kind = "image/update/delta"            // desired state differs from reported
)

// OneNET Studio's thing-model topics (docs/PROTOCOL.md §9). The
// device publishes the posts and gets and receives their replies; it
// receives set, get and invoke and publishes their replies.
const (
	KindPropertyPost               Kind = "thing/property/post"
	KindPropertyPostReply          Kind = "thing/property/post/reply"
	KindEventPost                  Kind = "thing/event/post"
	KindEventPostReply             Kind = "thing/event/post/reply"
	KindPropertyDesiredGet         Kind = "thing/property/desired/get"
	KindPropertyDesiredGetReply    Kind = "thing/property/desired/get/reply"
	KindPropertyDesiredDelete      Kind = "thing/property/desired/delete"
	KindPropertyDesiredDeleteReply Kind = "thing/property/desired/delete/reply"
	KindPackPost                   Kind = "thing/pack/post"
	KindPackPostReply              Kind = "thing/pack/post/reply"
	KindHistoryPost                Kind = "thing/history/post"
	KindHistoryPostReply           Kind = "thing/history/post/reply"
	KindPropertySet                Kind = "thing/property/set"
	KindPropertySetReply           Kind = "thing/property/set_reply"
	KindPropertyGet                Kind = "thing/property/get"
	KindPropertyGetReply           Kind = "thing/property/get_reply"
	KindServiceInvoke              Kind = "thing/service/{identifier}/invoke"
	KindServiceInvokeReply         Kind = "thing/service/{identifier}/invoke_reply"
)

// The placeholders in a Kind.
const (
	phCmdID      = "{cmdid}"
	phIdentifier = "{identifier}"
)

// SysPrefix starts every OneNET device topic: "$sys/{pid}/{device}/".
const SysPrefix = "$sys/"

type kindInfo struct {
	kind    Kind
	up      bool // the device publishes it
	replyTo Kind
	label   string
	example string // a documented payload, "" for an empty or opaque one
}

// kinds is the table behind Kinds, Direction, ReplyTo, Label and Example:
// coreKinds in the order of docs/PROTOCOL.md §4, then OTA, then
// gateways and sub-devices (ota.go, subdev.go).
var kinds = concatKinds(coreKinds[:], otaKinds, subKinds)

func concatKinds(parts ...[]kindInfo) []kindInfo {
	var out []kindInfo
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

var coreKinds = [...]kindInfo{
	{KindDPPost, true, "", "upload datapoints", `{"id":123,"dp":{"temp":[{"v":30,"t":1552289676}]}}`},
	{KindDPAccepted, false, KindDPPost, "datapoints accepted", `{"id":123}`},
	{KindDPRejected, false, KindDPPost, "datapoints rejected", `{"id":123,"err_code":98,"err_msg":"Illegal Data"}`},
	{KindCmdRequest, false, "", "command from the platform", ""},
	{KindCmdResponse, true, KindCmdRequest, "answer a command", ""},
	{KindCmdResponseAccepted, false, KindCmdResponse, "command answer accepted", ""},
	{KindCmdResponseRejected, false, KindCmdResponse, "command answer rejected", `{"err_code":100,"err_msg":"..."}`},
	{KindImageUpdate, true, "", "update the device shadow", `{"state":{"reported":{"temp":30}}}`},
	{KindImageUpdateAccepted, false, KindImageUpdate, "shadow update accepted", ""},
	{KindImageUpdateRejected, false, KindImageUpdate, "shadow update rejected", ""},
	{KindImageGet, true, "", "get the device shadow", ""},
	{KindImageGetAccepted, false, KindImageGet, "the device shadow", `{"state":{"desired":{},"reported":{}}}`},
	{KindImageGetRejected, false, KindImageGet, "shadow request rejected", ""},
	{KindImageUpdateDelta, false, "", "shadow delta (desired differs from reported)", `{"state":{"desired":{"temp":25}}}`},

	{KindPropertyPost, true, "", "post properties", `{"id":"123","version":"1.0","params":{"Power":{"value":"on","time":1524448722123}}}`},
	{KindPropertyPostReply, false, KindPropertyPost, "property post reply", `{"id":"123","code":200,"msg":"success"}`},
	{KindEventPost, true, "", "post an event", `{"id":"123","version":"1.0","params":{"Alarm":{"value":{"level":1},"time":1524448722123}}}`},
	{KindEventPostReply, false, KindEventPost, "event post reply", `{"id":"123","code":200,"msg":"success"}`},
	{KindPropertyDesiredGet, true, "", "get desired properties", `{"id":"123","version":"1.0","params":["Power"]}`},
	{KindPropertyDesiredGetReply, false, KindPropertyDesiredGet, "desired properties", `{"id":"123","code":200,"msg":"success","data":{"Power":{"value":"on","version":1}}}`},
	{KindPropertyDesiredDelete, true, "", "delete desired properties", `{"id":"123","version":"1.0","params":{"Power":{"version":1}}}`},
	{KindPropertyDesiredDeleteReply, false, KindPropertyDesiredDelete, "desired delete reply", `{"id":"123","code":200,"msg":"success"}`},
	{KindPackPost, true, "", "post properties and events together", `{"id":"123","version":"1.0","params":[{"properties":{"Power":{"value":"on","time":1524448722123}},"events":{}}]}`},
	{KindPackPostReply, false, KindPackPost, "pack post reply", `{"id":"123","code":200,"msg":"success"}`},
	{KindHistoryPost, true, "", "post historical data", `{"id":"123","version":"1.0","params":[{"properties":{"Power":[{"value":"on","time":1524448722123}]}}]}`},
	{KindHistoryPostReply, false, KindHistoryPost, "history post reply", `{"id":"123","code":200,"msg":"success"}`},
	{KindPropertySet, false, "", "set properties (from the platform)", `{"id":"123","version":"1.0","params":{"Power":"on"}}`},
	{KindPropertySetReply, true, KindPropertySet, "answer a property set", `{"id":"123","code":200,"msg":"success"}`},
	{KindPropertyGet, false, "", "get properties (from the platform)", `{"id":"123","version":"1.0","params":["Power"]}`},
	{KindPropertyGetReply, true, KindPropertyGet, "answer a property get", `{"id":"123","code":200,"msg":"success","data":{"Power":"on"}}`},
	{KindServiceInvoke, false, "", "invoke a service (from the platform)", `{"id":"123","version":"1.0","params":{"level":1}}`},
	{KindServiceInvokeReply, true, KindServiceInvoke, "answer a service invocation", `{"id":"123","code":200,"msg":"success","data":{}}`},
}

func lookup(k Kind) *kindInfo {
	for i := range kinds {
		if kinds[i].kind == k {
			return &kinds[i]
		}
	}
	return nil
}

// Kinds returns every documented topic kind: the MQTT IoT kit's (datapoints,
// commands, device shadow), then OneNET Studio's, each request followed by
// its replies. The slice is a copy.
func Kinds() []Kind {
	out := make([]Kind, len(kinds))
	for i := range kinds {
		out[i] = kinds[i].kind
	}
	return out
}

// Valid reports whether k is one of the documented kinds.
func (k Kind) Valid() bool { return lookup(k) != nil }

// Studio reports whether k is a OneNET Studio (thing model) topic.
// OTA's topics are Studio's too: OneNET's thing-model SDK defines them.
func (k Kind) Studio() bool {
	return k.Valid() && (strings.HasPrefix(string(k), "thing/") || strings.HasPrefix(string(k), "ota/"))
}

// Direction returns "up" for a topic the device publishes and "down" for one
// the device subscribes to and receives; "" for an unknown kind.
func (k Kind) Direction() string {
	ki := lookup(k)
	switch {
	case ki == nil:
		return ""
	case ki.up:
		return "up"
	}
	return "down"
}

// ReplyTo returns, for a reply kind, the kind it answers: KindDPPost for
// KindDPAccepted, KindCmdRequest for KindCmdResponse, KindPropertySet for
// KindPropertySetReply. It returns "" for a kind that answers nothing.
func (k Kind) ReplyTo() Kind {
	if ki := lookup(k); ki != nil {
		return ki.replyTo
	}
	return ""
}

// Replies returns the kinds that answer k, e.g. KindDPAccepted and
// KindDPRejected for KindDPPost; nil when nothing answers k.
func (k Kind) Replies() []Kind {
	var out []Kind
	for i := range kinds {
		if kinds[i].replyTo == k && k != "" {
			out = append(out, kinds[i].kind)
		}
	}
	return out
}

// Label returns a short English description, e.g. "upload datapoints".
func (k Kind) Label() string {
	if ki := lookup(k); ki != nil {
		return ki.label
	}
	return ""
}

// Example returns an example payload for k, from docs/PROTOCOL.md
// §4, or nil for a kind whose payload is empty or opaque.
func (k Kind) Example() []byte {
	if ki := lookup(k); ki != nil && ki.example != "" {
		return []byte(ki.example)
	}
	return nil
}

// Param returns the name of the TopicArgs field the kind's topic needs besides
// the product id and device name: "cmdId" for the cmd/ topics, "identifier"
// for the service topics, "" otherwise.
func (k Kind) Param() string {
	switch {
	case strings.Contains(string(k), phCmdID):
		return "cmdId"
	case strings.Contains(string(k), phIdentifier):
		return "identifier"
	}
	return ""
}

// TopicArgs fill a Kind's topic.
type TopicArgs struct {
	ProductID  string // the product id (the MQTT username)
	DeviceName string // the device name (the MQTT client id)
	CmdID      string // the command id, for the cmd/ topics
	Identifier string // the service identifier, for the thing/service/ topics
}

// Topic returns the topic of kind for a device, e.g.
// "$sys/469948/Chic_D/dp/post/json". An argument that is empty or would
// change the topic's shape (a '/', a wildcard, NUL, a control character,
// invalid UTF-8) is an *Error naming it.
func Topic(kind Kind, a TopicArgs) (string, error) {
	if !kind.Valid() {
		return "", newErr("kind", "kind.unknown", fmt.Sprintf("%q is not a documented OneNET topic", string(kind)), kv("kind", string(kind)))
	}
	if err := checkName("productId", a.ProductID); err != nil {
		return "", err
	}
	if err := checkName("deviceName", a.DeviceName); err != nil {
		return "", err
	}
	suffix := string(kind)
	switch kind.Param() {
	case "cmdId":
		if err := checkName("cmdId", a.CmdID); err != nil {
			return "", err
		}
		suffix = strings.Replace(suffix, phCmdID, a.CmdID, 1)
	case "identifier":
		if err := checkName("identifier", a.Identifier); err != nil {
			return "", err
		}
		suffix = strings.Replace(suffix, phIdentifier, a.Identifier, 1)
	}
	if kind.IsSubdev() {
		// "$subdev/login" is "$subdev/{pid}/{device}/login".
		return SubdevPrefix + a.ProductID + "/" + a.DeviceName + "/" + suffix[len(SubdevPrefix):], nil
	}
	return SysPrefix + a.ProductID + "/" + a.DeviceName + "/" + suffix, nil
}

var nameWhat = map[string]string{
	"productId":  "product id",
	"deviceName": "device name",
	"cmdId":      "command id",
	"identifier": "identifier",
}

// checkName checks one level of a topic: not empty, valid UTF-8, and no '/',
// wildcard, NUL or other control character (docs/PROTOCOL.md §5.1).
func checkName(field, s string) error {
	what := nameWhat[field]
	if s == "" {
		return newErr(field, "name.empty", "empty: give the "+what, kv("name", field))
	}
	if !utf8.ValidString(s) {
		return newErr(field, "name.utf8", what+" is not valid UTF-8", kv("name", field))
	}
	for i, r := range s {
		var bad string
		switch {
		case r == '/':
			bad = "'/' (it would split the topic level)"
		case r == '+' || r == '#':
			bad = fmt.Sprintf("the MQTT wildcard %q", r)
		case isControl(r):
			bad = fmt.Sprintf("the control character %U", r)
		}
		if bad != "" {
			return newErr(field, "name.char", fmt.Sprintf("%s %q contains %s at byte %d", what, s, bad, i),
				kv("name", field, "value", s, "char", string(r), "byte", itoa(i)))
		}
	}
	return nil
}

// TopicInfo is what ParseTopic finds in a topic.
type TopicInfo struct {
	Kind       Kind
	ProductID  string
	DeviceName string
	CmdID      string // for the cmd/ topics
	Identifier string // for the thing/service/ topics
}

// ParseTopic recognises any documented OneNET topic. A topic under
// "$sys/{pid}/{device}/" whose rest is not documented is an *Error with Code
// "topic.unknown"; the TopicInfo then still holds the product id and device
// name.
func ParseTopic(topic string) (TopicInfo, error) {
	var info TopicInfo
	if err := checkTopicSyntax("topic", topic); err != nil {
		return info, err
	}
	levels := strings.Split(topic, "/")
	sub := levels[0] == "$subdev"
	if !sub && levels[0] != "$sys" || len(levels) < 3 || levels[1] == "" || levels[2] == "" {
		return info, newErr("topic", "topic.prefix", fmt.Sprintf("%q is not a OneNET device topic: it must start with $sys/{pid}/{device}/", topic), kv("topic", topic))
	}
	info.ProductID, info.DeviceName = levels[1], levels[2]
	rest := levels[3:]
	for i := range kinds {
		k := kinds[i].kind
		if strings.HasPrefix(string(k), SubdevPrefix) != sub {
			continue
		}
		pattern := strings.Split(strings.TrimPrefix(string(k), SubdevPrefix), "/")
		if len(pattern) != len(rest) {
			continue
		}
		var cmdID, ident string
		ok := true
		for j, p := range pattern {
			switch {
			case p == phCmdID && rest[j] != "":
				cmdID = rest[j]
			case p == phIdentifier && rest[j] != "":
				ident = rest[j]
			case p != rest[j]:
				ok = false
			}
			if !ok {
				break
			}
		}
		if ok {
			info.Kind, info.CmdID, info.Identifier = k, cmdID, ident
			return info, nil
		}
	}
	suffix := strings.Join(rest, "/")
	return info, newErr("topic", "topic.unknown", fmt.Sprintf("%q is not a documented OneNET topic (the part after %s/%s/%s/ is %q)", topic, levels[0], info.ProductID, info.DeviceName, suffix),
		kv("topic", topic, "suffix", suffix))
}
