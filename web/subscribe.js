// The subscribe panel: presets, the filter, and the subscriptions held.
import { $, markField } from "./ui.js";
import { t, show, errorText } from "./i18n.js";

export class SubscribePanel {
  constructor(app) {
    this.app = app;
    this.subs = new Map(); // filter → {qos, granted}
  }

  fillPresets() {
    const subSel = $("sub-preset");
    const curPreset = subSel.value;
    subSel.replaceChildren();
    const presets = [["#", t("sub.preset.all")], ["dp/post/json/+", t("sub.preset.dp")], ["cmd/request/+", t("sub.preset.cmd")],
      ["cmd/response/+/+", t("sub.preset.cmdReply")], ["image/#", t("sub.preset.image")], ["thing/property/set", t("sub.preset.propSet")],
      ["thing/property/post/reply", t("sub.preset.propReply")], ["thing/service/+/invoke", t("sub.preset.service")],
      ["ota/#", t("sub.preset.ota")], ["thing/sub/#", t("sub.preset.gateway")]];
    for (const [suffix, label] of presets) {
      const o = document.createElement("option");
      o.value = suffix;
      o.textContent = label;
      subSel.append(o);
    }
    if (curPreset) subSel.value = curPreset;
  }

  presetFilter() {
    const suffix = $("sub-preset").value;
    const a = this.app.token.ids();
    return `$sys/${a.productId}/${a.deviceName}/${suffix}`;
  }

  async subscribe() {
    const c = this.app.conn.client;
    if (!c) return;
    const filter = $("sub-filter").value.trim();
    const qos = Number($("sub-qos").value);
    show($("sub-err"), null);
    markField("sub-filter", false);
    if (this.app.conn.targetMode() !== "url") {
      const problem = this.app.onenet.checkFilter(filter, this.app.token.ids());
      if (problem) {
        show($("sub-err"), () => errorText(problem));
        markField("sub-filter", true);
        return;
      }
      // OneNET fails a subscription beyond 15 topics in a session, 10 for
      // a Studio product (docs/PROTOCOL.md §5.2, §5.7).
      const limits = this.app.limits;
      const session = limits.sessionTopics();
      if (!this.subs.has(filter) && this.subs.size >= session) show($("sub-err"), () => t("sub.warn.session", { limit: session }));
      // More topics in the window: a kit device is banned (asked first,
      // confirmed by pressing Subscribe again), a Studio one fails.
      if (limits.wouldPass("sub")) {
        const kind = limits.kind();
        const limit = limits.limit("sub");
        show($("sub-err"), () => t("sub.warn.rate." + kind, { limit }));
        if (limits.over("sub") && this.confirmed !== filter) {
          this.confirmed = filter;
          return;
        }
      }
      this.confirmed = "";
    }
    // A subscription counts, refused or not (docs/PROTOCOL.md §5.2).
    this.app.limits.record("sub");
    try {
      const granted = await c.subscribe(filter, qos);
      this.subs.set(filter, { qos, granted });
    } catch (e) {
      show($("sub-err"), () => errorText(e));
      markField("sub-filter", true);
    }
    this.render();
    this.app.save();
  }

  clear() {
    this.subs.clear();
    this.render();
  }

  render() {
    const items = [];
    for (const [filter, s] of this.subs) {
      const el = document.createElement("li");
      const span = document.createElement("span");
      span.textContent = `${filter}  — ${t("sub.granted", { qos: s.granted })}`;
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = t("sub.remove");
      b.setAttribute("aria-label", t("sub.removeFilter", { filter }));
      b.addEventListener("click", () => this.unsubscribe(filter));
      el.append(span, b);
      items.push(el);
    }
    $("subs").replaceChildren(...items);
  }

  /**
   * Removes a subscription. Each Remove is one UNSUBSCRIBE packet: more
   * than 10 in 5 s ban a kit device (asked first, confirmed by pressing
   * Remove again, docs/PROTOCOL.md §5.3); more than 10 topics a second
   * delay a Studio device's packets (a warning, §5.7).
   */
  async unsubscribe(filter) {
    const c = this.app.conn.client;
    if (!c) return;
    show($("sub-err"), null);
    const limits = this.app.limits;
    if (limits.wouldPass("unsub")) {
      const kind = limits.kind();
      const limit = limits.limit("unsub");
      show($("sub-err"), () => t("sub.warn.unsub." + kind, { limit }));
      if (limits.over("unsub") && this.confirmedUnsub !== filter) {
        this.confirmedUnsub = filter;
        return;
      }
    }
    this.confirmedUnsub = "";
    // The packet counts whatever the broker answers.
    limits.record("unsub");
    try {
      await c.unsubscribe(filter);
      this.subs.delete(filter);
    } catch (e) {
      show($("sub-err"), () => errorText(e));
    }
    this.render();
  }

  wire() {
    $("sub-preset").addEventListener("change", () => ($("sub-filter").value = this.presetFilter()));
    $("subscribe").addEventListener("click", () => this.subscribe());
  }

  onLanguage() {
    this.fillPresets();
    this.render();
  }
}
