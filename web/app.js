// The page: forms → the onenet API (onenet.js) → Go in wasm.
import { onenet } from "./onenet.js";
import { t, errorText, reasonText, setLanguage, preferredLanguage, onLanguage, language, show, formatTime, locale } from "./i18n.js";
import { MessageLog } from "./msglog.js";
import { Platform } from "./platform.js";

const $ = (id) => document.getElementById(id);
const STORE = "onenet-tool:v1";
const KEY_STORE = "onenet-tool:key";

// Fields remembered across reloads. The key is not among them: it is kept
// only when the user ticks "remember", under its own entry.
const remembered = ["resKind", "productId", "deviceName", "userId", "method", "ttl", "ttlUnit", "etDate", "etUnix", "version",
  "url", "endpoint", "clientId", "username", "keepAlive", "pub-kind", "pub-arg", "pub-topic", "pub-qos", "payload", "sub-filter", "sub-qos", "plat-cmd", "plat-prop"];

const state = {
  local: null, // /local.json of the local server, or null on a static host
  client: null,
  subs: new Map(), // filter → {granted}
  sent: new Map(), // payload id → history entry
  history: [], // the entries shown in the publish history, oldest first
  nextPubId: 1,
  log: null,
};

// ---------- helpers ----------

function save() {
  const o = {};
  for (const id of remembered) {
    const el = $(id);
    if (el) o[id] = el.value;
  }
  o.etMode = etMode();
  o.target = targetMode();
  o.credAuto = $("cred-auto").checked;
  o.lang = language();
  try {
    localStorage.setItem(STORE, JSON.stringify(o));
    if ($("key-remember").checked) localStorage.setItem(KEY_STORE, $("key").value);
    else localStorage.removeItem(KEY_STORE);
  } catch {
    // Storage can be full or disabled; remembering is a convenience.
  }
}

function restore() {
  let o = {};
  try {
    o = JSON.parse(localStorage.getItem(STORE) || "{}");
  } catch {
    o = {};
  }
  for (const id of remembered) {
    if (o[id] !== undefined && $(id)) $(id).value = o[id];
  }
  if (o.etMode) document.querySelector(`input[name=etMode][value=${o.etMode}]`).checked = true;
  if (o.target) {
    const r = document.querySelector(`input[name=target][value=${o.target}]`);
    if (r) r.checked = true;
  }
  if (o.credAuto !== undefined) $("cred-auto").checked = o.credAuto;
  const key = localStorage.getItem(KEY_STORE);
  if (key !== null) {
    $("key").value = key;
    $("key-remember").checked = true;
  }
  return o;
}

function li(text, cls) {
  const el = document.createElement("li");
  el.textContent = text;
  if (cls) el.className = cls;
  return el;
}

/** Lists messages; a message given as a function is rendered again when the language changes. */
function setMsgs(list, items) {
  list._items = items;
  list.replaceChildren(...items.map(([text, cls]) => li(typeof text === "function" ? text() : text, cls)));
}

function markField(id, bad) {
  const el = $(id);
  if (!el) return;
  if (bad) el.setAttribute("aria-invalid", "true");
  else el.removeAttribute("aria-invalid");
}

// The token panel's field ids by the API's field names.
const fieldIds = { productId: "productId", deviceName: "deviceName", userId: "userId", key: "key", method: "method", et: "etUnix", ttlSeconds: "ttl", version: "version", res: "productId" };

function etMode() {
  return document.querySelector("input[name=etMode]:checked").value;
}

function targetMode() {
  return document.querySelector("input[name=target]:checked").value;
}

const fmtTime = formatTime;

/** Sets the load status: a catalogue key, kept on the element so a language change re-renders it. */
function setStatus(key, cls) {
  $("load-status").dataset.i18n = key;
  $("load-status").textContent = t(key);
  if (cls) $("load-status").className = "status " + cls;
}

function showBanner(render) {
  show($("banner"), render);
  $("banner").hidden = false;
}

// ---------- token ----------

function tokenOptions() {
  const o = {
    resKind: $("resKind").value,
    productId: $("productId").value.trim(),
    deviceName: $("deviceName").value.trim(),
    userId: $("userId").value.trim(),
    key: $("key").value.trim(),
    method: $("method").value,
    version: $("version").value,
  };
  switch (etMode()) {
    case "ttl": {
      const n = Number($("ttl").value);
      o.ttlSeconds = Math.round(n * Number($("ttlUnit").value));
      if (!(n > 0)) o.ttlSeconds = -1;
      break;
    }
    case "date": {
      const v = $("etDate").value;
      o.et = v ? Math.floor(new Date(v).getTime() / 1000) : "";
      break;
    }
    default:
      o.et = $("etUnix").value.trim();
  }
  return o;
}

function updateToken() {
  const kind = $("resKind").value;
  $("deviceName-row").hidden = kind !== "device";
  $("productId-row").hidden = kind === "user";
  $("userId-row").hidden = kind !== "user";
  const keyLabel = $("key-label");
  keyLabel.dataset.i18n = "token.key." + (kind === "product" || kind === "user" ? kind : "device");
  keyLabel.textContent = t(keyLabel.dataset.i18n);
  for (const id of ["productId", "deviceName", "userId", "key", "etUnix", "ttl", "etDate", "method", "version"]) markField(id, false);
  const msgs = [];
  let tok = "";
  const o = tokenOptions();
  try {
    tok = onenet.token(o);
  } catch (e) {
    msgs.push([errorText(e), "err"]);
    markField(fieldIds[e.field] || "", true);
    if (e.field === "et" && etMode() === "date") markField("etDate", true);
  }
  if (tok) {
    for (const w of onenet.tokenWarnings(o)) msgs.push([errorText(w), "warn"]);
    const p = onenet.parseToken(tok);
    $("etAbs").textContent = t("token.expiresAt", { date: fmtTime(p.et * 1000), et: p.et });
  } else {
    $("etAbs").textContent = "";
  }
  $("token-out").value = tok;
  setMsgs($("token-msgs"), msgs);
  updateDecode();
  updateCredentials();
}

function updateDecode() {
  const text = $("decode-in").value.trim();
  const out = $("decode-out");
  if (!text) {
    out.replaceChildren();
    return;
  }
  const dl = document.createElement("dl");
  const add = (k, v, cls) => {
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    dd.textContent = v;
    if (cls) dd.className = cls;
    dl.append(dt, dd);
  };
  let parsed;
  try {
    parsed = onenet.parseToken(text);
  } catch (e) {
    add(t("decode.result"), errorText(e) + (reasonText(e.reason) ? " — " + t("decode.reason", { code: e.reason, reason: reasonText(e.reason) }) : ""), "err");
    out.replaceChildren(dl);
    return;
  }
  add("version", parsed.version);
  add("res", parsed.res);
  add("et", `${parsed.et} (${fmtTime(parsed.et * 1000)})`);
  add("method", parsed.method);
  add("sign", parsed.sign);
  const key = $("key").value.trim();
  if (!key) {
    add(t("decode.result"), t("decode.noKey"), "warn");
  } else {
    const r = onenet.verifyToken(text, key, {});
    if (r.valid) add(t("decode.result"), t("decode.valid", { date: fmtTime(Date.parse(r.expiresAt)) }), "ok");
    else add(t("decode.result"), errorText(r.error) + (reasonText(r.code) ? " — " + t("decode.reason", { code: r.code, reason: reasonText(r.code) }) : ""), "err");
  }
  out.replaceChildren(dl);
}

// ---------- connection ----------

function updateCredentials() {
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
function passwordFn() {
  if (!$("cred-auto").checked) return $("password").value;
  return onenet.token(tokenOptions());
}

function pageURL(path) {
  const u = new URL(path, location.href);
  u.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  return u.href;
}

function connectURL() {
  switch (targetMode()) {
    case "local":
      return pageURL(state.local ? state.local.broker : "mqtt");
    case "relay":
      return pageURL((state.local ? state.local.bridge : "bridge") + "?target=" + encodeURIComponent($("endpoint").value));
    default:
      return $("url").value.trim();
  }
}

/** Explains what is wrong with a URL before trying it, or "" if nothing is. */
function checkURL(url) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return url ? t("conn.err.urlParse", { url }) : t("conn.err.urlEmpty");
  }
  if (u.protocol === "mqtt:" || u.protocol === "mqtts:" || u.protocol === "tcp:" || u.protocol === "ssl:") {
    return t("conn.err.mqttScheme", { scheme: u.protocol });
  }
  if (u.protocol !== "ws:" && u.protocol !== "wss:") return t("conn.err.scheme", { scheme: u.protocol });
  if (/\.heclouds\.com$/i.test(u.hostname)) return t("conn.err.onenetHost", { host: u.hostname });
  if (u.protocol === "ws:" && location.protocol === "https:") return t("conn.err.mixed");
  return "";
}

function updateTarget({ msgs = true } = {}) {
  const mode = targetMode();
  $("endpoint").disabled = mode !== "relay";
  $("url").disabled = mode !== "url";
  const noLocal = !state.local;
  for (const v of ["local", "relay"]) {
    const r = document.querySelector(`input[name=target][value=${v}]`);
    r.disabled = noLocal;
  }
  let note = "";
  if (noLocal) note = t("conn.noLocal");
  else if (mode === "relay") note = t("conn.relayNote");
  $("target-note").textContent = note;
  $("real-warning").hidden = !(mode === "relay" && $("resKind").value === "device");
  $("platform-panel").classList.toggle("unavailable", noLocal || mode !== "local");
  for (const el of $("platform-panel").querySelectorAll("input, textarea, button")) el.disabled = noLocal;
  $("platform-note").textContent = noLocal ? t("plat.unavailable") : mode !== "local" ? t("plat.localOnly") : t("plat.note");
  markField("url", false);
  if (mode === "url") {
    const url = $("url").value.trim();
    const problem = url ? checkURL(url) : "";
    markField("url", !!problem);
    if (msgs) setMsgs($("conn-msgs"), problem ? [[() => checkURL(url), "err"]] : []);
  }
}

function setConnState(s, reason) {
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
  $("connect").disabled = s !== "closed";
  if (reason) setMsgs($("conn-msgs"), [[reason, s === "connected" ? "ok" : "err"]]);
}

/**
 * Explains a connection failure, with what to check: a function that
 * renders the explanation in the current language. For a refused login, the
 * token is checked here, and OneNET's reason code for what is wrong is
 * named, as its device log would give it.
 */
function explainConnectError(e) {
  if (e.connack === 4 || e.connack === 5) {
    let vr = null;
    try {
      vr = onenet.verifyToken($("password").value, $("key").value.trim(), { res: "" });
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
  return () => errorText(e);
}

async function connect() {
  const url = connectURL();
  const problem = checkURL(url);
  if (problem) {
    setMsgs($("conn-msgs"), [[() => checkURL(url), "err"]]);
    markField("url", true);
    return;
  }
  if (targetMode() === "relay" && $("resKind").value === "device" && !$("real-ok").checked) {
    setMsgs($("conn-msgs"), [[() => t("conn.confirmReal"), "warn"]]);
    $("real-ok").focus();
    return;
  }
  updateCredentials();
  const warnings = onenet.checkConnect({ clientId: $("clientId").value, username: $("username").value, keepAlive: Number($("keepAlive").value), cleanSession: true });
  let password;
  try {
    password = $("cred-auto").checked ? passwordFn : $("password").value;
    if ($("cred-auto").checked) passwordFn(); // fail early with the token's own message
  } catch (e) {
    setMsgs($("conn-msgs"), [[() => errorText(e), "err"]]);
    return;
  }
  setConnState("connecting");
  setMsgs($("conn-msgs"), warnings.map((w) => [() => errorText(w), "warn"]));
  save();
  try {
    const client = await onenet.connect({
      url,
      clientId: $("clientId").value,
      username: $("username").value,
      password,
      keepAlive: Number($("keepAlive").value) || 60,
      cleanSession: true,
      autoReconnect: true,
      onMessages: (batch) => received(batch),
      onState: (ev) => {
        if (state.client !== client) return;
        const reason = ev.error ? explainConnectError(ev.error) : "";
        setConnState(ev.state, reason && ev.state !== "connected" ? reason : "");
        if (ev.state === "connected") refreshSubs();
        if (ev.state === "closed") {
          state.client = null;
          state.subs.clear();
          renderSubs();
        }
      },
    });
    state.client = client;
    setConnState("connected");
    setMsgs($("conn-msgs"), [[() => t("conn.connected", { url }), "ok"], ...warnings.map((w) => [() => errorText(w), "warn"])]);
  } catch (e) {
    setConnState("closed");
    setMsgs($("conn-msgs"), [[explainConnectError(e), "err"]]);
    // A broker that cannot be reached: the URL is what to check.
    if (targetMode() === "url" && e.connack === undefined) markField("url", true);
  }
}

async function disconnect() {
  const c = state.client;
  state.client = null;
  if (c) {
    try {
      await c.disconnect();
    } catch (e) {
      setMsgs($("conn-msgs"), [[() => errorText(e), "err"]]);
    }
  }
  state.subs.clear();
  renderSubs();
  setConnState("closed");
}

// ---------- publish ----------

function ids() {
  return { productId: $("productId").value.trim(), deviceName: $("deviceName").value.trim() };
}

function fillKinds() {
  const sel = $("pub-kind");
  const subSel = $("sub-preset");
  const cur = sel.value;
  sel.replaceChildren();
  const kinds = onenet.kinds();
  for (const k of kinds) {
    if (k.direction !== "up") continue;
    const o = document.createElement("option");
    o.value = k.kind;
    o.textContent = `${k.kind} — ${t("kind." + k.kind)}`;
    sel.append(o);
  }
  const custom = document.createElement("option");
  custom.value = "";
  custom.textContent = t("pub.custom");
  sel.append(custom);
  if (cur !== undefined && [...sel.options].some((o) => o.value === cur)) sel.value = cur;
  const curPreset = subSel.value;
  subSel.replaceChildren();
  const presets = [["#", t("sub.preset.all")], ["dp/post/json/+", t("sub.preset.dp")], ["cmd/request/+", t("sub.preset.cmd")],
    ["cmd/response/+/+", t("sub.preset.cmdReply")], ["image/#", t("sub.preset.image")], ["thing/property/set", t("sub.preset.propSet")],
    ["thing/property/post/reply", t("sub.preset.propReply")], ["thing/service/+/invoke", t("sub.preset.service")]];
  for (const [suffix, label] of presets) {
    const o = document.createElement("option");
    o.value = suffix;
    o.textContent = label;
    subSel.append(o);
  }
  if (curPreset) subSel.value = curPreset;
}

function needsArg(kind) {
  if (kind.includes("{cmdid}")) return "cmdId";
  if (kind.includes("{identifier}")) return "identifier";
  return "";
}

function updateTopic() {
  const kind = $("pub-kind").value;
  const arg = needsArg(kind);
  $("pub-arg-row").hidden = !arg;
  $("pub-arg-label").dataset.i18n = "field." + (arg || "cmdId");
  $("pub-arg-label").textContent = t("field." + (arg || "cmdId"));
  if (!kind) {
    $("pub-topic").disabled = false;
    updatePayload();
    return;
  }
  $("pub-topic").disabled = true;
  const a = ids();
  if (arg) a[arg] = $("pub-arg").value.trim();
  try {
    $("pub-topic").value = onenet.topic(kind, a);
    markField("pub-topic", false);
  } catch (e) {
    $("pub-topic").value = "";
    setMsgs($("pub-warn"), [[() => errorText(e), "err"]]);
    return;
  }
  updatePayload();
}

function builderMode() {
  return $("tab-builder").getAttribute("aria-selected") === "true";
}

function setTab(builder) {
  $("tab-builder").setAttribute("aria-selected", String(builder));
  $("tab-raw").setAttribute("aria-selected", String(!builder));
  $("builder").hidden = !builder;
  $("raw").hidden = builder;
  if (!builder) $("payload").value = payloadText();
  updatePayload();
}

function addRow(name = "", value = "") {
  const tr = document.createElement("tr");
  tr.innerHTML = `<td><input class="dp-name" spellcheck="false"></td><td><input class="dp-value" spellcheck="false"></td><td><button type="button" class="dp-del">×</button></td>`;
  tr.querySelector(".dp-name").value = name;
  tr.querySelector(".dp-name").setAttribute("aria-label", t("pub.stream"));
  tr.querySelector(".dp-value").value = value;
  tr.querySelector(".dp-value").setAttribute("aria-label", t("pub.value"));
  tr.querySelector(".dp-del").setAttribute("aria-label", t("pub.remove"));
  tr.querySelector(".dp-del").addEventListener("click", () => {
    tr.remove();
    updatePayload();
  });
  $("dp-rows").append(tr);
}

/** A value typed in the builder: a number, true/false, JSON object, or text. */
function parseValue(s) {
  const v = s.trim();
  if (v !== "" && !isNaN(Number(v))) return Number(v);
  if (v === "true" || v === "false") return v === "true";
  if (v.startsWith("{")) {
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }
  return s;
}

function payloadText() {
  if (!builderMode()) return $("payload").value;
  const dp = {};
  for (const tr of $("dp-rows").children) {
    const name = tr.querySelector(".dp-name").value.trim();
    if (!name) continue;
    const p = { v: parseValue(tr.querySelector(".dp-value").value) };
    if ($("dp-time").checked) p.t = Math.floor(Date.now() / 1000);
    (dp[name] = dp[name] || []).push(p);
  }
  return JSON.stringify({ id: state.nextPubId, dp }, null, 2);
}

function updatePayload() {
  const kind = $("pub-kind").value || "";
  const text = payloadText();
  const err = $("payload-err");
  markField("payload", false);
  show(err, null);
  const msgs = [];
  if (kind) {
    const r = onenet.checkPayload(kind, text);
    if (!r.ok) {
      show(err, () => (r.line ? t("pub.errAt", { line: r.line, column: r.column, error: errorText(r) }) : errorText(r)));
      markField("payload", true);
    }
  }
  const topic = $("pub-topic").value.trim();
  for (const w of onenet.checkPublish({ topic, ...ids(), qos: Number($("pub-qos").value), retain: false, payloadLength: new TextEncoder().encode(text).length })) {
    msgs.push([() => publishWarning(w), "warn"]);
  }
  setMsgs($("pub-warn"), msgs);
  markField("pub-topic", topicProblems(topic).length > 0);
}

/**
 * The warnings about a topic that make publishing it pointless: to OneNET or
 * the local broker, those the platform disconnects the device for; to
 * another broker, those no MQTT broker accepts.
 */
function topicProblems(topic) {
  const strict = targetMode() !== "url";
  return onenet.checkPublish({ topic, ...ids(), qos: 0, retain: false, payloadLength: 0 }).filter((w) => {
    const c = w.code || "";
    if (!c.startsWith("topic.") || c === "topic.unknown" || c === "topic.prefix") return false;
    return strict || /^topic\.(empty|wildcard|length|utf8|nul)$/.test(c);
  });
}

/** A warning of checkPublish: what OneNET would do about the topic, then why. */
function publishWarning(w) {
  const c = w.code || "";
  if (c === "topic.unknown" || c === "topic.prefix") return t("pub.warn.ignore", { reason: errorText(w) });
  if (c.startsWith("topic.")) return t("pub.warn.disconnect", { reason: errorText(w) });
  if (c.startsWith("name.")) return t("pub.warn.cannotCheck", { reason: errorText(w) });
  return errorText(w);
}

/** Selects the error's position in the raw editor, so it can be seen. */
function showErrorAt(r) {
  if (!r || !r.line || builderMode()) return;
  const ta = $("payload");
  const off = r.offset !== undefined ? r.offset : 0;
  ta.focus();
  ta.setSelectionRange(off, off + 1);
}

async function publish() {
  const c = state.client;
  if (!c) return;
  const topic = $("pub-topic").value.trim();
  const qos = Number($("pub-qos").value);
  const kind = $("pub-kind").value;
  const text = payloadText();
  if (kind) {
    const r = onenet.checkPayload(kind, text);
    if (!r.ok) {
      updatePayload();
      showErrorAt(r);
      return;
    }
  }
  // A topic the broker would disconnect the device for is not sent: the
  // session would drop, and the publish be sent again at each reconnection.
  const bad = topicProblems(topic);
  if (bad.length) {
    setMsgs($("pub-warn"), bad.map((w) => [() => publishWarning(w), "err"]));
    markField("pub-topic", true);
    $("pub-topic").focus();
    return;
  }
  let id = null;
  try {
    const j = JSON.parse(text);
    if (j && (typeof j.id === "number" || typeof j.id === "string")) id = String(j.id);
  } catch {
    // Not JSON: nothing to link replies to.
  }
  const entry = { at: Date.now(), topic, qos, id, text, status: "sending", el: null };
  addHistory(entry);
  if (id !== null) state.sent.set(id, entry);
  if (builderMode() && kind === "dp/post/json") state.nextPubId++;
  try {
    await c.publish(topic, text, { qos });
    entry.status = qos ? "acked" : "sent";
  } catch (e) {
    entry.status = "failed";
    entry.error = e;
  }
  renderHistory(entry);
  save();
}

function addHistory(entry) {
  const el = document.createElement("li");
  entry.el = el;
  renderHistory(entry);
  const list = $("pub-history");
  list.prepend(el);
  state.history.push(entry);
  while (list.children.length > 200) {
    list.lastChild.remove();
    state.history.shift();
  }
}

function renderHistory(e) {
  const status = t("pub.status." + e.status) + (e.reply ? " · " + t("pub.reply." + e.reply.kind) : "") + (e.error ? ": " + errorText(e.error) : "");
  e.el.className = "hist " + (e.reply ? e.reply.kind : e.status);
  e.el.textContent = `${fmtTime(e.at)}  ${e.topic}  QoS ${e.qos}${e.id !== null ? "  id " + e.id : ""}  — ${status}`;
}

// ---------- subscribe ----------

function presetFilter() {
  const suffix = $("sub-preset").value;
  const a = ids();
  return `$sys/${a.productId}/${a.deviceName}/${suffix}`;
}

async function subscribe() {
  const c = state.client;
  const filter = $("sub-filter").value.trim();
  const qos = Number($("sub-qos").value);
  show($("sub-err"), null);
  markField("sub-filter", false);
  if (targetMode() !== "url") {
    const problem = onenet.checkFilter(filter, ids());
    if (problem) {
      show($("sub-err"), () => errorText(problem));
      markField("sub-filter", true);
      return;
    }
  }
  try {
    const granted = await c.subscribe(filter, qos);
    state.subs.set(filter, { qos, granted });
  } catch (e) {
    show($("sub-err"), () => errorText(e));
    markField("sub-filter", true);
  }
  renderSubs();
  save();
}

function refreshSubs() {
  renderSubs();
}

function renderSubs() {
  const items = [];
  for (const [filter, s] of state.subs) {
    const el = document.createElement("li");
    const span = document.createElement("span");
    span.textContent = `${filter}  — ${t("sub.granted", { qos: s.granted })}`;
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = t("sub.remove");
    b.setAttribute("aria-label", t("sub.removeFilter", { filter }));
    b.addEventListener("click", async () => {
      try {
        await state.client.unsubscribe(filter);
        state.subs.delete(filter);
      } catch (e) {
        show($("sub-err"), () => errorText(e));
      }
      renderSubs();
    });
    el.append(span, b);
    items.push(el);
  }
  $("subs").replaceChildren(...items);
}

// ---------- messages ----------

const hex = (b) => Array.from(b.subarray(0, 64), (x) => x.toString(16).padStart(2, "0")).join(" ") + (b.length > 64 ? " …" : "");

function isText(b) {
  for (let i = 0; i < Math.min(b.length, 512); i++) {
    const c = b[i];
    if (c < 9 || (c > 13 && c < 32)) return false;
  }
  return true;
}

function received(batch) {
  const entries = new Array(batch.length);
  for (let i = 0; i < batch.length; i++) {
    const m = batch[i];
    const e = { topic: m.topic, payload: m.payload, qos: m.qos, retained: m.retained, at: m.receivedAt, link: null, _v: 0 };
    // Link /accepted and /rejected replies to the publish with the same id.
    if (/\/(accepted|rejected|reply|_reply)$/.test(m.topic) && m.payload.length < 4096 && state.sent.size) {
      try {
        const j = JSON.parse(m.text);
        const sent = j && j.id !== undefined ? state.sent.get(String(j.id)) : null;
        if (sent) {
          const kind = m.topic.endsWith("/rejected") || (j.code !== undefined && j.code !== 200) ? "rejected" : "accepted";
          sent.reply = { kind, topic: m.topic };
          e.link = { kind, at: sent.at, id: String(j.id) };
          renderHistory(sent);
        }
      } catch {
        // Not JSON: no link.
      }
    }
    entries[i] = e;
    const cmd = /\/cmd\/request\/([^/]+)$/.exec(m.topic);
    if (cmd) answerCommand(cmd[1]);
  }
  state.log.push(entries);
}

/** Sets the publish form to answer the command that just arrived. */
function answerCommand(cmdId) {
  $("pub-kind").value = "cmd/response/{cmdid}";
  $("pub-arg").value = cmdId;
  setTab(false);
  updateTopic();
  setMsgs($("pub-warn"), [[t("pub.answerCommand", { id: cmdId }), "ok"]]);
}

function renderRow(e, el) {
  const text = isText(e.payload) ? new TextDecoder().decode(e.payload.subarray(0, 300)) : "0x " + hex(e.payload);
  el.className = "msg" + (e.link ? " " + e.link.kind : "") + (e.topic.endsWith("/rejected") ? " rejected" : "");
  el.textContent = "";
  const time = document.createElement("span");
  time.className = "m-time";
  time.textContent = new Date(e.at).toLocaleTimeString(locale(), { hour12: false });
  const topic = document.createElement("span");
  topic.className = "m-topic";
  topic.textContent = e.topic;
  const q = document.createElement("span");
  q.className = "m-qos";
  q.textContent = "Q" + e.qos + (e.retained ? " R" : "");
  const p = document.createElement("span");
  p.className = "m-payload";
  p.textContent = (e.link ? `↩ #${e.link.id} ` : "") + text.replace(/\s+/g, " ");
  el.append(time, q, topic, p);
  el.title = prettyPayload(e.payload);
}

function prettyPayload(b) {
  if (!isText(b)) return "0x " + hex(b);
  const s = new TextDecoder().decode(b);
  try {
    return JSON.stringify(JSON.parse(s), null, 2);
  } catch {
    return s;
  }
}

function exportMessages() {
  const out = state.log.all().map((e) => ({ time: new Date(e.at).toISOString(), topic: e.topic, qos: e.qos, retained: e.retained, payload: isText(e.payload) ? new TextDecoder().decode(e.payload) : null, payloadHex: isText(e.payload) ? undefined : Array.from(e.payload, (x) => x.toString(16).padStart(2, "0")).join("") }));
  const blob = new Blob([JSON.stringify(out, null, 2)], { type: "application/json" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = "onenet-messages.json";
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function updateCount() {
  const n = state.log.count();
  $("msg-count").textContent = t("msg.count", { n, total: state.log.total }) + (state.log.paused ? " · " + t("msg.paused", { n: state.log.held.length }) : "");
}

// ---------- start ----------

async function loadLocal() {
  try {
    // Only the local server has local.json; a static host answers 404 (or
    // its own page), and then the local broker, relay and platform are off.
    const r = await fetch("local.json", { cache: "no-store" });
    const j = r.ok ? await r.json() : null;
    state.local = j && typeof j.broker === "string" ? j : null;
  } catch {
    state.local = null;
  }
}

function fillEndpoints() {
  const sel = $("endpoint");
  const cur = sel.value;
  sel.replaceChildren();
  const allowed = state.local ? state.local.endpoints || [] : [];
  for (const e of onenet.endpoints()) {
    const o = document.createElement("option");
    o.value = e.addr;
    o.textContent = `${t("endpoint." + e.name)} — ${e.addr}`;
    o.disabled = !allowed.includes(e.addr);
    sel.append(o);
  }
  if (cur) sel.value = cur;
}

function wire() {
  // Every edit is remembered (the key only when the user asked).
  document.addEventListener("change", save);
  document.addEventListener("input", save);
  const onToken = () => {
    updateToken();
    updateTopic();
    updateTarget();
    save();
  };
  for (const id of ["resKind", "productId", "deviceName", "userId", "key", "method", "ttl", "ttlUnit", "etDate", "etUnix", "version"]) {
    $(id).addEventListener("input", onToken);
  }
  for (const r of document.querySelectorAll("input[name=etMode]")) r.addEventListener("change", onToken);
  $("key-remember").addEventListener("change", save);
  $("key-show").addEventListener("click", () => {
    const visible = $("key").type === "password";
    $("key").type = visible ? "text" : "password";
    $("key-show").setAttribute("aria-pressed", String(visible));
    $("key-show").dataset.i18n = visible ? "token.hide" : "token.show";
    $("key-show").textContent = t($("key-show").dataset.i18n);
  });
  $("token-copy").addEventListener("click", async () => {
    const v = $("token-out").value;
    if (!v) return;
    try {
      await navigator.clipboard.writeText(v);
      $("token-copy").textContent = t("token.copied");
    } catch {
      $("token-out").select();
      document.execCommand("copy");
    }
    setTimeout(() => ($("token-copy").textContent = t("token.copy")), 1500);
  });
  $("decode-in").addEventListener("input", updateDecode);
  for (const r of document.querySelectorAll("input[name=target]")) r.addEventListener("change", () => {
    updateTarget();
    save();
  });
  $("url").addEventListener("input", updateTarget);
  $("endpoint").addEventListener("change", save);
  $("cred-auto").addEventListener("change", () => {
    updateCredentials();
    save();
  });
  $("connect").addEventListener("click", connect);
  $("disconnect").addEventListener("click", disconnect);
  $("pub-kind").addEventListener("change", () => {
    const k = $("pub-kind").value;
    setTab(k === "dp/post/json");
    updateTopic();
    save();
  });
  $("pub-arg").addEventListener("input", updateTopic);
  $("pub-topic").addEventListener("input", updatePayload);
  $("pub-qos").addEventListener("change", updatePayload);
  $("payload").addEventListener("input", () => {
    updatePayload();
    save();
  });
  $("dp-rows").addEventListener("input", updatePayload);
  $("dp-time").addEventListener("change", updatePayload);
  $("dp-add").addEventListener("click", () => {
    addRow();
    updatePayload();
  });
  $("tab-builder").addEventListener("click", () => setTab(true));
  $("tab-raw").addEventListener("click", () => setTab(false));
  for (const tab of [$("tab-builder"), $("tab-raw")]) {
    tab.addEventListener("keydown", (ev) => {
      if (ev.key === "ArrowRight" || ev.key === "ArrowLeft") {
        const other = tab.id === "tab-builder" ? $("tab-raw") : $("tab-builder");
        other.focus();
        other.click();
      }
    });
  }
  $("publish").addEventListener("click", publish);
  $("sub-preset").addEventListener("change", () => ($("sub-filter").value = presetFilter()));
  $("subscribe").addEventListener("click", subscribe);
  $("msg-filter").addEventListener("input", () => {
    const q = $("msg-filter").value.trim().toLowerCase();
    state.log.setFilter(q ? (e) => e.topic.toLowerCase().includes(q) || (isText(e.payload) && new TextDecoder().decode(e.payload).toLowerCase().includes(q)) : null);
  });
  $("msg-pause").addEventListener("click", () => {
    const p = !state.log.paused;
    state.log.setPaused(p);
    $("msg-pause").setAttribute("aria-pressed", String(p));
    $("msg-pause").dataset.i18n = p ? "msg.resume" : "msg.pause";
    $("msg-pause").textContent = t($("msg-pause").dataset.i18n);
  });
  $("msg-clear").addEventListener("click", () => state.log.clear());
  $("msg-export").addEventListener("click", exportMessages);
  // Everything computed from Go follows a change of language too. What was
  // typed stays: only text the page wrote itself is rendered again.
  onLanguage(() => {
    fillKinds();
    fillEndpoints();
    updateToken();
    updateTopic();
    updateTarget({ msgs: false });
    setConnState($("conn-state").dataset.state);
    renderSubs();
    for (const e of state.history) renderHistory(e);
    for (const list of document.querySelectorAll(".msgs")) if (list._items) setMsgs(list, list._items);
    updateCount();
    state.log.rows.forEach((r) => (r._entry = null));
    state.log.refresh();
  });
}

/** The language menu works from the start, before the wasm has loaded. */
function wireLanguage() {
  $("lang").addEventListener("change", () => {
    setLanguage($("lang").value);
    save();
  });
}

async function main() {
  const saved = restore();
  const lang = preferredLanguage(saved.lang, navigator.languages);
  $("lang").value = lang;
  setLanguage(lang);
  wireLanguage();
  if (location.protocol === "file:") {
    showBanner(() => t("load.file"));
    setStatus("load.failed", "error");
    return;
  }
  state.log = new MessageLog($("msg-list"), $("msg-spacer"), renderRow, { capacity: 100000 });
  state.log.onChange = updateCount;
  const localLoaded = loadLocal();
  try {
    await onenet.ready;
  } catch (e) {
    showBanner(() => t("load.error", { error: e.message }));
    setStatus("load.failed", "error");
    return;
  }
  $("app-version").textContent = "v" + onenet.version;
  await localLoaded;
  fillKinds();
  fillEndpoints();
  if (!$("dp-rows").children.length) {
    addRow("temperature", "23.5");
    addRow("humidity", "61");
  }
  if (state.local && !$("productId").value && state.local.products && state.local.products.length) {
    $("productId").value = state.local.products[0].id;
    $("deviceName").value = (state.local.products[0].devices || [])[0] || "";
  }
  if (!state.local && targetMode() !== "url") document.querySelector("input[name=target][value=url]").checked = true;
  if ($("pub-kind").value === "") $("pub-kind").value = "dp/post/json";
  setTab($("pub-kind").value === "dp/post/json" && !saved.payload);
  if (!$("sub-filter").value) $("sub-filter").value = presetFilter();
  wire();
  const plat = new Platform({ $, t, show, errorText, onenet, ids, getLocal: () => state.local });
  plat.wire();
  updateToken();
  updateTopic();
  updateTarget();
  updateCount();
  document.body.dataset.ready = "core";
  setStatus("load.mqtt");
  try {
    await onenet.mqttReady;
    setStatus("load.ready", "ok");
    document.body.dataset.ready = "all";
  } catch (e) {
    setStatus("load.failed", "error");
    showBanner(() => t("load.error", { error: e.message }));
  }
}

main();
