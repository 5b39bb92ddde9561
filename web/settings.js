// What the page remembers across reloads: the fields marked data-remember in
// index.html (the value of the attribute, or else the element's id, or a
// radio group's name, is the entry's name), in one localStorage entry. The
// access key is never among them: KeyStore keeps it, only as the user asks.
//
// Saved settings are read field by field: a field whose saved value does not
// fit the element (a radio value that does not exist, a number that is not
// one, a choice the menu does not have) is dropped and the rest kept, and the
// page says once which were dropped.

export const STORE = "onenet-tool:v1";
const MAX_TEXT = 1 << 20;

export class Settings {
  constructor(root = document) {
    this.root = root;
    this.dropped = [];
    this.pending = new Map(); // name → value, for menus filled later
    this.ready = false; // save() does nothing before restore()
  }

  /** The remembered fields by name: [elements] (a radio group has several). */
  fields() {
    const m = new Map();
    for (const el of this.root.querySelectorAll("[data-remember]")) {
      const name = el.dataset.remember || (el.type === "radio" ? el.name : el.id);
      if (!m.has(name)) m.set(name, []);
      m.get(name).push(el);
    }
    return m;
  }

  /**
   * Restores what was saved, and returns the valid entries. Menus whose
   * options are filled later (data-remember-later) are restored by
   * restoreLater().
   */
  restore() {
    let raw = null;
    try {
      raw = localStorage.getItem(STORE);
    } catch {
      // Storage disabled: nothing to restore.
    }
    let o = {};
    if (raw !== null) {
      try {
        o = JSON.parse(raw);
      } catch {
        o = undefined;
      }
      if (!o || typeof o !== "object" || Array.isArray(o)) {
        this.dropped.push("*");
        o = {};
      }
    }
    const good = {};
    for (const [name, els] of this.fields()) {
      if (!Object.prototype.hasOwnProperty.call(o, name)) continue;
      const v = o[name];
      if (els[0].hasAttribute("data-remember-later")) {
        if (typeof v === "string" && v.length <= MAX_TEXT) this.pending.set(name, v);
        else this.dropped.push(name);
        continue;
      }
      if (apply(els, v)) good[name] = v;
      else this.dropped.push(name);
    }
    this.ready = true;
    return good;
  }

  /** Restores the menus filled since restore(), dropping values they lack. */
  restoreLater() {
    const fields = this.fields();
    for (const [name, v] of this.pending) {
      const els = fields.get(name);
      if (v !== "" && (!els || !apply(els, v))) this.dropped.push(name);
    }
    this.pending.clear();
  }

  /** Takes the names dropped since the last call (each said once). */
  takeDropped() {
    const d = this.dropped;
    this.dropped = [];
    return d;
  }

  save() {
    if (!this.ready) return;
    const o = {};
    for (const [name, els] of this.fields()) {
      if (this.pending.has(name)) {
        o[name] = this.pending.get(name);
        continue;
      }
      if (els[0].hasAttribute("data-remember-later") && !els[0].options.length) continue; // not filled yet
      if (els[0].type === "radio") {
        const c = els.find((r) => r.checked);
        if (c) o[name] = c.value;
      } else if (els[0].type === "checkbox") {
        o[name] = els[0].checked;
      } else {
        o[name] = els[0].value;
      }
    }
    try {
      localStorage.setItem(STORE, JSON.stringify(o));
    } catch {
      // Storage can be full or disabled; remembering is a convenience.
    }
  }
}

/** Sets a saved value on its elements if it fits them; reports whether it did. */
function apply(els, v) {
  const el = els[0];
  if (el.type === "radio") {
    const r = els.find((x) => x.value === v);
    if (typeof v !== "string" || !r) return false;
    r.checked = true;
    return true;
  }
  if (el.type === "checkbox") {
    if (typeof v !== "boolean") return false;
    el.checked = v;
    return true;
  }
  if (typeof v !== "string" || v.length > MAX_TEXT) return false;
  if (el.tagName === "SELECT") {
    if (![...el.options].some((o) => o.value === v)) return false;
    el.value = v;
    return true;
  }
  if (el.type === "number") {
    if (v !== "" && !Number.isFinite(Number(v))) return false;
    el.value = v;
    return true;
  }
  el.value = v;
  return true;
}
