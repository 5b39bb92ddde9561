// OneNET's message-rate limits as the device lives them, per product kind
// (docs/PROTOCOL.md §3.9; the numbers are onenet/limits.go's):
//
//   - an MQTT-kit product (§5.6, §5.2, §5.3): in any 5 s, more than 10
//     logins, 300 QoS 0 or 100 QoS 1 publishes, 15 topics subscribed or 10
//     UNSUBSCRIBE packets ban the device for 5 minutes, and its logins are
//     then refused (CONNACK 3); at most 15 topics in a session;
//   - a OneNET Studio product (§5.7): at most 3 logins in 5 s (a 4th is
//     refused, no ban), 1 uplink message a second (later ones are delayed),
//     10 topics subscribed a second and 10 in a session (more fail), 10
//     topics unsubscribed a second (more delay the connection's packets).
//
// The kind is the local server's registry's (local.json) for the local
// broker, and the endpoint's through the relay (Studio's hosts and a
// product's own host are Studio's, §2). The page counts its own publishes,
// logins and subscriptions in sliding windows, shows the counts with the
// limits of the kind, warns before a limit, asks before one that bans,
// and knows when a ban it caused ends.
import { $, el } from "./ui.js";
import { t, show, formatTime } from "./i18n.js";

export const WINDOW_MS = 5000;
export const BAN_MS = 5 * 60 * 1000;
/** Each counter of a kind: its limit, its window, and whether passing it bans. */
export const RULES = {
  kit: {
    qos1: { limit: 100, window: WINDOW_MS, ban: true },
    qos0: { limit: 300, window: WINDOW_MS, ban: true },
    login: { limit: 10, window: WINDOW_MS, ban: true },
    sub: { limit: 15, window: WINDOW_MS, ban: true },
    unsub: { limit: 10, window: WINDOW_MS, ban: true },
  },
  studio: {
    uplink: { limit: 1, window: 1000, ban: false },
    login: { limit: 3, window: WINDOW_MS, ban: false },
    sub: { limit: 10, window: 1000, ban: false },
    unsub: { limit: 10, window: 1000, ban: false },
  },
};
/** Topics subscribed in one session (§5.2, §5.7). */
export const SESSION_TOPICS = { kit: 15, studio: 10 };
const WARN_AT = 0.8;
const STUDIO_HOST = /^(studio-mqtts?\.heclouds\.com|[a-z0-9]+\.mqtts\.acc\.cmcconenet\.cn):/i;

export class Limits {
  constructor(app) {
    this.app = app;
    this.times = { qos0: [], qos1: [], login: [], sub: [], unsub: [] };
    this.banUntil = 0; // when a ban this page caused ends (ms), or 0
    this.timer = null;
    this.shown = ""; // the kind whose counters are on the page
    // The kind follows the product and the endpoint.
    $("productId").addEventListener("input", () => this.render());
    $("endpoint").addEventListener("change", () => this.render());
  }

  /** Whether the counts apply: OneNET (through the relay) or the local broker, not another broker. */
  applies() {
    return this.app.conn.targetMode() !== "url";
  }

  /** "studio" or "kit": the kind of the product in use. */
  kind() {
    const conn = this.app.conn;
    if (conn.targetMode() === "relay") return STUDIO_HOST.test($("endpoint").value) ? "studio" : "kit";
    const pid = $("productId").value.trim();
    const p = this.app.local && Array.isArray(this.app.local.products) ? this.app.local.products.find((x) => x.id === pid) : null;
    return p && p.kind === "studio" ? "studio" : "kit";
  }

  /** The rule of a counter for the kind in use (qos0 and qos1 are Studio's uplink). */
  rule(name) {
    const rules = RULES[this.kind()];
    return rules[name] || (name === "qos0" || name === "qos1" ? rules.uplink : null);
  }

  /** The events of a counter in the last window (a Studio uplink counts both QoS). */
  count(name, now = Date.now()) {
    const r = this.rule(name);
    if (!r) return 0;
    const names = this.kind() === "studio" && (name === "qos0" || name === "qos1" || name === "uplink") ? ["qos0", "qos1"] : [name];
    let n = 0;
    for (const k of names) {
      const a = this.times[k];
      while (a.length && a[0] <= now - WINDOW_MS) a.shift();
      for (let i = a.length - 1; i >= 0 && a[i] > now - r.window; i--) n++;
    }
    return n;
  }

  /** Would one more of name pass a limit that bans the device? (Then the page asks first.) */
  over(name) {
    const r = this.rule(name);
    return this.applies() && !!r && r.ban && this.count(name) + 1 > r.limit;
  }

  /** Would one more of name pass its limit, banning or not? */
  wouldPass(name) {
    const r = this.rule(name);
    return this.applies() && !!r && this.count(name) + 1 > r.limit;
  }

  /** The limit of name for the kind in use, for a message. */
  limit(name) {
    const r = this.rule(name);
    return r ? r.limit : 0;
  }

  /** Topics a session may hold for the kind in use. */
  sessionTopics() {
    return SESSION_TOPICS[this.kind()];
  }

  record(name) {
    const now = Date.now();
    const a = this.times[name];
    a.push(now);
    if (a.length > 1000) a.splice(0, a.length - 1000);
    const r = this.rule(name);
    if (this.applies() && r && r.ban && this.count(name, now) > r.limit) this.banUntil = now + BAN_MS;
    this.render();
  }

  publish(qos) {
    this.record(qos ? "qos1" : "qos0");
  }

  banned() {
    return this.banUntil > Date.now();
  }

  /** The counters of the kind in use, built again when the kind changes. */
  build(kind) {
    const box = $("limit-counts");
    box.replaceChildren();
    for (const name of Object.keys(RULES[kind])) {
      const item = el("span", "limit-item");
      const label = el("span", "", t("limit." + name));
      label.dataset.i18n = "limit." + name;
      const n = el("span", "limit-n");
      n.id = "limit-" + name;
      item.append(label, " ", n);
      box.append(item);
    }
    const title = $("limit-title");
    title.dataset.i18n = "limit.title." + kind;
    title.textContent = t("limit.title." + kind);
    this.shown = kind;
  }

  render() {
    const box = $("limits");
    box.hidden = !this.applies();
    const kind = this.kind();
    if (this.shown !== kind) this.build(kind);
    const now = Date.now();
    let warn = "";
    let any = false;
    for (const name of Object.keys(RULES[kind])) {
      const r = RULES[kind][name];
      const n = this.count(name, now);
      if (n) any = true;
      const e = $("limit-" + name);
      e.textContent = `${n}/${r.limit}`;
      // A limit of 1 is warned about once passed (the next one waits).
      const level = n > r.limit ? "over" : r.limit > 1 && n >= Math.ceil(r.limit * WARN_AT) ? "near" : "";
      e.className = "limit-n " + level;
      if (level && !warn) warn = name;
    }
    const w = $("limit-warn");
    if (this.banned()) show(w, () => t("limit.bannedUntil", { until: formatTime(this.banUntil) }));
    else if (warn) show(w, () => t("limit.near." + kind + "." + warn, { limit: RULES[kind][warn].limit }));
    else show(w, null);
    clearTimeout(this.timer);
    if (any || this.times.qos0.length || this.times.qos1.length) this.timer = setTimeout(() => this.render(), 500);
  }
}
