// The platform panel: acts as OneNET towards the device through the local
// server's API (/api/), authenticated like OneNET's HTTP API with a
// product-level token computed here from the product key.

// The chart library is loaded when the first chart is drawn: it is more
// than half of the page's JavaScript, and the token generator should not
// wait for it on a slow network (docs/BENCHMARKS.md).
import { plural, formatTime } from "./i18n.js";

let uPlot = null;
const loadChart = () => (uPlot ? Promise.resolve() : import("./vendor/uPlot.esm.js").then((m) => (uPlot = m.default)));

export class Platform {
  constructor(deps) {
    Object.assign(this, deps);
    this.charts = [];
  }

  wire() {
    const $ = this.$;
    $("plat-send").addEventListener("click", () => this.run(() => this.sendCommand()));
    $("plat-set").addEventListener("click", () => this.run(() => this.setProperty()));
    $("plat-ota-send").addEventListener("click", () => this.run(() => this.informOTA()));
    $("plat-refresh").addEventListener("click", () => this.run(() => this.refresh()));
  }

  /** Enables the panel when the local server is there; says why not. */
  setAvailable(available, localTarget) {
    const $ = this.$;
    $("platform-panel").classList.toggle("unavailable", !available || !localTarget);
    for (const el of $("platform-panel").querySelectorAll("input, textarea, button")) el.disabled = !available;
    $("platform-note").textContent = !available ? this.t("plat.unavailable") : !localTarget ? this.t("plat.localOnly") : this.t("plat.note");
  }

  async run(fn) {
    const $ = this.$;
    this.show($("plat-err"), null);
    $("plat-key").removeAttribute("aria-invalid");
    $("plat-prop").removeAttribute("aria-invalid");
    $("plat-ota").removeAttribute("aria-invalid");
    try {
      await fn();
    } catch (e) {
      // Errors from Go have a code; the page's own carry their renderer;
      // anything else is the browser's (a failed fetch).
      const render = e.code ? () => this.errorText(e) : e.render ? e.render : () => this.t("plat.network", { error: e.message });
      // The error replaces the result (no stale "Waiting for the device…").
      this.show($("plat-out"), null);
      this.show($("plat-err"), render);
      if (e.field === "key") $("plat-key").setAttribute("aria-invalid", "true");
      if (e.field === "plat-prop") $("plat-prop").setAttribute("aria-invalid", "true");
      if (e.field === "plat-ota") $("plat-ota").setAttribute("aria-invalid", "true");
    }
  }

  authToken() {
    const key = this.$("plat-key").value.trim();
    const { productId } = this.ids();
    return this.onenet.token({ resKind: "product", productId, key, ttlSeconds: 3600 });
  }

  async api(method, path, body) {
    const local = this.getLocal();
    if (!local) throw pageError(() => this.t("plat.unavailable"));
    const headers = { authorization: this.authToken() };
    if (body !== undefined) headers["content-type"] = typeof body === "string" ? "text/plain" : "application/json";
    const resp = await fetch(local.api + path.replace(/^\//, ""), {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    let j;
    try {
      j = await resp.json();
    } catch {
      throw pageError(() => this.t("plat.badResponse", { status: resp.status }));
    }
    if (j.code !== 0) {
      const key = "plat.code." + j.code;
      const err = pageError(() => (this.t(key, { msg: j.msg }) !== key ? this.t(key, { msg: j.msg }) : this.t("plat.apiError", { code: j.code, msg: j.msg })));
      if (j.code === 401) err.field = "key"; // the token made from the product key was refused
      err.apiCode = j.code;
      throw err;
    }
    return j.data;
  }

  query(extra) {
    const { productId, deviceName } = this.ids();
    const q = new URLSearchParams({ product_id: productId, device_name: deviceName, ...extra });
    return q.toString();
  }

  async sendCommand() {
    const $ = this.$;
    this.show($("plat-out"), () => this.t("plat.waiting"));
    const data = await this.api("POST", "datapoint/synccmds?" + this.query({ timeout: "10" }), $("plat-cmd").value);
    this.show($("plat-out"), () => this.t("plat.cmdResponse", { id: data.cmd_uuid || "", resp: decodeResp(data) }));
  }

  async setProperty() {
    const $ = this.$;
    let params;
    try {
      params = JSON.parse($("plat-prop").value);
    } catch (e) {
      const err = pageError(() => this.t("plat.badJSON", { error: e.message }));
      err.field = "plat-prop";
      throw err;
    }
    const { productId, deviceName } = this.ids();
    this.show($("plat-out"), () => this.t("plat.waiting"));
    const data = await this.api("POST", "thingmodel/set-device-property", { product_id: productId, device_name: deviceName, params });
    this.show($("plat-out"), () => JSON.stringify(data, null, 2));
  }

  /**
   * Announces a firmware version on ota/inform (docs/PROTOCOL.md §11) and
   * shows the device's ota/inform_reply: 200 takes the upgrade, 100
   * declines it.
   */
  async informOTA() {
    const $ = this.$;
    const version = $("plat-ota").value.trim();
    if (!version) {
      const err = pageError(() => this.t("plat.otaEmpty"));
      err.field = "plat-ota";
      throw err;
    }
    const { productId, deviceName } = this.ids();
    this.show($("plat-out"), () => this.t("plat.waiting"));
    let data;
    try {
      data = await this.api("POST", "ota/inform", { product_id: productId, device_name: deviceName, params: { targetVersion: version } });
    } catch (e) {
      this.show($("plat-out"), null);
      if (e.apiCode === 10500) throw pageError(() => this.t("plat.otaNotSubscribed"));
      throw e;
    }
    const verdict = data.code === 200 ? "plat.otaAccepted" : "plat.otaDeclined";
    this.show($("plat-out"), () => this.t(verdict, { version, code: data.code, msg: data.msg || "" }));
  }

  async refresh() {
    const [data] = await Promise.all([this.api("GET", "datapoint/history-datapoints?" + this.query({ limit: "500" })), loadChart()]);
    this.shown = true;
    this.draw(data.datastreams || []);
  }

  /** New datapoints were stored: charts already shown are drawn again (once for a burst). */
  dataChanged() {
    if (!this.shown || this.redraw) return;
    this.redraw = setTimeout(() => {
      this.redraw = null;
      this.run(() => this.refresh());
    }, 300);
  }

  draw(streams) {
    const box = this.$("plat-charts");
    for (const c of this.charts) c.destroy();
    this.charts = [];
    this.show(box, null);
    box.replaceChildren();
    if (!streams.length) {
      this.show(box, () => this.t("plat.noData"));
      return;
    }
    const forms = { one: "plat.points.one", other: "plat.points.other" };
    for (const s of streams) {
      const all = s.datapoints || [];
      const pts = all.filter((p) => typeof p.value === "number");
      const fig = document.createElement("figure");
      const cap = document.createElement("figcaption");
      const last = all[all.length - 1];
      this.show(cap, () => `${s.id}: ${last ? JSON.stringify(last.value) : "-"} (${plural(forms, all.length)})`);
      fig.append(cap);
      box.append(fig);
      if (pts.length < 1) continue;
      const xs = pts.map((p) => platformTime(p.at) / 1000);
      const ys = pts.map((p) => p.value);
      const width = Math.min(box.clientWidth || 600, 720);
      const dark = matchMedia("(prefers-color-scheme: dark)").matches || document.documentElement.dataset.theme === "dark";
      const ink = dark && document.documentElement.dataset.theme !== "light" ? "#c9d1d9" : "#1d2329";
      const chart = new uPlot(
        {
          width,
          height: 160,
          // One point: a two-minute window around it, not a multi-year axis.
          scales: { x: xs[0] === xs[xs.length - 1] ? { time: true, auto: false, range: [xs[0] - 60, xs[0] + 60] } : { time: true } },
          series: [
            { label: this.t("plat.time"), value: (u, v) => (v == null ? "—" : formatTime(v * 1000)) },
            { label: s.id, stroke: "#1769aa", width: 2, points: { show: true, size: 6 } },
          ],
          axes: [
            { stroke: ink, values: (u, splits) => splits.map((v) => axisTime(v, splits)) },
            { stroke: ink },
          ],
          // The legend shows the values under the pointer.
          legend: { show: true, live: true },
        },
        [xs, ys],
        fig,
      );
      fig._chart = chart;
      this.charts.push(chart);
    }
  }
}

/** An x-axis label, in ISO 8601 order: the time, with the date when the axis spans days. */
function axisTime(v, splits) {
  const full = formatTime(v * 1000); // YYYY-MM-DD HH:MM:SS
  const span = splits.length > 1 ? splits[splits.length - 1] - splits[0] : 0;
  if (span >= 2 * 86400) return full.slice(0, 10);
  if (span >= 86400 / 2) return full.slice(5, 16);
  return full.slice(11, span < 300 ? 19 : 16);
}

// The platform writes times as OneNET does: "2006-01-02 15:04:05.000" in
// China Standard Time, with no zone.
function platformTime(s) {
  return Date.parse(s.replace(" ", "T") + "+08:00");
}

/** An error of the page itself, rendered again when the language changes. */
function pageError(render) {
  const e = new Error(render());
  e.render = render;
  return e;
}

function decodeResp(data) {
  if (data.cmd_resp === undefined) return JSON.stringify(data);
  try {
    return atob(data.cmd_resp);
  } catch {
    return String(data.cmd_resp);
  }
}
