// The raw payload's editor: CodeMirror 6 (web/vendor/codemirror.js, built by
// make vendor) in place of the textarea #payload, loaded only when the raw
// payload is first shown (publish.js). The textarea stays the payload's
// store: the editor writes every edit into it (with an input event, as
// typing would), and whatever sets its value (the Sent list, snippets,
// settings) is shown in the editor. If this module cannot load, the
// textarea is simply left in place.
//
// The editor lives in a shadow root: CodeMirror then styles it with
// constructed style sheets, which the page's Content-Security-Policy
// (no inline styles) allows, where a <style> element would be refused. Its
// colours are the page's CSS variables (style.css), which cross the shadow
// boundary, so it follows the theme switch. Tab is not bound: it moves on
// to the next control, as in any field.
import {
  EditorState,
  Compartment,
  EditorView,
  keymap,
  lineNumbers,
  drawSelection,
  highlightSpecialChars,
  standardKeymap,
  history,
  historyKeymap,
  HighlightStyle,
  syntaxHighlighting,
  syntaxTree,
  bracketMatching,
  indentOnInput,
  json,
  setDiagnostics,
  lintGutter,
  lintKeymap,
  tags,
} from "./vendor/codemirror.js";

/** @typedef {import("./vendor/codemirror.js").Diagnostic} Diagnostic */

const native = /** @type {PropertyDescriptor} */ (Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, "value"));

const highlight = HighlightStyle.define([
  { tag: tags.propertyName, color: "var(--hl-key)" },
  { tag: tags.string, color: "var(--hl-string)" },
  { tag: tags.number, color: "var(--hl-number)" },
  { tag: [tags.bool, tags.null], color: "var(--hl-literal)" },
  { tag: [tags.separator, tags.brace, tags.squareBracket, tags.punctuation], color: "var(--muted)" },
]);

const theme = EditorView.theme({
  "&": { color: "var(--fg)", backgroundColor: "var(--field)", border: "1px solid var(--line)", borderRadius: "4px", fontSize: ".85rem" },
  "&.cm-focused": { outline: "2px solid var(--accent)", outlineOffset: "1px" },
  "&[data-invalid=true]": { borderColor: "var(--err)" },
  ".cm-scroller": { fontFamily: 'ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace', lineHeight: "1.45", minHeight: "10.5em", maxHeight: "28em" },
  ".cm-content": { caretColor: "var(--fg)", padding: ".3rem 0" },
  ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--fg)" },
  ".cm-selectionBackground, &.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-content ::selection": { backgroundColor: "var(--sel-bg)" },
  ".cm-gutters": { backgroundColor: "var(--soft)", color: "var(--muted)", borderRight: "1px solid var(--line)" },
  ".cm-lineNumbers .cm-gutterElement": { padding: "0 .4rem 0 .5rem", minWidth: "2.2em" },
  "&.cm-focused .cm-matchingBracket": { backgroundColor: "var(--sel-bg)", outline: "1px solid var(--line)" },
  ".cm-lintRange-error": { backgroundColor: "var(--err-bg)" },
  ".cm-tooltip": { backgroundColor: "var(--card)", color: "var(--fg)", border: "1px solid var(--line)" },
  ".cm-diagnostic-error": { borderLeftColor: "var(--err)" },
  ".cm-panels": { backgroundColor: "var(--card)", color: "var(--fg)" },
});

/**
 * The payload editor over a textarea.
 */
export class PayloadEditor {
  /**
   * Puts the editor in host, over textarea, which it hides.
   * @param {HTMLTextAreaElement} textarea the payload's store
   * @param {HTMLElement} host an empty element where the editor goes
   * @param {{label: string, describedBy?: HTMLElement[]}} opts label: the editor's accessible name; describedBy: its description (the error, the keys)
   */
  constructor(textarea, host, opts) {
    this.textarea = textarea;
    this.host = host;
    this.syncing = false;
    this.attrs = new Compartment();
    this.label = opts.label;
    this.invalid = false;
    const root = host.shadowRoot || host.attachShadow({ mode: "open" });
    this.view = new EditorView({
      root,
      parent: root,
      state: EditorState.create({
        doc: native.get.call(textarea),
        extensions: [
          lineNumbers(),
          lintGutter(),
          highlightSpecialChars(),
          history(),
          drawSelection(),
          indentOnInput(),
          bracketMatching(),
          json(),
          syntaxHighlighting(highlight),
          EditorView.lineWrapping,
          // Ctrl/⌘+Enter is not bound: the publish panel's handler gets it.
          keymap.of([...standardKeymap, ...historyKeymap, ...lintKeymap]),
          theme,
          this.attrs.of(this.contentAttrs()),
          EditorView.updateListener.of((u) => {
            if (!u.docChanged || this.syncing) return;
            native.set.call(textarea, u.state.doc.toString());
            textarea.dispatchEvent(new Event("input", { bubbles: true }));
          }),
        ],
      }),
    });
    // Whatever sets the textarea's value sets the editor's.
    const ed = this;
    Object.defineProperty(textarea, "value", {
      configurable: true,
      get() {
        return native.get.call(this);
      },
      set(v) {
        native.set.call(this, v);
        ed.sync();
      },
    });
    if (opts.describedBy && "ariaDescribedByElements" in this.view.contentDOM) {
      // References out of the shadow root, to the error and the keys' hint.
      /** @type {any} */ (this.view.contentDOM).ariaDescribedByElements = opts.describedBy;
    }
    textarea.hidden = true;
  }

  contentAttrs() {
    /** @type {Record<string, string>} */
    const a = { "aria-label": this.label, spellcheck: "false" };
    if (this.invalid) a["aria-invalid"] = "true";
    return EditorView.contentAttributes.of(a);
  }

  /** Shows the textarea's value, if it differs. */
  sync() {
    const text = native.get.call(this.textarea);
    const doc = this.view.state.doc.toString();
    if (text === doc) return;
    this.syncing = true;
    try {
      this.view.dispatch({ changes: { from: 0, to: doc.length, insert: text } });
    } finally {
      this.syncing = false;
    }
  }

  /** The editor's accessible name (on a change of language). */
  setLabel(label) {
    this.label = label;
    this.view.dispatch({ effects: this.attrs.reconfigure(this.contentAttrs()) });
  }

  /**
   * Marks the payload check's error where it is: the offending value, or
   * the character at a syntax error; null or a check without a position
   * marks nothing.
   * @param {{ok: boolean, line?: number, offset?: number} | null} check the result of onenet.checkPayload, or null
   * @param {string} message what the mark says
   */
  mark(check, message) {
    this.sync();
    const state = this.view.state;
    const len = state.doc.length;
    /** @type {Diagnostic[]} */
    const diags = [];
    if (check && !check.ok && check.line && typeof check.offset === "number") {
      let from = Math.max(0, Math.min(check.offset, len));
      if (from === len && len > 0) from = len - 1;
      let to = Math.min(from + 1, len);
      // A value that breaks a rule is marked whole (to the end of its first line).
      const node = syntaxTree(state).resolveInner(from, 1);
      if (node.from === from && /^(String|Number|True|False|Null|Object|Array)$/.test(node.name)) {
        to = Math.max(to, Math.min(node.to, state.doc.lineAt(from).to));
      }
      diags.push({ from, to, severity: "error", message });
    }
    const invalid = !!check && !check.ok;
    this.view.dom.dataset.invalid = String(invalid);
    if (invalid === this.invalid) {
      this.view.dispatch(setDiagnostics(state, diags));
      return;
    }
    this.invalid = invalid;
    this.view.dispatch(setDiagnostics(state, diags), { effects: this.attrs.reconfigure(this.contentAttrs()) });
  }

  /** Selects from…to (UTF-16 offsets, as the checks give them) and focuses. */
  select(from, to) {
    const len = this.view.state.doc.length;
    const a = Math.max(0, Math.min(from, len));
    this.view.dispatch({ selection: { anchor: a, head: Math.max(a, Math.min(to, len)) }, scrollIntoView: true });
    this.focus();
  }

  focus() {
    this.view.focus();
  }

  /** The editable element (for tests and focus checks). */
  get content() {
    return this.view.contentDOM;
  }
}
