package devcode

// The programs (in the template language of render.go). Each one logs in as
// the device, subscribes to the replies of the topic, publishes the message
// and prints the first reply (or, for a topic nothing answers, ends once the
// message is sent).
var programs = map[string]string{
	Mosquitto: `#!/bin/sh
# OneNET device {{comment deviceName}} of product {{comment productId}} with Debian's
# mosquitto-clients: publish, wait for the platform's answer, or listen.
{{if includeKey}}
#
{{warnHash}}
#
# The token is made at every run by onenet-token (this project's command),
# valid for {{ttlHours}} hours.
ONENET_ACCESS_KEY={{sh key}}
export ONENET_ACCESS_KEY
TOKEN=$(onenet-token -res {{sh res}} -method {{method}} -version {{tokenVersion}} -ttl {{ttlHours}}h) || exit 1
{{else}}
#
# The token expires {{etDate}} (et={{et}}); then make a new one
# (onenet-token, or the page) and put it here.
TOKEN={{sh token}}
{{end}}
HOST={{sh host}}
PORT={{port}}
{{if tls}}
# OneNET's CA certificate (from OneNET's documentation), beside this file.
TLS="--cafile {{caFile}}"
{{else}}
TLS=
{{end}}

{{if replies}}
# Publish and print the platform's answer on {{reply0}}
# (mosquitto_rr waits for one reply topic; a rejection comes on the other
# reply topic: listen with mosquitto_sub, below, to see it).
# shellcheck disable=SC2086
mosquitto_rr -h "$HOST" -p "$PORT" $TLS -V mqttv311 -i {{sh clientId}} -u {{sh username}} -P "$TOKEN" -k {{keepAlive}} \
  -q {{qos}} -t {{sh topic}} -e {{sh reply0}} -W 30 \
  -m {{sh payload}}
{{else}}
# Publish.
# shellcheck disable=SC2086
mosquitto_pub -h "$HOST" -p "$PORT" $TLS -V mqttv311 -i {{sh clientId}} -u {{sh username}} -P "$TOKEN" -k {{keepAlive}} \
  -q {{qos}} -t {{sh topic}} -m {{sh payload}}
{{end}}

# OneNET allows one connection per device: each command below logs in as
# the device and takes over from any other connection of it.
#
# Publish only:
# mosquitto_pub -h "$HOST" -p "$PORT" $TLS -V mqttv311 -i {{sh clientId}} -u {{sh username}} -P "$TOKEN" -k {{keepAlive}} -q {{qos}} -t {{sh topic}} -m {{sh payload}}
#
# Listen as the device (its replies and commands), until Ctrl-C:
# mosquitto_sub -h "$HOST" -p "$PORT" $TLS -V mqttv311 -i {{sh clientId}} -u {{sh username}} -P "$TOKEN" -k {{keepAlive}} -v{{shsubs replies}} -t {{sh cmdFilter}}
`,
	Python: `#!/usr/bin/env python3
"""OneNET device {{comment deviceName}} of product {{comment productId}} with paho-mqtt
(pip install paho-mqtt, or Debian's python3-paho-mqtt; 1.x and 2.x work).

Logs in, subscribes to the replies, publishes once and prints the answer.
{{if includeKey}}

{{warnPlain}}
{{else}}

The token expires {{etDate}} (et={{et}}); then make a new one.
{{end}}
"""
import base64
import hmac
import sys
import threading
import time
from urllib.parse import quote

import paho.mqtt.client as mqtt

HOST = {{js host}}
PORT = {{port}}
CLIENT_ID = {{js clientId}}
USERNAME = {{js username}}
KEEPALIVE = {{keepAlive}}
TOPIC = {{js topic}}
PAYLOAD = {{js payload}}
QOS = {{qos}}
REPLIES = [{{jslist replies}}]
{{if includeKey}}

ACCESS_KEY = {{js key}}
RES = {{js res}}
METHOD = {{js method}}
VERSION = {{js tokenVersion}}
TTL = {{ttl}}  # seconds


def make_token():
    """The OneNET token: the sign is HMAC-METHOD of et, method, res and
    version, with the base64-decoded access key."""
    et = str(int(time.time()) + TTL)
    msg = "\n".join([et, METHOD, RES, VERSION]).encode()
    sign = base64.b64encode(hmac.new(base64.b64decode(ACCESS_KEY), msg, METHOD).digest()).decode()
    return "version=%s&res=%s&et=%s&method=%s&sign=%s" % (
        VERSION, quote(RES, safe=""), et, METHOD, quote(sign, safe=""))


PASSWORD = make_token()
{{else}}

# Expires {{etDate}}.
PASSWORD = {{js token}}
{{end}}

answered = threading.Event()
result = {"code": 1}


def on_connect(client, userdata, flags, rc, properties=None):
    rc = int(getattr(rc, "value", rc))
    if rc != 0:
        print("login refused: CONNACK %d (4: bad token or user name, 5: not authorised)" % rc, file=sys.stderr)
        answered.set()
        return
    for topic in REPLIES:
        client.subscribe(topic, 0)
    info = client.publish(TOPIC, PAYLOAD, qos=QOS)
    if not REPLIES:
        info.wait_for_publish()
        print("published to %s" % TOPIC)
        result["code"] = 0
        answered.set()


def on_message(client, userdata, msg):
    print("%s %s" % (msg.topic, msg.payload.decode("utf-8", "replace")))
    result["code"] = 1 if msg.topic.endswith("/rejected") else 0
    answered.set()


try:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=CLIENT_ID, protocol=mqtt.MQTTv311)
except AttributeError:  # paho-mqtt 1.x
    client = mqtt.Client(client_id=CLIENT_ID, protocol=mqtt.MQTTv311)
client.username_pw_set(USERNAME, PASSWORD)
{{if tls}}
client.tls_set(ca_certs={{js caFile}})  # OneNET's CA certificate
{{end}}
client.on_connect = on_connect
client.on_message = on_message
client.connect(HOST, PORT, keepalive=KEEPALIVE)
client.loop_start()
if not answered.wait(30):
    print("no answer in 30 s", file=sys.stderr)
client.disconnect()
client.loop_stop()
sys.exit(result["code"])
`,
	Node: `#!/usr/bin/env node
// OneNET device {{comment deviceName}} of product {{comment productId}} with mqtt.js
// (npm install mqtt). Logs in, subscribes to the replies, publishes once
// and prints the answer.
{{if includeKey}}
//
{{warnSlash}}
{{else}}
//
// The token expires {{etDate}} (et={{et}}); then make a new one.
{{end}}
"use strict";
const crypto = require("node:crypto");
{{if tls}}
const fs = require("node:fs");
{{end}}
const mqtt = require("mqtt");

const HOST = {{js host}};
const PORT = {{port}};
const CLIENT_ID = {{js clientId}};
const USERNAME = {{js username}};
const KEEPALIVE = {{keepAlive}};
const TOPIC = {{js topic}};
const PAYLOAD = {{js payload}};
const QOS = {{qos}};
const REPLIES = [{{jslist replies}}];
{{if includeKey}}

const ACCESS_KEY = {{js key}};
const RES = {{js res}};
const METHOD = {{js method}};
const VERSION = {{js tokenVersion}};
const TTL = {{ttl}}; // seconds

// Like Python's urllib.parse.quote(s, safe=""), as OneNET's reference code.
const quote = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());

// The OneNET token: the sign is HMAC-METHOD of et, method, res and version,
// with the base64-decoded access key.
function makeToken() {
  const et = Math.floor(Date.now() / 1000) + TTL;
  const sign = crypto.createHmac(METHOD, Buffer.from(ACCESS_KEY, "base64")).update([et, METHOD, RES, VERSION].join("\n")).digest("base64");
  return "version=" + VERSION + "&res=" + quote(RES) + "&et=" + et + "&method=" + METHOD + "&sign=" + quote(sign);
}
const PASSWORD = makeToken();
{{else}}

// Expires {{etDate}}.
const PASSWORD = {{js token}};
void crypto;
{{end}}

const client = mqtt.connect({
  protocol: {{if tls}}"mqtts"{{else}}"mqtt"{{end}},
  host: HOST,
  port: PORT,
{{if tls}}
  ca: fs.readFileSync({{js caFile}}), // OneNET's CA certificate
{{end}}
  clientId: CLIENT_ID,
  username: USERNAME,
  password: PASSWORD,
  keepalive: KEEPALIVE,
  protocolVersion: 4,
  clean: true,
  reconnectPeriod: 0,
});

const done = (code) => {
  clearTimeout(timer);
  client.end(false, {}, () => process.exit(code));
};
const timer = setTimeout(() => {
  console.error("no answer in 30 s");
  done(1);
}, 30000);

client.on("connect", async () => {
  try {
    if (REPLIES.length) await client.subscribeAsync(REPLIES, { qos: 0 });
    await client.publishAsync(TOPIC, PAYLOAD, { qos: QOS });
    if (!REPLIES.length) {
      console.log("published to " + TOPIC);
      done(0);
    }
  } catch (e) {
    console.error(e.message);
    done(1);
  }
});
client.on("message", (topic, payload) => {
  console.log(topic + " " + payload.toString());
  done(topic.endsWith("/rejected") ? 1 : 0);
});
client.on("error", (e) => {
  console.error("login failed: " + e.message + " (CONNACK 4: bad token or user name, 5: not authorised)");
  done(1);
});
`,
	QuecPython: `# OneNET device {{comment deviceName}} of product {{comment productId}} for QuecPython (umqtt).
# Download it to the module (QPYcom) and run it: it logs in, subscribes to
# the replies, publishes once and prints the answer.
{{if includeKey}}
#
{{warnHash}}
{{else}}
#
# The token expires {{etDate}} (et={{et}}); then make a new one.
{{end}}
from umqtt import MQTTClient
{{if includeKey}}
import ubinascii
import uhashlib
{{end}}

SERVER = {{js host}}
PORT = {{port}}
CLIENT_ID = {{js clientId}}
USER = {{js username}}
# OneNET disconnects a device whose keepalive it does not accept.
KEEPALIVE = {{keepAlive}}
PUB_TOPIC = {{js topic}}
# The platform answers here; OneNET sends the answers only to a device that
# subscribed to them.
SUB_TOPICS = [{{jslist replies}}]
# Valid JSON (no trailing commas): OneNET rejects anything else.
PAYLOAD = {{js payload}}
QOS = {{qos}}
{{if includeKey}}

ACCESS_KEY = {{js key}}
RES = {{js res}}
METHOD = {{js method}}  # uhashlib must have it (sha256 and sha1 usually; md5 not always)
VERSION = {{js tokenVersion}}
# A fixed expiry: the module's clock may not be set when the script starts.
ET = {{et}}  # {{etDate}}

_SAFE = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~"


def _quote(s):
    out = []
    for c in s.encode():
        out.append(chr(c) if c in _SAFE else "%%%02X" % c)
    return "".join(out)


def _hmac(key, msg):
    h = getattr(uhashlib, METHOD)
    if len(key) > 64:
        key = h(key).digest()
    key = key + bytes(64 - len(key))
    inner = h(bytes([b ^ 0x36 for b in key]) + msg).digest()
    return h(bytes([b ^ 0x5C for b in key]) + inner).digest()


def make_token():
    msg = ("%d\n%s\n%s\n%s" % (ET, METHOD, RES, VERSION)).encode()
    sign = ubinascii.b2a_base64(_hmac(ubinascii.a2b_base64(ACCESS_KEY), msg)).decode().strip()
    return "version=%s&res=%s&et=%d&method=%s&sign=%s" % (VERSION, _quote(RES), ET, METHOD, _quote(sign))
{{else}}

# Expires {{etDate}}.
PASSWORD = {{js token}}


def make_token():
    return PASSWORD
{{end}}

state = {"answered": {{if replies}}False{{else}}True{{end}}}


def sub_cb(topic, msg):
    print("Recv: topic={} msg={}".format(topic.decode(), msg.decode()))
    state["answered"] = True


def main():
    c = MQTTClient(
        client_id=CLIENT_ID,
        server=SERVER,
        port=PORT,
        user=USER,
        password=make_token(),
        keepalive=KEEPALIVE{{if tls}},
        ssl=True{{end}})
    c.set_callback(sub_cb)
    c.connect(clean_session=True)
    print("connected")
    for t in SUB_TOPICS:
        c.subscribe(t, 0)
    c.publish(PUB_TOPIC, PAYLOAD, qos=QOS)
    while not state["answered"]:
        c.wait_msg()
    c.disconnect()


if __name__ == "__main__":
    main()
`,
	C: `/*
 * OneNET device {{comment deviceName}} of product {{comment productId}} with OneNET's device SDK
 * (OneNET_AIO_c, iot_api.h): open the device, subscribe to the replies,
 * publish the message, and run the SDK's loop.
{{if keyLeftOut}}
 *
 * The SDK takes the MQTT password as it is: the key was left out, and the
 * token below was made from it.
{{end}}
 *
 * The token expires {{etDate}} (et={{et}}); then make a new one
 * (onenet-token, or the page).
 */
#include <string.h>

#include "iot_api.h"

#define PRODUCT_ID  {{c username}}
#define DEVICE_NAME {{c clientId}}
#define TOKEN       {{c token}}
#define PUB_TOPIC   {{c topic}}
#define PAYLOAD     {{c payload}}

static const char *sub_topics[] = {{{if replies}}{{clist replies}}{{else}}NULL{{end}}};
{{if tls}}

/* OneNET's CA certificate (PEM), from OneNET's documentation. */
static const char onenet_ca[] = "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n";
{{end}}

static int32_t on_event(enum iot_dev_event_e event, void *data, uint32_t data_len)
{
    if (event == IOT_DEV_RESOURCE_PUSHED) {
        struct iot_dev_cmd_t *msg = (struct iot_dev_cmd_t *)data;
        /* msg->data_id is the topic, msg->data the answer (msg->data_len bytes). */
        (void)msg;
    }
    (void)data_len;
    return 0;
}

int onenet_device_run(void)
{
    struct network_param_t server = {0};
    struct iot_cloud_config_t cfg = {0};
    void *dev;
    size_t i;

    server.remote_addr = (const int8_t *){{c host}};
    server.remote_port = {{port}};
{{if tls}}
    server.cert_buf.ca_cert = (const int8_t *)onenet_ca;
    server.cert_len = sizeof(onenet_ca);
{{end}}
    cfg.server_param = &server;
    cfg.product_id = (int8_t *)PRODUCT_ID;
    cfg.device_sn = (int8_t *)DEVICE_NAME; /* the client id */
    cfg.auth_code = (int8_t *)TOKEN;       /* the MQTT password */
    cfg.life_time = {{keepAlive}};         /* keepalive, seconds */

    dev = iot_dev_open({{if tls}}IOT_PROTO_MQTTS{{else}}IOT_PROTO_MQTT{{end}}, &cfg, on_event, 30000);
    if (dev == NULL)
        return -1;
    for (i = 0; i < sizeof(sub_topics) / sizeof(sub_topics[0]); i++)
        if (sub_topics[i] != NULL)
            iot_dev_observe(dev, (const int8_t *)sub_topics[i], 10000);
    iot_dev_push_rawdata(dev, (const int8_t *)PUB_TOPIC, (void *)PAYLOAD, strlen(PAYLOAD), 10000);
    while (iot_dev_step(dev, 2000) == 0) {
        /* The answer arrives in on_event. */
    }
    iot_dev_close(dev, 3000);
    return 0;
}
`,
}
