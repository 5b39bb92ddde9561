// The thing-model panel (docs/PROTOCOL.md §9): import a product's model
// (pasted, from a file, or the sample; kept in this browser per product,
// never sent), forms built from it for the device side (property post,
// desired/get, event post; the platform's requests are answered beside the
// messages, requests.js, with replies built from the model) and the
// platform side (property set, desired values, property get, service
// invoke through the local API), every field checked as it is typed by
// Go's validator (onenet.tmCheckValue, in the MQTT module), every incoming
// thing-model message checked and listed, and a live card of the device's
// properties.
import { $, el } from "./ui.js";
import { t, show, errorText, apply, formatTime, plural } from "./i18n.js";

const STORE = "onenet-tool:thingmodel:";
const MAX_CHECKS = 50;

export class ThingModelPanel {
  constructor(app) {
    this.app = app;
    this.text = ""; // the model's text, as imported
    this.model = null; // its parsed form (onenet.thingModel)
    this.card = new Map(); // identifier → { value, at, source }
    this.nextId = 1;
    this.fields = []; // every top-level field of the forms, for a language change
  }

  /** Builds the panel's static part; called once, before the wasm is ready. */
  build() {
    const root = $("tm-panel");
    root.replaceChildren();
    const h = el("h2", "", t("tm.title"));
    h.id = "tm-h";
    h.dataset.i18n = "tm.title";
    root.setAttribute("aria-labelledby", "tm-h");
    const note = el("p", "muted");
    note.dataset.i18n = "tm.note";
    const area = el("textarea");
    area.id = "tm-text";
    area.rows = 4;
    area.spellcheck = false;
    area.setAttribute("aria-describedby", "tm-err");
    const label = el("label", "wide");
    const ls = el("span");
    ls.dataset.i18n = "tm.paste";
    label.append(ls, area);
    const grid = el("div", "grid");
    grid.append(label);
    const file = el("input");
    file.type = "file";
    file.id = "tm-file";
    file.accept = ".json,application/json";
    const fileLabel = el("label", "file");
    const fs = el("span");
    fs.dataset.i18n = "tm.open";
    fileLabel.append(fs, file);
    const actions = el("div", "actions");
    actions.append(button("tm-import", "tm.import"), fileLabel, button("tm-sample", "tm.sample"), button("tm-forget", "tm.forget"));
    const err = el("p", "err");
    err.id = "tm-err";
    err.setAttribute("aria-live", "polite");
    const summary = el("p", "muted");
    summary.id = "tm-summary";
    const forms = el("div");
    forms.id = "tm-forms";
    forms.hidden = true;
    root.append(h, note, grid, actions, err, summary, forms);
    apply(root);
  }

  wire() {
    $("tm-import").addEventListener("click", () => this.importText($("tm-text").value, true));
    $("tm-sample").addEventListener("click", () => this.loadSample());
    $("tm-forget").addEventListener("click", () => this.forget());
    $("tm-file").addEventListener("change", async (e) => {
      const f = e.target.files && e.target.files[0];
      if (!f) return;
      if (f.size > 1 << 20) {
        show($("tm-err"), () => t("tm.fileTooLarge", { size: f.size }));
        return;
      }
      const text = await f.text();
      $("tm-text").value = text;
      this.importText(text, true);
      e.target.value = "";
    });
    $("productId").addEventListener("change", () => this.restore());
  }

  productKey() {
    return STORE + this.app.token.ids().productId;
  }

  /** Restores the model kept for the product in the form, if any. */
  restore() {
    let text;
    try {
      text = localStorage.getItem(this.productKey());
    } catch {
      text = null;
    }
    if (text) {
      $("tm-text").value = text;
      this.importText(text, false);
    } else {
      this.clear();
    }
  }

  forget() {
    try {
      localStorage.removeItem(this.productKey());
    } catch {
      // Storage refused: nothing was kept.
    }
    $("tm-text").value = "";
    this.clear();
    this.payloadRecheck();
  }

  clear() {
    this.text = "";
    this.model = null;
    $("tm-forms").hidden = true;
    $("tm-forms").replaceChildren();
    show($("tm-summary"), null);
    show($("tm-err"), null);
  }

  async loadSample() {
    try {
      const r = await fetch("thingmodel-sample.json");
      if (!r.ok) throw new Error("HTTP " + r.status);
      const text = await r.text();
      $("tm-text").value = text;
      this.importText(text, true);
    } catch (e) {
      show($("tm-err"), () => t("tm.sampleFailed", { error: e.message }));
    }
  }

  /** Parses and, when keep is set, remembers the model for the product. */
  async importText(text, keep) {
    show($("tm-err"), null);
    $("tm-text").removeAttribute("aria-invalid");
    try {
      await this.app.onenet.mqttReady;
      this.model = JSON.parse(this.app.onenet.thingModel(text));
    } catch (e) {
      this.model = null;
      $("tm-text").setAttribute("aria-invalid", "true");
      show($("tm-err"), () => (e.code ? errorText(e) : e.message));
      this.payloadRecheck();
      return;
    }
    this.text = text;
    if (keep) {
      try {
        localStorage.setItem(this.productKey(), text);
      } catch {
        show($("tm-err"), () => t("tm.notKept"));
      }
    }
    const m = this.model;
    show($("tm-summary"), () =>
      t("tm.summary", {
        properties: plural({ one: "tm.count.properties.one", other: "tm.count.properties.other" }, m.properties.length),
        events: plural({ one: "tm.count.events.one", other: "tm.count.events.other" }, m.events.length),
        services: plural({ one: "tm.count.services.one", other: "tm.count.services.other" }, m.services.length),
      }),
    );
    this.card.clear();
    this.buildForms();
    this.payloadRecheck();
  }

  /** The Publish panel's payload, checked again against the model now in use. */
  payloadRecheck() {
    try {
      if (this.app.pub) this.app.pub.updatePayload();
    } catch {
      // The MQTT module is not ready: the payload is checked when it is.
    }
  }

  // The forms.

  buildForms() {
    const m = this.model;
    const box = $("tm-forms");
    box.replaceChildren();
    this.fields = [];

    // Device side.
    box.append(heading("h3", "tm.deviceSide"));
    const post = fieldset("tm.postTitle");
    post.id = "tm-post";
    this.postFields = m.properties.map((p) => this.field(post, "property", "", p, true));
    post.append(actions(button("tm-post-send", "tm.postSend")));
    box.append(post);

    // Desired values (docs/PROTOCOL.md §9.4): the device asks for those the
    // platform set; the reply puts them on the card.
    const des = fieldset("tm.desiredTitle");
    des.id = "tm-desired";
    const desNote = heading("p", "tm.desiredNote");
    desNote.className = "muted";
    des.append(desNote, actions(button("tm-desired-get", "tm.desiredGet")));
    box.append(des);

    if (m.events.length) {
      const ev = fieldset("tm.eventTitle");
      ev.id = "tm-event";
      const sel = select("tm-event-id", "tm.event", m.events.map((e) => [e.identifier, label(e)]));
      ev.append(sel.label);
      const holder = el("div");
      ev.append(holder, actions(button("tm-event-send", "tm.eventSend")));
      const fill = () => {
        holder.replaceChildren();
        const e = m.events.find((x) => x.identifier === sel.select.value);
        this.eventFields = e ? e.outputData.map((p) => this.field(holder, "event", e.identifier, p, false)) : [];
      };
      sel.select.addEventListener("change", fill);
      fill();
      box.append(ev);
    }

    // The platform's requests are answered beside the messages
    // (requests.js), with replies built from this model.
    const req = fieldset("tm.requestsTitle");
    const sub = button("tm-subscribe", "tm.subscribe");
    const note = heading("p", "tm.requestsNote");
    note.className = "muted";
    req.append(note, actions(sub));
    box.append(req);

    // Platform side.
    box.append(heading("h3", "tm.platformSide"));
    const writable = m.properties.filter((p) => p.accessMode !== "r");
    const set = fieldset("tm.setTitle");
    set.id = "tm-set";
    this.setFields = writable.map((p) => this.field(set, "property", "", p, true, "set-"));
    if (!writable.length) set.append(el("p", "muted", t("tm.noWritable")));
    set.append(actions(button("tm-set-send", "tm.setSend"), button("tm-desired-send", "tm.desiredSend")));
    box.append(set);

    const get = fieldset("tm.getTitle");
    get.id = "tm-get";
    const checks = el("div", "tm-checkboxes");
    this.getBoxes = m.properties.map((p) => {
      const l = el("label", "check");
      const c = el("input");
      c.type = "checkbox";
      c.checked = true;
      c.value = p.identifier;
      c.id = "tm-get-" + p.identifier;
      l.append(c, document.createTextNode(" " + label(p)));
      checks.append(l);
      return c;
    });
    get.append(checks, actions(button("tm-get-send", "tm.getSend")));
    box.append(get);

    if (m.services.length) {
      const inv = fieldset("tm.invokeTitle");
      inv.id = "tm-invoke";
      const sel = select("tm-service", "tm.service", m.services.map((s) => [s.identifier, label(s)]));
      inv.append(sel.label);
      const holder = el("div");
      inv.append(holder, actions(button("tm-invoke-send", "tm.invokeSend")));
      const fill = () => {
        holder.replaceChildren();
        const s = m.services.find((x) => x.identifier === sel.select.value);
        this.invokeFields = s ? s.inputData.map((p) => this.field(holder, "input", s.identifier, p, false)) : [];
      };
      sel.select.addEventListener("change", fill);
      fill();
      box.append(inv);
    }
    const out = el("pre", "out");
    out.id = "tm-out";
    out.setAttribute("aria-live", "polite");
    const perr = el("p", "err");
    perr.id = "tm-plat-err";
    perr.setAttribute("aria-live", "polite");
    box.append(out, perr);

    // The device card and the checked messages.
    box.append(heading("h3", "tm.cardTitle"));
    const table = el("table", "tm-card");
    table.id = "tm-card";
    const head = el("tr");
    for (const k of ["tm.col.property", "tm.col.value", "tm.col.unit", "tm.col.time"]) {
      const th = el("th");
      th.scope = "col";
      th.dataset.i18n = k;
      head.append(th);
    }
    const thead = el("thead");
    thead.append(head);
    const tbody = el("tbody");
    for (const p of m.properties) {
      const tr = el("tr");
      tr.dataset.id = p.identifier;
      const th = el("th", "", label(p));
      th.scope = "row";
      tr.append(th, el("td", "v", "—"), el("td", "u", p.dataType.unit || ""), el("td", "t", ""));
      tbody.append(tr);
    }
    table.append(thead, tbody);
    box.append(table);
    box.append(heading("h3", "tm.checksTitle"));
    const cl = el("ul", "msgs tm-checks");
    cl.id = "tm-checks";
    box.append(cl);

    apply(box);
    box.hidden = false;
    $("tm-post-send").addEventListener("click", () => this.postProperties());
    if ($("tm-event-send")) $("tm-event-send").addEventListener("click", () => this.postEvent());
    $("tm-subscribe").addEventListener("click", () => this.subscribe());
    $("tm-desired-get").addEventListener("click", () => this.getDesired());
    $("tm-set-send").addEventListener("click", () => this.platform(() => this.setProperties()));
    $("tm-desired-send").addEventListener("click", () => this.platform(() => this.setDesired()));
    $("tm-get-send").addEventListener("click", () => this.platform(() => this.getProperties()));
    if ($("tm-invoke-send")) $("tm-invoke-send").addEventListener("click", () => this.platform(() => this.invoke()));
  }

  /**
   * Adds the editor of one property or parameter to parent and returns
   * { p, include, read(), check() }: read() gives the value as JSON text,
   * check() checks it with Go and shows the error under the field.
   */
  field(parent, where, owner, p, optional, prefix = "") {
    const idBase = "tm-" + prefix + (owner ? owner + "-" : "") + p.identifier;
    const wrap = el("div", "tm-field");
    const head = el("div", "tm-field-head");
    let include = null;
    if (optional) {
      include = el("input");
      include.type = "checkbox";
      include.checked = true;
      include.id = idBase + "-on";
      include.setAttribute("aria-label", t("tm.include", { name: label(p) }));
      head.append(include);
    }
    const name = el("label", "", label(p));
    head.append(name);
    const editor = this.editor(p.dataType, idBase);
    name.htmlFor = editor.focusId;
    const err = el("p", "err");
    err.id = idBase + "-err";
    err.setAttribute("aria-live", "polite");
    editor.root.setAttribute("aria-describedby", err.id);
    wrap.append(head, editor.root, err);
    parent.append(wrap);
    const f = {
      p,
      include,
      focusId: editor.focusId,
      read: () => editor.read(),
      check: () => {
        if (include && !include.checked) {
          show(err, null);
          editor.mark(false);
          return true;
        }
        let r;
        try {
          r = this.app.onenet.tmCheckValue(this.text, where, owner, p.identifier, editor.read());
        } catch (e) {
          r = { ok: false, error: e };
        }
        editor.mark(!r.ok);
        show(err, r.ok ? null : () => errorText(r.error));
        return r.ok;
      },
    };
    wrap.addEventListener("input", () => f.check());
    wrap.addEventListener("change", () => f.check());
    this.fields.push(f);
    return f;
  }

  /** An editor for a data type: { root, focusId, read(): JSON text, mark(bad) }. */
  editor(dt, id) {
    const input = (type) => {
      const i = el("input");
      i.type = type;
      i.id = id;
      i.spellcheck = false;
      return i;
    };
    const simple = (i, read) => ({
      root: i,
      focusId: i.id,
      read,
      mark: (bad) => (bad ? i.setAttribute("aria-invalid", "true") : i.removeAttribute("aria-invalid")),
    });
    const unitWrap = (i, unit) => {
      if (!unit) return i;
      const w = el("span", "tm-unit");
      w.append(i, el("span", "muted", " " + unit));
      return w;
    };
    switch (dt.type) {
      case "int32":
      case "int64":
      case "float":
      case "double":
      case "date":
      case "bitMap": {
        const i = input("number");
        const isInt = dt.type === "int32" || dt.type === "int64";
        if (isInt) {
          i.min = dt.intMin;
          i.max = dt.intMax;
          i.step = dt.intStep !== "0" ? dt.intStep : "1";
        } else if (dt.type === "float" || dt.type === "double") {
          if (Math.abs(Number(dt.min)) < 1e300) i.min = dt.min;
          if (Math.abs(Number(dt.max)) < 1e300) i.max = dt.max;
          i.step = dt.step !== "0" ? dt.step : "any";
        } else {
          i.min = "0";
          i.step = "1";
        }
        i.value = dt.type === "date" ? String(Date.now()) : defaultNumber(dt);
        i.inputMode = isInt || dt.type === "date" || dt.type === "bitMap" ? "numeric" : "decimal";
        const e = simple(i, () => (i.value.trim() === "" ? "null" : i.value.trim()));
        e.root = unitWrap(i, dt.unit);
        return e;
      }
      case "bool":
      case "enum": {
        const s = el("select");
        s.id = id;
        const opts = dt.type === "bool" ? [["true", dt.true], ["false", dt.false]] : dt.enum.map((x) => [String(x.value), `${x.value} — ${x.name}`]);
        for (const [v, n] of opts) {
          const o = el("option", "", dt.type === "bool" ? `${v} — ${n}` : n);
          o.value = v;
          s.append(o);
        }
        return simple(s, () => s.value);
      }
      case "string": {
        const i = input("text");
        i.maxLength = dt.length > 0 ? dt.length + 10 : 10000; // a little over the limit, so the rule's message can show
        i.value = "";
        return simple(i, () => JSON.stringify(i.value));
      }
      case "struct": {
        const fs = el("fieldset", "tm-struct");
        fs.id = id;
        const subs = dt.members.map((mem) => {
          const w = el("div", "tm-member");
          const ed = this.editor(mem.dataType, id + "-" + mem.identifier);
          const l = el("label", "", label(mem));
          l.htmlFor = ed.focusId;
          w.append(l, ed.root);
          fs.append(w);
          return [mem.identifier, ed];
        });
        return {
          root: fs,
          focusId: subs.length ? subs[0][1].focusId : id,
          read: () => "{" + subs.map(([k, ed]) => JSON.stringify(k) + ":" + ed.read()).join(",") + "}",
          mark: (bad) => subs.forEach(([, ed]) => ed.mark(bad)),
        };
      }
      case "array": {
        const box = el("div", "tm-array");
        box.id = id;
        const list = el("div", "tm-array-items");
        const items = [];
        let n = 0;
        const add = () => {
          const row = el("div", "tm-array-item");
          const ed = this.editor(dt.elem, id + "-" + n++);
          const rm = el("button", "small", "−");
          rm.type = "button";
          rm.setAttribute("aria-label", t("tm.removeItem"));
          const item = { ed, row };
          rm.addEventListener("click", () => {
            items.splice(items.indexOf(item), 1);
            row.remove();
            box.dispatchEvent(new Event("input", { bubbles: true }));
          });
          row.append(ed.root, rm);
          list.append(row);
          items.push(item);
        };
        const plus = el("button", "small", "+");
        plus.type = "button";
        plus.id = id + "-add";
        plus.setAttribute("aria-label", t("tm.addItem"));
        plus.addEventListener("click", () => {
          add();
          box.dispatchEvent(new Event("input", { bubbles: true }));
        });
        add();
        box.append(list, plus);
        return {
          root: box,
          focusId: plus.id,
          read: () => "[" + items.map((x) => x.ed.read()).join(",") + "]",
          mark: (bad) => items.forEach((x) => x.ed.mark(bad)),
        };
      }
    }
    const i = input("text");
    return simple(i, () => i.value);
  }

  /** Checks every field of a form; the first bad one gets the focus. */
  checkAll(fields) {
    let ok = true;
    for (const f of fields) {
      if (!f.check() && ok) {
        ok = false;
        const bad = document.getElementById(f.focusId);
        if (bad) bad.focus();
      }
    }
    return ok;
  }

  params(fields, withTime) {
    const now = Date.now();
    const parts = [];
    for (const f of fields) {
      if (f.include && !f.include.checked) continue;
      const v = f.read();
      parts.push(JSON.stringify(f.p.identifier) + ":" + (withTime ? `{"value":${v},"time":${now}}` : v));
    }
    return "{" + parts.join(",") + "}";
  }

  // Device side: publish as the connected device.

  async publishThing(kind, identifier, payload) {
    const c = this.app.conn.client;
    if (!c) {
      show($("tm-err"), () => t("tm.notConnected"));
      return false;
    }
    const check = this.app.onenet.tmCheckMessage(this.text, kind, identifier, payload);
    if (!check.ok) {
      show($("tm-err"), () => errorText(check.error));
      return false;
    }
    show($("tm-err"), null);
    const { productId, deviceName } = this.app.token.ids();
    const topic = this.app.onenet.topic(kind, { productId, deviceName, identifier });
    const pub = this.app.pub;
    const id = JSON.parse(payload).id;
    const entry = { at: Date.now(), topic, qos: 1, id: String(id), text: payload, status: "sending", el: null };
    pub.addHistory(entry);
    pub.sent.set(entry.id, entry);
    try {
      this.app.limits.publish(1);
      await c.publish(topic, payload, { qos: 1 });
      entry.status = "acked";
    } catch (e) {
      entry.status = "failed";
      entry.error = e;
      show($("tm-err"), () => errorText(e));
    }
    pub.renderHistory(entry);
    return entry.status === "acked";
  }

  async postProperties() {
    if (!this.checkAll(this.postFields)) return;
    const id = String(this.nextId++);
    const payload = `{"id":"${id}","version":"1.0","params":${this.params(this.postFields, true)}}`;
    if (await this.publishThing("thing/property/post", "", payload)) {
      const params = JSON.parse(payload).params;
      for (const [k, v] of Object.entries(params)) this.setCard(k, v.value, v.time, "post");
    }
  }

  async postEvent() {
    if (!this.checkAll(this.eventFields)) return;
    const ev = $("tm-event-id").value;
    const id = String(this.nextId++);
    const payload = `{"id":"${id}","version":"1.0","params":{${JSON.stringify(ev)}:{"value":${this.params(this.eventFields, false)},"time":${Date.now()}}}}`;
    await this.publishThing("thing/event/post", ev, payload);
  }

  /** Asks for the desired values of every property (thing/property/desired/get). */
  async getDesired() {
    const kind = "thing/property/desired/get";
    let payload;
    try {
      payload = this.app.onenet.tmExample(this.text, kind, "", String(this.nextId++), Date.now());
    } catch (e) {
      show($("tm-err"), () => errorText(e));
      return;
    }
    await this.publishThing(kind, "", payload);
  }

  async subscribe() {
    const c = this.app.conn.client;
    if (!c) {
      show($("tm-err"), () => t("tm.notConnected"));
      return;
    }
    const { productId, deviceName } = this.app.token.ids();
    const filter = `$sys/${productId}/${deviceName}/thing/#`;
    this.app.limits.record("sub");
    try {
      await c.subscribe(filter, 0);
      show($("tm-err"), () => t("tm.subscribed", { filter }));
    } catch (e) {
      show($("tm-err"), () => errorText(e));
    }
  }

  // Platform side: the local server's API, with the platform panel's token.

  async platform(fn) {
    show($("tm-plat-err"), null);
    try {
      await fn();
    } catch (e) {
      const render = e.code ? () => errorText(e) : e.render ? e.render : () => t("plat.network", { error: e.message });
      show($("tm-plat-err"), render);
    }
  }

  async setProperties() {
    if (!this.checkAll(this.setFields)) return;
    const params = JSON.parse(this.params(this.setFields, false));
    const check = this.app.onenet.tmCheckMessage(this.text, "thing/property/set", "", JSON.stringify({ id: "1", params }));
    if (!check.ok) throw check.error;
    const { productId, deviceName } = this.app.token.ids();
    show($("tm-out"), () => t("plat.waiting"));
    const data = await this.app.plat.api("POST", "thingmodel/set-device-property", { product_id: productId, device_name: deviceName, params });
    show($("tm-out"), () => t("tm.reply", { reply: JSON.stringify(data) }));
    if (data && data.code === 200) for (const [k, v] of Object.entries(params)) this.setCard(k, v, Date.now(), "set");
  }

  /**
   * Sets the form's values as the device's desired values, which it reads
   * with thing/property/desired/get (docs/PROTOCOL.md §9.4); the platform
   * answers with each property's new version.
   */
  async setDesired() {
    if (!this.checkAll(this.setFields)) return;
    const params = JSON.parse(this.params(this.setFields, false));
    const { productId, deviceName } = this.app.token.ids();
    show($("tm-out"), () => t("plat.waiting"));
    const data = await this.app.plat.api("POST", "thingmodel/set-device-desired-property", { product_id: productId, device_name: deviceName, params });
    show($("tm-out"), () => t("tm.desiredDone", { versions: JSON.stringify(data) }));
  }

  async getProperties() {
    const ids = this.getBoxes.filter((c) => c.checked).map((c) => c.value);
    const { productId, deviceName } = this.app.token.ids();
    show($("tm-out"), () => t("plat.waiting"));
    const data = await this.app.plat.api("POST", "thingmodel/get-device-property", { product_id: productId, device_name: deviceName, params: ids });
    show($("tm-out"), () => t("tm.reply", { reply: JSON.stringify(data) }));
    if (data && data.data && typeof data.data === "object") for (const [k, v] of Object.entries(data.data)) this.setCard(k, v, Date.now(), "get");
  }

  async invoke() {
    if (!this.checkAll(this.invokeFields)) return;
    const service = $("tm-service").value;
    const params = JSON.parse(this.params(this.invokeFields, false));
    const { productId, deviceName } = this.app.token.ids();
    show($("tm-out"), () => t("plat.waiting"));
    const data = await this.app.plat.api("POST", "thingmodel/call-service", { product_id: productId, device_name: deviceName, identifier: service, params });
    show($("tm-out"), () => t("tm.reply", { reply: JSON.stringify(data) }));
  }

  // Incoming messages.

  /**
   * Checks a received message of the device's thing-model topics against
   * the model: { ok, error, kind, identifier, text }, or null for any other
   * message (or without a model). The result is kept on the message.
   */
  check(m) {
    if (m._tm !== undefined) return m._tm;
    m._tm = null;
    if (!this.model || m.payload.length > 64 * 1024) return null;
    const { productId, deviceName } = this.app.token.ids();
    if (!m.topic.startsWith(`$sys/${productId}/${deviceName}/thing/`)) return null;
    let info;
    try {
      info = this.app.onenet.parseTopic(m.topic);
    } catch {
      return null;
    }
    if (!info || info.error || !info.kind.startsWith("thing/") || info.kind.startsWith("thing/sub/")) return null;
    const text = new TextDecoder().decode(m.payload);
    let r;
    try {
      r = this.app.onenet.tmCheckMessage(this.text, info.kind, info.identifier || "", text);
    } catch (e) {
      r = { ok: false, error: e };
    }
    m._tm = { ok: r.ok, error: r.error, kind: info.kind, identifier: info.identifier || "", text };
    return m._tm;
  }

  /** Messages from the client: thing-model ones are checked and listed. */
  received(batch) {
    if (!this.model) return;
    for (const m of batch) {
      const r = this.check(m);
      if (!r) continue;
      const info = r;
      const text = r.text;
      this.addCheck(m.topic, r);
      if (!r.ok) continue;
      let j;
      try {
        j = JSON.parse(text);
      } catch {
        continue;
      }
      if (info.kind === "thing/property/set") {
        for (const [k, v] of Object.entries(j.params || {})) this.setCard(k, v, Date.now(), "set");
      }
      if (info.kind === "thing/property/desired/get/reply" && j.data) {
        for (const [k, v] of Object.entries(j.data)) if (v && "value" in v) this.setCard(k, v.value, Date.now(), "desired");
      }
    }
  }

  /**
   * Adds to the message inspector, for a thing-model message of the
   * device: whether it matches the model, and each property's value with
   * its name and unit. add(label, value) adds a row.
   */
  describe(entry, add) {
    const r = this.check(entry);
    if (!r) return;
    const info = r;
    const text = r.text;
    const dd = add("tm.insp.check", r.ok ? t("tm.insp.valid") : errorText(r.error));
    dd.className = r.ok ? "ok" : "err";
    let j;
    try {
      j = JSON.parse(text);
    } catch {
      return;
    }
    const values = info.kind === "thing/property/post" ? j.params : info.kind === "thing/property/set" ? j.params : info.kind === "thing/property/get_reply" ? j.data : null;
    if (!values || typeof values !== "object") return;
    for (const [id, v] of Object.entries(values)) {
      const p = this.model.properties.find((x) => x.identifier === id);
      if (!p) continue;
      const value = info.kind === "thing/property/post" && v && typeof v === "object" ? v.value : v;
      const shown = JSON.stringify(value);
      add(label(p), (shown.length > 200 ? shown.slice(0, 200) + "…" : shown) + (p.dataType.unit ? " " + p.dataType.unit : ""));
    }
  }

  addCheck(topic, r) {
    const list = $("tm-checks");
    if (!list) return;
    const li = el("li", r.ok ? "ok" : "err");
    const render = () => (r.ok ? t("tm.checkOK", { topic }) : t("tm.checkBad", { topic, error: errorText(r.error) }));
    show(li, render);
    list.prepend(li);
    while (list.children.length > MAX_CHECKS) {
      show(list.lastChild, null);
      list.lastChild.remove();
    }
  }

  setCard(id, value, at, source) {
    this.card.set(id, { value, at, source });
    const row = document.querySelector(`#tm-card tr[data-id="${CSS.escape(id)}"]`);
    if (!row) return;
    const text = JSON.stringify(value);
    row.querySelector(".v").textContent = text.length > 200 ? text.slice(0, 200) + "…" : text;
    const tcell = row.querySelector(".t");
    show(tcell, () => `${formatTime(at)} (${t("tm.source." + source)})`);
  }
}

function label(p) {
  return p.name && p.name !== p.identifier ? `${p.name} (${p.identifier})` : p.identifier;
}

function button(id, key) {
  const b = el("button");
  b.type = "button";
  b.id = id;
  b.dataset.i18n = key;
  return b;
}

function heading(tag, key) {
  const h = el(tag);
  h.dataset.i18n = key;
  return h;
}

function fieldset(key) {
  const f = el("fieldset", "tm-form");
  const l = el("legend");
  l.dataset.i18n = key;
  f.append(l);
  return f;
}

function actions(...children) {
  const a = el("div", "actions");
  a.append(...children);
  return a;
}

function select(id, key, options) {
  const l = el("label");
  const s = el("span");
  s.dataset.i18n = key;
  const sel = el("select");
  sel.id = id;
  for (const [v, n] of options) {
    const o = el("option", "", n);
    o.value = v;
    sel.append(o);
  }
  l.append(s, sel);
  return { label: l, select: sel };
}

/** The number nearest zero within the range (a number field's first value). */
function defaultNumber(dt) {
  if (dt.type === "int32" || dt.type === "int64") {
    const lo = BigInt(dt.intMin);
    const hi = BigInt(dt.intMax);
    if (lo > 0n) return String(lo);
    if (hi < 0n) return String(hi);
    const step = BigInt(dt.intStep);
    if (step > 0n) {
      let n = -((0n - lo) % step);
      if (n < lo) n += step;
      return String(n);
    }
    return "0";
  }
  if (dt.type === "float" || dt.type === "double") {
    const lo = Number(dt.min);
    const hi = Number(dt.max);
    if (lo > 0) return String(lo);
    if (hi < 0) return String(hi);
    const step = Number(dt.step);
    if (step > 0) {
      const x = Number((lo + Math.ceil(-lo / step) * step).toPrecision(12));
      return String(x <= hi ? x : lo);
    }
  }
  return "0";
}
