// Package onenet describes the device side of China Mobile's OneNET IoT
// platform over MQTT as plain Go: its endpoints, its topics, the rules it
// enforces and the payloads it accepts, so that a page or a test can tell a
// user what OneNET would do before it does it.
//
// The facts come from docs/PROTOCOL.md, which collects OneNET's
// documentation, its C SDK and published examples; code comments cite its
// sections:
//
//   - §2 endpoints: Endpoints, IsOneNETHost. OneNET has no MQTT over WebSocket.
//   - §3 connecting: CheckConnect, ConnackMessage, ReasonMessage.
//   - §4 topics and payloads: Kind, Kinds, Topic, ParseTopic, CheckPayload,
//     CheckJSON, ParseDPPost, BuildDPPost, DPReply, ParseThingRequest,
//     ParseThingReply.
//   - the thing model (docs/PROTOCOL.md §9): ParseThingModel,
//     DataType.CheckValue, ThingModel.CheckRequest, CheckReply,
//     ExampleRequest.
//   - §11 OTA: KindOTAInform, KindOTAInformReply, OTACodeAccepted.
//   - §12 gateways and sub-devices: the thing/sub/ kinds (KindSubLogin, …),
//     the MQTT kit's $subdev kinds (KindSubdevLogin, …, Kind.IsSubdev),
//     SubDeviceOf and the limits MaxSubdevsPerGateway, MaxTopoPerGateway,
//     MaxSubProperties.
//   - §5 rules: CheckPublishTopic, CheckFilter, CheckPublish and the limits
//     MaxPayload, MaxFilterLen, MaxTopicLevels, MaxFiltersPerSubscribe,
//     MinKeepAlive, MaxKeepAlive.
//
// The package reads no clock, draws no random numbers and keeps no state;
// it builds and behaves the same natively and under GOOS=js GOARCH=wasm.
// Bad input never makes it panic.
//
// # Errors and warnings
//
// Every validation failure is an *Error. Its Field names the input at fault
// ("topic", "filter", "payload", "productId", …), its Code is one of the
// stable identifiers below, its Msg is English and its Params hold the values
// in Msg, so a page can render its own translation. A payload that is not
// JSON wraps a *SyntaxError with the 1-based line and column of the
// offending byte. Advice that is not an input error (what OneNET would do
// with a CONNECT or a PUBLISH) is a Warning, with a Code from the same list.
//
// Error codes, by Field:
//
// "kind":
//
//	kind.unknown          Topic: not a documented Kind
//	kind.mismatch         ParseThingRequest: the Kind is not a thing-model request
//
// "productId", "deviceName", "cmdId", "identifier" (Params["name"] is the field):
//
//	name.empty            empty
//	name.utf8             not valid UTF-8
//	name.char             holds '/', '+', '#' or a control character
//
// "topic":
//
//	topic.empty           empty
//	topic.length          longer than MQTT's 65535 bytes
//	topic.utf8            not valid UTF-8
//	topic.nul             holds NUL
//	topic.control         holds another control character (U+0001…U+001F, U+007F…U+009F)
//	topic.wildcard        holds '+' or '#' (a topic name, not a filter)
//	topic.levels          more than MaxTopicLevels levels
//	topic.level.empty     an empty level (leading, trailing or doubled '/')
//	topic.chars           a character outside [A-Za-z0-9/_-] after the leading '$'
//	topic.foreign         outside the device's own $sys/{pid}/{device}/ tree
//	topic.prefix          ParseTopic: does not start with $sys/{pid}/{device}/ (or $subdev/{pid}/{device}/)
//	topic.unknown         ParseTopic: not a documented topic under $sys/{pid}/{device}/
//
// "filter":
//
//	filter.empty          empty
//	filter.length         longer than MaxFilterLen bytes
//	filter.utf8           not valid UTF-8
//	filter.nul            holds NUL
//	filter.control        holds another control character
//	filter.chars          a character outside [A-Za-z0-9/+#_-] after the leading '$'
//	filter.syntax         a wildcard that is not a whole level, or '#' not last
//	filter.levels         more than MaxTopicLevels levels
//	filter.wildcard       a wildcard in the first three levels
//	filter.level.empty    an empty level
//	filter.foreign        outside the device's own $sys/{pid}/{device}/ tree
//
// "payload" (Params of the dp., thing. and image. codes hold "path" and the
// "line", "column" and byte "offset" of the value at fault):
//
//	payload.empty         empty or only white space where JSON is needed
//	payload.syntax        not JSON; Params "line", "column", "offset", "detail"
//	payload.type          not a JSON object
//	payload.size          too large for the topic; Params "size", "limit"
//	dp.id.missing         dp/post/json: no "id"
//	dp.id.type            "id" is not an integer
//	dp.id.range           "id" is outside 1…2147483647
//	dp.missing            no "dp"
//	dp.type               "dp" is not an object
//	dp.empty              "dp" has no datastreams
//	dp.stream.name        a datastream id is empty or holds a character outside [A-Za-z0-9_.]
//	dp.stream.length      a datastream id is longer than MaxStreamIDLen bytes
//	dp.stream.duplicate   a datastream appears twice
//	dp.stream.type        a datastream is not an array
//	dp.stream.empty       a datastream has no datapoints
//	dp.point.type         a datapoint is not an object
//	dp.v.missing          a datapoint has no "v"
//	dp.v.type             "v" is an array, true, false or null
//	dp.v.depth            "v" is nested more than MaxDPValueDepth levels
//	dp.t.type             "t" is not an integer
//	dp.t.ms               "t" looks like milliseconds (13 digits)
//	dp.t.range            "t" is not a positive Unix time
//	thing.id.missing      Studio: no "id"
//	thing.id.type         "id" is not a string
//	thing.id.format       "id" is not 1 to 13 digits
//	thing.version.type    "version" is not a string
//	thing.params.missing  no "params"
//	thing.params.type     "params" has the wrong shape for the topic
//	thing.property.type   a property in "params" is not an object
//	thing.value.missing   a property has no "value"
//	thing.time.type       "time" is not an integer
//	thing.time.seconds    "time" looks like seconds (10 digits)
//	thing.time.range      "time" is not a Unix time in milliseconds
//	thing.code.missing    reply: no "code"
//	thing.code.type       "code" is not an integer
//	thing.msg.type        "msg" is not a string
//	thing.sub.identity    a sub-device's "productID" or "deviceName" is missing or unusable
//	thing.sub.token       topo/add or topo/delete: no "sasToken"
//	thing.sub.list        topo/change: "subList" is not an array
//	thing.sub.count       sub/property/get or set: more than MaxSubProperties properties
//	thing.sub.identifier  sub/service/invoke: no "identifier"
//	subdev.payload        $subdev login or logout: a payload where none is allowed
//	image.state.missing   image/update: no "state"
//	image.state.type      "state", "desired" or "reported" is not an object
//	thing.pack.devices    pack/post, history/post: more than MaxPackDevices entries
//	thing.pack.points     more than MaxPackPoints points in an entry or a history feature
//
// ThingModel.CheckRequest and CheckReply add, with Params "identifier":
//
//	tm.identifier.unknown a property, event or service the model does not have
//	tm.access.readonly    property/set of a read-only property
//	tm.param.unknown      a parameter the event or service does not have
//
// and the value codes below. "value" (DataType.CheckValue; Params
// "identifier" and "path", e.g. location.lng or readings[2]):
//
//	tm.value.type         the wrong JSON type for the data type
//	tm.value.range        outside min…max or the data type's own range
//	tm.value.step         not min plus a multiple of the step
//	tm.value.enum         not one of the enum's values
//	tm.value.bitmap       a bit beyond the bitMap's length, or a bit it does not name
//	tm.value.seconds      a date that looks like seconds (it is milliseconds)
//	tm.value.length       a string longer than its length
//	tm.value.size         an array with more elements than its length
//	tm.value.member       a struct member the struct does not have
//
// "model" (ParseThingModel; Params "path", e.g. properties[3].dataType.specs.max):
//
//	model.size            the file is larger than MaxModelSize
//	model.type            a member has the wrong JSON type
//	model.missing         a required member is missing
//	model.identifier      an identifier is empty, too long or holds a character outside [A-Za-z0-9_]
//	model.duplicate       an identifier, enum value or bit appears twice
//	model.features        more than MaxFeatures properties, events and services
//	model.params          more than MaxModelParams parameters or members
//	model.access          accessMode is neither r nor rw
//	model.eventType       eventType is not info, alert or error
//	model.callType        callType is neither sync nor async
//	model.datatype        not a data type of the thing model
//	model.specs           a spec that is not a number, a length, a key, or min above max
//	model.nesting         an array or struct where the thing model allows neither
//
// BuildDPPost: "id" (dp.id.range), "stream" (dp.empty, dp.stream.name,
// dp.stream.length), "t" (dp.t.ms, dp.t.range) and "value", with Params
// "row":
//
//	value.empty           the value is empty
//	value.syntax          the value starts with '{', '[' or '"' but is not JSON
//	                      (dp.v.type and dp.v.depth also apply)
//
// A payload that is not JSON (payload.syntax, payload.empty, value.syntax)
// also has, in Params "syntax", the Code of its *SyntaxError, listed under
// "JSON syntax codes" below, and that error's Params ("char", "key", "word",
// "limit").
//
// Warning codes (CheckConnect, CheckPublish), besides the topic. and name.
// codes of a topic CheckPublish finds wrong:
//
//	connect.protocol      not MQTT 3.1.1 (protocol level 4)
//	connect.clientId      empty client id (it must be the device name)
//	connect.username      empty username (it must be the product id)
//	connect.keepAlive     keep-alive outside [MinKeepAlive, MaxKeepAlive]
//	connect.cleanSession  clean session off
//	connect.will          a will message
//	connect.username.number  the username is not a number, for an MQTT-kit endpoint
//	publish.qos           QoS 2 (or more)
//	publish.retain        the retain flag
//	publish.size          a payload over MaxPayload
//	cmd.response.size     a command response of 1 KB or more (OneNET's error 99)
//	publish.downlink      a topic OneNET publishes to the device, not the device to OneNET
//
// # JSON syntax codes
//
// A *SyntaxError's Code says what is wrong; Params "char" names the
// offending character ('x', '中' (U+4E2D), U+0001, 0xFF, or "" at the end of
// the input):
//
//   - empty: no JSON value at all
//   - space: only white space
//   - comment: a // or /* comment
//   - end: more after the end of the value; Params "char"
//   - value.eof: the input ends where a value should be
//   - value.missing: '}' or ']' where a value should be; Params "char"
//   - value.unexpected: another character where a value should be; Params "char"
//   - string.quote: a string in single quotes
//   - string.eof: the closing '"' is missing
//   - string.newline: a line break inside a string; Params "char"
//   - string.tab: a tab inside a string; Params "char"
//   - string.return: a carriage return inside a string; Params "char"
//   - string.control: another control character inside a string; Params "char"
//   - string.utf8: a byte that is not UTF-8 inside a string; Params "char"
//   - escape.eof: the input ends inside an escape
//   - escape.invalid: an escape other than \" \\ \/ \b \f \n \r \t \uXXXX; Params "char"
//   - escape.unicode: a \u escape without four hex digits
//   - literal: starts like true, false or null but is not (e.g. tru); Params "word"
//   - literal.word: true, false or null followed by letters; Params "word"
//   - number.start: a leading '+' or '.', NaN or Infinity
//   - number.zero: a leading zero
//   - number.minus: no digit after '-'
//   - number.fraction: no digit after the decimal point
//   - number.exponent: no digit in the exponent
//   - number.letter: letters in a number; Params "char"
//   - object.eof: the input ends inside an object
//   - object.trailing: a comma before '}'
//   - object.key: a key not in double quotes; Params "char"
//   - object.key.quote: a key in single quotes
//   - object.colon: no ':' after a key; Params "char", "key"
//   - object.comma: no ',' or '}' after a member; Params "char"
//   - array.eof: the input ends inside an array
//   - array.trailing: a comma before ']'
//   - array.comma: no ',' or ']' after an element; Params "char"
//   - depth: nested deeper than the parser allows; Params "limit"
package onenet
