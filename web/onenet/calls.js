// The call registry: how the Go modules' results become values, Errors and
// Promises. Go never throws into JavaScript: every Go function returns
// {value} or {error}; unwrap throws the error (synchronous calls); an
// asynchronous call gets an id and a pending Promise that Go settles by id
// later (settle, settleMany), or rejects at once.
//
// Publishes are calls too, but queued and handed to Go in one call per
// microtask (publishMany): a call into Go costs far more than packing a
// message, and a page that publishes in a loop then pays it once, and the
// client sends the batch as one WebSocket message.

/** @typedef {import("../onenet").OnenetError} OnenetError */

/** Turns an error value from Go into an Error with field, code and params. */
export function toError(e) {
  /** @type {OnenetError} */
  const err = Object.assign(new Error(e.message), { field: e.field || "", code: e.code || "", params: e.params || {} });
  if (e.detail) err.detail = e.detail;
  if (e.reason) err.reason = e.reason;
  if (e.connack !== undefined) err.connack = e.connack;
  return err;
}

/** Returns a Go result's value, or throws its error. */
export function unwrap(r) {
  if (r.error) throw toError(r.error);
  return r.value;
}

// The MQTT module (attach).
let mqtt = null;
let memory = null;

/** Gives the registry the started MQTT module (loader.js's Module). */
export function attach(module) {
  mqtt = module.exports;
  memory = module.memory;
}

// Pending asynchronous calls, by id.
const pending = new Map();
let nextId = 1;

/**
 * Calls fn(id, ...args), a function of the MQTT module that completes
 * later; resolves or rejects when Go settles id.
 */
export function call(fn, ...args) {
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

/** settle(id, error|null, value) completes one call. */
export function settle(id, err, value) {
  const p = pending.get(id);
  if (!p) return;
  pending.delete(id);
  if (err) p.reject(toError(err));
  else p.resolve(value);
}

/**
 * settleMany(address, count) completes a batch of calls that succeeded
 * without a value (acknowledged publishes): one crossing from Go for many
 * Promises. The ids are count int32s at address in Go's memory.
 */
export function settleMany(address, count) {
  const ids = new Int32Array(memory.buffer, address, count).slice();
  for (let i = 0; i < ids.length; i++) {
    const p = pending.get(ids[i]);
    if (p) {
      pending.delete(ids[i]);
      p.resolve();
    }
  }
}

const encoder = new TextEncoder();

// The publish batch, packed little-endian, per message: id u32, handle
// u32, qos u8 (255: not 0, 1 or 2), flags u8 (retain 1, topic not a string
// 2, payload neither a string nor a Uint8Array 4), topic length u32,
// payload length u32, topic, payload (wasm/mqtt's publishMany reads it).
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

/**
 * Publishes on the client handle; resolves once the broker acknowledged
 * (QoS 1, 2) or once written (QoS 0). Go checks the arguments.
 */
export function publish(handle, topic, payload, qos, retain) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    queuePublish(id, handle, topic, payload, qos, retain);
  });
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

/**
 * Hands the queued publishes to Go now. Called once per microtask, and
 * from inside a call from Go (a delivery), so that what the page published
 * in answer goes in that call rather than in one of its own.
 */
export function flushPublishes() {
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
      settle(v.getUint32(off, true), r.error, undefined);
      off += 18 + v.getUint32(off + 10, true) + v.getUint32(off + 14, true);
    }
  }
  if (pubBuf.length > 1 << 20) pubBuf = new Uint8Array(64 << 10); // don't keep a burst's buffer
}
