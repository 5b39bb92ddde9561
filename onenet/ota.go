package onenet

// OTA over MQTT (docs/PROTOCOL.md §11). OneNET's device SDK defines two
// topics under the device's own tree: the platform announces an upgrade on
// ota/inform, a OneJSON request whose "params" the SDK hands to the device's
// callback unread, and the device answers on ota/inform_reply with
// {"id":…,"code":200} when it accepts and code 100 when it does not.
const (
	KindOTAInform      Kind = "ota/inform"       // the platform announces a firmware upgrade
	KindOTAInformReply Kind = "ota/inform_reply" // the device accepts (200) or declines it
)

// The "code" of an ota/inform_reply, as OneNET's device SDK sends it
// (docs/PROTOCOL.md §11).
const (
	OTACodeAccepted = 200 // the device takes the upgrade
	OTACodeDeclined = 100 // the device's upgrade callback failed
)

var otaKinds = []kindInfo{
	{KindOTAInform, false, "", "firmware upgrade announced (from the platform)", `{"id":"123","version":"1.0","params":{"targetVersion":"1.2.0"}}`},
	{KindOTAInformReply, true, KindOTAInform, "answer a firmware upgrade", `{"id":"123","code":200,"msg":"success"}`},
}

func init() {
	// params of ota/inform: an object, not checked further (the SDK does not
	// read it).
	thingRequests[KindOTAInform] = shapeObject
}
