// ESLint for the page's JavaScript (make lint). The generated and vendored
// files are left out: wasm_exec.js is Go's, web/vendor is copied from
// node_modules.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["web/wasm_exec.js", "web/vendor/**", "dist/**", "node_modules/**", "bench/**"] },
  js.configs.recommended,
  {
    files: ["web/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser, Go: "readonly" },
    },
    rules: {
      eqeqeq: ["error", "always", { null: "ignore" }],
      "no-var": "error",
      "prefer-const": "error",
    },
  },
  {
    // A classic script, for any browser: it explains a page opened from a file.
    files: ["web/boot.js"],
    languageOptions: { sourceType: "script" },
    rules: { "no-var": "off" },
  },
  {
    files: ["web/sw.js"],
    languageOptions: { sourceType: "script", globals: { ...globals.serviceworker } },
  },
];
