// Small DOM helpers shared by the page's panels.
import { t, show, formatTime } from "./i18n.js";

export const $ = (id) => document.getElementById(id);

export function li(text, cls) {
  const el = document.createElement("li");
  el.textContent = text;
  if (cls) el.className = cls;
  return el;
}

/** Lists messages; a message given as a function is rendered again when the language changes. */
export function setMsgs(list, items) {
  list._items = items;
  list.replaceChildren(...items.map(([text, cls]) => li(typeof text === "function" ? text() : text, cls)));
}

export function markField(id, bad) {
  const el = $(id);
  if (!el) return;
  if (bad) el.setAttribute("aria-invalid", "true");
  else el.removeAttribute("aria-invalid");
}

export const fmtTime = formatTime;

/** Sets the load status: a catalogue key, kept on the element so a language change re-renders it. */
export function setStatus(key, cls) {
  $("load-status").dataset.i18n = key;
  $("load-status").textContent = t(key);
  if (cls) $("load-status").className = "status " + cls;
}

export function showBanner(render) {
  show($("banner"), render);
  $("banner").hidden = false;
}

/** An element with a class and text. */
export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** HH:MM:SS.mmm in local time. */
export function clockMs(ms) {
  const d = new Date(ms);
  const p = (n, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** A local time with the date, ISO 8601 order, to the millisecond. */
export function isoLocal(ms) {
  const d = new Date(ms);
  const p = (n, w = 2) => String(n).padStart(w, "0");
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${clockMs(ms)} ${sign}${p(Math.floor(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}`;
}

/**
 * Copies text to the clipboard and says so in status; when the browser
 * refuses, selects the text in source (an input, a textarea or any
 * element) for Ctrl+C and says that instead.
 */
export async function copyText(text, source, status) {
  try {
    await navigator.clipboard.writeText(text);
    show(status, () => t("copy.done"));
    status.className = "copy-status ok";
  } catch {
    if (source) {
      source.focus();
      if (typeof source.select === "function") source.select();
      else {
        const r = document.createRange();
        r.selectNodeContents(source);
        const sel = getSelection();
        sel.removeAllRanges();
        sel.addRange(r);
      }
    }
    show(status, () => t("copy.refused"));
    status.className = "copy-status warn";
  }
  clearTimeout(status._timer);
  status._timer = setTimeout(() => show(status, null), 6000);
}
