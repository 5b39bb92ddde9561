// Injected by bench/ into every document before the page's own scripts
// (Page.addScriptToEvaluateOnNewDocument). It records, in window.__bench:
//   longtasks  [startTime, duration] of every main-thread task over 50 ms;
//   ready      performance.now() when document.body.dataset.ready became
//              "core" (tokens work) and "all" (the MQTT client is loaded);
//   instances  the WebAssembly instances, to read their memories' sizes.
(() => {
  const B = (globalThis.__bench = { longtasks: [], ready: {}, instances: [] });
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) B.longtasks.push([e.startTime, e.duration]);
    }).observe({ type: "longtask", buffered: true });
  } catch (e) {
    B.longtaskError = String(e);
  }
  const seen = () => {
    const r = document.body && document.body.dataset.ready;
    if (r && !(r in B.ready)) B.ready[r] = performance.now();
  };
  new MutationObserver(seen).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-ready"] });
  for (const name of ["instantiateStreaming", "instantiate"]) {
    const f = WebAssembly[name];
    if (!f) continue;
    WebAssembly[name] = function (...args) {
      return f.apply(this, args).then((r) => {
        B.instances.push(r.instance || r);
        return r;
      });
    };
  }
  B.wasmBytes = () =>
    B.instances.map((i) => {
      for (const v of Object.values(i.exports)) if (v instanceof WebAssembly.Memory) return v.buffer.byteLength;
      return 0;
    });
  // The longest task that started at or after `since` (ms, performance.now()).
  B.longest = (since = 0) => B.longtasks.filter((t) => t[0] >= since).reduce((m, t) => Math.max(m, t[1]), 0);
})();
