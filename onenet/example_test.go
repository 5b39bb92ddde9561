package onenet_test

import (
	"errors"
	"fmt"

	"github.com/onenet-wasm/onenet-wasm/onenet"
)

func ExampleTopic() {
	t, err := onenet.Topic(onenet.KindDPPost, onenet.TopicArgs{ProductID: "469948", DeviceName: "Chic_D"})
	fmt.Println(t, err)
	t, err = onenet.Topic(onenet.KindCmdResponse, onenet.TopicArgs{ProductID: "469948", DeviceName: "Chic_D"})
	fmt.Println(t, err)
	// Output:
	// $sys/469948/Chic_D/dp/post/json <nil>
	//  onenet: cmdId: empty: give the command id
}

func ExampleParseTopic() {
	info, err := onenet.ParseTopic("$sys/469948/Chic_D/cmd/request/8b3c4a1e")
	fmt.Printf("%s %s %s %s %v\n", info.Kind, info.ProductID, info.DeviceName, info.CmdID, err)
	fmt.Println(info.Kind.Direction(), info.Kind.Replies())
	// Output:
	// cmd/request/{cmdid} 469948 Chic_D 8b3c4a1e <nil>
	// down [cmd/response/{cmdid}]
}

// The seed document's example payload has trailing commas.
func ExampleCheckJSON() {
	payload := `{
    "id": 123,
    "dp": {
        "temperatrue": [{
            "v": 30,
        }],
        "power": [{
            "v": 4.5,
        }]
    }
}`
	err := onenet.CheckJSON([]byte(payload))
	fmt.Println(err)
	var e *onenet.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code, e.Params["line"], e.Params["column"])
	}
	var se *onenet.SyntaxError
	if errors.As(err, &se) {
		fmt.Println(se.Offset, payload[se.Offset:se.Offset+1])
	}
	// Output:
	// onenet: payload: line 5, column 20: trailing comma before '}': remove the comma after the last member
	// payload.syntax 5 20
	// 74 ,
}

func ExampleParseDPPost() {
	post, err := onenet.ParseDPPost([]byte(`{"id":123,"dp":{"temp":[{"v":30,"t":1552289676}],"power":[{"v":4.5}]}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range post.Order {
		for _, p := range post.Streams[name] {
			fmt.Println(post.ID, name, string(p.V), p.T)
		}
	}
	_, err = onenet.ParseDPPost([]byte(`{"id":124,"dp":{"temp":[{"v":30,"t":1552289676000}]}}`))
	fmt.Println(err)
	// Output:
	// 123 temp 30 1552289676
	// 123 power 4.5 0
	// onenet: payload: dp.temp[0].t: 1552289676000 looks like milliseconds: give Unix seconds (1552289676) (line 1, column 37)
}

func ExampleBuildDPPost() {
	b, err := onenet.BuildDPPost(1, []onenet.Row{
		{Stream: "temperature", Value: "30"},
		{Stream: "power", Value: "4.5", T: 1552289676},
		{Stream: "switch", Value: "on"},
		{Stream: "gps", Value: `{"lon": 116.3, "lat": 39.9}`},
	})
	fmt.Println(string(b), err)
	// Output:
	// {"id":1,"dp":{"temperature":[{"v":30}],"power":[{"v":4.5,"t":1552289676}],"switch":[{"v":"on"}],"gps":[{"v":{"lon":116.3,"lat":39.9}}]}} <nil>
}

func ExampleDPReply() {
	kind, reply, err := onenet.DPReply([]byte(`{"id":7,"dp":{"temp":[{"v":true}]}}`))
	fmt.Println(kind, string(reply))
	fmt.Println(err)
	// Output:
	// dp/post/json/rejected {"id":7,"err_code":98,"err_msg":"Illegal Data"}
	// onenet: payload: dp.temp[0].v: is a boolean; a value is a number, a string or an object (write "true" in quotes to send it as text) (line 1, column 28)
}

func ExampleCheckFilter() {
	for _, f := range []string{"$sys/469948/Chic_D/dp/post/json/+", "$sys/469948/#", "$sys/469948/Other/#"} {
		fmt.Println(onenet.CheckFilter(f, "469948", "Chic_D"))
	}
	// Output:
	// <nil>
	// onenet: filter: "$sys/469948/#" has a wildcard at level 3: OneNET allows wildcards only from level 4, after $sys/{pid}/{device}/
	// onenet: filter: "$sys/469948/Other/#" is outside the device's own tree $sys/469948/Chic_D/…: a device may subscribe only there
}

func ExampleCheckPublish() {
	for _, w := range onenet.CheckPublish(onenet.PublishPlan{
		Topic: "$sys/469948/Chic_D/dp/post/json", ProductID: "469948", DeviceName: "Chic_D",
		QoS: 2, Retain: true, PayloadLen: 100,
	}) {
		fmt.Println(w.Code, w)
	}
	// Output:
	// publish.qos OneNET would disconnect the device: it does not support QoS 2; use QoS 0 or 1
	// publish.retain OneNET would disconnect the device: it does not accept retained messages; clear the retain flag
}

func ExampleCheckConnect() {
	// The seed's QuecPython client: keepalive=30, clean session, no will.
	w := onenet.CheckConnect(onenet.ConnectPlan{ClientID: "Chic_D", Username: "469948", KeepAlive: 30, CleanSession: true, ProtocolLevel: 4})
	fmt.Println(len(w))
	w = onenet.CheckConnect(onenet.ConnectPlan{ClientID: "Chic_D", Username: "469948", KeepAlive: 3600, CleanSession: true, ProtocolLevel: 5})
	for _, w := range w {
		fmt.Println(w.Field, w)
	}
	// Output:
	// 0
	// protocolLevel OneNET would refuse the login (CONNACK 1): it speaks MQTT 3.1.1 (protocol level 4) only, not MQTT 5
	// keepAlive OneNET would close the connection without answering: a keep-alive of 3600 s is outside [10, 1800] s
}

func ExampleConnackMessage() {
	fmt.Println(onenet.ConnackMessage(4))
	fmt.Println(onenet.ReasonMessage(1104))
	// Output:
	// login refused (CONNACK 4): the token does not match this product id and device name, or has expired
	// the token has expired: generate one with a later et (Unix seconds) (OneNET log code 1104)
}

func ExampleEndpoints() {
	for _, e := range onenet.Endpoints() {
		fmt.Println(e.Name, e.Addr(), e.TLS, e.Studio)
	}
	fmt.Println(onenet.IsOneNETHost("mqtts.heclouds.com:1883"), onenet.IsOneNETHost("broker.emqx.io"))
	// Output:
	// iot-kit mqtts.heclouds.com:1883 false false
	// iot-kit-tls mqttstls.heclouds.com:8883 true false
	// studio studio-mqtt.heclouds.com:1883 false true
	// studio-tls studio-mqtts.heclouds.com:8883 true true
	// true false
}

func ExampleParseThingRequest() {
	req, err := onenet.ParseThingRequest(onenet.KindPropertyPost, []byte(`{"id":"123","version":"1.0","params":{"Power":{"value":"on","time":1524448722123}}}`))
	fmt.Println(req.ID, req.Version, string(req.Params), err)
	_, err = onenet.ParseThingRequest(onenet.KindPropertyPost, []byte(`{"id":"124","version":"1.0","params":{"Power":{"value":"on","time":1524448722}}}`))
	fmt.Println(err)
	fmt.Println(string(onenet.ThingReplyJSON("123", 200, "success")))
	// Output:
	// 123 1.0 {"Power":{"value":"on","time":1524448722123}} <nil>
	// onenet: payload: params.Power.time: 1524448722 looks like seconds: give Unix milliseconds (1524448722000) (line 1, column 68)
	// {"id":"123","code":200,"msg":"success"}
}
