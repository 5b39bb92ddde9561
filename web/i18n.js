// The page's words, one catalogue per language (i18n/en.js, i18n/zh.js).
// t(key, params) renders a message; {name} in the text is replaced by
// params.name. Messages from Go carry a stable code and parameters, so they
// are rendered in the chosen language too (errorText).
import en from "./i18n/en.js";
import zh from "./i18n/zh.js";

export const catalogs = { en, zh };
let lang = "en";
const listeners = [];

export function language() {
  return lang;
}

/** Picks the first-visit language from the browser's preferences. */
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
  apply(document);
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
  if (params) s = s.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
  return s;
}

/** Renders an error (or warning) from the onenet API in the chosen language. */
export function errorText(e) {
  if (!e) return "";
  const code = e.code;
  if (code && has("err." + code)) {
    return t("err." + code, Object.assign({ field: e.field, detail: e.detail || e.message }, e.params || {}));
  }
  // No translation for this code: name the field in the page's words and
  // give Go's explanation without the package prefix.
  if (e.detail && e.field && has("field." + e.field)) return t("field." + e.field) + ": " + e.detail;
  return e.message;
}

/** Sets the text, placeholders and ARIA labels of every marked element. */
export function apply(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n);
  }
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const el of root.querySelectorAll("[data-i18n-aria]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nAria));
  }
}
