// The `onenet` JavaScript API: OneNET tokens, topics and payload checks, and
// an MQTT-over-WebSocket client, all computed by Go compiled to WebAssembly.
// Declared for page authors in onenet.d.ts.
//
// Two wasm modules back it: core.wasm (tokens and protocol checks, small, so
// the token generator works early) and mqtt.wasm (the MQTT client, loaded in
// the background). `onenet.ready` resolves when the first has started;
// `onenet.mqttReady` when the second has. onenet.connect waits for it.
//
// Go never throws into JavaScript: every Go function returns {value} or
// {error}; this file turns errors into thrown Errors (synchronous calls) or
// rejected Promises (asynchronous ones), with `field`, `code`, `params` and,
// for token problems, OneNET's `reason` code.
import "./wasm_exec.js";

/**
 * The API as onenet.d.ts declares it; tsc checks this file against it.
 * @typedef {import("./onenet").Onenet} OnenetAPI
 * @typedef {import("./onenet").Client} ClientAPI
 * @typedef {import("./onenet").ConnectOptions} ConnectOptions
 * @typedef {import("./onenet").StateEvent} StateEvent
 * @typedef {import("./onenet").OnenetError} OnenetError
 */

const base = new URL(".", import.meta.url);

/** Turns an error value from Go into an Error with field, code and params. */
function toError(e) {
  /** @type {OnenetError} */
  const err = Object.assign(new Error(e.message), { field: e.field || "", code: e.code || "", params: e.params || {} });
  if (e.detail) err.detail = e.detail;
  if (e.reason) err.reason = e.reason;
  if (e.connack !== undefined) err.connack = e.connack;
  return err;
}

function unwrap(r) {
  if (r.error) throw toError(r.error);
  return r.value;
}

/** Starts downloading a module's wasm; resolves with the Response. */
function fetchWasm(file) {
  const url = new URL(file, base);
  return fetch(url).then((resp) => {
    if (!resp.ok) throw new Error(`HTTP ${resp.status} for ${url.pathname}`);
    return resp;
  });
}

/**
 * Returns a Response with resp's body that calls done() once the body has
 * been read to the end, still streamed to the compiler.
 */
function onBodyRead(resp, done) {
  if (!resp.body || typeof ReadableStream === "undefined") {
    done();
    return resp;
  }
  const reader = resp.body.getReader();
  const body = new ReadableStream({
    async pull(ctrl) {
      const { done: end, value } = await reader.read();
      if (end) {
        ctrl.close();
        done();
      } else ctrl.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: resp.status, statusText: resp.statusText, headers: resp.headers });
}

/**
 * Loads one Go wasm module from the Response `fetched` resolves with;
 * resolves with the exports it registers.
 */
function loadModule(file, name, fetched) {
  return new Promise((resolve, reject) => {
    const go = new Go();
    globalThis[name + "Ready"] = () => {
      delete globalThis[name + "Ready"];
      resolve(globalThis[name]);
    };
    const url = new URL(file, base);
    const fail = (e) => reject(new Error(`cannot load ${file}: ${e && e.message ? e.message : e}`));
    const start = (result) => {
      memories[name] = result.instance.exports.mem;
      go.run(result.instance).then(
        () => fail(new Error("the Go program exited")),
        fail,
      );
    };
    if (WebAssembly.instantiateStreaming) {
      WebAssembly.instantiateStreaming(fetched, go.importObject)
        .catch(async (e) => {
          // A server that sends the wrong Content-Type: fall back to bytes.
          if (!String(e).includes("MIME")) throw e;
          const resp = await fetch(url);
          return WebAssembly.instantiate(await resp.arrayBuffer(), go.importObject);
        })
        .then(start, fail);
    } else {
      fetched
        .then((resp) => resp.arrayBuffer())
        .then((buf) => WebAssembly.instantiate(buf, go.importObject))
        .then(start, fail);
    }
  });
}

// The Go instances' memories, by module: the MQTT module passes the
// addresses of what it hands over (ids, received messages) instead of
// JavaScript objects, and they are read here (see wasm/mqtt).
const memories = {};
const mqttBytes = (address, length) => new Uint8Array(memories.__onenetMQTT.buffer, address, length);

let core = null;
let mqtt = null;
let mqttPromise = null;

// mqtt.wasm starts downloading as soon as core.wasm has been received, not
// when core has compiled and started: on a slow network the two downloads
// then neither share the bandwidth nor leave it idle (docs/BENCHMARKS.md).
// index.html preloads core.wasm.
let mqttFetch = null;
function fetchMQTT() {
  if (!mqttFetch) {
    mqttFetch = fetchWasm("mqtt.wasm");
    mqttFetch.catch(() => {}); // reported by loadMQTT
  }
  return mqttFetch;
}

const ready = loadModule(
  "core.wasm",
  "__onenetCore",
  fetchWasm("core.wasm").then((resp) => onBodyRead(resp, fetchMQTT)),
).then((exports) => {
  core = exports;
});

function needCore() {
  if (!core) throw new Error("onenet is still loading: await onenet.ready first");
  return core;
}

// Pending asynchronous calls into the MQTT module, settled by Go by id.
const pending = new Map();
let nextId = 1;
const clients = new Map();

function call(fn, ...args) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    let r;
    try {
      r = fn(id, ...args);
    } catch (e) {
      pending.delete(id);
      reject(e);
      return;
    }
    if (r && r.error) {
      pending.delete(id);
      reject(toError(r.error));
    }
  });
}

// The MQTT client's WebSockets (wasm/mqtt/jsws.go): opened here, read and
// written by Go through its memory, so that no object crosses for a
// message. Messages that arrive while Go is busy wait in the inbox and are
// read together.
const sockets = new Map();

// Waking Go for data is a call into Go, which costs more than the data:
// when data keeps coming (the last wakeStreak messages each came less than
// wakeGap ms after Go had run out), the wake is put off by one task, so
// that the messages already queued in the browser arrive first and Go
// reads them together. A message after a pause (a request and its answer,
// even a PUBACK and a PUBLISH together) wakes Go at once.
const wakeGap = 0.3;
const wakeStreak = 2;
const wakeChannel = new MessageChannel();
wakeChannel.port1.onmessage = (e) => wake(e.data);
function wake(id) {
  const s = sockets.get(id);
  if (!s || !s.waiting) return;
  s.waiting = false;
  s.wakeScheduled = false;
  s.budget = readBudget;
  mqtt.wsEvent(id, 2);
}

// readBudget bounds what Go reads in one task: after a stall (a long
// frame, a collection) thousands of messages may be waiting, and handing
// them all over in one go would make one long task of the page. The rest
// is read in the next task.
const readBudget = 64 << 10;

function wsOpen(id, url) {
  let ws;
  try {
    ws = new WebSocket(url, ["mqtt"]);
  } catch (e) {
    return `${e && e.name ? e.name + ": " : ""}${e && e.message ? e.message : e}`;
  }
  ws.binaryType = "arraybuffer";
  const s = { ws, inbox: [], head: 0, off: 0, waiting: false, closed: false, wakeScheduled: false, waitSince: 0, streak: 0, budget: readBudget };
  sockets.set(id, s);
  ws.onopen = () => mqtt.wsEvent(id, 1, ws.protocol === "mqtt");
  ws.onmessage = (e) => {
    s.inbox.push(new Uint8Array(e.data));
    if (!s.waiting || s.wakeScheduled) return;
    s.streak = performance.now() - s.waitSince < wakeGap ? s.streak + 1 : 0;
    if (s.streak >= wakeStreak) {
      s.wakeScheduled = true;
      wakeChannel.port2.postMessage(id);
    } else wake(id);
  };
  ws.onclose = (e) => {
    s.closed = true;
    mqtt.wsEvent(id, 3, e.code, e.reason || "");
  };
  return 0;
}

// wsRead copies what arrived into Go's memory; it returns the bytes copied;
// -2 - n when it copied n and nothing more is waiting (Go then waits for
// wake, without asking again); 0 when nothing is waiting; -1 when closed.
function wsRead(id, address, length) {
  const s = sockets.get(id);
  if (!s) return -1;
  if (s.budget <= 0 && s.head < s.inbox.length) {
    // This task has read its share: Go waits, and is woken in the next.
    s.waiting = true;
    s.waitSince = performance.now();
    if (!s.wakeScheduled) {
      s.wakeScheduled = true;
      wakeChannel.port2.postMessage(id);
    }
    return 0;
  }
  const dst = mqttBytes(address, Math.min(length, Math.max(s.budget, 4096)));
  length = dst.length;
  let n = 0;
  while (n < length && s.head < s.inbox.length) {
    const chunk = s.inbox[s.head];
    const take = Math.min(chunk.length - s.off, length - n);
    dst.set(take === chunk.length ? chunk : chunk.subarray(s.off, s.off + take), n);
    n += take;
    s.off += take;
    if (s.off === chunk.length) {
      s.inbox[s.head++] = undefined;
      s.off = 0;
    }
  }
  s.budget -= n;
  if (s.head === s.inbox.length) {
    s.inbox.length = 0;
    s.head = 0;
    if (n > 0 && !s.closed) {
      // Drained: Go waits for the next data without asking again (the
      // returned value is negative: -2 - n).
      s.waiting = true;
      s.waitSince = performance.now();
      return -2 - n;
    }
  }
  if (n > 0) return n;
  if (s.closed) {
    sockets.delete(id);
    return -1;
  }
  s.waiting = true;
  s.waitSince = performance.now();
  return 0;
}

function wsSend(id, address, length) {
  const s = sockets.get(id);
  if (!s || s.closed || s.ws.readyState !== WebSocket.OPEN) return -1;
  s.ws.send(mqttBytes(address, length));
  return 0;
}

function wsClose(id) {
  const s = sockets.get(id);
  if (!s) return;
  sockets.delete(id);
  s.closed = true;
  try {
    s.ws.close(1000);
  } catch {
    // Already closing.
  }
}

const hooks = {
  wsOpen,
  wsRead,
  wsSend,
  wsClose,
  // settle(id, error|null, value) completes one call.
  settle(id, err, value) {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    if (err) p.reject(toError(err));
    else p.resolve(value);
  },
  // settleMany(address, count) completes a batch of calls that succeeded
  // without a value (acknowledged publishes): one crossing from Go for many
  // Promises. The ids are count int32s at address in Go's memory.
  settleMany(address, count) {
    const ids = new Int32Array(memories.__onenetMQTT.buffer, address, count).slice();
    for (let i = 0; i < ids.length; i++) {
      const p = pending.get(ids[i]);
      if (p) {
        pending.delete(ids[i]);
        p.resolve();
      }
    }
  },
  // deliver(handle, address, length, count) hands over a batch of received
  // messages: length bytes at address in Go's memory, copied out at once,
  // packed by Go as: flags u8 (qos | retained<<2 | dup<<3), topic length
  // u32, payload length u32, receivedAt f64 (ms), topic, payload.
  deliver(handle, address, length, count) {
    const c = clients.get(handle);
    if (!c) return;
    c._deliver(mqttBytes(address, length).slice(), count);
    // What the page published in answer goes to Go now, still inside this
    // call from Go, rather than in a call of its own after it.
    if (pubCount > 0) flushPublishes();
  },
  state(handle, state, reason, err) {
    const c = clients.get(handle);
    if (!c) return;
    c._state(state, reason, err ? toError(err) : null);
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
    mqttPromise = ready
      .then(() => loadModule("mqtt.wasm", "__onenetMQTT", fetchMQTT()))
      .then((exports) => {
        unwrap(exports.init(hooks));
        mqtt = exports;
      });
  }
  return mqttPromise;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

// Publishes are queued and handed to Go in one call per microtask
// (publishMany): a call into Go costs far more than packing a message, and
// a page that publishes in a loop then pays it once, and the client sends
// the batch as one WebSocket message. The batch is packed little-endian,
// per message: id u32, handle u32, qos u8 (255: not 0, 1 or 2), flags u8
// (retain 1, topic not a string 2, payload neither a string nor a
// Uint8Array 4), topic length u32, payload length u32, topic, payload.
let pubBuf = new Uint8Array(64 << 10);
let pubLen = 0;
let pubCount = 0;
let pubScheduled = false;

function pubReserve(n) {
  if (pubLen + n <= pubBuf.length) return;
  let size = pubBuf.length * 2;
  while (size < pubLen + n) size *= 2;
  const b = new Uint8Array(size);
  b.set(pubBuf.subarray(0, pubLen));
  pubBuf = b;
}

function queuePublish(id, handle, topic, payload, qos, retain) {
  let flags = retain ? 1 : 0;
  if (typeof topic !== "string") {
    flags |= 2;
    topic = "";
  }
  const isText = typeof payload === "string";
  if (!isText && !(payload instanceof Uint8Array) && payload !== undefined && payload !== null) flags |= 4;
  const plen = isText ? payload.length * 3 : payload instanceof Uint8Array ? payload.length : 0;
  pubReserve(18 + topic.length * 3 + plen);
  const b = pubBuf;
  const v = new DataView(b.buffer);
  const at = pubLen;
  v.setUint32(at, id, true);
  v.setUint32(at + 4, handle, true);
  b[at + 8] = Number.isInteger(qos) && qos >= 0 && qos <= 2 ? qos : 255;
  b[at + 9] = flags;
  let off = at + 18;
  const tlen = topic.length === 0 ? 0 : encoder.encodeInto(topic, b.subarray(off)).written;
  off += tlen;
  let n = 0;
  if (isText) n = encoder.encodeInto(payload, b.subarray(off)).written;
  else if (payload instanceof Uint8Array) {
    b.set(payload, off);
    n = payload.length;
  }
  v.setUint32(at + 10, tlen, true);
  v.setUint32(at + 14, n, true);
  pubLen = off + n;
  pubCount++;
  if (!pubScheduled) {
    pubScheduled = true;
    queueMicrotask(flushPublishes);
  }
}

function flushPublishes() {
  pubScheduled = false;
  if (pubCount === 0) return;
  const bytes = pubBuf.subarray(0, pubLen);
  const count = pubCount;
  pubLen = 0;
  pubCount = 0;
  let r;
  try {
    r = mqtt.publishMany(bytes, count);
  } catch (e) {
    r = { error: { message: String(e && e.message ? e.message : e) } };
  }
  if (r && r.error) {
    // The whole batch failed (Go could not read it): reject every call.
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let off = 0, i = 0; i < count; i++) {
      hooks.settle(v.getUint32(off, true), r.error, undefined);
      off += 18 + v.getUint32(off + 10, true) + v.getUint32(off + 14, true);
    }
  }
  if (pubBuf.length > 1 << 20) pubBuf = new Uint8Array(64 << 10); // don't keep a burst's buffer
}

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
  _state(state, reason, err) {
    this.state = state;
    if (state === "closed") clients.delete(this.handle);
    if (this.onState) {
      try {
        this.onState({ state, reason, error: err });
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
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      queuePublish(id, this.handle, topic, payload, opts.qos || 0, !!opts.retain);
    });
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
  topic: sync("topic"),
  parseTopic: sync("parseTopic"),
  kinds: sync("kinds"),
  checkPayload: sync("checkPayload"),
  checkConnect: sync("checkConnect"),
  checkPublish: sync("checkPublish"),
  checkFilter: sync("checkFilter"),
  endpoints: sync("endpoints"),
  explainConnack: sync("explainConnack"),
  connect,
};

ready.then(() => {
  onenet.version = core.version || "";
});

globalThis.onenet = onenet;
export default onenet;
