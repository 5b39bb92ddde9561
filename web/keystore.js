// Where the access key is kept, as the user chooses (#key-store):
//   none       not kept: gone when the page closes (the default);
//   session    sessionStorage: gone when the tab closes;
//   encrypted  localStorage, encrypted with AES-GCM under a key derived from
//              a passphrase with PBKDF2-SHA-256 (WebCrypto): unlocked by
//              typing the passphrase after a reload;
//   plain      localStorage in plain text, with the warning that any page
//              later served from the same origin can read it.
// #key-where says which, in the page's words, naming the origin and entry.

export const KEY_ENTRY = "onenet-tool:key";
export const KEY_ENC_ENTRY = "onenet-tool:key-enc";
const ITERATIONS = 310000;
const MIN_PASS = 8;

const b64 = (u8) => btoa(String.fromCharCode(...u8));
const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

async function deriveKey(pass, salt, iterations) {
  const base = await crypto.subtle.importKey("raw", new TextEncoder().encode(pass), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, base, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

function storage(kind) {
  try {
    return kind === "session" ? sessionStorage : localStorage;
  } catch {
    return null;
  }
}

export class KeyStore {
  /** deps: {$, t, show, onKey: called after the key field was filled} */
  constructor(deps) {
    Object.assign(this, deps);
    this.aes = null; // the derived key, once locked or unlocked
    this.salt = null;
    this.locked = false; // an encrypted key is stored and not yet unlocked
    this.writing = Promise.resolve();
  }

  mode() {
    return this.$("key-store").value;
  }

  /** Reads what is stored; fills the key field from plain or session storage. */
  restore() {
    const $ = this.$;
    const local = storage("local");
    const session = storage("session");
    let mode = "none";
    let key = null;
    try {
      if (local && local.getItem(KEY_ENC_ENTRY) !== null) {
        mode = "encrypted";
        this.locked = true;
      } else if (local && local.getItem(KEY_ENTRY) !== null) {
        mode = "plain";
        key = local.getItem(KEY_ENTRY);
      } else if (session && session.getItem(KEY_ENTRY) !== null) {
        mode = "session";
        key = session.getItem(KEY_ENTRY);
      }
    } catch {
      // Storage disabled: nothing is kept.
    }
    $("key-store").value = mode;
    if (key !== null) $("key").value = key;
    this.render();
  }

  wire() {
    const $ = this.$;
    $("key-store").addEventListener("change", () => this.changeMode());
    $("key-lock").addEventListener("click", () => this.lock());
    $("key-unlock").addEventListener("click", () => this.unlock());
    $("key-pass").addEventListener("keydown", (ev) => {
      if (ev.key !== "Enter") return;
      ev.preventDefault();
      if (this.locked) this.unlock();
      else this.lock();
    });
  }

  /** The key field changed: keep it where the user asked. */
  keyChanged() {
    const key = this.$("key").value;
    switch (this.mode()) {
      case "plain":
        this.write("local", key);
        break;
      case "session":
        this.write("session", key);
        break;
      case "encrypted":
        if (this.aes && !this.locked) this.writing = this.writing.then(() => this.encrypt(key)).catch(() => {});
        break;
    }
  }

  write(kind, key) {
    try {
      storage(kind).setItem(KEY_ENTRY, key);
    } catch {
      // Full or disabled: remembering is a convenience.
    }
  }

  /** Removes every copy of the key but the one the mode keeps. */
  clearOthers(mode) {
    try {
      if (mode !== "plain") storage("local")?.removeItem(KEY_ENTRY);
      if (mode !== "session") storage("session")?.removeItem(KEY_ENTRY);
      if (mode !== "encrypted") storage("local")?.removeItem(KEY_ENC_ENTRY);
    } catch {
      // Disabled storage holds nothing.
    }
  }

  changeMode() {
    const mode = this.mode();
    this.clearOthers(mode);
    this.aes = null;
    this.locked = false;
    this.status = null;
    if (mode === "plain" || mode === "session") this.keyChanged();
    this.render();
    if (mode === "encrypted") this.$("key-pass").focus();
  }

  async lock() {
    const $ = this.$;
    const pass = $("key-pass").value;
    if (pass.length < MIN_PASS) {
      this.setStatus(() => this.t("key.pass.short", { n: MIN_PASS }), "err");
      $("key-pass").setAttribute("aria-invalid", "true");
      $("key-pass").focus();
      return;
    }
    $("key-pass").removeAttribute("aria-invalid");
    this.salt = crypto.getRandomValues(new Uint8Array(16));
    this.aes = await deriveKey(pass, this.salt, ITERATIONS);
    await this.encrypt($("key").value);
    $("key-pass").value = "";
    this.locked = false;
    this.setStatus(() => this.t("key.pass.stored"), "ok");
  }

  async encrypt(key) {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, this.aes, new TextEncoder().encode(key)));
    const rec = { v: 1, kdf: "PBKDF2-SHA-256", iterations: ITERATIONS, salt: b64(this.salt), iv: b64(iv), ct: b64(ct) };
    try {
      storage("local").setItem(KEY_ENC_ENTRY, JSON.stringify(rec));
    } catch {
      // Full or disabled.
    }
  }

  async unlock() {
    const $ = this.$;
    let rec;
    try {
      rec = JSON.parse(storage("local").getItem(KEY_ENC_ENTRY));
      if (!rec || rec.v !== 1 || !(rec.iterations > 0)) throw new Error("format");
    } catch {
      this.setStatus(() => this.t("key.pass.corrupt"), "err");
      return;
    }
    try {
      const salt = unb64(rec.salt);
      const aes = await deriveKey($("key-pass").value, salt, rec.iterations);
      const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: unb64(rec.iv) }, aes, unb64(rec.ct));
      this.aes = aes;
      this.salt = salt;
      this.locked = false;
      $("key").value = new TextDecoder().decode(pt);
      $("key-pass").value = "";
      $("key-pass").removeAttribute("aria-invalid");
      this.setStatus(() => this.t("key.pass.unlocked"), "ok");
      this.onKey();
    } catch {
      $("key-pass").setAttribute("aria-invalid", "true");
      this.setStatus(() => this.t("key.pass.wrong"), "err");
    }
  }

  setStatus(render, cls) {
    this.status = render ? { render, cls } : null;
    this.render();
  }

  /** Shows the passphrase row and says where the key is kept. */
  render() {
    const $ = this.$;
    const mode = this.mode();
    const enc = mode === "encrypted";
    $("key-pass-row").hidden = !enc;
    $("key-lock").hidden = !enc || this.locked;
    $("key-unlock").hidden = !enc || !this.locked;
    const origin = location.origin;
    const where = $("key-where");
    where.className = mode === "plain" ? "warn" : "muted";
    const st = this.status;
    this.show(where, () => {
      let s = this.t("key.where." + mode, { origin, entry: enc ? KEY_ENC_ENTRY : KEY_ENTRY });
      if (enc && this.locked) s += " " + this.t("key.pass.locked");
      if (st) s += " " + st.render();
      return s;
    });
    if (st) where.className = st.cls === "err" ? "err" : where.className;
  }
}
