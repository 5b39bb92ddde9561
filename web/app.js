// The page's composition root: each panel is its own module (tokenpanel.js,
// connection.js, publish.js, subscribe.js, messages.js, platform.js); this
// file builds them, gives each the others through `app`, restores what was
// remembered (settings.js, keystore.js) and starts the wasm (onenet.js).
import { onenet } from "./onenet.js";
import { t, show, errorText, setLanguage, preferredLanguage, onLanguage } from "./i18n.js";
import { $, setMsgs, setStatus, showBanner } from "./ui.js";
import { Settings } from "./settings.js";
import { KeyStore } from "./keystore.js";
import { TokenPanel } from "./tokenpanel.js";
import { ConnectionPanel } from "./connection.js";
import { PublishPanel } from "./publish.js";
import { SubscribePanel } from "./subscribe.js";
import { MessagesPanel } from "./messages.js";
import { Platform } from "./platform.js";
import { Layout } from "./layout.js";
import { ThingModelPanel } from "./thingmodel.js";
import { CodePanel } from "./devcode.js";
import { RequestsPanel } from "./requests.js";
import { Limits } from "./limits.js";
import { ScenariosPanel } from "./scenarios.js";

const settings = new Settings();

const app = {
  onenet,
  local: null, // /local.json of the local server, or null on a static host
  save: () => settings.save(),
};

async function loadLocal() {
  try {
    // Only the local server has local.json; a static host answers 404 (or
    // its own page), and then the local broker, relay and platform are off.
    const r = await fetch("local.json", { cache: "no-store" });
    const j = r.ok ? await r.json() : null;
    app.local = j && typeof j.broker === "string" ? j : null;
  } catch {
    app.local = null;
  }
}

/**
 * Fills the token panel with the local server's demo product and device
 * (and the platform panel with the product key); with device false, only
 * the product key. The server gives them to this page only (server.go).
 */
async function useDemo(device) {
  let d;
  try {
    const r = await fetch("demo.json", { cache: "no-store" });
    if (!r.ok) throw new Error("HTTP " + r.status);
    d = await r.json();
  } catch (e) {
    showBanner(() => t("token.demoFailed", { error: e.message }));
    return;
  }
  const set = (id, v) => {
    $(id).value = v;
    $(id).dispatchEvent(new Event("input", { bubbles: true }));
  };
  if (device) {
    set("resKind", "device");
    set("productId", d.product_id);
    set("deviceName", d.device_name);
    set("key", d.device_key);
  }
  set("plat-key", d.product_key);
  settings.save();
}

/** Says once which saved settings could not be used (they are then dropped). */
const dropped = new Set();
function reportDropped() {
  for (const n of settings.takeDropped()) dropped.add(n);
  if (!dropped.size) return;
  const names = [...dropped].filter((n) => n !== "*");
  const render = () => (names.length ? t("settings.dropped", { fields: names.join(", ") }) : t("settings.unreadable"));
  const list = $("settings-msgs");
  setMsgs(list, [[render, "warn"]]);
  settings.save();
}

function wire() {
  app.layout.wire();
  // Every edit of a remembered field is remembered.
  document.addEventListener("change", () => settings.save());
  document.addEventListener("input", () => settings.save());
  // app.token is wired as soon as core.wasm has started (main).
  app.keys.wire();
  app.conn.wire();
  app.pub.wire();
  app.sub.wire();
  app.msgs.wire();
  app.plat.wire();
  app.tm.wire();
  app.code.wire();
  app.requests.wire();
  $("demo-fill").addEventListener("click", () => useDemo(true));
  $("plat-demo").addEventListener("click", () => useDemo(false));
  app.scen.wire();
  // Everything computed from Go follows a change of language too. What was
  // typed stays: only text the page wrote itself is rendered again.
  onLanguage(() => {
    app.pub.onLanguage();
    app.sub.onLanguage();
    app.conn.onLanguage();
    app.token.update();
    for (const list of document.querySelectorAll(".msgs")) if (list._items) setMsgs(list, list._items);
    app.msgs.onLanguage();
    app.layout.summaries();
    app.scen.onLanguage();
  });
}

/** The language menu works from the start, before the wasm has loaded. */
function wireLanguage() {
  $("lang").addEventListener("change", () => setLanguage($("lang").value));
}

async function main() {
  const saved = settings.restore();
  const lang = preferredLanguage(saved.lang, navigator.languages);
  $("lang").value = lang;
  setLanguage(lang);
  wireLanguage();
  reportDropped();
  // From disk, only the single file (make single) works: it carries the wasm.
  if (location.protocol === "file:" && !globalThis.onenetEmbedded) {
    showBanner(() => t("load.file"));
    setStatus("load.failed", "error");
    return;
  }
  app.token = new TokenPanel(app);
  app.conn = new ConnectionPanel(app);
  app.pub = new PublishPanel(app);
  app.sub = new SubscribePanel(app);
  app.msgs = new MessagesPanel(app);
  app.keys = new KeyStore({ $, t, show, onKey: () => app.token.update() });
  app.plat = new Platform({ $, t, show, errorText, onenet, ids: () => app.token.ids(), getLocal: () => app.local });
  app.layout = new Layout(app);
  app.tm = new ThingModelPanel(app);
  app.tm.build();
  // Received messages go to the thing-model panel too (it checks them).
  const received = app.msgs.received.bind(app.msgs);
  app.msgs.received = (batch) => {
    received(batch);
    app.tm.received(batch);
  };
  app.code = new CodePanel(app);
  app.requests = new RequestsPanel(app);
  app.limits = new Limits(app);
  app.scen = new ScenariosPanel(app);
  app.scen.build();
  app.keys.restore();
  const localLoaded = loadLocal();
  try {
    await onenet.ready;
  } catch (e) {
    showBanner(() => t("load.error", { error: e.message }));
    setStatus("load.failed", "error");
    return;
  }
  $("app-version").textContent = "v" + onenet.version;
  // The token panel works now, with core.wasm alone (tokens only); the
  // rest of the page needs the MQTT module (topics, checks, the client).
  // It does not wait for local.json: that answer only proposes the local
  // server's first product, and on a busy machine it arrives a layout or
  // two later (docs/BENCHMARKS.md).
  app.token.wire();
  app.token.update();
  document.body.dataset.ready = "core";
  setStatus("load.mqtt");
  await localLoaded;
  if (app.local && !$("productId").value && app.local.products && app.local.products.length) {
    // What was typed meanwhile stays.
    $("productId").value = app.local.products[0].id;
    if (!$("deviceName").value) $("deviceName").value = (app.local.products[0].devices || [])[0] || "";
    app.token.update();
  }
  try {
    await onenet.mqttReady;
  } catch (e) {
    setStatus("load.failed", "error");
    showBanner(() => t("load.error", { error: e.message }));
    return;
  }
  app.pub.fillKinds();
  app.sub.fillPresets();
  app.conn.fillEndpoints();
  settings.restoreLater();
  reportDropped();
  if (!$("dp-rows").children.length) {
    app.pub.addRow("temperature", "23.5");
    app.pub.addRow("humidity", "61");
  }
  if (!app.local && app.conn.targetMode() !== "url") document.querySelector("input[name=target][value=url]").checked = true;
  if ($("pub-kind").value === "") $("pub-kind").value = "dp/post/json";
  app.pub.setTab($("pub-kind").value === "dp/post/json" && !saved.payload);
  if (!$("sub-filter").value) $("sub-filter").value = app.sub.presetFilter();
  wire();
  app.token.update();
  app.pub.updateTopic();
  app.conn.updateTarget();
  app.msgs.updateCount();
  app.tm.restore();
  $("demo-row").hidden = !(app.local && app.local.demo);
  $("plat-demo-row").hidden = !(app.local && app.local.demo);
  setStatus("load.ready", "ok");
  document.body.dataset.ready = "all";
}

main().catch((e) => {
  // A bug of the page must not leave it on "Loading…" without a word.
  setStatus("load.failed", "error");
  showBanner(() => t("load.error", { error: e && e.message ? e.message : String(e) }));
});
