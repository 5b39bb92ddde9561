// The page's words, one catalogue per language (i18n/en.js, i18n/zh.js).
// t(key, params) renders a message; {name} in the text is replaced by
// params.name. Messages from Go carry a stable code and parameters, so they
// are rendered in the chosen language too (errorText); Go's English message
// stays in the error for logs.
//
// The language follows the browser on a first visit (preferredLanguage),
// can be changed at any time (setLanguage) and is remembered by the page.
// Text set with show() and marked elements (data-i18n, data-i18n-placeholder,
// data-i18n-aria, with data-i18n-params as JSON) follow a change at once;
// onLanguage listeners redo the rest.
import en from "./i18n/en.js";
import zh from "./i18n/zh.js";

export const catalogs = { en, zh };
let lang = "en";
const listeners = [];
const live = new Map(); // element → function rendering its text

export function language() {
  return lang;
}

/** The BCP 47 tag of the language, for <html lang> and toLocaleString. */
export function locale() {
  return lang === "zh" ? "zh-CN" : "en-GB";
}

/**
 * Picks the language: the saved choice if any, else the first of the
 * browser's languages that the page has (zh-CN, zh-TW, zh-Hans… → zh;
 * en-US… → en), else English.
 */
export function preferredLanguage(saved, navLangs) {
  if (saved && catalogs[saved]) return saved;
  for (const l of navLangs || []) {
    if (/^zh\b/i.test(l)) return "zh";
    if (/^en\b/i.test(l)) return "en";
  }
  return "en";
}

export function setLanguage(l) {
  if (!catalogs[l]) l = "en";
  lang = l;
  document.documentElement.lang = l === "zh" ? "zh-CN" : "en";
  document.title = t("app.title");
  apply(document);
  for (const [el, render] of live) {
    if (el.isConnected) el.textContent = render();
    else live.delete(el);
  }
  for (const fn of listeners) fn(l);
}

export function onLanguage(fn) {
  listeners.push(fn);
}

export function has(key) {
  return key in catalogs[lang] || key in catalogs.en;
}

export function t(key, params) {
  let s = catalogs[lang][key];
  if (s === undefined) s = catalogs.en[key];
  if (s === undefined) return key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, name) => (params[name] !== undefined ? String(params[name]) : m));
  return s;
}

/**
 * Shows render() as the text of el, now and again after every change of
 * language. show(el, null) clears it.
 */
export function show(el, render) {
  if (!render) {
    live.delete(el);
    el.textContent = "";
    return;
  }
  live.set(el, render);
  el.textContent = render();
}

/**
 * Formats a time (ms since the epoch), local, in ISO 8601 order
 * (2026-12-25 20:19:12): unambiguous in either language, whatever order
 * the browser's date picker uses.
 */
export function formatTime(ms) {
  const d = new Date(ms);
  if (isNaN(d.getTime())) return String(ms);
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/**
 * A count in words: forms maps the plural categories of the page's
 * language (Intl.PluralRules: "one", "other", …) to catalogue keys, e.g.
 * {one: "plat.points.one", other: "plat.points.other"}; {n} is the count.
 */
export function plural(forms, n, params) {
  const cat = new Intl.PluralRules(locale()).select(n);
  return t(forms[cat] || forms.other, Object.assign({ n: n.toLocaleString(locale()) }, params));
}

/** The forms of a number of bytes, for plural(). */
export const BYTES = { one: "unit.bytes.one", other: "unit.bytes.other" };

/**
 * Renders an error (or warning) from the onenet API in the chosen language:
 * the catalogue's "err.<code>" filled with the error's params and a few
 * derived ones (label: the field's name; kindLabel: a topic kind's name;
 * json: a JSON syntax error's explanation; connack: a CONNACK code's
 * meaning; closeText: a lost connection's close code; date: an et as a
 * local time; path: where in the payload; bytes: a size with its plural).
 */
export function errorText(e) {
  if (!e) return "";
  const code = e.code;
  if (code && has("err." + code)) {
    const p = Object.assign({ detail: e.detail || e.message }, e.params || {});
    p.field = e.field;
    p.label = e.field && has("field." + e.field) ? t("field." + e.field) : e.field || "";
    if (p.kind !== undefined) p.kindLabel = has("kind." + p.kind) ? t("kind." + p.kind) : p.kind;
    if (p.path === undefined || p.path === "") p.path = p.row ? t("where.row", { row: p.row }) : t("field.payload");
    if (p.syntax) {
      const q = Object.assign({}, p, { char: p.char ? p.char : t("json.eof") });
      p.json = has("json." + p.syntax) ? t("json." + p.syntax, q) : p.detail;
    }
    // A lost connection's close code in words (0: the browser gave none).
    if (code === "mqtt.lost") {
      const c = Number(p.close) || 0;
      p.closeText = t(has("close." + c) ? "close." + c : "close.other", { close: c });
    }
    if (code === "mqtt.connack") p.connack = has("connack." + p.code) ? t("connack." + p.code) : t("connack.other");
    if (p.et !== undefined && /^\d{1,12}$/.test(String(p.et))) p.date = formatTime(Number(p.et) * 1000);
    // A size in bytes, in the language's plural ("1 byte", "2 bytes").
    if (p.size !== undefined && /^\d+$/.test(String(p.size))) p.bytes = plural(BYTES, Number(p.size));
    // A rule of OneNET's: cite it as the broker's log line does.
    if (e.section) return t("err." + code, p) + " " + t("rule.cite", { code, section: e.section });
    return t("err." + code, p);
  }
  // No translation for this code: name the field in the page's words and
  // give Go's explanation without the package prefix.
  if (e.detail && e.field && has("field." + e.field)) return t("field." + e.field) + ": " + e.detail;
  return e.message;
}

/** Explains one of OneNET's console-log reason codes (1101 … 1114), or "". */
export function reasonText(code) {
  return code && has("reason." + code) ? t("reason." + code) : "";
}

/** Sets the text, placeholders and ARIA labels of every marked element. */
export function apply(root) {
  const params = (el) => (el.dataset.i18nParams ? JSON.parse(el.dataset.i18nParams) : undefined);
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n, params(el));
  }
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const el of root.querySelectorAll("[data-i18n-aria]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nAria));
  }
}
