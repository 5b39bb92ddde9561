// The `onenet` JavaScript API: OneNET tokens, topics and payload checks, and
// an MQTT-over-WebSocket client, all computed by Go compiled to WebAssembly.
// Declared for page authors in onenet.d.ts.
//
// Two wasm modules back it (onenet/loader.js): core.wasm (tokens only,
// small, so the token generator works early) and mqtt.wasm (the MQTT
// client, and the topic, payload, connect and publish checks and device
// code, loaded in the background). `onenet.ready` resolves when the first
// has started; `onenet.mqttReady` when the second has. onenet.connect and
// scenarioStart wait for it; the other functions of the MQTT module throw
// an Error saying it is still loading when called before it.
//
// Errors are thrown (synchronous calls) or rejected (asynchronous ones) as
// Errors with `field`, `code`, `params` and, for token problems, OneNET's
// `reason` code (onenet/calls.js). The MQTT client's WebSockets are driven
// from JavaScript for Go (onenet/socket.js).
import { load } from "./onenet/loader.js";
import { attach as attachCalls, call, flushPublishes, publish, settle, settleMany, toError, unwrap } from "./onenet/calls.js";
import { attach as attachSockets, wsClose, wsOpen, wsRead, wsSend } from "./onenet/socket.js";

/**
 * The API as onenet.d.ts declares it; tsc checks this file against it.
 * @typedef {import("./onenet").Onenet} OnenetAPI
 * @typedef {import("./onenet").Client} ClientAPI
 * @typedef {import("./onenet").ConnectOptions} ConnectOptions
 * @typedef {import("./onenet").StateEvent} StateEvent
 */

const modules = load(new URL(".", import.meta.url));

let core = null;
let mqtt = null;
let mqttMemory = null;
let mqttPromise = null;

const ready = modules.core.then((m) => {
  core = m.exports;
});

function needCore() {
  if (!core) throw new Error("onenet is still loading: await onenet.ready first");
  return core;
}

// The MQTT module's clients, by handle.
const clients = new Map();

// What the MQTT module calls (wasm/mqtt/main.go).
const hooks = {
  wsOpen,
  wsRead,
  wsSend,
  wsClose,
  settle,
  settleMany,
  // deliver(handle, address, length, count) hands over a batch of received
  // messages: length bytes at address in Go's memory, copied out at once,
  // packed by Go as: flags u8 (qos | retained<<2 | dup<<3), topic length
  // u32, payload length u32, receivedAt f64 (ms), topic, payload.
  deliver(handle, address, length, count) {
    const c = clients.get(handle);
    if (!c) return;
    c._deliver(new Uint8Array(mqttMemory.buffer, address, length).slice(), count);
    // What the page published in answer goes to Go now, still inside this
    // call from Go, rather than in a call of its own after it.
    flushPublishes();
  },
  // state(handle, state, reason, err, backoff, attempt, resubscribed): a
  // change of the connection's state; backoff is in milliseconds.
  state(handle, state, reason, err, backoff, attempt, resubscribed) {
    const c = clients.get(handle);
    if (!c) return;
    c._state(state, reason, err ? toError(err) : null, { backoff: backoff || 0, attempt: attempt || 0, resubscribed: resubscribed || 0 });
  },
  // password(handle) asks the page for the password of a (re)connect; the
  // page may return a string or a Promise of one.
  password(handle) {
    const c = clients.get(handle);
    if (!c) return Promise.reject(new Error("client closed"));
    return Promise.resolve(c._password());
  },
};

function loadMQTT() {
  if (!mqttPromise) {
    mqttPromise = modules.mqtt().then((m) => {
      attachCalls(m);
      attachSockets(m);
      mqttMemory = m.memory;
      unwrap(m.exports.init(hooks));
      mqtt = m.exports;
    });
  }
  return mqttPromise;
}

const decoder = new TextDecoder();

/** A message received by a client. `text` is decoded on first use. */
class Message {
  constructor(topic, payload, qos, retained, duplicate, receivedAt) {
    this.topic = topic;
    this.payload = payload;
    this.qos = qos;
    this.retained = retained;
    this.duplicate = duplicate;
    this.receivedAt = receivedAt;
  }
  get text() {
    return decoder.decode(this.payload);
  }
}

/**
 * A connected MQTT client; returned by onenet.connect.
 * @implements {ClientAPI}
 */
class Client {
  /** @param {ConnectOptions} opts */
  constructor(opts) {
    this.handle = 0;
    this.onMessage = opts.onMessage || null;
    this.onMessages = opts.onMessages || null;
    this.onState = opts.onState || null;
    /** @type {StateEvent["state"]} */
    this.state = "connecting";
    this._passwordFn = typeof opts.password === "function" ? opts.password : null;
    this._passwordValue = typeof opts.password === "function" ? "" : opts.password || "";
  }
  _password() {
    return this._passwordFn ? this._passwordFn() : this._passwordValue;
  }
  _deliver(bytes, count) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const batch = new Array(count);
    let off = 0;
    for (let i = 0; i < count; i++) {
      const flags = view.getUint8(off);
      const tlen = view.getUint32(off + 1, true);
      const plen = view.getUint32(off + 5, true);
      const at = view.getFloat64(off + 9, true);
      off += 17;
      const topic = decoder.decode(bytes.subarray(off, off + tlen));
      off += tlen;
      const payload = bytes.subarray(off, off + plen);
      off += plen;
      batch[i] = new Message(topic, payload, flags & 3, (flags & 4) !== 0, (flags & 8) !== 0, at);
    }
    if (this.onMessages) {
      try {
        this.onMessages(batch);
      } catch (e) {
        console.error("onenet: onMessages threw", e);
      }
    }
    if (this.onMessage) {
      for (const m of batch) {
        try {
          this.onMessage(m);
        } catch (e) {
          console.error("onenet: onMessage threw", e);
        }
      }
    }
  }
  _state(state, reason, err, counts) {
    this.state = state;
    if (state === "closed") clients.delete(this.handle);
    if (this.onState) {
      try {
        this.onState({ state, reason, error: err, ...counts });
      } catch (e) {
        console.error("onenet: onState threw", e);
      }
    }
  }
  /** Subscribes; resolves with the granted QoS. A refusal (0x80) rejects. */
  subscribe(filter, qos = 0) {
    return call(mqtt.subscribe, this.handle, filter, qos);
  }
  unsubscribe(filter) {
    return call(mqtt.unsubscribe, this.handle, filter);
  }
  /** Publishes; resolves once the broker acknowledged (QoS 1, 2) or once written (QoS 0). */
  publish(topic, payload, opts = {}) {
    return publish(this.handle, topic, payload, opts.qos || 0, !!opts.retain);
  }
  /** Messages dropped because the page did not keep up. */
  get dropped() {
    return mqtt.dropped(this.handle);
  }
  disconnect() {
    return call(mqtt.disconnect, this.handle);
  }
}

/**
 * Connects; resolves with a Client once the broker accepted the login.
 * @param {ConnectOptions} opts
 */
async function connect(opts) {
  await loadMQTT();
  const c = new Client(opts);
  const handle = unwrap(mqtt.newClient());
  c.handle = handle;
  clients.set(handle, c);
  const o = {
    url: opts.url,
    clientId: opts.clientId,
    username: opts.username,
    keepAlive: opts.keepAlive,
    cleanSession: opts.cleanSession,
    connectTimeout: opts.connectTimeout,
    autoReconnect: opts.autoReconnect,
    passwordFunc: typeof opts.password === "function",
    password: typeof opts.password === "function" ? "" : opts.password || "",
  };
  try {
    await call(mqtt.connect, handle, o);
  } catch (e) {
    clients.delete(handle);
    throw e;
  }
  return c;
}

function sync(name) {
  return (...args) => unwrap(needCore()[name](...args));
}

/**
 * A synchronous function of the MQTT module (the checks, device code, the
 * thing model's). Before the module has started it throws, and says so:
 * a synchronous call cannot wait.
 */
function mqttSync(name) {
  return (...args) => {
    if (!mqtt) {
      loadMQTT().catch(() => {}); // reported by mqttReady
      const e = new Error(`onenet.${name} is in the MQTT module, which is still loading: await onenet.mqttReady first`);
      Object.assign(e, { field: "", code: "loading", params: {} });
      throw e;
    }
    return unwrap(mqtt[name](...args));
  };
}

/** @type {OnenetAPI} */
export const onenet = {
  ready,
  get mqttReady() {
    return loadMQTT();
  },
  version: "",
  token: sync("token"),
  tokenWarnings: sync("tokenWarnings"),
  parseToken: sync("parseToken"),
  verifyToken: sync("verifyToken"),
  topic: mqttSync("topic"),
  parseTopic: mqttSync("parseTopic"),
  kinds: mqttSync("kinds"),
  checkPayload: mqttSync("checkPayload"),
  checkConnect: mqttSync("checkConnect"),
  checkPublish: mqttSync("checkPublish"),
  checkFilter: mqttSync("checkFilter"),
  endpoints: mqttSync("endpoints"),
  explainConnack: mqttSync("explainConnack"),
  codeLanguages: mqttSync("codeLanguages"),
  deviceCode: mqttSync("deviceCode"),
  connect,
  thingModel: mqttSync("thingModel"),
  tmCheckValue: mqttSync("tmCheckValue"),
  tmCheckMessage: mqttSync("tmCheckMessage"),
  tmExample: mqttSync("tmExample"),
  tmReply: mqttSync("tmReply"),
  async scenarioStart(text, opts) {
    await loadMQTT();
    return call(mqtt.scenarioStart, text, opts || {});
  },
  scenarioStatus: mqttSync("scenarioStatus"),
  scenarioStop(handle) {
    return call(mqtt.scenarioStop, handle);
  },
};

ready.then(() => {
  onenet.version = core.version || "";
});

globalThis.onenet = onenet;
export default onenet;
