// The parts of CodeMirror 6 the page's payload editor uses (web/editor.js),
// bundled by `make vendor` into web/vendor/codemirror.js. Only what is
// named here ends up in the bundle; web/editor.js is type-checked against
// this file (tsconfig.json, rootDirs).
export { EditorState, Compartment, Prec } from "@codemirror/state";
export { EditorView, keymap, lineNumbers, drawSelection, highlightSpecialChars } from "@codemirror/view";
export { standardKeymap, history, historyKeymap } from "@codemirror/commands";
export { HighlightStyle, syntaxHighlighting, syntaxTree, bracketMatching, indentOnInput } from "@codemirror/language";
export { json } from "@codemirror/lang-json";
export { setDiagnostics, lintGutter, lintKeymap } from "@codemirror/lint";
export { tags } from "@lezer/highlight";
export type { Diagnostic } from "@codemirror/lint";
