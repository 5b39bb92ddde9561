// Payloads as the page shows them, with the work bounded for any one
// message: a row reads at most ROW_BYTES, the pretty form is built only for
// payloads up to PRETTY_BYTES nested at most MAX_DEPTH deep and is cut at
// MAX_CHARS, and the JSON tree opens at most TREE_NODES nodes at a time.

export const ROW_BYTES = 300;
export const PRETTY_BYTES = 256 * 1024;
export const MAX_DEPTH = 64;
export const MAX_CHARS = 200000;
export const TREE_NODES = 500;

const decoder = new TextDecoder();

/** Whether the payload looks like text (no control bytes in its first 512). */
export function isText(b) {
  for (let i = 0; i < Math.min(b.length, 512); i++) {
    const c = b[i];
    if (c < 9 || (c > 13 && c < 32)) return false;
  }
  return true;
}

/** Hex of the first max bytes, space-separated, with "…" if cut. */
export function hex(b, max = 64, sep = " ") {
  const n = Math.min(b.length, max);
  const parts = new Array(n);
  for (let i = 0; i < n; i++) parts[i] = b[i].toString(16).padStart(2, "0");
  return parts.join(sep) + (b.length > max ? " …" : "");
}

/** Base64 of the whole payload, in chunks (no argument-count limits). */
export function base64(b) {
  let s = "";
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode.apply(null, b.subarray(i, i + 0x8000));
  return btoa(s);
}

/** A one-line preview for a message row: at most ROW_BYTES of the payload. */
export function preview(b) {
  if (!isText(b)) return "0x " + hex(b, 64);
  const s = decoder.decode(b.subarray(0, ROW_BYTES));
  return s.replace(/\s+/g, " ") + (b.length > ROW_BYTES ? " …" : "");
}

/** The payload as text (whole; for the inspector and export). */
export function text(b) {
  return decoder.decode(b);
}

/**
 * The nesting depth of a JSON text, counted without parsing (brackets
 * outside strings), stopping once it passes limit.
 */
export function depth(s, limit = MAX_DEPTH) {
  let d = 0;
  let max = 0;
  let inStr = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inStr) {
      if (c === 92) i++;
      else if (c === 34) inStr = false;
    } else if (c === 34) inStr = true;
    else if (c === 123 || c === 91) {
      if (++d > max) {
        max = d;
        if (max > limit) return max;
      }
    } else if (c === 125 || c === 93) d--;
  }
  return max;
}

/**
 * Parses a payload as JSON if it is small and shallow enough to show as a
 * tree: {value} or {error: "size"|"depth"|"syntax"|"binary"}.
 */
export function parse(b) {
  if (!isText(b)) return { error: "binary" };
  if (b.length > PRETTY_BYTES) return { error: "size" };
  const s = decoder.decode(b);
  if (depth(s) > MAX_DEPTH) return { error: "depth" };
  try {
    return { value: JSON.parse(s) };
  } catch {
    return { error: "syntax" };
  }
}

/** The payload pretty-printed if it can be cheaply, else its text; at most MAX_CHARS. */
export function pretty(b) {
  if (!isText(b)) return "0x " + hex(b, 64);
  const p = parse(b);
  let s = p.error ? decoder.decode(b.subarray(0, MAX_CHARS)) : JSON.stringify(p.value, null, 2);
  if (s.length > MAX_CHARS) s = s.slice(0, MAX_CHARS) + "\n…";
  return s;
}
