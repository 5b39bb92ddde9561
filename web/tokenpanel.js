// The token panel: the form for a token, the token, and the decoder.
import { $, setMsgs, markField, fmtTime, copyText } from "./ui.js";
import { t, errorText, reasonText } from "./i18n.js";

// The token panel's field ids by the API's field names.
const fieldIds = { productId: "productId", deviceName: "deviceName", userId: "userId", key: "key", method: "method", et: "etUnix", ttlSeconds: "ttl", version: "version", res: "productId" };

export class TokenPanel {
  /** app: the composition root (app.js): onenet, and the other panels. */
  constructor(app) {
    this.app = app;
    this.touched = new Set(); // fields typed into: only these are blamed for being empty
  }

  etMode() {
    return document.querySelector("input[name=etMode]:checked").value;
  }

  ids() {
    return { productId: $("productId").value.trim(), deviceName: $("deviceName").value.trim() };
  }

  options() {
    const o = {
      resKind: $("resKind").value,
      productId: $("productId").value.trim(),
      deviceName: $("deviceName").value.trim(),
      userId: $("userId").value.trim(),
      key: $("key").value.trim(),
      method: $("method").value,
      version: $("version").value,
    };
    switch (this.etMode()) {
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

  /** A fresh token from the form (throws the form's error). */
  token() {
    return this.app.onenet.token(this.options());
  }

  update() {
    const onenet = this.app.onenet;
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
    const o = this.options();
    try {
      tok = onenet.token(o);
    } catch (e) {
      const id = fieldIds[e.field] || "";
      if (id && $(id) && !$(id).value.trim() && !this.touched.has(id)) {
        // Not typed yet (a first visit): a hint, not an error.
        msgs.push([errorText(e), "hint"]);
      } else {
        msgs.push([errorText(e), "err"]);
        markField(id, true);
        if (e.field === "et" && this.etMode() === "date") markField("etDate", true);
      }
    }
    // The date field's eight parts are Tab stops only when it is the expiry used.
    $("etDate").tabIndex = this.etMode() === "date" ? 0 : -1;
    if (tok) {
      for (const w of onenet.tokenWarnings(o)) msgs.push([errorText(w), "warn"]);
      const p = onenet.parseToken(tok);
      $("etAbs").textContent = t("token.expiresAt", { date: fmtTime(p.et * 1000), et: p.et });
    } else {
      $("etAbs").textContent = "";
    }
    $("token-out").value = tok;
    setMsgs($("token-msgs"), msgs);
    this.updateDecode();
    this.app.conn.updateCredentials();
  }

  updateDecode() {
    const onenet = this.app.onenet;
    // As pasted: quotes around it, spaces and line breaks inside are not the token's.
    const text = $("decode-in").value.replace(/\s+/g, "").replace(/^["'`“”‘’]+|["'`“”‘’]+$/g, "");
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
      const formRes = this.resource();
      if (r.valid && formRes && parsed.res !== formRes) {
        add(t("decode.result"), t("decode.validOther", { date: fmtTime(Date.parse(r.expiresAt)), res: parsed.res, form: formRes }), "warn");
      } else if (r.valid) add(t("decode.result"), t("decode.valid", { date: fmtTime(Date.parse(r.expiresAt)) }), "ok");
      else add(t("decode.result"), errorText(r.error) + (reasonText(r.code) ? " — " + t("decode.reason", { code: r.code, reason: reasonText(r.code) }) : ""), "err");
    }
    out.replaceChildren(dl);
  }

  /** The resource (res) the form describes, decoded, or "" when incomplete. */
  resource() {
    const o = this.options();
    if (o.resKind === "user") return o.userId ? "userid/" + o.userId : "";
    if (!o.productId) return "";
    if (o.resKind === "product") return "products/" + o.productId;
    return o.deviceName ? `products/${o.productId}/devices/${o.deviceName}` : "";
  }

  wire() {
    const app = this.app;
    for (const id of ["productId", "deviceName", "userId", "key", "ttl", "etDate", "etUnix"]) {
      $(id).addEventListener("input", () => this.touched.add(id));
    }
    // Typing a value selects its option (before the token is computed).
    const option = { ttl: "ttl", ttlUnit: "ttl", etDate: "date", etUnix: "unix" };
    for (const [id, mode] of Object.entries(option)) {
      $(id).addEventListener("input", () => {
        document.querySelector(`input[name=etMode][value=${mode}]`).checked = true;
      });
    }
    const onToken = () => {
      this.update();
      // The topic and the connection's checks need the MQTT module; once
      // it has started, the page fills them in (app.js) and keeps them up.
      if (document.body.dataset.ready !== "all") return;
      app.pub.updateTopic();
      app.conn.updateTarget();
    };
    for (const id of ["resKind", "productId", "deviceName", "userId", "key", "method", "ttl", "ttlUnit", "etDate", "etUnix", "version"]) {
      $(id).addEventListener("input", onToken);
    }
    $("key").addEventListener("input", () => app.keys.keyChanged());
    for (const r of document.querySelectorAll("input[name=etMode]")) r.addEventListener("change", onToken);
    $("key-show").addEventListener("click", () => {
      const visible = $("key").type === "password";
      $("key").type = visible ? "text" : "password";
      $("key-show").setAttribute("aria-pressed", String(visible));
      $("key-show").dataset.i18n = visible ? "token.hide" : "token.show";
      $("key-show").textContent = t($("key-show").dataset.i18n);
    });
    $("token-copy").addEventListener("click", () => {
      if ($("token-out").value) copyText($("token-out").value, $("token-out"), $("token-copy-status"));
    });
    $("decode-in").addEventListener("input", () => this.updateDecode());
  }
}
