// OneNET's message-rate limits as the device lives them (docs/PROTOCOL.md
// §5.6): in any 5 s, more than 10 logins, 300 QoS 0 or 100 QoS 1 publishes
// ban the device for 5 minutes, and its logins are then refused (CONNACK 3).
// The page counts its own publishes and logins in a sliding 5-second
// window, shows the counts, warns before a limit, asks before passing one,
// and knows when a ban it caused ends.
import { $ } from "./ui.js";
import { t, show, formatTime } from "./i18n.js";

export const WINDOW_MS = 5000;
export const BAN_MS = 5 * 60 * 1000;
export const LIMITS = { qos0: 300, qos1: 100, login: 10 };
const WARN_AT = 0.8;

export class Limits {
  constructor(app) {
    this.app = app;
    this.times = { qos0: [], qos1: [], login: [] };
    this.banUntil = 0; // when a ban this page caused ends (ms), or 0
    this.timer = null;
  }

  /** Whether the counts apply: OneNET (through the relay) or the local broker, not another broker. */
  applies() {
    return this.app.conn.targetMode() !== "url";
  }

  count(kind, now = Date.now()) {
    const a = this.times[kind];
    while (a.length && a[0] <= now - WINDOW_MS) a.shift();
    return a.length;
  }

  /** Would one more of kind pass the limit? */
  over(kind) {
    return this.applies() && this.count(kind) + 1 > LIMITS[kind];
  }

  record(kind) {
    const now = Date.now();
    const a = this.times[kind];
    a.push(now);
    if (a.length > LIMITS[kind] * 2) a.splice(0, a.length - LIMITS[kind] * 2);
    if (this.applies() && this.count(kind, now) > LIMITS[kind]) this.banUntil = now + BAN_MS;
    this.render();
  }

  publish(qos) {
    this.record(qos ? "qos1" : "qos0");
  }

  banned() {
    return this.banUntil > Date.now();
  }

  render() {
    const box = $("limits");
    box.hidden = !this.applies();
    const now = Date.now();
    const n = { qos0: this.count("qos0", now), qos1: this.count("qos1", now), login: this.count("login", now) };
    let warn = "";
    for (const k of ["qos1", "qos0", "login"]) {
      const el = $("limit-" + k);
      el.textContent = `${n[k]}/${LIMITS[k]}`;
      const level = n[k] > LIMITS[k] ? "over" : n[k] >= LIMITS[k] * WARN_AT ? "near" : "";
      el.className = "limit-n " + level;
      if (level && !warn) warn = k;
    }
    const w = $("limit-warn");
    if (this.banned()) show(w, () => t("limit.bannedUntil", { until: formatTime(this.banUntil) }));
    else if (warn) show(w, () => t("limit.near." + warn, { limit: LIMITS[warn] }));
    else show(w, null);
    clearTimeout(this.timer);
    if (n.qos0 || n.qos1 || n.login) this.timer = setTimeout(() => this.render(), 500);
  }
}
