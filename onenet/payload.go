package onenet

import "fmt"

// CheckPayload checks a payload for a topic of the given kind
// (docs/PROTOCOL.md §4 and §5). Any payload over MaxPayload is an
// error (OneNET disconnects the device). Then:
//
//   - dp/post/json: ParseDPPost;
//   - thing-model requests (property/post, property/set, …): ParseThingRequest;
//   - thing-model replies (…/reply, …_reply): ParseThingReply;
//   - image/update: an object with a "state" object whose "desired" and
//     "reported", when present, are objects (or null);
//   - image/get and the shadow's replies: empty, or JSON;
//   - cmd/request, cmd/response and their replies: opaque bytes, so only their
//     size is checked (a command at most MaxCmdRequest bytes, a response at
//     most MaxCmdResponse);
//   - every other kind, including an unknown one: CheckJSON.
//
// Every error is an *Error with Field "payload".
func CheckPayload(kind Kind, b []byte) error {
	if len(b) > MaxPayload {
		return sizeErr(len(b), MaxPayload, "OneNET disconnects a device that publishes more than 256 KB")
	}
	if kind.IsSubdev() {
		return checkSubdevPayload(kind, b) // subdev.go
	}
	switch kind {
	case KindDPPost:
		_, err := ParseDPPost(b)
		return err
	case KindCmdRequest:
		if len(b) > MaxCmdRequest {
			return sizeErr(len(b), MaxCmdRequest, "OneNET sends commands under 1 KB")
		}
		return nil
	case KindCmdResponse:
		if len(b) > MaxCmdResponse {
			return sizeErr(len(b), MaxCmdResponse, "OneNET takes a command response under 1 KB")
		}
		return nil
	case KindCmdResponseAccepted, KindCmdResponseRejected:
		return nil
	case KindImageUpdate:
		return checkImage(b)
	case KindImageGet, KindImageGetAccepted, KindImageGetRejected, KindImageUpdateAccepted, KindImageUpdateRejected, KindImageUpdateDelta:
		if len(b) == 0 {
			return nil
		}
		return CheckJSON(b)
	}
	if _, ok := thingRequests[kind]; ok {
		_, err := ParseThingRequest(kind, b)
		return err
	}
	if kind.Studio() && kind.ReplyTo() != "" {
		_, err := ParseThingReply(b)
		return err
	}
	return CheckJSON(b)
}

func sizeErr(n, limit int, why string) *Error {
	return newErr("payload", "payload.size", fmt.Sprintf("%d bytes is too large: %s (%d bytes)", n, why, limit),
		kv("size", itoa(n), "limit", itoa(limit)))
}

// checkImage checks a device shadow update: {"state":{"desired":{…},"reported":{…}}}.
func checkImage(b []byte) error {
	root, err := parseJSON(b)
	if err != nil {
		return err
	}
	if root.kind != jObject {
		return (&problem{"payload.type", fmt.Sprintf(`the payload is %s; it must be an object such as {"state":{"reported":{"temp":30}}}`, root.kind), nil}).at(b, root.start, "")
	}
	state := root.get("state")
	switch {
	case state == nil:
		return (&problem{"image.state.missing", `"state" is missing: a shadow update is {"state":{"reported":{…}}}`, nil}).at(b, root.start, "")
	case state.kind != jObject:
		return (&problem{"image.state.type", fmt.Sprintf(`is %s; it must be an object such as {"reported":{"temp":30}}`, state.kind), nil}).at(b, state.start, "state")
	}
	for _, name := range []string{"desired", "reported"} {
		if v := state.get(name); v != nil && v.kind != jObject && v.kind != jNull {
			return (&problem{"image.state.type", fmt.Sprintf("is %s; it must be an object", v.kind), []string{"section", name}}).at(b, v.start, "state."+name)
		}
	}
	return nil
}
