// The message inspector: the selected message in full — its time to the
// millisecond, topic, QoS, retained flag and size; the payload as a
// collapsible JSON tree, raw text, hex or base64 (the whole payload, up to
// SHOW_BYTES on screen; Copy takes all of it); the difference from the
// previous message on the same topic; and, for a reply, the publish it
// answers. The work for any one message is bounded (payload.js).
import { $, isoLocal, copyText, clockMs } from "./ui.js";
import { t, show, plural, BYTES } from "./i18n.js";
import { isText, text, base64, parse, TREE_NODES, MAX_DEPTH } from "./payload.js";

const SHOW_BYTES = 1 << 20;
const DIFF_PATHS = 2000;
const VIEWS = ["tree", "raw", "hex", "base64", "diff"];

export class Inspector {
  constructor(app) {
    this.app = app;
    this.entry = null;
    this.view = "tree";
  }

  wire() {
    const tabs = VIEWS.map((v) => $("insp-tab-" + v));
    for (const tab of tabs) {
      tab.addEventListener("click", () => this.setView(tab.id.slice(9)));
      tab.addEventListener("keydown", (ev) => {
        const i = tabs.indexOf(tab);
        const j = ev.key === "ArrowRight" ? (i + 1) % tabs.length : ev.key === "ArrowLeft" ? (i + tabs.length - 1) % tabs.length : -1;
        if (j < 0) return;
        ev.preventDefault();
        tabs[j].focus();
        this.setView(VIEWS[j]);
      });
    }
    $("insp-close").addEventListener("click", () => this.close());
    $("insp-copy").addEventListener("click", () => {
      if (this.entry) copyText(this.copyText(), $("insp-view"), $("insp-copy-status"));
    });
    $("insp-copy-topic").addEventListener("click", () => {
      if (this.entry) copyText(this.entry.topic, null, $("insp-copy-status"));
    });
    $("insp-reply").addEventListener("click", () => this.goToLink());
  }

  open(entry) {
    this.entry = entry;
    $("inspector").hidden = false;
    this.render();
  }

  close() {
    this.entry = null;
    $("inspector").hidden = true;
    this.app.msgs.log.select(null);
    $("msg-list").focus();
  }

  setView(v) {
    this.view = v;
    this.render();
  }

  /** What Copy takes: the whole of the view shown. */
  copyText() {
    const b = this.entry.payload;
    switch (this.view) {
      case "hex":
        return hexAll(b, b.length);
      case "base64":
        return base64(b);
      case "diff":
        return $("insp-view").textContent;
      default:
        return isText(b) ? text(b) : base64(b);
    }
  }

  render() {
    const e = this.entry;
    if (!e) return;
    for (const v of VIEWS) {
      const tab = $("insp-tab-" + v);
      tab.setAttribute("aria-selected", String(v === this.view));
      tab.tabIndex = v === this.view ? 0 : -1;
    }
    const meta = $("insp-meta");
    meta.replaceChildren();
    const add = (k, v) => {
      const dt = document.createElement("dt");
      show(dt, () => t(k));
      const dd = document.createElement("dd");
      dd.textContent = v;
      meta.append(dt, dd);
      return dd;
    };
    add("insp.time", isoLocal(e.at));
    add("insp.topic", e.topic);
    add("insp.qos", String(e.qos));
    add("insp.retained", e.retained ? t("insp.yes") : t("insp.no"));
    add("insp.size", plural(BYTES, e.payload.length));
    if (this.app.tm) this.app.tm.describe(e, add); // thing-model messages: the check, names and units
    const link = e.link;
    $("insp-reply").hidden = !link;
    if (link) show($("insp-reply"), () => t("insp.replyTo", { id: link.id, time: clockMs(link.at) }));
    const box = $("insp-view");
    box.replaceChildren();
    box.className = "insp-view insp-" + this.view;
    const b = e.payload;
    const cut = b.length > SHOW_BYTES ? b.subarray(0, SHOW_BYTES) : b;
    const note = b.length > SHOW_BYTES ? t("insp.cut", { shown: SHOW_BYTES.toLocaleString(), n: b.length.toLocaleString() }) : "";
    switch (this.view) {
      case "tree": {
        const p = parse(b);
        if (p.error) {
          const why = document.createElement("p");
          why.className = "muted";
          why.textContent = t("insp.noTree." + p.error, { depth: MAX_DEPTH });
          box.append(why, pre(isText(b) ? text(cut) : hexAll(cut, cut.length)));
        } else {
          const budget = { n: TREE_NODES };
          box.append(tree(p.value, null, 0, budget));
          if (budget.n < 0) box.append(muted(t("insp.treeCut", { n: TREE_NODES })));
        }
        break;
      }
      case "raw":
        box.append(pre(isText(b) ? text(cut) : t("insp.binary")));
        break;
      case "hex":
        box.append(pre(hexDump(cut)));
        break;
      case "base64":
        box.append(pre(base64(cut)));
        break;
      case "diff":
        box.append(...this.diff(e));
        break;
    }
    if (note) box.append(muted(note));
  }

  /** The previous message on the same topic, or null. */
  previous(e) {
    const all = this.app.msgs.log.entries;
    let i = all.lastIndexOf(e);
    if (i < 0) i = all.length;
    for (let j = i - 1; j >= 0; j--) if (all[j].topic === e.topic) return all[j];
    return null;
  }

  diff(e) {
    const prev = this.previous(e);
    if (!prev) return [muted(t("insp.diff.none"))];
    const head = muted(t("insp.diff.against", { time: clockMs(prev.at) }));
    const a = parse(prev.payload);
    const b = parse(e.payload);
    const lines = [];
    if (!a.error && !b.error) {
      const fa = flatten(a.value);
      const fb = flatten(b.value);
      for (const [k, v] of fa) {
        if (!fb.has(k)) lines.push(["del", `- ${k}: ${v}`]);
        else if (fb.get(k) !== v) lines.push(["chg", `~ ${k}: ${v} → ${fb.get(k)}`]);
      }
      for (const [k, v] of fb) if (!fa.has(k)) lines.push(["add", `+ ${k}: ${v}`]);
      if (fa.size >= DIFF_PATHS || fb.size >= DIFF_PATHS) lines.push(["cut", t("insp.diff.cut", { n: DIFF_PATHS })]);
    } else {
      const ta = isText(prev.payload) ? text(prev.payload.subarray(0, 65536)) : base64(prev.payload.subarray(0, 49152));
      const tb = isText(e.payload) ? text(e.payload.subarray(0, 65536)) : base64(e.payload.subarray(0, 49152));
      if (ta !== tb) {
        lines.push(["del", "- " + ta]);
        lines.push(["add", "+ " + tb]);
      }
    }
    if (!lines.length) return [head, muted(t("insp.diff.same"))];
    const out = document.createElement("pre");
    for (const [cls, s] of lines) {
      const span = document.createElement("span");
      span.className = "d-" + cls;
      span.textContent = s + "\n";
      out.append(span);
    }
    return [head, out];
  }

  /** From a reply to the publish it answers, in the Sent list. */
  goToLink() {
    const e = this.entry;
    if (!e || !e.link || !e.link.sent || !e.link.sent.el) return;
    this.app.layout.setView("act");
    const li = e.link.sent.el;
    li.tabIndex = -1;
    li.scrollIntoView({ block: "nearest" });
    li.focus();
  }
}

function pre(s) {
  const p = document.createElement("pre");
  p.textContent = s;
  return p;
}

function muted(s) {
  const p = document.createElement("p");
  p.className = "muted";
  p.textContent = s;
  return p;
}

/** The JSON tree: objects and arrays as <details>, open near the top; at most budget.n nodes. */
function tree(v, key, depth, budget) {
  budget.n--;
  const label = (el) => {
    if (key !== null) {
      const k = document.createElement("span");
      k.className = "j-key";
      k.textContent = JSON.stringify(key);
      el.append(k, ": ");
    }
  };
  if (v !== null && typeof v === "object") {
    const isArr = Array.isArray(v);
    const keys = isArr ? v.map((_, i) => i) : Object.keys(v);
    const d = document.createElement("details");
    d.open = depth < 2;
    const s = document.createElement("summary");
    label(s);
    const brace = document.createElement("span");
    brace.className = "j-brace";
    brace.textContent = (isArr ? "[" : "{") + (keys.length ? "" : isArr ? "]" : "}") + "  " + (keys.length ? `${keys.length}` : "");
    s.append(brace);
    d.append(s);
    const ul = document.createElement("ul");
    for (const k of keys) {
      if (budget.n < 0) break;
      const li = document.createElement("li");
      li.append(tree(v[k], isArr ? null : k, depth + 1, budget));
      ul.append(li);
    }
    d.append(ul);
    return d;
  }
  const span = document.createElement("span");
  label(span);
  const val = document.createElement("span");
  val.className = v === null ? "j-null" : typeof v === "string" ? "j-str" : typeof v === "number" ? "j-num" : "j-bool";
  val.textContent = JSON.stringify(v);
  span.append(val);
  return span;
}

/** Paths and values of a JSON value (a.b[0].c → JSON of the leaf), at most DIFF_PATHS. */
function flatten(v, path = "", out = new Map()) {
  if (out.size >= DIFF_PATHS) return out;
  if (v !== null && typeof v === "object") {
    const entries = Array.isArray(v) ? v.map((x, i) => [`[${i}]`, x]) : Object.entries(v).map(([k, x]) => [(path ? "." : "") + k, x]);
    if (!entries.length) out.set(path || "(root)", JSON.stringify(v));
    for (const [k, x] of entries) flatten(x, path + k, out);
    return out;
  }
  out.set(path || "(root)", JSON.stringify(v));
  return out;
}

/** Every byte as hex, space-separated. */
function hexAll(b, n) {
  const parts = new Array(n);
  for (let i = 0; i < n; i++) parts[i] = b[i].toString(16).padStart(2, "0");
  return parts.join(" ");
}

/** A hex dump: offset, 16 bytes, their printable characters. */
function hexDump(b) {
  const lines = [];
  for (let off = 0; off < b.length; off += 16) {
    const row = b.subarray(off, off + 16);
    let h = "";
    let a = "";
    for (let i = 0; i < 16; i++) {
      h += i < row.length ? row[i].toString(16).padStart(2, "0") + " " : "   ";
      if (i === 7) h += " ";
      if (i < row.length) a += row[i] >= 32 && row[i] < 127 ? String.fromCharCode(row[i]) : ".";
    }
    lines.push(off.toString(16).padStart(8, "0") + "  " + h + " " + a);
  }
  return lines.join("\n");
}
