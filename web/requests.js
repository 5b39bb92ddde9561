// Requests from the platform, answered from beside the messages: every
// command (cmd/request), property set and get, and service call the device
// receives gets a prepared reply — the reply topic, the id filled in, a
// payload skeleton — with a Send button and the time left before the
// platform gives up (the API's timeout, 10 s unless the caller chose
// another: docs/PROTOCOL.md). An auto-answer switch per kind answers at
// once with a template, so that a demo runs hands-free. When the thing
// model of the product is known (the thing-model panel), a property get is
// answered with valid values of exactly the properties asked for, a service
// call with the service's output parameters (onenet.tmReply, Go's
// ExampleReply: docs/PROTOCOL.md §9.3), and the auto-answer sends the same.
import { $, el } from "./ui.js";
import { t, show, errorText } from "./i18n.js";
import { text as payloadText } from "./payload.js";

const TIMEOUT_S = 10;
const MAX_CARDS = 20;

// The kinds answered here, and the auto-answer switch of each.
const KINDS = {
  "cmd/request/{cmdid}": "cmd",
  "thing/property/set": "set",
  "thing/property/get": "get",
  "thing/service/{identifier}/invoke": "service",
};

export class RequestsPanel {
  constructor(app) {
    this.app = app;
    this.cards = [];
    this.timer = null;
  }

  wire() {
    $("auto-cmd").addEventListener("change", () => this.renderAuto());
    this.renderAuto();
  }

  renderAuto() {
    $("auto-cmd-fixed-row").hidden = $("auto-cmd").value !== "fixed";
  }

  /** A message arrived: a request gets its card (and, if switched on, its answer). */
  received(m) {
    if (!/\/(cmd\/request\/[^/]+|thing\/property\/set|thing\/property\/get|thing\/service\/[^/]+\/invoke)$/.test(m.topic)) return;
    const onenet = this.app.onenet;
    let p;
    try {
      p = onenet.parseTopic(m.topic);
    } catch {
      return;
    }
    const which = p && !p.error ? KINDS[p.kind] : undefined;
    if (!which) return;
    // The device's answer is the kind that replies to this one.
    const info = onenet.kinds().find((k) => k.replyTo === p.kind && k.direction === "up");
    if (!info) return;
    let replyTopic;
    try {
      replyTopic = onenet.topic(info.kind, { productId: p.productId, deviceName: p.deviceName, cmdId: p.cmdId, identifier: p.identifier });
    } catch {
      return;
    }
    let req = null;
    const body = m.payload.length <= 65536 ? payloadText(m.payload) : "";
    try {
      req = JSON.parse(body);
    } catch {
      // A command may be anything.
    }
    const card = { which, kind: p.kind, topic: m.topic, replyTopic, at: m.receivedAt || Date.now(), productId: p.productId, cmdId: p.cmdId, identifier: p.identifier, req, body, payload: m.payload, status: "waiting" };
    card.id = which === "cmd" ? p.cmdId : req && req.id !== undefined ? String(req.id) : "";
    card.skeleton = this.skeleton(card);
    this.add(card);
    const mode = $("auto-" + which).value;
    if (mode !== "off") this.send(card, this.auto(card, mode), true);
  }

  /** The reply prepared for a request: from the thing model when it is known. */
  skeleton(c) {
    const fromModel = this.modelReply(c);
    if (fromModel) return fromModel;
    const id = c.req && c.req.id !== undefined ? c.req.id : c.id;
    switch (c.which) {
      case "cmd":
        return "ok";
      case "set":
        return JSON.stringify({ id, code: 200, msg: "success" });
      case "get": {
        const data = {};
        for (const k of Array.isArray(c.req && c.req.params) ? c.req.params.slice(0, 50) : []) {
          const v = this.lastValue(String(k));
          data[k] = v === undefined ? 0 : v;
        }
        return JSON.stringify({ id, code: 200, msg: "success", data }, null, 2);
      }
      default:
        return JSON.stringify({ id, code: 200, msg: "success", data: {} }, null, 2);
    }
  }

  /**
   * The reply built from the thing model of the request's product, or null
   * without one (or for a command). A request the model refuses keeps the
   * plain skeleton, and the card says why (c.modelError). A property the
   * device has a value for (posted, or set by the platform) is answered
   * with it when the model accepts it.
   */
  modelReply(c) {
    const tm = this.app.tm;
    if (c.which === "cmd" || !tm || !tm.model || this.app.token.ids().productId !== c.productId) return null;
    let reply;
    try {
      reply = JSON.parse(this.app.onenet.tmReply(tm.text, c.kind, c.identifier || "", c.body, Date.now()));
    } catch (e) {
      c.modelError = e;
      return null;
    }
    c.fromModel = true;
    if (c.which === "get" && reply.data) {
      for (const k of Object.keys(reply.data)) {
        const v = tm.card.has(k) ? tm.card.get(k).value : this.lastValue(k);
        if (v === undefined) continue;
        let ok = false;
        try {
          ok = this.app.onenet.tmCheckValue(tm.text, "property", "", k, JSON.stringify(v)).ok;
        } catch {
          // Not a value the model takes: the example stays.
        }
        if (ok) reply.data[k] = v;
      }
    }
    // A set's reply fits its two rows; values are easier to edit indented.
    return c.which === "set" ? JSON.stringify(reply) : JSON.stringify(reply, null, 2);
  }

  /** The answer an auto-answer switch gives. */
  auto(c, mode) {
    if (c.which === "cmd") return mode === "echo" ? c.payload : $("auto-cmd-fixed").value;
    return c.skeleton;
  }

  /** The value the device last posted for a property (thing/property/post), or undefined. */
  lastValue(name) {
    const h = this.app.pub.history;
    for (let i = h.length - 1; i >= 0; i--) {
      if (!h[i].topic.endsWith("/thing/property/post")) continue;
      try {
        const p = JSON.parse(h[i].text).params;
        if (p && p[name] !== undefined) return p[name] && typeof p[name] === "object" && "value" in p[name] ? p[name].value : p[name];
      } catch {
        // Not JSON.
      }
    }
    return undefined;
  }

  add(card) {
    this.cards.unshift(card);
    while (this.cards.length > MAX_CARDS) {
      const old = this.cards.pop();
      old.el.remove();
    }
    card.el = this.renderCard(card);
    $("requests").prepend(card.el);
    $("requests-none").hidden = true;
    this.tick();
  }

  renderCard(c) {
    const box = el("li", "req");
    const head = el("div", "req-head");
    const kind = el("strong", "", c.kind.replace("{cmdid}", c.cmdId).replace("{identifier}", c.identifier));
    const id = el("span", "muted");
    show(id, () => (c.id ? t("req.id", { id: c.id }) : ""));
    c.left = el("span", "req-left");
    c.left.setAttribute("role", "timer");
    head.append(kind, id, c.left);
    const label = el("label", "");
    const span = el("span", "");
    show(span, () => t("req.reply", { topic: c.replyTopic }));
    c.ta = el("textarea", "");
    c.ta.rows = c.which === "get" || c.which === "service" ? 4 : 2;
    c.ta.spellcheck = false;
    c.ta.value = c.skeleton;
    label.append(span, c.ta);
    const actions = el("div", "actions");
    c.btn = el("button", "primary", t("req.send"));
    c.btn.type = "button";
    c.btn.addEventListener("click", () => this.send(c, c.ta.value, false));
    c.state = el("span", "req-state");
    c.state.setAttribute("role", "status");
    actions.append(c.btn, c.state);
    box.append(head, label);
    if (c.fromModel || c.modelError) {
      const note = el("p", c.modelError ? "req-model err" : "req-model muted");
      show(note, () => (c.modelError ? t("req.modelRefused", { error: errorText(c.modelError) }) : t("req.fromModel")));
      box.append(note);
    }
    box.append(actions);
    this.renderState(c);
    return box;
  }

  renderState(c) {
    show(c.state, () => (c.status === "waiting" ? "" : t("req.status." + c.status) + (c.error ? ": " + errorText(c.error) : "")));
    c.state.className = "req-state " + c.status;
    c.btn.textContent = t(c.status === "waiting" ? "req.send" : "req.sendAgain");
  }

  async send(c, payload, auto) {
    const client = this.app.conn.client;
    if (!client) {
      c.status = "offline";
      this.renderState(c);
      return;
    }
    if (typeof payload === "string") c.ta.value = payload;
    c.status = auto ? "autoSending" : "sending";
    this.renderState(c);
    try {
      await this.app.pub.send(c.replyTopic, payload, 0);
      c.status = auto ? "autoSent" : "sent";
      c.done = true;
    } catch (e) {
      c.status = "failed";
      c.error = e;
    }
    this.renderState(c);
    this.tick();
  }

  /** The countdowns, once a second while a request waits. */
  tick() {
    const now = Date.now();
    let waiting = false;
    for (const c of this.cards) {
      const left = Math.ceil(TIMEOUT_S - (now - c.at) / 1000);
      if (c.done) show(c.left, null);
      else if (left > 0) {
        waiting = true;
        show(c.left, () => t("req.left", { s: left }));
      } else show(c.left, () => t("req.expired"));
      c.left.classList.toggle("expired", !c.done && left <= 0);
    }
    clearTimeout(this.timer);
    this.timer = waiting ? setTimeout(() => this.tick(), 500) : null;
  }
}
