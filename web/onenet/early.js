// Starts compiling core.wasm (the token generator) as soon as this script
// has arrived, while the page's modules are still loading: the modules run
// only once all of them have arrived, and until then nothing read the
// wasm's bytes (docs/BENCHMARKS.md). onenet/loader.js takes the compiled
// module from globalThis.__onenetEarly; without it (an old browser, the
// single file, which carries its wasm) the loader compiles core.wasm itself.
(function () {
  "use strict";
  if (location.protocol === "file:" || !WebAssembly.compileStreaming || !document.currentScript) return;
  const url = new URL("../core.wasm", document.currentScript.src).href;
  const compiled = WebAssembly.compileStreaming(fetch(url));
  compiled.catch(function () {}); // the loader falls back, and reports what it cannot do
  globalThis.__onenetEarly = { url: url, compiled: compiled };
})();
