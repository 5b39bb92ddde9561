// Package devcode writes the program a device would run to do what the page
// did: log in to OneNET as the device (docs/PROTOCOL.md, the token and the
// MQTT login), subscribe to the replies of a topic, publish one message and
// print the platform's answer. It writes mosquitto command lines, Python with
// paho-mqtt, Node.js with mqtt.js, QuecPython with umqtt, and C for OneNET's
// device SDK.
//
// Each program either computes the token from the access key itself (only
// when Spec.IncludeKey is set: the key is then in the program, and it says
// so) or carries a token made beforehand, with its expiry in a comment.
//
// The package is pure: no I/O, no clock (Spec.Now is the caller's).
package devcode

import (
	"fmt"
	"strings"
	"time"

	"github.com/onenet-wasm/onenet-wasm/onenet"
	"github.com/onenet-wasm/onenet-wasm/token"
)

// The languages, as Generate takes them.
const (
	Mosquitto  = "mosquitto"
	Python     = "python"
	Node       = "node"
	QuecPython = "quecpython"
	C          = "c"
)

// Language describes one kind of program.
type Language struct {
	ID       string `json:"id"`       // what Generate takes, e.g. "python"
	Label    string `json:"label"`    // for people, e.g. "Python (paho-mqtt)"
	FileName string `json:"fileName"` // a name to save it as
	// ComputesToken is false when the program cannot compute a token from
	// the key (it then always carries one).
	ComputesToken bool `json:"computesToken"`
}

var languages = []Language{
	{Mosquitto, "mosquitto_rr / mosquitto_pub / mosquitto_sub", "onenet-device.sh", true},
	{Python, "Python (paho-mqtt)", "onenet_device.py", true},
	{Node, "Node.js (mqtt.js)", "onenet-device.js", true},
	{QuecPython, "QuecPython (umqtt)", "main.py", true},
	{C, "C (OneNET device SDK)", "onenet_device.c", false},
}

// Languages returns the languages Generate writes, in a stable order.
func Languages() []Language { return append([]Language(nil), languages...) }

// Spec is the connection and the message.
type Spec struct {
	// Host and Port are the broker's MQTT over TCP address; TLS, when the
	// port speaks TLS (OneNET's 8883, with OneNET's CA certificate in the
	// file CAFile, default "onenet-ca.pem").
	Host   string `json:"host"`
	Port   int    `json:"port"`
	TLS    bool   `json:"tls"`
	CAFile string `json:"caFile"`

	ProductID  string `json:"productId"`
	DeviceName string `json:"deviceName"`
	// ClientID and Username default to DeviceName and ProductID, as OneNET
	// wants them.
	ClientID  string `json:"clientId"`
	Username  string `json:"username"`
	KeepAlive int    `json:"keepAlive"` // seconds, default 60

	Topic   string `json:"topic"`
	Payload string `json:"payload"`
	QoS     int    `json:"qos"`

	// IncludeKey puts Key into the program, which then computes a fresh
	// token at every start (with Method, TokenVersion, Res, valid for TTL
	// seconds; QuecPython, whose clock may not be set, until ET).
	IncludeKey   bool   `json:"includeKey"`
	Key          string `json:"key"`
	Method       string `json:"method"`
	TokenVersion string `json:"tokenVersion"`
	Res          string `json:"res"` // default products/{pid}/devices/{name}
	TTL          int64  `json:"ttl"` // seconds, default 30 days
	ET           int64  `json:"et"`  // default Now + TTL

	// Token is the password otherwise; when empty it is computed from Key
	// (which then stays out of the program) to expire at ET.
	Token string `json:"token"`

	// Now is the time, in Unix seconds, for ET's default and the comments.
	Now int64 `json:"now"`
}

// Error is a problem with the Spec; Field names the input at fault, Code is
// stable ("devcode.<what>").
type Error struct {
	Field, Code, Msg string
}

// Error returns "devcode: field: msg".
func (e *Error) Error() string { return "devcode: " + e.Field + ": " + e.Msg }

func errf(field, code, format string, args ...any) error {
	return &Error{Field: field, Code: code, Msg: fmt.Sprintf(format, args...)}
}

// data is what the templates see.
type data struct {
	Spec
	Lang     Language
	Replies  []string
	ETDate   string // the token's expiry, UTC
	TTLHours int64
	// KeyLeftOut: the key was asked for, but the program takes a token.
	KeyLeftOut bool
}

// Generate writes the program in language lang. Errors are *Error, or the
// token's and onenet's own errors for a bad key, resource or topic.
func Generate(lang string, s Spec) (string, error) {
	var l *Language
	for i := range languages {
		if languages[i].ID == lang {
			l = &languages[i]
		}
	}
	if l == nil {
		return "", errf("language", "devcode.language", "%q is not one of mosquitto, python, node, quecpython, c", lang)
	}
	if s.Host == "" || strings.ContainsAny(s.Host, " \t\r\n'\"\\/`$") {
		return "", errf("host", "devcode.host", "the broker's host %q is not a host name", s.Host)
	}
	if s.Port <= 0 || s.Port > 65535 {
		return "", errf("port", "devcode.port", "port %d is not between 1 and 65535", s.Port)
	}
	if s.CAFile == "" {
		s.CAFile = "onenet-ca.pem"
	}
	if s.ClientID == "" {
		s.ClientID = s.DeviceName
	}
	if s.Username == "" {
		s.Username = s.ProductID
	}
	if s.ClientID == "" {
		return "", errf("clientId", "devcode.clientId", "the client id (the device name) is empty")
	}
	if s.KeepAlive == 0 {
		s.KeepAlive = 60
	}
	if s.KeepAlive < 0 || s.KeepAlive > 65535 {
		return "", errf("keepAlive", "devcode.keepAlive", "keepalive %d is not between 1 and 65535 seconds", s.KeepAlive)
	}
	if s.QoS != 0 && s.QoS != 1 {
		return "", errf("qos", "devcode.qos", "OneNET takes publishes at QoS 0 or 1, not %d", s.QoS)
	}
	if s.Method == "" {
		s.Method = token.DefaultMethod
	}
	if s.TokenVersion == "" {
		s.TokenVersion = token.Version2018
	}
	if s.TTL == 0 {
		s.TTL = 30 * 24 * 3600
	}
	if s.TTL < 0 {
		return "", errf("ttl", "devcode.ttl", "the token's lifetime %d s is not positive", s.TTL)
	}
	if s.ET == 0 {
		s.ET = s.Now + s.TTL
	}
	if s.Res == "" {
		r, err := token.Resource(s.ProductID, s.DeviceName)
		if err != nil {
			return "", err
		}
		s.Res = r
	}
	// The topic and payload as OneNET would check them.
	info, err := onenet.ParseTopic(s.Topic)
	if err != nil {
		return "", err
	}
	if err := onenet.CheckPayload(info.Kind, []byte(s.Payload)); err != nil {
		return "", err
	}
	d := data{Lang: *l}
	args := onenet.TopicArgs{ProductID: info.ProductID, DeviceName: info.DeviceName, CmdID: info.CmdID, Identifier: info.Identifier}
	for _, k := range info.Kind.Replies() {
		t, err := onenet.Topic(k, args)
		if err != nil {
			return "", err
		}
		d.Replies = append(d.Replies, t)
	}
	// OneNET's SDK takes a ready token: the key stays out of its program.
	keyLeftOut := false
	if s.IncludeKey && !l.ComputesToken {
		s.IncludeKey, s.Token, keyLeftOut = false, "", true
	}
	d.KeyLeftOut = keyLeftOut
	// The token: computed from the key here (the key stays out), or by the
	// program (the key goes in).
	p := token.Params{Res: s.Res, Key: s.Key, Method: s.Method, Version: s.TokenVersion, ET: s.ET}
	if s.IncludeKey || s.Token == "" {
		if _, err := token.Generate(p); err != nil {
			return "", err
		}
	}
	if s.IncludeKey && !l.ComputesToken || !s.IncludeKey && s.Token == "" {
		s.Token, _ = token.Generate(p)
	}
	if !s.IncludeKey {
		s.Key = ""
		t, err := token.Parse(s.Token)
		if err != nil {
			return "", err
		}
		s.ET = t.ET
	}
	d.Spec = s
	d.ETDate = time.Unix(s.ET, 0).UTC().Format("2006-01-02 15:04:05 UTC")
	d.TTLHours = (s.TTL + 3599) / 3600
	return render(programs[lang], d.vars())
}

// vars are the template's values.
func (d data) vars() vars {
	warn := func(prefix string) string { return prefix + strings.Join(keyWarning, "\n"+prefix) }
	v := vars{
		s: map[string]string{
			"deviceName": d.DeviceName, "productId": d.ProductID, "key": d.Key, "res": d.Res,
			"method": d.Method, "tokenVersion": d.TokenVersion, "ttlHours": fmt.Sprint(d.TTLHours),
			"etDate": d.ETDate, "et": fmt.Sprint(d.ET), "token": d.Token, "host": d.Host, "port": fmt.Sprint(d.Port),
			"caFile": d.CAFile, "clientId": d.ClientID, "username": d.Username, "keepAlive": fmt.Sprint(d.KeepAlive),
			"qos": fmt.Sprint(d.QoS), "topic": d.Topic, "payload": d.Payload, "ttl": fmt.Sprint(d.TTL),
			"cmdFilter": "$sys/" + d.ProductID + "/" + d.DeviceName + "/cmd/request/+",
			"warnHash":  warn("# "), "warnSlash": warn("// "), "warnPlain": warn(""),
		},
		l: map[string][]string{"replies": d.Replies},
		b: map[string]bool{"includeKey": d.IncludeKey, "tls": d.TLS, "replies": len(d.Replies) > 0, "keyLeftOut": d.KeyLeftOut},
	}
	if len(d.Replies) > 0 {
		v.s["reply0"] = d.Replies[0]
	}
	return v
}

// shq quotes for a POSIX shell: '…' with ' written '\”.
func shq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// jsq quotes as a JSON string, which is also a Python and JavaScript
// string literal: everything outside printable ASCII is \u-escaped
// (invalid UTF-8 as U+FFFD).
func jsq(s string) string {
	var out strings.Builder
	out.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			out.WriteByte('\\')
			out.WriteRune(r)
		case r == '\n':
			out.WriteString(`\n`)
		case r == '\t':
			out.WriteString(`\t`)
		case r >= 0x20 && r < 0x7f:
			out.WriteRune(r)
		case r <= 0xFFFF:
			fmt.Fprintf(&out, `\u%04x`, r)
		default:
			r -= 0x10000
			fmt.Fprintf(&out, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		}
	}
	out.WriteByte('"')
	return out.String()
}

// cq quotes as a C string literal: the bytes outside printable ASCII as
// octal escapes (a \u escape is not a byte in C).
func cq(s string) string {
	var out strings.Builder
	out.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			out.WriteByte('\\')
			out.WriteByte(c)
		case c == '?':
			out.WriteString(`\?`) // no trigraphs
		case c >= 0x20 && c < 0x7f:
			out.WriteByte(c)
		default:
			fmt.Fprintf(&out, `\%03o`, c)
		}
	}
	out.WriteByte('"')
	return out.String()
}

// comment keeps a value from ending a comment or a line early.
func comment(s string) string {
	s = strings.NewReplacer("\r", " ", "\n", " ", "*/", "* /").Replace(s)
	return s
}

// keyWarning heads a program that holds the key.
var keyWarning = []string{
	"WARNING: this file holds the device's access key. Anyone who has it can",
	"log in as the device and make tokens for it. Keep it out of version",
	"control and shared folders; a token alone expires, the key does not.",
}
