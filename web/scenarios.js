// The Scenarios panel (docs/SCENARIOS.md): simulated devices that publish,
// answer the platform and rehearse faults on their own, run by Go in the
// MQTT module (onenet.scenarioStart), each over a WebSocket of its own, while
// the rest of the page keeps working. A scenario is pasted, opened from a
// file, or built from the device in the token panel; keys that the file does
// not hold come from the token panel's key field.
import { $, el } from "./ui.js";
import { t, plural } from "./i18n.js";

const EXAMPLE_EVERY = 5;

export class ScenariosPanel {
  constructor(app) {
    this.app = app;
    this.handle = 0; // the running scenario's handle, 0 when none
    this.timer = 0;
    this.status = null; // the last status, for a change of language
    this.files = {}; // the files opened with the scenario (thing models, CSV), by name
  }

  /** Builds the panel; called once, before the wasm is ready. */
  build() {
    const root = $("scen-panel");
    root.replaceChildren();
    const h = el("h2", "", t("scen.title"));
    h.id = "scen-h";
    h.dataset.i18n = "scen.title";
    root.setAttribute("aria-labelledby", "scen-h");
    const note = el("p", "muted", t("scen.note"));
    note.dataset.i18n = "scen.note";
    const label = el("label", "wide");
    const ls = el("span", "", t("scen.text"));
    ls.dataset.i18n = "scen.text";
    const area = el("textarea");
    area.id = "scen-text";
    area.rows = 6;
    area.spellcheck = false;
    area.setAttribute("aria-describedby", "scen-err");
    label.append(ls, area);
    const file = el("input");
    file.type = "file";
    file.id = "scen-file";
    file.accept = ".json,.csv,application/json,text/csv";
    file.multiple = true;
    const fileLabel = el("label", "file");
    const fs = el("span", "", t("scen.open"));
    fs.dataset.i18n = "scen.open";
    fileLabel.append(fs, file);
    const actions = el("div", "actions");
    actions.append(button("scen-current", "scen.fromCurrent"), fileLabel, button("scen-start", "scen.start"), button("scen-stop", "scen.stop"));
    const err = el("pre", "err");
    err.id = "scen-err";
    err.setAttribute("aria-live", "polite");
    const opened = el("p", "muted");
    opened.id = "scen-files";
    const summary = el("p", "muted");
    summary.id = "scen-summary";
    summary.setAttribute("aria-live", "polite");
    const table = el("table", "scen-devices");
    table.id = "scen-devices";
    const cap = el("caption", "", t("scen.devices"));
    cap.dataset.i18n = "scen.devices";
    const head = el("tr");
    for (const k of ["scen.col.device", "scen.col.state", "scen.col.sent", "scen.col.accepted", "scen.col.rejected", "scen.col.last", "scen.col.request"]) {
      const th = el("th", "", t(k));
      th.scope = "col";
      th.dataset.i18n = k;
      head.append(th);
    }
    const thead = el("thead");
    thead.append(head);
    const tbody = el("tbody");
    tbody.id = "scen-rows";
    table.append(cap, thead, tbody);
    // The table scrolls sideways on narrow screens: keyboard users reach it too.
    const wrap = el("div", "scen-table");
    wrap.tabIndex = 0;
    wrap.setAttribute("role", "region");
    wrap.setAttribute("aria-label", t("scen.devices"));
    wrap.dataset.i18nAria = "scen.devices";
    wrap.append(table);
    root.append(h, note, label, actions, opened, err, summary, wrap);
    $("scen-stop").disabled = true;
  }

  wire() {
    $("scen-current").addEventListener("click", () => this.fromCurrent());
    $("scen-file").addEventListener("change", (e) => this.open(/** @type {HTMLInputElement} */ (e.target).files));
    $("scen-start").addEventListener("click", () => this.start());
    $("scen-stop").addEventListener("click", () => this.stop());
  }

  /**
   * Opens a scenario and the files it names, chosen together: the JSON file
   * with "devices" is the scenario, the others (thing models, CSV files) are
   * given to it by name.
   * @param {FileList} list
   */
  async open(list) {
    this.files = {};
    for (const f of list) {
      const text = await f.text();
      let scenario = false;
      if (f.name.endsWith(".json")) {
        try {
          scenario = Array.isArray(JSON.parse(text).devices);
        } catch {
          scenario = false;
        }
      }
      if (scenario) $("scen-text").value = text;
      else this.files[f.name] = text;
    }
    const names = Object.keys(this.files);
    $("scen-files").textContent = names.length ? t("scen.files", { names: names.join(", ") }) : "";
  }

  /** A scenario of the device in the token panel: datapoints every few seconds, commands echoed. */
  fromCurrent() {
    const { productId, deviceName } = this.app.token.ids();
    const s = {
      name: deviceName || "device",
      target: "local",
      devices: [
        {
          product: productId,
          device: deviceName,
          // The key stays in the token panel: the page gives it at start.
          key: { prompt: true },
          publish: [{ every: EXAMPLE_EVERY, jitter: 1, dp: { temperature: { sine: { min: 18, max: 26, period: 300, decimals: 1 } }, humidity: { walk: { start: 55, step: 2, min: 30, max: 90, decimals: 0 } } } }],
          answers: { command: { echo: true } },
        },
      ],
    };
    $("scen-text").value = JSON.stringify(s, null, 2);
  }

  async start() {
    if (this.handle) return;
    const err = $("scen-err");
    err.textContent = "";
    const { productId, deviceName } = this.app.token.ids();
    const key = /** @type {HTMLInputElement} */ ($("key")).value.trim();
    const keys = {};
    if (key && productId) {
      // The token panel's key signs for its device, or for its whole product.
      keys[$("resKind").value === "product" ? productId : productId + "/" + deviceName] = key;
    }
    $("scen-start").disabled = true;
    try {
      await this.app.onenet.mqttReady;
      this.handle = await this.app.onenet.scenarioStart($("scen-text").value, { base: location.host, keys, files: this.files });
    } catch (e) {
      err.textContent = t("scen.invalid") + "\n" + (e.detail || e.message);
      $("scen-start").disabled = false;
      return;
    }
    $("scen-stop").disabled = false;
    document.body.dataset.scenario = "running";
    this.timer = setInterval(() => this.refresh(), 1000);
    this.refresh();
  }

  async stop() {
    if (!this.handle) return;
    const h = this.handle;
    $("scen-stop").disabled = true;
    $("scen-summary").textContent = t("scen.stopping");
    clearInterval(this.timer);
    try {
      const report = JSON.parse(await this.app.onenet.scenarioStop(h));
      this.handle = 0;
      this.status = { report, devices: this.status ? this.status.devices.map((d) => ({ ...d, state: "stopped" })) : [] };
      this.render();
    } catch (e) {
      $("scen-err").textContent = e.message;
    }
    this.handle = 0;
    document.body.dataset.scenario = "stopped";
    $("scen-start").disabled = false;
  }

  refresh() {
    if (!this.handle) return;
    try {
      this.status = JSON.parse(this.app.onenet.scenarioStatus(this.handle));
    } catch {
      return; // stopped meanwhile
    }
    this.render();
  }

  render() {
    const s = this.status;
    if (!s) return;
    const r = s.report;
    $("scen-summary").textContent = t(this.handle ? "scen.running" : "scen.done", {
      secs: Math.round(r.Elapsed / 1e9),
      online: r.Online,
      devices: plural({ one: "scen.count.devices.one", other: "scen.count.devices.other" }, r.Devices),
      sent: r.Sent,
      accepted: r.Accepted,
      rejected: r.Rejected,
      errors: r.Errors,
    });
    if (r.Errors && r.LastError) $("scen-err").textContent = t("scen.lastError", { error: r.LastError });
    const rows = s.devices.slice(0, 200).map((d) => {
      const tr = el("tr");
      tr.dataset.device = d.name;
      tr.dataset.state = d.state;
      tr.append(el("td", "", d.name), el("td", "", t("scen.state." + d.state)), el("td", "num", String(d.sent)), el("td", "num", String(d.accepted)), el("td", "num", String(d.rejected)), el("td", "last", d.last), el("td", "last request", d.request));
      return tr;
    });
    $("scen-rows").replaceChildren(...rows);
  }

  onLanguage() {
    this.render();
  }
}

function button(id, key) {
  const b = el("button", "", t(key));
  b.type = "button";
  b.id = id;
  b.dataset.i18n = key;
  return b;
}
