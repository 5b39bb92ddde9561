package onenet

import (
	"fmt"
	"strings"
)

// Gateways and sub-devices (docs/PROTOCOL.md §12).
//
// A OneNET Studio gateway speaks for its sub-devices on topics of its own
// tree, thing/sub/…: it binds them (topo/add, topo/delete, topo/get), logs
// them in and out (login, logout) and answers, for them, the platform's
// property gets and sets and service calls. Each payload names the
// sub-device by "productID" and "deviceName".
const (
	KindSubLogin              Kind = "thing/sub/login"
	KindSubLoginReply         Kind = "thing/sub/login/reply"
	KindSubLogout             Kind = "thing/sub/logout"
	KindSubLogoutReply        Kind = "thing/sub/logout/reply"
	KindSubTopoAdd            Kind = "thing/sub/topo/add"
	KindSubTopoAddReply       Kind = "thing/sub/topo/add/reply"
	KindSubTopoDelete         Kind = "thing/sub/topo/delete"
	KindSubTopoDeleteReply    Kind = "thing/sub/topo/delete/reply"
	KindSubTopoGet            Kind = "thing/sub/topo/get"
	KindSubTopoGetReply       Kind = "thing/sub/topo/get/reply"
	KindSubTopoGetResult      Kind = "thing/sub/topo/get/result" // the gateway's answer to the topology it was sent
	KindSubTopoChange         Kind = "thing/sub/topo/change"
	KindSubTopoChangeReply    Kind = "thing/sub/topo/change_reply"
	KindSubPropertyGet        Kind = "thing/sub/property/get"
	KindSubPropertyGetReply   Kind = "thing/sub/property/get_reply"
	KindSubPropertySet        Kind = "thing/sub/property/set"
	KindSubPropertySetReply   Kind = "thing/sub/property/set_reply"
	KindSubServiceInvoke      Kind = "thing/sub/service/invoke"
	KindSubServiceInvokeReply Kind = "thing/sub/service/invoke_reply"
)

// An MQTT-kit gateway speaks for a sub-device on the sub-device's own topics
// under "$subdev/{pid}/{device}/": it logs it in and out with an empty
// payload and then uploads datapoints and answers commands for it. A Kind
// of this family is written "$subdev/" and the suffix, e.g. "$subdev/login"
// for "$subdev/{pid}/{device}/login".
const (
	KindSubdevLogin               Kind = "$subdev/login"
	KindSubdevLoginAccepted       Kind = "$subdev/login/accepted"
	KindSubdevLoginRejected       Kind = "$subdev/login/rejected"
	KindSubdevLogout              Kind = "$subdev/logout"
	KindSubdevLogoutAccepted      Kind = "$subdev/logout/accepted"
	KindSubdevLogoutRejected      Kind = "$subdev/logout/rejected"
	KindSubdevLogoutNotify        Kind = "$subdev/logout/notify" // the platform logs the sub-device out
	KindSubdevDPPost              Kind = "$subdev/dp/post/json"
	KindSubdevDPAccepted          Kind = "$subdev/dp/post/json/accepted"
	KindSubdevDPRejected          Kind = "$subdev/dp/post/json/rejected"
	KindSubdevCmdRequest          Kind = "$subdev/cmd/request/{cmdid}"
	KindSubdevCmdResponse         Kind = "$subdev/cmd/response/{cmdid}"
	KindSubdevCmdResponseAccepted Kind = "$subdev/cmd/response/{cmdid}/accepted"
	KindSubdevCmdResponseRejected Kind = "$subdev/cmd/response/{cmdid}/rejected"
)

// SubdevPrefix starts every MQTT-kit sub-device topic:
// "$subdev/{pid}/{device}/".
const SubdevPrefix = "$subdev/"

// Limits of gateways and sub-devices (docs/PROTOCOL.md §12).
const (
	MaxSubdevsPerGateway = 50   // MQTT kit: sub-devices one gateway may log in at a time
	MaxTopoPerGateway    = 1500 // Studio: sub-devices bound to one gateway
	MaxSubProperties     = 50   // Studio: properties in one sub/property/get or set
	MaxSubdevLoginTopics = 4    // MQTT kit: a gateway's login (and logout) filters for one sub-device
)

var subKinds = []kindInfo{
	{KindSubLogin, true, "", "log a sub-device in", `{"id":"123","version":"1.0","params":{"productID":"product1","deviceName":"device1"}}`},
	{KindSubLoginReply, false, KindSubLogin, "sub-device login reply", `{"id":"123","code":200,"msg":"success"}`},
	{KindSubLogout, true, "", "log a sub-device out", `{"id":"123","version":"1.0","params":{"productID":"product1","deviceName":"device1"}}`},
	{KindSubLogoutReply, false, KindSubLogout, "sub-device logout reply", `{"id":"123","code":200,"msg":"success"}`},
	{KindSubTopoAdd, true, "", "bind a sub-device to the gateway", `{"id":"123","version":"1.0","params":{"productID":"product1","deviceName":"device1","sasToken":"version=2018-10-31&res=products%2Fproduct1%2Fdevices%2Fdevice1&et=1537255523&method=sha1&sign=…"}}`},
	{KindSubTopoAddReply, false, KindSubTopoAdd, "bind reply", `{"id":"123","code":200,"msg":"success"}`},
	{KindSubTopoDelete, true, "", "unbind a sub-device", `{"id":"123","version":"1.0","params":{"productID":"product1","deviceName":"device1","sasToken":"version=2018-10-31&res=products%2Fproduct1%2Fdevices%2Fdevice1&et=1537255523&method=sha1&sign=…"}}`},
	{KindSubTopoDeleteReply, false, KindSubTopoDelete, "unbind reply", `{"id":"123","code":200,"msg":"success"}`},
	{KindSubTopoGet, true, "", "get the gateway's sub-devices", `{"id":"123","version":"1.0"}`},
	{KindSubTopoGetReply, false, KindSubTopoGet, "the gateway's sub-devices", `{"id":"123","code":200,"msg":"success","data":[{"productID":"product1","deviceName":"device1"}]}`},
	{KindSubTopoGetResult, true, KindSubTopoGetReply, "report the topology sync result", `{"id":"123","code":200,"msg":"success"}`},
	{KindSubTopoChange, false, "", "topology changed (from the platform)", `{"id":"123","version":"1.0","params":{"subList":[{"productID":"product1","deviceName":"device1"}]}}`},
	{KindSubTopoChangeReply, true, KindSubTopoChange, "answer a topology change", `{"id":"123","code":200,"msg":"success"}`},
	{KindSubPropertyGet, false, "", "get sub-device properties (from the platform)", `{"id":"123","version":"1.0","params":{"productID":"product1","deviceName":"device1","params":["temperature"]}}`},
	{KindSubPropertyGetReply, true, KindSubPropertyGet, "answer a sub-device property get", `{"id":"123","code":200,"msg":"success","data":{"temperature":39.5}}`},
	{KindSubPropertySet, false, "", "set sub-device properties (from the platform)", `{"id":"123","version":"1.0","params":{"productID":"product1","deviceName":"device1","params":{"temperature":30.5}}}`},
	{KindSubPropertySetReply, true, KindSubPropertySet, "answer a sub-device property set", `{"id":"123","code":200,"msg":"success"}`},
	{KindSubServiceInvoke, false, "", "invoke a sub-device service (from the platform)", `{"id":"123","version":"1.0","params":{"productID":"product1","deviceName":"device1","identifier":"reboot","input":{}}}`},
	{KindSubServiceInvokeReply, true, KindSubServiceInvoke, "answer a sub-device service call", `{"id":"123","code":200,"msg":"success","data":{"productID":"product1","deviceName":"device1","identifier":"reboot","output":{}}}`},

	{KindSubdevLogin, true, "", "sub-device: log in (empty payload)", ""},
	{KindSubdevLoginAccepted, false, KindSubdevLogin, "sub-device: login accepted", ""},
	{KindSubdevLoginRejected, false, KindSubdevLogin, "sub-device: login rejected", `{"err_code":98,"err_msg":"illegal data"}`},
	{KindSubdevLogout, true, "", "sub-device: log out (empty payload)", ""},
	{KindSubdevLogoutAccepted, false, KindSubdevLogout, "sub-device: logout accepted", ""},
	{KindSubdevLogoutRejected, false, KindSubdevLogout, "sub-device: logout rejected", `{"err_code":98,"err_msg":"illegal data"}`},
	{KindSubdevLogoutNotify, false, "", "sub-device: logged out by the platform", ""},
	{KindSubdevDPPost, true, "", "sub-device: upload datapoints", `{"id":123,"dp":{"temp":[{"v":30}]}}`},
	{KindSubdevDPAccepted, false, KindSubdevDPPost, "sub-device: datapoints accepted", `{"id":123}`},
	{KindSubdevDPRejected, false, KindSubdevDPPost, "sub-device: datapoints rejected", `{"id":123,"err_code":98,"err_msg":"Illegal Data"}`},
	{KindSubdevCmdRequest, false, "", "sub-device: command from the platform", ""},
	{KindSubdevCmdResponse, true, KindSubdevCmdRequest, "sub-device: answer a command", ""},
	{KindSubdevCmdResponseAccepted, false, KindSubdevCmdResponse, "sub-device: command answer accepted", ""},
	{KindSubdevCmdResponseRejected, false, KindSubdevCmdResponse, "sub-device: command answer rejected", `{"err_code":99,"err_msg":"maximum payload size exceeded"}`},
}

// The shapes of the sub-device requests' params (docs/PROTOCOL.md §12).
const (
	shapeSubIdentity paramsShape = iota + 16 // {"productID","deviceName"}
	shapeSubToken                            // … and "sasToken"
	shapeNone                                // no params needed (topo/get)
	shapeSubList                             // {"subList":[{"productID","deviceName"},…]}
	shapeSubNames                            // {"productID","deviceName","params":["Id",…]}
	shapeSubObject                           // {"productID","deviceName","params":{…}}
	shapeSubInvoke                           // {"productID","deviceName","identifier","input":{…}}
)

func init() {
	for k, s := range map[Kind]paramsShape{
		KindSubLogin:         shapeSubIdentity,
		KindSubLogout:        shapeSubIdentity,
		KindSubTopoAdd:       shapeSubToken,
		KindSubTopoDelete:    shapeSubToken,
		KindSubTopoGet:       shapeNone,
		KindSubTopoChange:    shapeSubList,
		KindSubPropertyGet:   shapeSubNames,
		KindSubPropertySet:   shapeSubObject,
		KindSubServiceInvoke: shapeSubInvoke,
	} {
		thingRequests[k] = s
	}
}

// A SubDevice names a sub-device: its product id and device name.
type SubDevice struct {
	ProductID  string `json:"productID"`
	DeviceName string `json:"deviceName"`
}

// checkSubParams checks the params of a sub-device request (shapes from
// shapeSubIdentity on).
func checkSubParams(b []byte, kind Kind, shape paramsShape, params *jvalue) error {
	if shape == shapeNone {
		return nil
	}
	if params.kind != jObject {
		return (&problem{"thing.params.type", fmt.Sprintf(`is %s; for %s it is an object such as {"productID":"product1","deviceName":"device1"}`, params.kind, kind), nil}).at(b, params.start, "params")
	}
	if shape == shapeSubList {
		list := params.get("subList")
		if list == nil || list.kind != jArray {
			return (&problem{"thing.sub.list", `"subList" must be an array of {"productID","deviceName"}`, nil}).at(b, params.start, "params.subList")
		}
		for i, e := range list.elems {
			if err := checkIdentity(b, e, fmt.Sprintf("params.subList[%d]", i)); err != nil {
				return err
			}
		}
		return nil
	}
	if err := checkIdentity(b, params, "params"); err != nil {
		return err
	}
	switch shape {
	case shapeSubToken:
		if v := params.get("sasToken"); v == nil || v.kind != jString || v.str == "" {
			return (&problem{"thing.sub.token", `"sasToken" must be the sub-device's token, a string such as "version=2018-10-31&res=products%2F…"`, nil}).at(b, params.start, "params.sasToken")
		}
	case shapeSubNames:
		inner := params.get("params")
		if inner == nil || inner.kind != jArray {
			return (&problem{"thing.params.type", `"params" inside "params" must be an array of identifiers such as ["temperature"]`, nil}).at(b, params.start, "params.params")
		}
		for i, e := range inner.elems {
			if e.kind != jString {
				return (&problem{"thing.params.type", fmt.Sprintf(`is %s; an identifier is a string such as "temperature"`, describeValue(e)), []string{"index", itoa(i)}}).at(b, e.start, fmt.Sprintf("params.params[%d]", i))
			}
		}
		if len(inner.elems) > MaxSubProperties {
			return (&problem{"thing.sub.count", fmt.Sprintf("%d properties; OneNET takes at most %d in one request", len(inner.elems), MaxSubProperties), []string{"count", itoa(len(inner.elems)), "limit", itoa(MaxSubProperties)}}).at(b, inner.start, "params.params")
		}
	case shapeSubObject:
		inner := params.get("params")
		if inner == nil || inner.kind != jObject {
			return (&problem{"thing.params.type", `"params" inside "params" must be an object such as {"temperature":30.5}`, nil}).at(b, params.start, "params.params")
		}
		if len(inner.members) > MaxSubProperties {
			return (&problem{"thing.sub.count", fmt.Sprintf("%d properties; OneNET takes at most %d in one request", len(inner.members), MaxSubProperties), []string{"count", itoa(len(inner.members)), "limit", itoa(MaxSubProperties)}}).at(b, inner.start, "params.params")
		}
	case shapeSubInvoke:
		if v := params.get("identifier"); v == nil || v.kind != jString || v.str == "" {
			return (&problem{"thing.sub.identifier", `"identifier" must name the service, a string such as "reboot"`, nil}).at(b, params.start, "params.identifier")
		}
		if v := params.get("input"); v != nil && v.kind != jObject {
			return (&problem{"thing.params.type", fmt.Sprintf(`is %s; "input" must be an object`, describeValue(v)), nil}).at(b, v.start, "params.input")
		}
	}
	return nil
}

// checkIdentity checks {"productID":…,"deviceName":…} at path.
func checkIdentity(b []byte, v *jvalue, path string) error {
	if v.kind != jObject {
		return (&problem{"thing.sub.identity", fmt.Sprintf(`is %s; a sub-device is {"productID":"product1","deviceName":"device1"}`, describeValue(v)), nil}).at(b, v.start, path)
	}
	for _, name := range []string{"productID", "deviceName"} {
		m := v.get(name)
		if m == nil || m.kind != jString || checkName("deviceName", m.str) != nil {
			return (&problem{"thing.sub.identity", fmt.Sprintf(`"%s" must be a non-empty string without '/', '+', '#' or control characters`, name), []string{"member", name}}).at(b, v.start, path+"."+name)
		}
	}
	return nil
}

// SubDeviceOf reads the sub-device a gateway's thing/sub/ request names in
// "params" ({"productID","deviceName",…}), after ParseThingRequest accepted
// it. ok is false for a request that names none.
func SubDeviceOf(req *ThingRequest) (sd SubDevice, ok bool) {
	root, err := parseJSON(req.Params)
	if err != nil || root.kind != jObject {
		return sd, false
	}
	p, d := root.get("productID"), root.get("deviceName")
	if p == nil || d == nil || p.kind != jString || d.kind != jString {
		return sd, false
	}
	return SubDevice{p.str, d.str}, true
}

// IsSubdev reports whether k is one of the MQTT kit's $subdev kinds.
func (k Kind) IsSubdev() bool { return k.Valid() && strings.HasPrefix(string(k), SubdevPrefix) }

// checkSubdevLoginPayload is the limits page's rule: a $subdev login or
// logout carries no payload (docs/PROTOCOL.md §12).
func checkSubdevLoginPayload(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	return newErr("payload", "subdev.payload", fmt.Sprintf("%d bytes: a sub-device login or logout must have an empty payload; OneNET rejects it otherwise", len(b)),
		kv("size", itoa(len(b))))
}

// subdevTopic checks the "$subdev/{pid}/{device}/" part of a topic or
// filter a gateway uses for one of its sub-devices; field is "topic" or
// "filter". Whether the sub-device belongs to the gateway is the platform's
// business, not this package's.
func subdevTopic(field, s string) error {
	levels := strings.Split(s, "/")
	if len(levels) < 4 || levels[1] == "" || levels[2] == "" {
		return newErr(field, field+".foreign", fmt.Sprintf("%q is not a sub-device topic: it must start with $subdev/{pid}/{device}/", s), kv(field, s, "prefix", SubdevPrefix+"{pid}/{device}/"))
	}
	for i, what := range []string{"productId", "deviceName"} {
		if err := checkName(what, levels[i+1]); err != nil {
			e := err.(*Error)
			e.Field = field
			return e
		}
	}
	return nil
}

// checkSubdevPayload is CheckPayload for the $subdev kinds: a login or
// logout is empty, the others are checked as their $sys counterparts.
func checkSubdevPayload(kind Kind, b []byte) error {
	switch kind {
	case KindSubdevLogin, KindSubdevLogout:
		return checkSubdevLoginPayload(b)
	case KindSubdevLoginAccepted, KindSubdevLogoutAccepted, KindSubdevLogoutNotify, KindSubdevLoginRejected, KindSubdevLogoutRejected:
		if len(b) == 0 {
			return nil
		}
		return CheckJSON(b)
	}
	return CheckPayload(Kind(strings.TrimPrefix(string(kind), SubdevPrefix)), b)
}
