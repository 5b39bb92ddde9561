package onenet

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits OneNET enforces (docs/PROTOCOL.md §3 and §5).
const (
	MaxPayload             = 256 * 1024 // bytes in one PUBLISH; more and OneNET disconnects
	MaxFilterLen           = 512        // bytes in one subscription filter
	MaxTopicLevels         = 8          // levels in a topic or filter
	MaxFiltersPerSubscribe = 8          // filters in one SUBSCRIBE
	MinKeepAlive           = 10         // seconds
	MaxKeepAlive           = 1800       // seconds
	ProtocolLevel          = 4          // MQTT 3.1.1, the only version OneNET speaks
	MaxCmdRequest          = 1024 - 1   // bytes in a command sent to a device: "小于1k" (docs/PROTOCOL.md §8.3)
	MaxCmdResponse         = 1024 - 1   // bytes in a device's command response: "小于1k" (§8.2)
	maxMQTTTopicLen        = 65535      // an MQTT string's length field
	wildcardLevel          = 4          // the first level at which a filter may hold a wildcard

	// MaxSubscriptions is how many topics a device of an MQTT-kit product
	// may have subscribed in one session; a SUBSCRIBE beyond it fails
	// (docs/PROTOCOL.md §5.2). StudioMaxSubscriptions is OneNET Studio's
	// (§5.7).
	MaxSubscriptions       = 15
	StudioMaxSubscriptions = 10
	// MaxFiltersPerUnsubscribe bounds the filters of one UNSUBSCRIBE (§5.3).
	MaxFiltersPerUnsubscribe = 8
)

// topicChar reports whether c may appear in a topic a device publishes to,
// after its leading '$' (docs/PROTOCOL.md §5.1: ^[a-zA-Z0-9/_-]+$); filter
// adds the wildcards '+' and '#' (§5.2).
func topicChar(c byte, filter bool) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '/', c == '_', c == '-':
		return true
	case filter && (c == '+' || c == '#'):
		return true
	}
	return false
}

// badChar returns the byte offset and the character of the first character
// of s outside OneNET's topic character set (a leading '$' is allowed: system
// topics start with it), or -1.
func badChar(s string, filter bool) (int, string) {
	for i := 0; i < len(s); i++ {
		if i == 0 && s[0] == '$' || topicChar(s[i], filter) {
			continue
		}
		r, _ := utf8.DecodeRuneInString(s[i:])
		return i, string(r)
	}
	return -1, ""
}

// disconnects starts the message of a warning about what makes OneNET close
// the connection (docs/PROTOCOL.md §5).
const disconnects = "OneNET would disconnect the device: "

// checkTopicSyntax checks what every topic name must satisfy, whatever its
// owner: not empty, valid UTF-8, no NUL or other control character, no
// wildcard, at most
// MaxTopicLevels levels, no empty level (docs/PROTOCOL.md §5.1). field is "topic".
func checkTopicSyntax(field, topic string) error {
	switch {
	case topic == "":
		return newErr(field, "topic.empty", "empty: give a topic such as $sys/{pid}/{device}/dp/post/json", nil)
	case len(topic) > maxMQTTTopicLen:
		return newErr(field, "topic.length", fmt.Sprintf("%d bytes is longer than MQTT allows (%d)", len(topic), maxMQTTTopicLen),
			kv("length", itoa(len(topic)), "limit", itoa(maxMQTTTopicLen)))
	case !utf8.ValidString(topic):
		return newErr(field, "topic.utf8", "not valid UTF-8", nil)
	}
	if i := strings.IndexByte(topic, 0); i >= 0 {
		return newErr(field, "topic.nul", fmt.Sprintf("contains a NUL character at byte %d, which MQTT forbids", i), kv("byte", itoa(i)))
	}
	if i, r := controlChar(topic); i >= 0 {
		return newErr(field, "topic.control", fmt.Sprintf("contains the control character %U at byte %d, which MQTT topics should not hold", r, i),
			kv("char", fmt.Sprintf("%U", r), "byte", itoa(i)))
	}
	if i := strings.IndexAny(topic, "+#"); i >= 0 {
		return newErr(field, "topic.wildcard", fmt.Sprintf("%q contains the wildcard %q at byte %d: wildcards belong in subscription filters, not in a topic you publish to", topic, topic[i:i+1], i),
			kv("topic", topic, "char", topic[i:i+1], "byte", itoa(i)))
	}
	levels := strings.Split(topic, "/")
	if len(levels) > MaxTopicLevels {
		return newErr(field, "topic.levels", fmt.Sprintf("%q has %d levels; OneNET allows at most %d", topic, len(levels), MaxTopicLevels),
			kv("topic", topic, "levels", itoa(len(levels)), "limit", itoa(MaxTopicLevels)))
	}
	for i, l := range levels {
		if l == "" {
			return newErr(field, "topic.level.empty", fmt.Sprintf("%q has an empty level %d (a leading, trailing or doubled '/')", topic, i+1),
				kv("topic", topic, "level", itoa(i+1)))
		}
	}
	return nil
}

// isControl reports whether r is a control character MQTT 3.1.1 §1.5.3 says
// a string should not hold: U+0001…U+001F, U+007F…U+009F (U+0000 it forbids).
func isControl(r rune) bool { return r < 0x20 || 0x7f <= r && r <= 0x9f }

// controlChar returns the first control character in s and its byte offset,
// or -1.
func controlChar(s string) (int, rune) {
	for i, r := range s {
		if isControl(r) {
			return i, r
		}
	}
	return -1, 0
}

// ownPrefix returns "$sys/{pid}/{device}/" after checking both names.
func ownPrefix(productID, deviceName string) (string, error) {
	if err := checkName("productId", productID); err != nil {
		return "", err
	}
	if err := checkName("deviceName", deviceName); err != nil {
		return "", err
	}
	return SysPrefix + productID + "/" + deviceName + "/", nil
}

// CheckPublishTopic checks a topic a device would publish to: a valid topic
// name (no wildcards, at most MaxTopicLevels levels, no empty level, valid
// UTF-8, no NUL or other control character) inside the device's own tree "$sys/{pid}/{device}/…"
// (docs/PROTOCOL.md §4.2). OneNET disconnects a device that publishes
// anywhere else. The error names "topic", or "productId" or "deviceName"
// when those are unusable.
func CheckPublishTopic(topic, productID, deviceName string) error {
	if err := checkTopicSyntax("topic", topic); err != nil {
		return err
	}
	if i, c := badChar(topic, false); i >= 0 {
		return newErr("topic", "topic.chars", fmt.Sprintf("%q contains %q at byte %d: OneNET takes only letters, digits, '/', '_' and '-' in a topic, and disconnects a device that publishes to any other", topic, c, i),
			kv("topic", topic, "char", c, "byte", itoa(i)))
	}
	prefix, err := ownPrefix(productID, deviceName)
	if err != nil {
		return err
	}
	if strings.HasPrefix(topic, SubdevPrefix) {
		return subdevTopic("topic", topic) // a gateway's sub-device (subdev.go)
	}
	if !strings.HasPrefix(topic, prefix) {
		return newErr("topic", "topic.foreign", fmt.Sprintf("%q is outside the device's own tree %s…: a device may publish only there", topic, prefix),
			kv("topic", topic, "prefix", prefix))
	}
	return nil
}

// CheckFilter checks a subscription filter the way OneNET does. Two kinds of
// problem differ in what OneNET does (SubscribeDisconnects tells them
// apart):
//
//   - the limits of docs/PROTOCOL.md §5.2 disconnect the device: more than
//     MaxFilterLen bytes or MaxTopicLevels levels, not UTF-8, a character
//     outside [A-Za-z0-9/+#_-] after the leading '$';
//   - an illegal filter fails in the SUBACK (0x80, §4.4): invalid MQTT
//     filter syntax ('+' and '#' alone in their level, '#' last), a wildcard
//     before the 4th level (§4.5), an empty level (it matches no OneNET
//     topic), or a filter outside the device's own tree (§4.2).
//
// "$sys/{pid}/{device}/#" and "…/cmd/request/+" are fine; "#" and
// "$sys/{pid}/#" fail.
func CheckFilter(filter, productID, deviceName string) error {
	switch {
	case filter == "":
		return newErr("filter", "filter.empty", "empty: give a filter such as $sys/{pid}/{device}/#", nil)
	case len(filter) > MaxFilterLen:
		return newErr("filter", "filter.length", fmt.Sprintf("%d bytes; OneNET allows at most %d", len(filter), MaxFilterLen),
			kv("length", itoa(len(filter)), "limit", itoa(MaxFilterLen)))
	case !utf8.ValidString(filter):
		return newErr("filter", "filter.utf8", "not valid UTF-8", nil)
	}
	if i := strings.IndexByte(filter, 0); i >= 0 {
		return newErr("filter", "filter.nul", fmt.Sprintf("contains a NUL character at byte %d, which MQTT forbids", i), kv("byte", itoa(i)))
	}
	if i, r := controlChar(filter); i >= 0 {
		return newErr("filter", "filter.control", fmt.Sprintf("contains the control character %U at byte %d, which MQTT topics should not hold", r, i),
			kv("char", fmt.Sprintf("%U", r), "byte", itoa(i)))
	}
	if i, c := badChar(filter, true); i >= 0 {
		return newErr("filter", "filter.chars", fmt.Sprintf("%q contains %q at byte %d: OneNET takes only letters, digits, '/', '_', '-', '+' and '#' in a filter", filter, c, i),
			kv("filter", filter, "char", c, "byte", itoa(i)))
	}
	levels := strings.Split(filter, "/")
	for i, l := range levels {
		if (strings.Contains(l, "+") || strings.Contains(l, "#")) && len(l) > 1 {
			return newErr("filter", "filter.syntax", fmt.Sprintf("level %d of %q is %q: a wildcard must be the whole level", i+1, filter, l),
				kv("filter", filter, "level", itoa(i+1), "value", l))
		}
		if l == "#" && i != len(levels)-1 {
			return newErr("filter", "filter.syntax", fmt.Sprintf("'#' at level %d of %q is not the last level", i+1, filter),
				kv("filter", filter, "level", itoa(i+1), "value", l))
		}
	}
	if len(levels) > MaxTopicLevels {
		return newErr("filter", "filter.levels", fmt.Sprintf("%q has %d levels; OneNET allows at most %d", filter, len(levels), MaxTopicLevels),
			kv("filter", filter, "levels", itoa(len(levels)), "limit", itoa(MaxTopicLevels)))
	}
	for i, l := range levels {
		if i < wildcardLevel-1 && (l == "+" || l == "#") {
			return newErr("filter", "filter.wildcard", fmt.Sprintf("%q has a wildcard at level %d: OneNET allows wildcards only from level %d, after $sys/{pid}/{device}/", filter, i+1, wildcardLevel),
				kv("filter", filter, "level", itoa(i+1)))
		}
		if l == "" {
			return newErr("filter", "filter.level.empty", fmt.Sprintf("%q has an empty level %d (a leading, trailing or doubled '/'); it would match no OneNET topic", filter, i+1),
				kv("filter", filter, "level", itoa(i+1)))
		}
	}
	prefix, err := ownPrefix(productID, deviceName)
	if err != nil {
		return err
	}
	if strings.HasPrefix(filter, SubdevPrefix) {
		return subdevTopic("filter", filter) // a gateway's sub-device (subdev.go)
	}
	if !strings.HasPrefix(filter, prefix) {
		return newErr("filter", "filter.foreign", fmt.Sprintf("%q is outside the device's own tree %s…: a device may subscribe only there", filter, prefix),
			kv("filter", filter, "prefix", prefix))
	}
	return nil
}

// SubscribeDisconnects reports whether OneNET disconnects a device that
// subscribes to a filter CheckFilter refused with err (the limits of
// docs/PROTOCOL.md §5.2), rather than failing that one filter in the SUBACK
// (§4.4).
func SubscribeDisconnects(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case "filter.length", "filter.levels", "filter.utf8", "filter.nul", "filter.control", "filter.chars":
		return true
	}
	return false
}

// CheckUnsubscribeFilter checks a filter of an UNSUBSCRIBE: at most
// MaxFilterLen bytes and MaxTopicLevels levels, UTF-8, only
// [A-Za-z0-9/+#_-] after the leading '$'. OneNET disconnects a device that
// breaks any of these (docs/PROTOCOL.md §5.3). The error names "filter".
func CheckUnsubscribeFilter(filter string) error {
	switch {
	case filter == "":
		return newErr("filter", "filter.empty", "empty: give a filter such as $sys/{pid}/{device}/#", nil)
	case len(filter) > MaxFilterLen:
		return newErr("filter", "filter.length", fmt.Sprintf("%d bytes; OneNET allows at most %d", len(filter), MaxFilterLen),
			kv("length", itoa(len(filter)), "limit", itoa(MaxFilterLen)))
	case !utf8.ValidString(filter):
		return newErr("filter", "filter.utf8", "not valid UTF-8", nil)
	}
	if i, c := badChar(filter, true); i >= 0 {
		return newErr("filter", "filter.chars", fmt.Sprintf("%q contains %q at byte %d: OneNET takes only letters, digits, '/', '_', '-', '+' and '#' in a filter", filter, c, i),
			kv("filter", filter, "char", c, "byte", itoa(i)))
	}
	if n := strings.Count(filter, "/") + 1; n > MaxTopicLevels {
		return newErr("filter", "filter.levels", fmt.Sprintf("%q has %d levels; OneNET allows at most %d", filter, n, MaxTopicLevels),
			kv("filter", filter, "levels", itoa(n), "limit", itoa(MaxTopicLevels)))
	}
	return nil
}

// MatchFilter reports whether an MQTT subscription filter matches a topic
// name (MQTT 3.1.1 §4.7): '+' matches one level, a final '#' the parent
// level and everything below, and a topic starting with '$' is matched only
// by a filter that names its first level.
func MatchFilter(filter, topic string) bool {
	if filter == "" || topic == "" {
		return false
	}
	if topic[0] == '$' && (filter[0] == '+' || filter[0] == '#') {
		return false
	}
	f := strings.Split(filter, "/")
	t := strings.Split(topic, "/")
	for i, l := range f {
		if l == "#" {
			return i == len(f)-1
		}
		if i >= len(t) {
			return false
		}
		if l != "+" && l != t[i] {
			return false
		}
	}
	return len(f) == len(t)
}

// A ConnectPlan is what a client is about to send in CONNECT.
type ConnectPlan struct {
	ClientID      string // should be the device name (docs/PROTOCOL.md §3)
	Username      string // should be the product id
	KeepAlive     int    // seconds
	CleanSession  bool
	Will          bool // a will message is set
	ProtocolLevel int  // 4 for MQTT 3.1.1, 3 for 3.1, 5 for MQTT 5
	// Kit is set when the server is one of the MQTT kit's endpoints, whose
	// product ids, and so usernames, are numbers (docs/PROTOCOL.md §3.5).
	Kit bool
}

// CheckConnect returns what OneNET would refuse in p (docs/PROTOCOL.md
// §3): a protocol other than MQTT 3.1.1 (CONNACK 1); a keep-alive outside
// [MinKeepAlive, MaxKeepAlive], clean session off, a will, an empty client
// id or username, which OneNET answers by closing the connection without a
// CONNACK (§3.7). It returns nil when OneNET would take the CONNECT. It
// cannot check the password: that is the token package's work.
func CheckConnect(p ConnectPlan) []Warning {
	var w []Warning
	if p.ProtocolLevel != ProtocolLevel {
		name := map[int]string{3: "MQTT 3.1", 5: "MQTT 5"}[p.ProtocolLevel]
		if name == "" {
			name = "protocol level " + itoa(p.ProtocolLevel)
		}
		w = append(w, Warning{"protocolLevel", "connect.protocol",
			fmt.Sprintf("OneNET would refuse the login (CONNACK 1): it speaks MQTT 3.1.1 (protocol level 4) only, not %s", name),
			kv("level", itoa(p.ProtocolLevel))})
	}
	if p.ClientID == "" {
		w = append(w, Warning{"clientId", "connect.clientId", "OneNET would close the connection without answering (log code 1101): the client id is empty; set it to the device name", nil})
	}
	if p.Username == "" {
		w = append(w, Warning{"username", "connect.username", "OneNET would close the connection without answering (log code 1101): the username is empty; set it to the product id", nil})
	}
	if p.Kit && p.Username != "" && strings.Trim(p.Username, "0123456789") != "" {
		w = append(w, Warning{"username", "connect.username.number",
			fmt.Sprintf("OneNET's MQTT kit would close the connection without answering: the username %q is not a number; it must be the product id, which is numeric for an MQTT-kit product", p.Username),
			kv("username", p.Username)})
	}
	if p.KeepAlive < MinKeepAlive || p.KeepAlive > MaxKeepAlive {
		w = append(w, Warning{"keepAlive", "connect.keepAlive",
			fmt.Sprintf("OneNET would close the connection without answering: a keep-alive of %d s is outside [%d, %d] s", p.KeepAlive, MinKeepAlive, MaxKeepAlive),
			kv("keepAlive", itoa(p.KeepAlive), "min", itoa(MinKeepAlive), "max", itoa(MaxKeepAlive))})
	}
	if !p.CleanSession {
		w = append(w, Warning{"cleanSession", "connect.cleanSession", "OneNET would close the connection without answering: it requires clean session; OneNET keeps no session between connections", nil})
	}
	if p.Will {
		w = append(w, Warning{"will", "connect.will", "OneNET would close the connection without answering: it does not accept a will message; remove it", nil})
	}
	return w
}

// A PublishPlan is a PUBLISH a device is about to send.
type PublishPlan struct {
	Topic      string
	ProductID  string // the device's product id
	DeviceName string // the device's name
	QoS        byte
	Retain     bool
	PayloadLen int // bytes
}

// CheckPublish returns what OneNET would do about p that an MQTT client
// would not stop (docs/PROTOCOL.md §4 and §5): QoS 2, retain, a topic
// outside the device's tree, with a character outside [A-Za-z0-9/_-] or
// otherwise invalid, a topic that is not one of the system topics a device
// publishes (an undocumented one, or one the platform publishes), a payload
// over MaxPayload: all make OneNET disconnect the device. It also warns
// about a command response of 1 KB or more, which OneNET refuses with error
// 99 (§8.2). It returns nil when nothing is wrong.
func CheckPublish(p PublishPlan) []Warning {
	var w []Warning
	switch {
	case p.QoS == 2:
		w = append(w, Warning{"qos", "publish.qos", disconnects + "it does not support QoS 2; use QoS 0 or 1", kv("qos", "2")})
	case p.QoS > 2:
		q := strconv.Itoa(int(p.QoS))
		w = append(w, Warning{"qos", "publish.qos", disconnects + "QoS " + q + " does not exist in MQTT; use QoS 0 or 1", kv("qos", q)})
	}
	if p.Retain {
		w = append(w, Warning{"retain", "publish.retain", disconnects + "it does not accept retained messages; clear the retain flag", nil})
	}
	if err := CheckPublishTopic(p.Topic, p.ProductID, p.DeviceName); err != nil {
		e := err.(*Error)
		msg := disconnects + "topic: " + e.Msg
		if e.Field != "topic" {
			msg = "cannot check the topic: " + e.Field + ": " + e.Msg
		}
		w = append(w, Warning{e.Field, e.Code, msg, e.Params})
	} else {
		info, err := ParseTopic(p.Topic)
		switch {
		case err != nil:
			// Only system topics (docs/PROTOCOL.md §4.1, §4.3).
			e := err.(*Error)
			w = append(w, Warning{"topic", e.Code, disconnects + e.Msg, e.Params})
		case info.Kind.Direction() == "down":
			w = append(w, Warning{"topic", "publish.downlink",
				fmt.Sprintf(disconnects+"%s is a topic OneNET publishes to the device (%s), not one a device publishes to", info.Kind, info.Kind.Label()),
				kv("kind", string(info.Kind))})
		case (info.Kind == KindCmdResponse || info.Kind == KindSubdevCmdResponse) && p.PayloadLen > MaxCmdResponse:
			w = append(w, Warning{"payload", "cmd.response.size",
				fmt.Sprintf("OneNET refuses a command response of 1 KB or more with error 99 (maximum payload size exceeded); this one is %d bytes", p.PayloadLen),
				kv("size", itoa(p.PayloadLen), "limit", itoa(MaxCmdResponse))})
		}
	}
	if p.PayloadLen > MaxPayload {
		w = append(w, Warning{"payload", "publish.size",
			fmt.Sprintf(disconnects+"the payload is %d bytes; OneNET allows at most %d (256 KB)", p.PayloadLen, MaxPayload),
			kv("size", itoa(p.PayloadLen), "limit", itoa(MaxPayload))})
	}
	return w
}
