// The Code panel: the device as code. From the connection and publish
// forms, onenet.deviceCode (Go, onenet/devcode) writes a program that logs in
// as the device, subscribes to the replies, publishes the message and prints
// the answer: mosquitto command lines, Python, Node.js, QuecPython or C.
//
// The panel builds its own section (after the publish panel), so the page
// needs only to create it: new CodePanel(app).wire().
import { $, setMsgs } from "./ui.js";
import { t, errorText, apply } from "./i18n.js";

const html = `
<h2 id="code-h" data-i18n="code.title">Device code</h2>
<p class="muted" data-i18n="code.note">The same connection and message as a program for the device: it logs in, subscribes to the replies, publishes once and prints the answer.</p>
<div class="grid">
  <label><span data-i18n="code.lang">Language</span><select id="code-lang"></select></label>
  <label><span data-i18n="code.host">Broker host (MQTT over TCP)</span><input id="code-host" spellcheck="false" autocomplete="off"></label>
  <label><span data-i18n="code.port">Port</span><input id="code-port" type="number" min="1" max="65535" value="1883"></label>
  <label class="check"><input type="checkbox" id="code-tls"> <span data-i18n="code.tls">TLS (OneNET's CA certificate in onenet-ca.pem)</span></label>
  <label class="check wide"><input type="checkbox" id="code-key" aria-describedby="code-key-warn"> <span data-i18n="code.includeKey">Put the access key in the program (it then makes its own tokens)</span></label>
</div>
<p id="code-key-warn" class="banner warn" hidden data-i18n="code.keyWarn">The program will hold the device's access key: anyone who gets it can log in as the device and make tokens for it. Keep it out of shared folders and version control.</p>
<small id="code-host-note" class="muted"></small>
<div class="actions">
  <button type="button" id="code-write" class="primary" data-i18n="code.write">Write the code</button>
  <button type="button" id="code-copy" disabled data-i18n="code.copy">Copy</button>
  <button type="button" id="code-save" disabled data-i18n="code.save">Save as file</button>
</div>
<ul id="code-msgs" class="msgs" aria-live="polite"></ul>
<pre id="code-out" class="out" tabindex="0" aria-labelledby="code-h"></pre>
`;

export class CodePanel {
  /** app: the composition root (app.js): onenet, token, conn, pub. */
  constructor(app) {
    this.app = app;
    this.section = document.createElement("section");
    this.section.id = "code-panel";
    this.section.setAttribute("aria-labelledby", "code-h");
    this.section.innerHTML = html;
    const after = $("publish-panel");
    if (after) after.after(this.section);
    else document.querySelector("main").append(this.section);
    apply(this.section);
    this.languages = [];
    this.hostEdited = false;
  }

  fillLanguages() {
    const sel = $("code-lang");
    const cur = sel.value;
    this.languages = this.app.onenet.codeLanguages();
    sel.replaceChildren(
      ...this.languages.map((l) => {
        const o = document.createElement("option");
        o.value = l.id;
        o.dataset.i18n = "code.lang." + l.id;
        o.textContent = t(o.dataset.i18n);
        return o;
      }),
    );
    if (cur) sel.value = cur;
  }

  /** The broker a device would use for the page's connection: host, port, TLS, and a note. */
  deviceBroker() {
    const mode = this.app.conn.targetMode();
    if (mode === "relay") {
      const [host, port] = $("endpoint").value.split(":");
      return { host, port: Number(port) || 1883, tls: port === "8883", note: "" };
    }
    if (mode === "local") return { host: location.hostname || "127.0.0.1", port: 1883, tls: false, note: "code.note.local" };
    try {
      const u = new URL($("url").value.trim());
      return { host: u.hostname, port: u.protocol === "wss:" ? 8883 : 1883, tls: u.protocol === "wss:", note: "code.note.url" };
    } catch {
      return { host: "", port: 1883, tls: false, note: "code.note.url" };
    }
  }

  /** Follows the connection form until the host is edited here. */
  syncBroker() {
    if (this.hostEdited) return;
    const b = this.deviceBroker();
    $("code-host").value = b.host;
    $("code-port").value = b.port;
    $("code-tls").checked = b.tls;
    const note = $("code-host-note");
    if (b.note) {
      note.dataset.i18n = b.note;
      note.textContent = t(b.note);
    } else {
      delete note.dataset.i18n;
      note.textContent = "";
    }
  }

  spec() {
    const opts = this.app.token.options();
    const auto = $("cred-auto").checked;
    const includeKey = $("code-key").checked;
    const s = {
      host: $("code-host").value.trim(),
      port: Number($("code-port").value) || 0,
      tls: $("code-tls").checked,
      productId: opts.productId,
      deviceName: opts.deviceName,
      clientId: auto ? opts.deviceName : $("clientId").value.trim(),
      username: auto ? opts.productId : $("username").value.trim(),
      keepAlive: Number($("keepAlive").value) || 60,
      topic: $("pub-topic").value.trim(),
      payload: this.app.pub.payloadText(),
      qos: Number($("pub-qos").value) || 0,
      includeKey,
      method: opts.method,
      tokenVersion: opts.version,
      now: Math.floor(Date.now() / 1000),
    };
    if (opts.ttlSeconds > 0) s.ttl = opts.ttlSeconds;
    else if (opts.et) s.et = Number(opts.et) || 0;
    if (includeKey || auto) s.key = opts.key;
    // Without the key in the program: the token the page would log in with.
    if (!includeKey) s.token = auto ? this.app.token.token() : $("password").value;
    return s;
  }

  write() {
    const out = $("code-out");
    let code = "";
    try {
      code = this.app.onenet.deviceCode($("code-lang").value, this.spec());
      setMsgs($("code-msgs"), []);
    } catch (e) {
      setMsgs($("code-msgs"), [[() => errorText(e), "err"]]);
    }
    out.textContent = code;
    $("code-copy").disabled = !code;
    $("code-save").disabled = !code;
  }

  wire() {
    this.fillLanguages();
    this.syncBroker();
    $("code-host").addEventListener("input", () => (this.hostEdited = true));
    $("code-port").addEventListener("input", () => (this.hostEdited = true));
    for (const el of document.querySelectorAll("input[name=target]")) el.addEventListener("change", () => this.syncBroker());
    $("endpoint").addEventListener("change", () => this.syncBroker());
    $("url").addEventListener("input", () => this.syncBroker());
    $("code-key").addEventListener("change", () => {
      $("code-key-warn").hidden = !$("code-key").checked;
      if ($("code-out").textContent) this.write();
    });
    $("code-lang").addEventListener("change", () => {
      if ($("code-out").textContent) this.write();
    });
    $("code-write").addEventListener("click", () => this.write());
    $("code-copy").addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText($("code-out").textContent);
        $("code-copy").textContent = t("code.copied");
        setTimeout(() => ($("code-copy").textContent = t("code.copy")), 1500);
      } catch {
        getSelection().selectAllChildren($("code-out"));
      }
    });
    $("code-save").addEventListener("click", () => {
      const lang = this.languages.find((l) => l.id === $("code-lang").value);
      const a = document.createElement("a");
      a.href = URL.createObjectURL(new Blob([$("code-out").textContent], { type: "text/plain" }));
      a.download = lang ? lang.fileName : "onenet-device.txt";
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 1000);
    });
  }
}
