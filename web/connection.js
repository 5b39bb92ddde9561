// The connection panel: which broker, the credentials, connect/disconnect,
// the connection's state.
import { $, setMsgs, markField, clockMs, fmtTime } from "./ui.js";
import { t, show, errorText, reasonText, plural } from "./i18n.js";

const LOG_ENTRIES = 100;
// host:port without a scheme; OneNET's MQTT hosts end in .heclouds.com.
const HOST_PORT = /^([a-z0-9.-]+):(\d{1,5})(\/.*)?$/i;

export class ConnectionPanel {
  constructor(app) {
    this.app = app;
    this.client = null;
    this.attempt = null; // the connect() whose events are shown
    this.logEntries = [];
  }

  targetMode() {
    return document.querySelector("input[name=target]:checked").value;
  }

  updateCredentials() {
    const auto = $("cred-auto").checked;
    for (const id of ["clientId", "username", "password"]) $(id).disabled = auto;
    if (auto) {
      $("clientId").value = $("deviceName").value.trim();
      $("username").value = $("productId").value.trim();
      $("password").value = $("token-out").value;
    }
  }

  /**
   * Builds the password at every (re)connect. With an expiry given as a
   * duration the token is new each time, so a session outlives its tokens.
   */
  passwordFn() {
    if (!$("cred-auto").checked) return $("password").value;
    // Another broker needs no OneNET token: without a key, no password.
    if (this.targetMode() === "url" && !$("key").value.trim()) return "";
    return this.app.token.token();
  }

  pageURL(path) {
    const u = new URL(path, location.href);
    u.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    return u.href;
  }

  connectURL() {
    const local = this.app.local;
    switch (this.targetMode()) {
      case "local":
        return this.pageURL(local ? local.broker : "mqtt");
      case "relay":
        return this.pageURL((local ? local.bridge : "bridge") + "?target=" + encodeURIComponent($("endpoint").value));
      default:
        return $("url").value.trim();
    }
  }

  /** Explains what is wrong with a URL before trying it, or "" if nothing is. */
  checkURL(url) {
    const hp = HOST_PORT.exec(url);
    if (hp) {
      if (/(^|\.)heclouds\.com$/i.test(hp[1])) return t("conn.err.onenetTCP", { addr: hp[1] + ":" + hp[2] });
      return t("conn.err.noScheme", { addr: url, suggestion: "ws://" + hp[1] + ":" + hp[2] + (hp[3] || "/mqtt") });
    }
    let u;
    try {
      u = new URL(url);
    } catch {
      return url ? t("conn.err.urlParse", { url }) : t("conn.err.urlEmpty");
    }
    if (u.protocol === "mqtt:" || u.protocol === "mqtts:" || u.protocol === "tcp:" || u.protocol === "ssl:") {
      if (/(^|\.)heclouds\.com$/i.test(u.hostname)) return t("conn.err.onenetTCP", { addr: u.host });
      return t("conn.err.mqttScheme", { scheme: u.protocol });
    }
    if (u.protocol !== "ws:" && u.protocol !== "wss:") return t("conn.err.scheme", { scheme: u.protocol });
    if (/\.heclouds\.com$/i.test(u.hostname)) return t("conn.err.onenetHost", { host: u.hostname });
    if (u.protocol === "ws:" && location.protocol === "https:") return t("conn.err.mixed");
    return "";
  }

  /** The OneNET address typed in the URL box (host:port), or "". */
  onenetAddr(url) {
    const hp = HOST_PORT.exec(url);
    if (hp && /(^|\.)heclouds\.com$/i.test(hp[1])) return hp[1] + ":" + hp[2];
    try {
      const u = new URL(url);
      if (/^(mqtts?|tcp|ssl):$/.test(u.protocol) && /(^|\.)heclouds\.com$/i.test(u.hostname)) return u.host || u.hostname;
    } catch {
      // Not a URL.
    }
    return "";
  }

  /** Switches from the URL to the relay, with the endpoint typed if it is one. */
  useRelay() {
    const addr = this.onenetAddr($("url").value.trim());
    document.querySelector("input[name=target][value=relay]").checked = true;
    const opt = [...$("endpoint").options].find((o) => o.value === addr && !o.disabled);
    if (opt) $("endpoint").value = addr;
    this.updateTarget();
    this.app.save();
    $("endpoint").focus();
  }

  fillEndpoints() {
    const sel = $("endpoint");
    const cur = sel.value;
    sel.replaceChildren();
    const allowed = this.app.local ? this.app.local.endpoints || [] : [];
    for (const e of this.app.onenet.endpoints()) {
      const o = document.createElement("option");
      o.value = e.addr;
      o.textContent = `${t("endpoint." + e.name)} — ${e.addr}`;
      o.disabled = !allowed.includes(e.addr);
      sel.append(o);
    }
    if (cur) sel.value = cur;
  }

  updateTarget({ msgs = true } = {}) {
    const mode = this.targetMode();
    $("endpoint").disabled = mode !== "relay";
    $("url").disabled = mode !== "url";
    const noLocal = !this.app.local;
    for (const v of ["local", "relay"]) {
      const r = document.querySelector(`input[name=target][value=${v}]`);
      r.disabled = noLocal;
    }
    let note = "";
    if (noLocal) note = t("conn.noLocal");
    else if (mode === "relay") note = t("conn.relayNote");
    $("target-note").textContent = note;
    $("real-warning").hidden = !(mode === "relay" && $("resKind").value === "device");
    this.app.plat.setAvailable(!noLocal, mode === "local");
    markField("url", false);
    this.app.limits.render();
    const url = $("url").value.trim();
    $("url-relay").hidden = !(mode === "url" && this.app.local && this.onenetAddr(url));
    if (mode === "url") {
      const problem = url ? this.checkURL(url) : "";
      markField("url", !!problem);
      if (msgs) setMsgs($("conn-msgs"), problem ? [[() => this.checkURL(url), "err"]] : []);
    }
  }

  setState(s, reason) {
    const el = $("conn-state");
    el.dataset.state = s;
    el.dataset.i18n = "state." + s;
    el.textContent = t("state." + s);
    const connected = s === "connected";
    // While reconnecting, a publish waits for the new connection and is then
    // sent (mqttws's guarantee): the button stays usable.
    $("publish").disabled = !(connected || s === "reconnecting");
    $("subscribe").disabled = !connected;
    $("disconnect").disabled = s === "closed";
    $("reconnect").disabled = s === "closed";
    $("connect").disabled = s !== "closed";
    if (reason) setMsgs($("conn-msgs"), [[reason, s === "connected" ? "ok" : "err"]]);
    this.app.layout.connection(s);
  }

  /**
   * Explains a connection failure, with what to check: a function that
   * renders the explanation in the current language. For a refused login, the
   * token is checked here, and OneNET's reason code for what is wrong is
   * named, as its device log would give it.
   */
  /** The relay's ?target= when connecting through a relay (/bridge), else "". */
  relayTarget() {
    try {
      const u = new URL(this.connectURL());
      return u.pathname.endsWith("/bridge") ? u.searchParams.get("target") || "" : "";
    } catch {
      return "";
    }
  }

  explainConnectError(e) {
    if (e.connack === 3 && this.app.limits.applies() && this.app.limits.kind() === "studio") {
      // Studio refuses a 4th login in 5 s and bans nobody (docs/PROTOCOL.md §5.7).
      const limit = this.app.limits.limit("login");
      return () => t("limit.studioLogin", { limit });
    }
    if (e.connack === 3 && this.app.limits.applies()) {
      const known = this.app.limits.banned() ? this.app.limits.banUntil : 0;
      const latest = Date.now() + 5 * 60 * 1000;
      return () => (known ? t("limit.banned", { until: fmtTime(known) }) : t("limit.bannedUnknown", { until: fmtTime(latest) }));
    }
    if (e.connack === 4 || e.connack === 5) {
      let vr = null;
      try {
        vr = this.app.onenet.verifyToken($("password").value, $("key").value.trim(), { res: "" });
      } catch {
        // No key or no token to check: the general advice stands.
      }
      return () => {
        let s = t("conn.err.connack", { code: e.connack });
        if (vr && !vr.valid && vr.error) {
          s += " " + t("conn.err.tokenCheck", { reason: errorText(vr.error) });
          if (reasonText(vr.code)) s += " " + t("conn.err.reason", { code: vr.code, reason: reasonText(vr.code) });
        }
        return s;
      };
    }
    const target = e.code === "mqtt.dial.timeout" ? this.relayTarget() : "";
    if (target) {
      // Through the relay, the timeout is the target's: name it, not the relay.
      return () => t("conn.err.relayTimeout", { target });
    }
    if (e.connack === undefined && e.code === "mqtt.dial.closed" && this.targetMode() !== "url") {
      // OneNET (and the local broker) close the connection without a CONNACK
      // for the rules of docs/PROTOCOL.md §3.7.
      return () => errorText(e) + " " + t("conn.err.closedByRule");
    }
    return () => errorText(e);
  }

  async connect() {
    const app = this.app;
    const onenet = app.onenet;
    $("takeover-box").hidden = true;
    this.quickLosses = [];
    if (app.limits.applies() && app.limits.banned()) {
      const until = app.limits.banUntil;
      setMsgs($("conn-msgs"), [[() => t("limit.banned", { until: fmtTime(until) }), "err"]]);
      return;
    }
    const url = this.connectURL();
    const problem = this.checkURL(url);
    if (problem) {
      setMsgs($("conn-msgs"), [[() => this.checkURL(url), "err"]]);
      markField("url", true);
      return;
    }
    if (this.targetMode() === "relay" && $("resKind").value === "device" && !$("real-ok").checked) {
      setMsgs($("conn-msgs"), [[() => t("conn.confirmReal"), "warn"]]);
      $("real-ok").focus();
      return;
    }
    this.updateCredentials();
    // OneNET's rules (and its reason codes) are not another broker's.
    // Through the relay to the MQTT kit's endpoints, usernames are numeric (docs/PROTOCOL.md §3.5).
    const kit = this.targetMode() === "relay" && /^mqtts(tls)?\.heclouds\.com:/.test(this.relayTarget());
    const warnings = this.targetMode() === "url" ? [] : onenet.checkConnect({ clientId: $("clientId").value, username: $("username").value, keepAlive: Number($("keepAlive").value), cleanSession: true, kit });
    this.warnings = warnings;
    let password;
    try {
      password = $("cred-auto").checked ? () => this.passwordFn() : $("password").value;
      if ($("cred-auto").checked) this.passwordFn(); // fail early with the token's own message
    } catch (e) {
      setMsgs($("conn-msgs"), [[() => errorText(e), "err"]]);
      return;
    }
    this.setState("connecting");
    setMsgs($("conn-msgs"), warnings.map((w) => [() => errorText(w), "warn"]));
    app.save();
    // The events of this attempt: they start before connect() resolves.
    const attempt = { url };
    this.attempt = attempt;
    this.url = url;
    try {
      const client = await onenet.connect({
        url,
        clientId: $("clientId").value,
        username: $("username").value,
        password,
        keepAlive: Number($("keepAlive").value) || 60,
        cleanSession: true,
        autoReconnect: true,
        onMessages: (batch) => app.msgs.received(batch),
        onState: (ev) => {
          if (this.attempt === attempt) this.onState(ev);
        },
      });
      if (this.attempt !== attempt) {
        // Disconnected (or connected again) meanwhile.
        client.disconnect().catch(() => {});
        return;
      }
      this.client = client;
      this.setState("connected");
      this.connectedMsgs();
      this.focusNext();
    } catch (e) {
      if (this.attempt !== attempt) return;
      this.attempt = null;
      this.setState("closed");
      setMsgs($("conn-msgs"), [[this.explainConnectError(e), "err"]]);
      // A broker that cannot be reached: the URL is what to check.
      if (this.targetMode() === "url" && e.connack === undefined) markField("url", true);
    }
  }

  /** Connected: what was wrong before is gone; the warnings stay. */
  connectedMsgs() {
    const url = this.url;
    setMsgs($("conn-msgs"), [[() => t("conn.connected", { url }), "ok"], ...(this.warnings || []).map((w) => [() => errorText(w), "warn"])]);
  }

  /** After connecting, focus goes on to the next step, not to the page. */
  focusNext() {
    const a = document.activeElement;
    if (a && a !== document.body && !a.disabled && a.id !== "connect") return;
    const next = [$("subscribe"), $("publish"), $("disconnect")].find((b) => !b.disabled && b.offsetParent !== null);
    if (next) next.focus();
  }

  onState(ev) {
    const app = this.app;
    this.log(ev);
    const now = Date.now();
    const prev = this.lastState;
    this.lastState = ev.state;
    if (ev.state === "connected") {
      app.limits.record("login");
      this.connectedAt = now;
      this.setState("connected");
      this.connectedMsgs();
      if (ev.error) setMsgs($("conn-msgs"), [...$("conn-msgs")._items, [() => errorText(ev.error), "warn"]]);
      app.sub.render();
      return;
    }
    if (ev.state === "reconnecting" && ev.error && ev.error.connack === 3 && app.limits.applies() && app.limits.kind() !== "studio") {
      // Banned: retrying only prolongs it (and says nothing new).
      this.stop(this.explainConnectError(ev.error));
      return;
    }
    // A session that had logged in, closed by the server (mqtt.lost…), not
    // a failed attempt to connect again (mqtt.dial.…, closed before the login).
    const lost = prev === "connected" && ev.state === "reconnecting" && ev.error && /^mqtt\.lost(\.|$)/.test(ev.error.code || "");
    if (lost && this.connectedAt && now - this.connectedAt < 10000) {
      // Closed by the server soon after logging in, again and again: another
      // client is logged in as this device, and each login takes it over.
      // A server stopped and started again a few seconds later is not: its
      // failed dials are not counted.
      this.quickLosses = (this.quickLosses || []).filter((x) => now - x < 60000);
      this.quickLosses.push(now);
      if (this.quickLosses.length >= 3 && app.limits.applies()) {
        const device = $("clientId").value;
        this.stop(() => t("conn.takeover", { device }));
        $("takeover-box").hidden = false;
        return;
      }
    }
    const reason = ev.error ? this.explainConnectError(ev.error) : "";
    this.setState(ev.state, reason);
    if (ev.error) this.probeServer();
    if (ev.state === "closed") {
      // The attempt stays current: its failure (connect() rejecting) is
      // still to be explained.
      this.client = null;
      app.sub.clear();
    }
  }

  /**
   * After a loss, asks the local server (local.json) whether it still runs:
   * when it no longer answers at all, the page says the server shut down
   * rather than give a close code. A server that answers late (stopped, not
   * gone) leaves the explanation as it was.
   */
  async probeServer() {
    if (!this.app.local || this.targetMode() === "url" || this.probing) return;
    this.probing = true;
    let down = false;
    try {
      await fetch("local.json", { cache: "no-store", signal: AbortSignal.timeout(5000) });
    } catch (e) {
      down = e.name !== "TimeoutError" && e.name !== "AbortError";
    }
    this.probing = false;
    if (down && this.attempt && $("conn-state").dataset.state !== "connected") {
      const origin = location.origin;
      setMsgs($("conn-msgs"), [[() => t("conn.serverStopped", { origin }), "err"]]);
    }
  }

  /** Stops reconnecting, and says why. */
  async stop(render) {
    await this.disconnect();
    setMsgs($("conn-msgs"), [[render, "err"]]);
  }

  /**
   * Adds a state change to the connection log (timestamped, bounded); a
   * reconnection that restored subscriptions adds a "Resubscribed" entry.
   */
  log(ev) {
    const at = Date.now();
    // The wait before the next attempt and the filters restored come as
    // numbers (the reason is the error's explanation when there is one).
    const retry = ev.state === "reconnecting" && ev.backoff > 0 ? Math.max(1, Math.round(ev.backoff / 1000)) : null;
    this.addLogEntry({ at, state: ev.state, error: ev.error, retry });
    if (ev.state === "connected" && ev.resubscribed > 0) this.addLogEntry({ at, state: "resubscribed", error: null, retry: null, filters: ev.resubscribed });
  }

  addLogEntry(entry) {
    this.logEntries.push(entry);
    if (this.logEntries.length > LOG_ENTRIES) this.logEntries.shift();
    this.renderLogEntry(entry);
    const list = $("conn-log");
    list.append(entry.el);
    while (list.children.length > LOG_ENTRIES) list.firstChild.remove();
  }

  renderLogEntry(entry) {
    const el = entry.el || (entry.el = document.createElement("li"));
    el.className = "log-" + entry.state + (entry.error ? " err" : "");
    show(el, () => {
      if (entry.state === "resubscribed") {
        return clockMs(entry.at) + "  " + plural({ one: "conn.log.resubscribed.one", other: "conn.log.resubscribed.other" }, entry.filters);
      }
      let s = clockMs(entry.at) + "  " + t("state." + entry.state);
      if (entry.error) s += ": " + errorText(entry.error);
      if (entry.retry !== null) s += " — " + t("conn.log.retry", { s: entry.retry });
      return s;
    });
  }

  /** Drops the connection and connects again at once. */
  async reconnectNow() {
    await this.disconnect();
    await this.connect();
  }

  async disconnect() {
    const c = this.client;
    this.client = null;
    this.attempt = null;
    if (c) {
      try {
        await c.disconnect();
      } catch (e) {
        setMsgs($("conn-msgs"), [[() => errorText(e), "err"]]);
      }
    }
    this.app.sub.clear();
    this.setState("closed");
  }

  wire() {
    for (const r of document.querySelectorAll("input[name=target]")) r.addEventListener("change", () => this.updateTarget());
    $("url").addEventListener("input", () => this.updateTarget());
    $("cred-auto").addEventListener("change", () => this.updateCredentials());
    $("connect").addEventListener("click", () => this.connect());
    $("disconnect").addEventListener("click", () => this.disconnect());
    $("reconnect").addEventListener("click", () => this.reconnectNow());
    $("takeover").addEventListener("click", () => this.connect());
    $("url-relay").addEventListener("click", () => this.useRelay());
  }

  onLanguage() {
    this.fillEndpoints();
    this.updateTarget({ msgs: false });
    this.setState($("conn-state").dataset.state);
  }
}
