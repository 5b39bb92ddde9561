// The MQTT client's WebSockets, driven for wasm/mqtt/jsws.go: opened here,
// read and written by Go through its memory, so that no object crosses for
// a message. Messages that arrive while Go is busy wait in the inbox and
// are read together. The numbers exchanged are named in wsproto.js.
import {
  wsEventClosed,
  wsEventData,
  wsEventOpen,
  wsReadClosed,
  wsReadDrained,
  wsReadNothing,
  wsSendClosed,
  wsSendOK,
} from "./wsproto.js";

// The MQTT module (attach).
let mqtt = null;
let memory = null;
let wsEvent = null; // mqtt.wsEvent, called without a receiver (none crosses)
// Views of Go's memory, made again when it grows (which detaches them).
let heap8 = new Uint8Array(0);
let heap32 = new Int32Array(0);
function views() {
  if (heap8.buffer !== memory.buffer) {
    heap8 = new Uint8Array(memory.buffer);
    heap32 = new Int32Array(memory.buffer);
  }
}

/** Gives the driver the started MQTT module (loader.js's Module). */
export function attach(module) {
  mqtt = module.exports;
  memory = module.memory;
  wsEvent = mqtt.wsEvent;
}

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
  s.wakeScheduled = false;
  s.budget = readBudget;
  // Landed, Go takes the data and waits again without telling: it is
  // waiting from when this call returns.
  const landed = land(s);
  s.waiting = landed;
  inWake = true;
  try {
    wsEvent(id, wsEventData);
  } finally {
    inWake = false;
  }
  if (landed) s.waitSince = performance.now();
}

// What Go sends while it handles arrived data (the PUBACK of a QoS 1
// message, a reply the page published from its callback) goes out one task
// later, as mqtt.js's writes do: the page's own continuations of the
// delivery (a Promise the callback resolved) run first. inWake is true
// during such a call; a socket's outbox keeps the deferred sends, in order,
// and is sent before anything sent later on it.
let inWake = false;
const sendChannel = new MessageChannel();
sendChannel.port1.onmessage = (e) => {
  const s = sockets.get(e.data);
  if (s) sendOutbox(s);
};
function sendOutbox(s) {
  s.sendScheduled = false;
  const out = s.outbox;
  if (out.length === 0) return;
  s.outbox = [];
  if (s.closed || s.ws.readyState !== WebSocket.OPEN) return;
  for (const b of out) s.ws.send(b);
}

// land(s) copies everything queued into the connection's landing area in
// Go's memory (wasm/mqtt/jsws.go), when it is free and all of it fits: Go,
// woken, takes it from there and waits again, without calling wsRead. Go
// is waiting, so nothing it has not read is queued anywhere else.
function land(s) {
  if (s.queued > s.landLength || s.queued === 0) return false;
  views();
  if (heap32[s.countAddress >> 2] !== 0) return false;
  let at = s.landAddress;
  for (let i = s.head; i < s.inbox.length; i++) {
    const chunk = s.inbox[i];
    if (i === s.head && s.off > 0) {
      heap8.set(chunk.subarray(s.off), at);
      at += chunk.length - s.off;
    } else {
      heap8.set(chunk, at);
      at += chunk.length;
    }
  }
  heap32[s.countAddress >> 2] = s.queued;
  s.inbox.length = 0;
  s.head = 0;
  s.off = 0;
  s.queued = 0;
  return true;
}

// readBudget bounds what Go reads in one task: after a stall (a long
// frame, a collection) thousands of messages may be waiting, and handing
// them all over in one go would make one long task of the page. The rest
// is read in the next task.
const readBudget = 64 << 10;

/**
 * wsOpen(id, url, countAddress, landAddress, landLength) opens a
 * WebSocket; Go hears of it through wsEvent. Go's landing area for it is
 * landLength bytes at landAddress, their count an int32 at countAddress
 * (land). It returns 0, or why the WebSocket could not be made (a bad URL,
 * ws:// from an https:// page).
 */
export function wsOpen(id, url, countAddress, landAddress, landLength) {
  let ws;
  try {
    ws = new WebSocket(url, ["mqtt"]);
  } catch (e) {
    return `${e && e.name ? e.name + ": " : ""}${e && e.message ? e.message : e}`;
  }
  ws.binaryType = "arraybuffer";
  const s = {
    ws,
    inbox: [],
    head: 0,
    off: 0,
    queued: 0, // bytes in the inbox not yet read
    waiting: false,
    closed: false,
    wakeScheduled: false,
    waitSince: 0,
    streak: 0,
    budget: readBudget,
    outbox: [], // sends put off by a wake (sendOutbox)
    sendScheduled: false,
    countAddress,
    landAddress,
    landLength: landLength | 0,
  };
  sockets.set(id, s);
  ws.onopen = () => wsEvent(id, wsEventOpen, ws.protocol === "mqtt");
  ws.onmessage = (e) => {
    const chunk = new Uint8Array(e.data);
    s.inbox.push(chunk);
    s.queued += chunk.length;
    if (!s.waiting || s.wakeScheduled) return;
    s.streak = performance.now() - s.waitSince < wakeGap ? s.streak + 1 : 0;
    if (s.streak >= wakeStreak) {
      s.wakeScheduled = true;
      wakeChannel.port2.postMessage(id);
    } else wake(id);
  };
  ws.onclose = (e) => {
    s.closed = true;
    wsEvent(id, wsEventClosed, e.code, e.reason || "");
  };
  return 0;
}

function waitForData(s) {
  s.waiting = true;
  s.waitSince = performance.now();
}

/**
 * wsRead(id, address, length) copies what arrived into Go's memory at
 * address, at most length bytes; it returns how many, or a wsRead*
 * constant (wsproto.js).
 */
export function wsRead(id, address, length) {
  const s = sockets.get(id);
  if (!s) return wsReadClosed;
  if (s.budget <= 0 && s.head < s.inbox.length) {
    // This task has read its share: Go waits, and is woken in the next.
    waitForData(s);
    if (!s.wakeScheduled) {
      s.wakeScheduled = true;
      wakeChannel.port2.postMessage(id);
    }
    return wsReadNothing;
  }
  const dst = new Uint8Array(memory.buffer, address, Math.min(length, Math.max(s.budget, 4096)));
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
  s.queued -= n;
  if (s.head === s.inbox.length) {
    s.inbox.length = 0;
    s.head = 0;
    if (n > 0 && !s.closed) {
      // Drained: Go waits for the next data without asking again.
      waitForData(s);
      return wsReadDrained - n;
    }
  }
  if (n > 0) return n;
  if (s.closed) {
    sockets.delete(id);
    return wsReadClosed;
  }
  waitForData(s);
  return wsReadNothing;
}

/** wsSend(id, address, length) sends length bytes at address in Go's memory. */
export function wsSend(id, address, length) {
  const s = sockets.get(id);
  if (!s || s.closed || s.ws.readyState !== WebSocket.OPEN) return wsSendClosed;
  if (inWake) {
    views();
    s.outbox.push(heap8.slice(address, address + length));
    if (!s.sendScheduled) {
      s.sendScheduled = true;
      sendChannel.port2.postMessage(id);
    }
    return wsSendOK;
  }
  if (s.outbox.length > 0) sendOutbox(s);
  s.ws.send(new Uint8Array(memory.buffer, address, length));
  return wsSendOK;
}

/** wsClose(id) closes a WebSocket (Go's Close). */
export function wsClose(id) {
  const s = sockets.get(id);
  if (!s) return;
  sockets.delete(id);
  sendOutbox(s);
  s.closed = true;
  try {
    s.ws.close(1000);
  } catch {
    // Already closing.
  }
}
