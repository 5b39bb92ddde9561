// The client benchmarks, run in the page by bench/ (make bench): the onenet
// client (Go compiled to wasm, through its JavaScript API) and mqtt.js, each
// publishing to a topic it subscribes to on the same broker, in the same page.
//
// Every function resolves with plain data, for chromedp to read.
import { onenet } from "/onenet.js";
import mqtt from "./vendor/mqtt.esm.js";

// Counts WebSocket messages sent and received, for both clients: a call
// into the browser's WebSocket is much of a message's cost.
// firstSend is when the page first called WebSocket.send after it was
// reset, sendCall how long that call took, lastReceive when it last got a
// message event: the latency test splits each round trip into the client's
// outbound work, the browser, network and broker in between, and the
// client's inbound work.
const ws = { sent: 0, sentBytes: 0, received: 0, firstSend: 0, sendCall: 0, lastReceive: 0 };
{
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    ws.sent++;
    const first = ws.firstSend === 0;
    if (first) ws.firstSend = performance.now();
    ws.sentBytes += data.byteLength !== undefined ? data.byteLength : data.length || 0;
    const r = send.call(this, data);
    if (first) ws.sendCall = performance.now() - ws.firstSend;
    return r;
  };
  const add = WebSocket.prototype.addEventListener;
  WebSocket.prototype.addEventListener = function (type, fn, opts) {
    if (type !== "message") return add.call(this, type, fn, opts);
    return add.call(this, type, (e) => {
      ws.received++;
      ws.lastReceive = performance.now();
      return fn.call(this, e);
    }, opts);
  };
  const desc = Object.getOwnPropertyDescriptor(WebSocket.prototype, "onmessage");
  Object.defineProperty(WebSocket.prototype, "onmessage", {
    configurable: true,
    get() {
      return desc.get.call(this);
    },
    set(fn) {
      desc.set.call(this, fn && ((e) => {
        ws.received++;
        ws.lastReceive = performance.now();
        return fn.call(this, e);
      }));
    },
  });
}

let seq = 0;
const uniq = () => `${Date.now().toString(36)}-${++seq}`;

// The two clients behind one small interface. onMsgs(n) is told how many
// messages arrived: the onenet client hands them over in batches
// (onMessages), mqtt.js one at a time (its "message" event).
const clients = {
  async onenet(url, id, onMsgs) {
    await onenet.mqttReady;
    const c = await onenet.connect({
      url,
      clientId: id,
      keepAlive: 60,
      autoReconnect: false,
      onMessages: (batch) => onMsgs(batch.length),
    });
    return {
      subscribe: (filter, qos) => c.subscribe(filter, qos),
      publish: (topic, payload, qos) => c.publish(topic, payload, { qos }),
      close: () => c.disconnect(),
    };
  },
  async mqttjs(url, id, onMsgs) {
    const c = mqtt.connect(url, { clientId: id, protocolVersion: 4, keepalive: 60, reconnectPeriod: 0, clean: true });
    await new Promise((resolve, reject) => {
      c.once("connect", resolve);
      c.once("error", reject);
      c.once("close", () => reject(new Error("mqtt.js: connection closed")));
    });
    c.on("message", () => onMsgs(1));
    return {
      subscribe: (filter, qos) => c.subscribeAsync(filter, { qos }).then((g) => g[0].qos),
      publish: (topic, payload, qos) => c.publishAsync(topic, payload, { qos }),
      close: () => c.endAsync(),
    };
  },
};

function open(kind, url, onMsgs) {
  const f = clients[kind];
  if (!f) throw new Error("unknown client " + kind);
  return f(url, `bench-${kind}-${uniq()}`, onMsgs);
}

function withTimeout(p, ms, what) {
  let timer;
  return Promise.race([
    p,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no result in ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Publish→receive latency: one message at a time, the next once the last
 * arrived and was acknowledged. Returns the samples in ms (after `warm`).
 */
async function latency(kind, { url, qos = 0, n = 1000, size = 100, warm = 50 }) {
  let waiter = null;
  const c = await open(kind, url, () => {
    const w = waiter;
    waiter = null;
    if (w) w();
  });
  const topic = `bench/lat/${kind}/${uniq()}`;
  await c.subscribe(topic, qos);
  const payload = new Uint8Array(size).fill(97);
  const samples = [];
  const out = [];
  const inb = [];
  const between = [];
  const sendCall = [];
  try {
    for (let i = 0; i < warm + n; i++) {
      const got = new Promise((resolve) => (waiter = resolve));
      ws.firstSend = 0;
      const t0 = performance.now();
      const acked = c.publish(topic, payload, qos);
      await withTimeout(got, 10000, `latency ${kind} message ${i}`);
      const t1 = performance.now();
      const sent = ws.firstSend;
      const received = ws.lastReceive;
      await acked;
      if (i >= warm) {
        samples.push(t1 - t0);
        // The first send after t0 carried the PUBLISH; the last message
        // event before t1 carried the message back (after a PUBACK, QoS 1).
        if (sent >= t0 && received <= t1) {
          out.push(sent - t0);
          between.push(received - sent);
          inb.push(t1 - received);
          sendCall.push(ws.sendCall);
        }
      }
    }
  } finally {
    await c.close();
  }
  return { samples, outbound: out, between, inbound: inb, sendCall };
}

/**
 * Throughput: n messages published as fast as the client takes them, with
 * at most `window` published but not yet received (so that the broker never
 * has to drop any), until all are received and acknowledged.
 */
async function throughput(kind, { url, qos = 0, n = 10000, size = 100, window = 1000, timeoutMs = 60000 }) {
  let sent = 0;
  let recv = 0;
  let acked = 0;
  let failed = null;
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  const topic = `bench/tput/${kind}/${uniq()}`;
  const payload = new Uint8Array(size).fill(98);
  let c = null;
  const check = () => {
    if (recv >= n && acked >= n) done();
  };
  const onAck = () => {
    acked++;
    if (acked >= n) check();
  };
  const onErr = (e) => {
    failed = failed || e;
    done();
  };
  const pump = () => {
    while (sent < n && sent - recv < window) {
      sent++;
      c.publish(topic, payload, qos).then(onAck, onErr);
    }
  };
  c = await open(kind, url, (k) => {
    recv += k;
    if (recv >= n) check();
    else pump();
  });
  await c.subscribe(topic, qos);
  const ws0 = { ...ws };
  const t0 = performance.now();
  pump();
  try {
    await withTimeout(finished, timeoutMs, `throughput ${kind}`);
  } catch (e) {
    failed = failed || e;
  }
  const ms = performance.now() - t0;
  await c.close().catch(() => {});
  if (failed) throw new Error(`${failed.message || failed} (sent ${sent}, received ${recv}, acknowledged ${acked} of ${n})`);
  return { n, ms, perSec: (n * 1000) / ms, wsSent: ws.sent - ws0.sent, wsReceived: ws.received - ws0.received };
}

/** Tokens per second through onenet.token for about `ms` milliseconds. */
async function tokens({ ms = 1000 } = {}) {
  await onenet.ready;
  const opts = {
    resKind: "device",
    productId: "469948",
    deviceName: "Chic_D",
    key: "rs2FaE5BuygJZkWKDA5okKt1RFpwOx53hbu6hwyCS4U=",
    method: "sha1",
    et: 2000000000,
  };
  for (let i = 0; i < 200; i++) onenet.token(opts); // warm up
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 100; i++) onenet.token(opts);
    n += 100;
    t = performance.now();
  }
  return { n, ms: t - t0, perSec: (n * 1000) / (t - t0) };
}

globalThis.bench = { latency, throughput, tokens, isolated: globalThis.crossOriginIsolated === true };

Promise.all([onenet.ready, onenet.mqttReady]).then(
  () => (document.body.dataset.ready = "all"),
  (e) => (document.body.dataset.error = String(e && e.message ? e.message : e)),
);
