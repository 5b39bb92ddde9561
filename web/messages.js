// The messages panel: the log of received messages (msglog.js), its filter,
// pause and export, and the linking of replies to what was published.
import { $, clockMs } from "./ui.js";
import { t, errorText } from "./i18n.js";
import { MessageLog } from "./msglog.js";
import { isText, preview, text, hex, base64 } from "./payload.js";
import { Inspector } from "./inspector.js";

const FILTER_BYTES = 64 * 1024;
const unescapeJSON = (s) => s.replace(/\\u([0-9a-fA-F]{4})/g, (m, h) => String.fromCharCode(parseInt(h, 16)));

export class MessagesPanel {
  constructor(app) {
    this.app = app;
    this.query = "";
    this.log = new MessageLog($("msg-list"), $("msg-spacer"), (e, el) => this.renderRow(e, el), { capacity: 100000 });
    this.log.onChange = () => this.updateCount();
    this.inspector = new Inspector(app);
    this.log.onOpen = (e) => this.inspector.open(e);
  }

  /** Messages from the client, in arrival order. */
  received(batch) {
    const pub = this.app.pub;
    const entries = new Array(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const m = batch[i];
      const e = { topic: m.topic, payload: m.payload, qos: m.qos, retained: m.retained, at: m.receivedAt, link: null, _v: 0 };
      // Link /accepted and /rejected replies to the publish with the same id.
      if (/\/(accepted|rejected|reply|_reply)$/.test(m.topic) && m.payload.length < 4096 && pub.sent.size) {
        try {
          const j = JSON.parse(text(m.payload));
          if (j && j.id !== undefined) {
            const kind = m.topic.endsWith("/rejected") || (j.code !== undefined && j.code !== 200) ? "rejected" : "accepted";
            const sent = pub.linkReply(String(j.id), kind, m.topic);
            if (sent) {
              e.link = { kind, at: sent.at, id: String(j.id), sent };
              sent.replyEntry = e;
              pub.renderHistory(sent);
            }
          }
        } catch {
          // Not JSON: no link.
        }
      }
      if (this.app.tm) e._tm = this.app.tm.check(m); // a thing-model message, checked against the model
      entries[i] = e;
      const cmd = /\/cmd\/request\/([^/]+)$/.exec(m.topic);
      if (cmd) pub.answerCommand(cmd[1]);
      if (/\/(request\/[^/]+|set|get|invoke)$/.test(m.topic)) this.app.requests.received(m);
    }
    this.log.push(entries);
  }

  renderRow(e, el) {
    el.className = "msg" + (e.link ? " " + e.link.kind : "") + (e.topic.endsWith("/rejected") ? " rejected" : "");
    el.textContent = "";
    const time = document.createElement("span");
    time.className = "m-time";
    time.textContent = clockMs(e.at);
    const topic = document.createElement("span");
    topic.className = "m-topic";
    // The device's own prefix ($sys/{pid}/{device}/) goes without saying.
    const pre = this.prefix();
    topic.textContent = pre && e.topic.startsWith(pre) ? "…/" + e.topic.slice(pre.length) : e.topic;
    const q = document.createElement("span");
    q.className = "m-qos";
    q.textContent = "Q" + e.qos + (e.retained ? " R" : "");
    const p = document.createElement("span");
    p.className = "m-payload";
    p.textContent = (e.link ? `↩ #${e.link.id} ` : "") + preview(e.payload);
    el.append(time, q, topic, p);
    if (e._tm) el.append(thingMark(e._tm));
  }

  prefix() {
    const { productId, deviceName } = this.app.token.ids();
    return productId && deviceName ? `$sys/${productId}/${deviceName}/` : "";
  }

  setFilter(q) {
    this.query = q.trim().toLowerCase();
    const query = this.query;
    this.log.setFilter(query ? (e) => matches(e, query) : null);
  }

  /** What export writes: the messages shown (the filter), paused ones included, and what was sent. */
  exportData(format) {
    const rows = this.log.shown(true).map((e) => ({
      time: new Date(e.at).toISOString(),
      topic: e.topic,
      qos: e.qos,
      retained: e.retained,
      size: e.payload.length,
      payload: isText(e.payload) ? text(e.payload) : null,
      payloadBase64: isText(e.payload) ? undefined : base64(e.payload),
      replyTo: e.link ? { id: e.link.id, sentAt: new Date(e.link.at).toISOString(), kind: e.link.kind } : undefined,
    }));
    const sent = this.app.pub.history.map((s) => ({
      time: new Date(s.at).toISOString(),
      topic: s.topic,
      qos: s.qos,
      id: s.id,
      status: s.status,
      payload: s.text,
      reply: s.reply ? { kind: s.reply.kind, topic: s.reply.topic, time: s.replyEntry ? new Date(s.replyEntry.at).toISOString() : undefined } : undefined,
    }));
    const stamp = new Date().toISOString().replace(/[:]/g, "-").replace(/\.\d+Z$/, "Z");
    if (format === "csv") {
      const q = (v) => (v === undefined || v === null ? "" : /[",\n\r]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
      const lines = ["direction,time,topic,qos,retained,size,payload,payload_base64,id,reply_to,reply_kind"];
      for (const r of rows) lines.push(["received", r.time, r.topic, r.qos, r.retained, r.size, r.payload, r.payloadBase64, "", r.replyTo ? r.replyTo.id : "", r.replyTo ? r.replyTo.kind : ""].map(q).join(","));
      for (const s of sent) lines.push(["sent", s.time, s.topic, s.qos, "", "", s.payload, "", s.id, "", s.reply ? s.reply.kind : ""].map(q).join(","));
      return { name: `onenet-messages-${stamp}.csv`, type: "text/csv", text: lines.join("\r\n") + "\r\n" };
    }
    const doc = { exported: new Date().toISOString(), filter: this.query || undefined, messages: rows, sent };
    return { name: `onenet-messages-${stamp}.json`, type: "application/json", text: JSON.stringify(doc, null, 2) };
  }

  exportMessages(format) {
    const d = this.exportData(format);
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([d.text], { type: d.type }));
    a.download = d.name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 60000);
  }

  updateCount() {
    const log = this.log;
    $("msg-count").textContent = t("msg.count", { n: log.count(), total: log.total }) + (log.paused ? " · " + t("msg.paused", { n: log.held.length }) : "");
  }

  /** Opens an entry in the inspector, scrolled into view in the list. */
  openEntry(e) {
    this.app.layout.setView("see");
    const i = this.log.indexOf(e);
    if (i >= 0) this.log.container.scrollTop = Math.max(0, i * this.log.rowHeight - 40);
    this.log.open(e);
  }

  wire() {
    this.inspector.wire();
    $("msg-filter").addEventListener("input", () => this.setFilter($("msg-filter").value));
    $("msg-pause").addEventListener("click", () => {
      const p = !this.log.paused;
      this.log.setPaused(p);
      $("msg-pause").setAttribute("aria-pressed", String(p));
      $("msg-pause").dataset.i18n = p ? "msg.resume" : "msg.pause";
      $("msg-pause").textContent = t($("msg-pause").dataset.i18n);
    });
    $("msg-clear").addEventListener("click", () => this.log.clear());
    $("msg-export").addEventListener("click", () => this.exportMessages("json"));
    $("msg-export-csv").addEventListener("click", () => this.exportMessages("csv"));
  }

  onLanguage() {
    this.updateCount();
    this.inspector.render();
    this.log.rows.forEach((r) => (r._entry = null));
    this.log.refresh();
  }
}

/** Whether an entry matches the filter (lower case): topic or payload, \uXXXX read as characters. */
function matches(e, q) {
  if (e.topic.toLowerCase().includes(q)) return true;
  if (!isText(e.payload)) return hex(e.payload, 64, "").includes(q.replace(/\s+/g, ""));
  const s = text(e.payload.subarray(0, FILTER_BYTES)).toLowerCase();
  return s.includes(q) || (s.includes("\\u") && unescapeJSON(s).includes(q));
}

/** The mark of a thing-model message: ✓ matches the model, ✗ does not (the rule in its title). */
function thingMark(r) {
  const s = document.createElement("span");
  s.className = "m-tm " + (r.ok ? "ok" : "err");
  s.textContent = r.ok ? " ✓" : " ✗";
  s.title = r.ok ? t("tm.insp.valid") : errorText(r.error);
  return s;
}
