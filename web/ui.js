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
