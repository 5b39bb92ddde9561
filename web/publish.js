// The publish panel: topic templates, the datapoint builder and the raw
// payload, their checks, and the list of what was sent. The raw payload is
// edited in the textarea #payload until the editor (editor.js, CodeMirror)
// has loaded, which it does when the raw payload is first shown; if it
// cannot, the textarea stays.
import { $, setMsgs, markField, fmtTime } from "./ui.js";
import { t, show, errorText } from "./i18n.js";

const SNIPPETS = "onenet-tool:snippets";

export class PublishPanel {
  constructor(app) {
    this.app = app;
    this.sent = new Map(); // payload id → history entry
    this.history = []; // the entries shown in the publish history, oldest first
    this.nextPubId = 1;
    /** @type {import("./editor.js").PayloadEditor | null} */
    this.editor = null;
    this.editorLoad = null;
  }

  /**
   * Loads the payload editor once, lazily: after both wasm modules (the
   * token generator and the MQTT client do not wait for it, nor share the
   * network with it), when the raw payload is first shown.
   */
  loadEditor() {
    if (this.editorLoad) return this.editorLoad;
    const raw = $("raw");
    raw.dataset.editor = "loading";
    const after = () => import("./editor.js");
    this.editorLoad = Promise.resolve(this.app.onenet.mqttReady)
      .then(after, after)
      .then((m) => {
        const ta = $("payload");
        const host = $("payload-editor");
        const focused = document.activeElement === ta;
        const sel = [ta.selectionStart, ta.selectionEnd];
        try {
          this.editor = new m.PayloadEditor(ta, host, { label: t("pub.editorLabel"), describedBy: [$("payload-err"), $("pub-keys")] });
        } catch (e) {
          ta.hidden = false;
          throw e;
        }
        host.hidden = false;
        raw.dataset.editor = "ready";
        this.updatePayload();
        if (focused) this.editor.select(sel[0], sel[1]);
      })
      .catch((e) => {
        // The textarea works on: the editor is a convenience.
        raw.dataset.editor = "textarea";
        console.warn("payload editor not loaded, the plain text field stays:", e);
      });
    return this.editorLoad;
  }

  /** Focuses the raw payload: the editor, or the textarea. */
  focusPayload() {
    if (this.editor) this.editor.focus();
    else $("payload").focus();
  }

  fillKinds() {
    const sel = $("pub-kind");
    const cur = sel.value;
    sel.replaceChildren();
    for (const k of this.app.onenet.kinds()) {
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
  }

  needsArg(kind) {
    if (kind.includes("{cmdid}")) return "cmdId";
    if (kind.includes("{identifier}")) return "identifier";
    return "";
  }

  updateTopic() {
    this.renderSnippets();
    const kind = $("pub-kind").value;
    const arg = this.needsArg(kind);
    $("pub-arg-row").hidden = !arg;
    // A gateway's $subdev topics name its sub-device (docs/PROTOCOL.md §12).
    const sub = kind.startsWith("$subdev/");
    $("pub-sub-row").hidden = !sub;
    $("pub-arg-label").dataset.i18n = "field." + (arg || "cmdId");
    $("pub-arg-label").textContent = t("field." + (arg || "cmdId"));
    if (!kind) {
      $("pub-topic").disabled = false;
      this.updatePayload();
      return;
    }
    $("pub-topic").disabled = true;
    const a = this.app.token.ids();
    if (arg) a[arg] = $("pub-arg").value.trim();
    if (sub) {
      // "product/device": a further '/' stays in the device name, which Go refuses.
      const v = $("pub-sub").value.trim();
      const i = v.indexOf("/");
      a.subProductId = i < 0 ? v : v.slice(0, i);
      a.subDeviceName = i < 0 ? "" : v.slice(i + 1);
    }
    try {
      $("pub-topic").value = this.app.onenet.topic(kind, a);
      markField("pub-topic", false);
    } catch (e) {
      $("pub-topic").value = "";
      setMsgs($("pub-warn"), [[() => errorText(e), "err"]]);
      return;
    }
    this.updatePayload();
  }

  builderMode() {
    return $("tab-builder").getAttribute("aria-selected") === "true";
  }

  setTab(builder) {
    $("tab-builder").setAttribute("aria-selected", String(builder));
    $("tab-raw").setAttribute("aria-selected", String(!builder));
    $("tab-builder").tabIndex = builder ? 0 : -1;
    $("tab-raw").tabIndex = builder ? -1 : 0;
    $("builder").hidden = !builder;
    $("raw").hidden = builder;
    if (!builder) {
      $("payload").value = this.payloadText();
      this.loadEditor();
    }
    this.updatePayload();
  }

  addRow(name = "", value = "") {
    const tr = document.createElement("tr");
    tr.innerHTML = `<td><input class="dp-name" spellcheck="false"></td><td><input class="dp-value" spellcheck="false"></td><td><button type="button" class="dp-del">×</button></td>`;
    tr.querySelector(".dp-name").value = name;
    tr.querySelector(".dp-name").setAttribute("aria-label", t("pub.stream"));
    tr.querySelector(".dp-value").value = value;
    tr.querySelector(".dp-value").setAttribute("aria-label", t("pub.value"));
    tr.querySelector(".dp-del").setAttribute("aria-label", t("pub.remove"));
    tr.querySelector(".dp-del").addEventListener("click", () => {
      tr.remove();
      this.updatePayload();
    });
    $("dp-rows").append(tr);
  }

  payloadText() {
    if (!this.builderMode()) return $("payload").value;
    const dp = {};
    for (const tr of $("dp-rows").children) {
      const name = tr.querySelector(".dp-name").value.trim();
      if (!name) continue;
      const p = { v: parseValue(tr.querySelector(".dp-value").value) };
      if ($("dp-time").checked) p.t = Math.floor(Date.now() / 1000);
      (dp[name] = dp[name] || []).push(p);
    }
    return JSON.stringify({ id: this.nextPubId, dp }, null, 2);
  }

  updatePayload() {
    const onenet = this.app.onenet;
    const kind = $("pub-kind").value || "";
    const text = this.payloadText();
    const err = $("payload-err");
    markField("payload", false);
    show(err, null);
    const msgs = [];
    /** @type {{ok: boolean, line?: number, offset?: number} | null} */
    let check = null;
    let markText = "";
    if (kind) {
      const r = onenet.checkPayload(kind, text);
      if (!r.ok) {
        check = r;
        markText = errorText(r);
        show(err, () => (r.line ? t("pub.errAt", { line: r.line, column: r.column, error: errorText(r) }) : errorText(r)));
        markField("payload", true);
      } else {
        const m = this.modelProblem(kind, text);
        if (m) {
          check = { ok: false };
          markText = t("pub.tmErr", { error: errorText(m) });
          show(err, () => t("pub.tmErr", { error: errorText(m) }));
          markField("payload", true);
        }
      }
    }
    if (this.editor && !this.builderMode()) this.editor.mark(check, markText);
    const topic = $("pub-topic").value.trim();
    for (const w of onenet.checkPublish({ topic, ...this.app.token.ids(), qos: Number($("pub-qos").value), retain: false, payloadLength: new TextEncoder().encode(text).length })) {
      msgs.push([() => publishWarning(w), "warn"]);
    }
    setMsgs($("pub-warn"), msgs);
    markField("pub-topic", this.topicProblems(topic).length > 0);
  }

  /**
   * A thing-model message (thing/…, not a gateway's thing/sub/…) checked
   * against the model imported for the product in the form (docs/PROTOCOL.md
   * §9.3): the error, or null when it matches, when no model is imported or
   * when the kind is not one the model describes.
   */
  modelProblem(kind, text) {
    const tm = this.app.tm;
    if (!tm || !tm.model || !kind.startsWith("thing/") || kind.startsWith("thing/sub/")) return null;
    const identifier = this.needsArg(kind) === "identifier" ? $("pub-arg").value.trim() : "";
    try {
      const r = this.app.onenet.tmCheckMessage(tm.text, kind, identifier, text);
      return r.ok ? null : r.error;
    } catch {
      return null;
    }
  }

  /**
   * A thing-model template chosen with the product's model imported: the
   * raw payload becomes the model's example of that message (tmExample,
   * docs/PROTOCOL.md §9.3: property/post with every property, event/post
   * with the model's first event and its output, desired/get with every
   * property), unless it already holds a message of that kind that the
   * model accepts. Other kinds (replies, pack, history) keep the payload.
   */
  fillFromModel() {
    const tm = this.app.tm;
    const kind = $("pub-kind").value || "";
    if (!tm || !tm.model || !kind.startsWith("thing/") || kind.startsWith("thing/sub/") || this.builderMode()) return;
    const text = $("payload").value;
    if (text.trim() !== "" && this.app.onenet.checkPayload(kind, text).ok && !this.modelProblem(kind, text)) return;
    const identifier = kind === "thing/event/post" && tm.model.events.length ? tm.model.events[0].identifier : "";
    let example;
    try {
      example = this.app.onenet.tmExample(tm.text, kind, identifier, String(this.nextPubId), Date.now());
    } catch {
      return; // no example of this kind
    }
    this.nextPubId++;
    $("payload").value = example;
    $("pub-anyway").hidden = true;
    this.updatePayload();
  }

  /**
   * The warnings about a topic that make publishing it pointless: to OneNET or
   * the local broker, those the platform disconnects the device for; to
   * another broker, those no MQTT broker accepts.
   */
  topicProblems(topic) {
    const strict = this.app.conn.targetMode() !== "url";
    return this.app.onenet.checkPublish({ topic, ...this.app.token.ids(), qos: 0, retain: false, payloadLength: 0 }).filter((w) => {
      const c = w.code || "";
      if (!c.startsWith("topic.") && c !== "publish.downlink") return false;
      return strict || /^topic\.(empty|wildcard|length|utf8|nul)$/.test(c);
    });
  }

  /** Saved payloads, per topic template (or per topic for a custom one), in localStorage. */
  snippets() {
    try {
      const o = JSON.parse(localStorage.getItem(SNIPPETS) || "{}");
      return o && typeof o === "object" && !Array.isArray(o) ? o : {};
    } catch {
      return {};
    }
  }

  snippetKey() {
    return $("pub-kind").value || $("pub-topic").value.trim();
  }

  renderSnippets() {
    const list = this.snippets()[this.snippetKey()];
    const sel = $("snippet");
    const first = document.createElement("option");
    first.value = "";
    first.textContent = t("pub.snippets");
    sel.replaceChildren(first);
    (Array.isArray(list) ? list : []).forEach((text, i) => {
      if (typeof text !== "string") return;
      const o = document.createElement("option");
      o.value = String(i);
      o.textContent = `${i + 1}. ${text.replace(/\s+/g, " ").slice(0, 40)}`;
      sel.append(o);
    });
  }

  saveSnippet() {
    const all = this.snippets();
    const k = this.snippetKey();
    const list = Array.isArray(all[k]) ? all[k] : [];
    const text = $("payload").value;
    if (!text || list.includes(text)) return;
    list.push(text);
    all[k] = list.slice(-20);
    try {
      localStorage.setItem(SNIPPETS, JSON.stringify(all));
    } catch {
      // Full or disabled.
    }
    this.renderSnippets();
  }

  useSnippet() {
    const list = this.snippets()[this.snippetKey()];
    const i = Number($("snippet").value);
    if ($("snippet").value === "" || !Array.isArray(list) || typeof list[i] !== "string") return;
    $("payload").value = list[i];
    this.updatePayload();
    this.focusPayload();
  }

  /** Indents the raw payload if it is JSON; else shows where it is not. */
  format() {
    const ta = $("payload");
    try {
      ta.value = JSON.stringify(JSON.parse(ta.value), null, 2);
    } catch {
      const r = this.app.onenet.checkPayload($("pub-kind").value || "dp/post/json", ta.value);
      this.updatePayload();
      if (!r.ok) this.showErrorAt(r);
      return;
    }
    this.updatePayload();
    this.app.save();
  }

  /** Selects the error's position in the raw editor, so it can be seen. */
  showErrorAt(r) {
    if (!r || !r.line || this.builderMode()) return;
    const off = r.offset !== undefined ? r.offset : 0;
    if (this.editor) {
      this.editor.select(off, off + 1);
      return;
    }
    const ta = $("payload");
    ta.focus();
    ta.setSelectionRange(off, off + 1);
  }

  /**
   * Publishes the form. force: past OneNET's rate limit (confirmed);
   * invalid: a payload that fails its check or the product's thing model,
   * sent on purpose to see what the platform does (confirmed with "Send
   * anyway").
   */
  async publish(force = false, invalid = false) {
    const c = this.app.conn.client;
    if (!c) return;
    $("limit-confirm").hidden = true;
    $("pub-anyway").hidden = true;
    const topic = $("pub-topic").value.trim();
    const qos = Number($("pub-qos").value);
    const kind = $("pub-kind").value;
    const text = this.payloadText();
    if (kind && !invalid) {
      const r = this.app.onenet.checkPayload(kind, text);
      if (!r.ok) {
        this.updatePayload();
        this.showErrorAt(r);
        $("pub-anyway").hidden = false;
        return;
      }
      // A thing-model message that breaks the product's model.
      if (this.modelProblem(kind, text)) {
        this.updatePayload();
        $("pub-anyway").hidden = false;
        return;
      }
    }
    // A topic the broker would disconnect the device for is not sent: the
    // session would drop, and the publish be sent again at each reconnection.
    const bad = this.topicProblems(topic);
    if (bad.length) {
      setMsgs($("pub-warn"), bad.map((w) => [() => publishWarning(w), "err"]));
      markField("pub-topic", true);
      $("pub-topic").focus();
      return;
    }
    // Past OneNET's limit the device is banned for 5 minutes: ask first.
    const which = qos ? "qos1" : "qos0";
    if (!force && this.app.limits.over(which)) {
      show($("limit-confirm-text"), () => t("limit.confirm." + which, { limit: which === "qos1" ? 100 : 300 }));
      $("limit-confirm").hidden = false;
      $("limit-anyway").focus();
      return;
    }
    if (this.builderMode() && kind === "dp/post/json") this.nextPubId++;
    try {
      await this.send(topic, text, qos);
      if (kind === "dp/post/json" && this.app.conn.targetMode() === "local") this.app.plat.dataChanged();
    } catch {
      // Shown in the Sent list.
    }
    this.app.save();
  }

  /**
   * Publishes and lists the message in Sent (with its id, to link the
   * reply); resolves when acknowledged, rejects with the client's error.
   */
  async send(topic, payload, qos) {
    const c = this.app.conn.client;
    const text = typeof payload === "string" ? payload : new TextDecoder().decode(payload);
    let id = null;
    try {
      const j = JSON.parse(text);
      if (j && (typeof j.id === "number" || typeof j.id === "string")) id = String(j.id);
    } catch {
      // Not JSON: nothing to link replies to.
    }
    const entry = { at: Date.now(), topic, qos, id, text, status: "sending", el: null };
    this.addHistory(entry);
    if (id !== null) this.sent.set(id, entry);
    try {
      if (!c) throw new Error(t("req.status.offline"));
      this.app.limits.publish(qos);
      await c.publish(topic, payload, { qos });
      entry.status = qos ? "acked" : "sent";
    } catch (e) {
      entry.status = "failed";
      entry.error = e;
      throw e;
    } finally {
      this.renderHistory(entry);
    }
  }

  addHistory(entry) {
    entry.n = this.history.length ? this.history[this.history.length - 1].n + 1 : 1;
    const el = document.createElement("li");
    entry.el = el;
    this.renderHistory(entry);
    const list = $("pub-history");
    list.prepend(el);
    this.history.push(entry);
    while (list.children.length > 200) {
      list.lastChild.remove();
      const old = this.history.shift();
      if (old.id !== null && this.sent.get(old.id) === old) this.sent.delete(old.id);
    }
  }

  renderHistory(e) {
    const status = t("pub.status." + e.status) + (e.reply ? " · " + t("pub.reply." + e.reply.kind) : "") + (e.error ? ": " + errorText(e.error) : "");
    e.el.className = "hist " + (e.reply ? e.reply.kind : e.status);
    const n = document.createElement("span");
    n.className = "h-n";
    n.textContent = String(e.n);
    const text = document.createElement("span");
    text.className = "h-text";
    text.textContent = `${fmtTime(e.at)}  ${e.topic}  QoS ${e.qos}${e.id !== null ? "  id " + e.id : ""}  — ${status}`;
    e.el.replaceChildren(n, text);
    const again = document.createElement("button");
    again.type = "button";
    again.className = "small";
    again.textContent = t("pub.again");
    again.setAttribute("aria-label", t("pub.againLabel", { n: e.n }));
    again.addEventListener("click", () => this.again(e));
    e.el.append(again);
    if (e.replyEntry) {
      const r = document.createElement("button");
      r.type = "button";
      r.className = "small";
      r.textContent = t("pub.openReply");
      r.setAttribute("aria-label", t("pub.openReplyLabel", { n: e.n }));
      r.addEventListener("click", () => this.app.msgs.openEntry(e.replyEntry));
      e.el.append(r);
    }
  }

  /** Puts a sent message back in the form (raw, same topic and QoS) to publish it again. */
  again(e) {
    const kinds = [...$("pub-kind").options].map((o) => o.value);
    let kind = "";
    try {
      const p = this.app.onenet.parseTopic(e.topic);
      if (p && !p.error && kinds.includes(p.kind)) kind = p.kind;
    } catch {
      // Not a OneNET topic: a custom one.
    }
    $("pub-kind").value = kind;
    $("pub-qos").value = String(e.qos);
    this.setTab(false);
    $("pub-topic").value = e.topic;
    $("pub-topic").disabled = !!kind;
    if (kind) this.updateTopic();
    if (kind && $("pub-topic").value !== e.topic) {
      $("pub-kind").value = "";
      $("pub-topic").disabled = false;
      $("pub-topic").value = e.topic;
    }
    $("payload").value = e.text;
    this.updatePayload();
    this.focusPayload();
  }

  /** A reply arrived for the publish with this id: the entry, or null. */
  linkReply(id, kind, topic) {
    const sent = this.sent.get(id);
    if (!sent) return null;
    sent.reply = { kind, topic };
    this.renderHistory(sent);
    return sent;
  }

  /** Sets the publish form to answer the command that just arrived. */
  answerCommand(cmdId) {
    $("pub-kind").value = "cmd/response/{cmdid}";
    $("pub-arg").value = cmdId;
    this.setTab(false);
    this.updateTopic();
    setMsgs($("pub-warn"), [[t("pub.answerCommand", { id: cmdId }), "ok"]]);
  }

  wire() {
    $("pub-kind").addEventListener("change", () => {
      const k = $("pub-kind").value;
      this.setTab(k === "dp/post/json");
      this.updateTopic();
      this.fillFromModel();
    });
    $("pub-arg").addEventListener("input", () => this.updateTopic());
    $("pub-sub").addEventListener("input", () => this.updateTopic());
    $("pub-topic").addEventListener("input", () => this.updatePayload());
    $("pub-qos").addEventListener("change", () => this.updatePayload());
    $("payload").addEventListener("input", () => {
      $("pub-anyway").hidden = true;
      this.updatePayload();
    });
    $("dp-rows").addEventListener("input", () => this.updatePayload());
    $("dp-time").addEventListener("change", () => this.updatePayload());
    $("dp-add").addEventListener("click", () => {
      this.addRow();
      this.updatePayload();
    });
    $("tab-builder").addEventListener("click", () => this.setTab(true));
    $("tab-raw").addEventListener("click", () => this.setTab(false));
    for (const tab of [$("tab-builder"), $("tab-raw")]) {
      tab.addEventListener("keydown", (ev) => {
        if (ev.key === "ArrowRight" || ev.key === "ArrowLeft") {
          const other = tab.id === "tab-builder" ? $("tab-raw") : $("tab-builder");
          other.focus();
          other.click();
        }
      });
    }
    $("publish").addEventListener("click", () => this.publish());
    $("pub-anyway").addEventListener("click", () => this.publish(false, true));
    $("pub-format").addEventListener("click", () => this.format());
    $("snippet-save").addEventListener("click", () => this.saveSnippet());
    $("snippet").addEventListener("change", () => this.useSnippet());
    // Ctrl+Enter (⌘+Enter on a Mac) publishes from anywhere in the panel.
    $("publish-panel").addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        this.publish();
      }
    });
    $("limit-anyway").addEventListener("click", () => this.publish(true));
    $("limit-cancel").addEventListener("click", () => {
      $("limit-confirm").hidden = true;
      $("publish").focus();
    });
  }

  onLanguage() {
    if (this.editor) this.editor.setLabel(t("pub.editorLabel"));
    this.fillKinds();
    this.updateTopic();
    for (const e of this.history) this.renderHistory(e);
  }
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

/** A warning of checkPublish: what OneNET would do about the topic, then why. */
function publishWarning(w) {
  const c = w.code || "";
  if (c.startsWith("topic.") || c === "publish.downlink") return t("pub.warn.disconnect", { reason: errorText(w) });
  if (c.startsWith("name.")) return t("pub.warn.cannotCheck", { reason: errorText(w) });
  return errorText(w);
}
