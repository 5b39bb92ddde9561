// The page's one classic (non-module) script. Opened as a file (file://),
// Chromium refuses to run module scripts (their origin is "null") and every
// browser refuses to fetch the wasm, so nothing else of the page would run
// and it would stay blank: this says why and how to serve it instead.
// app.js says the same in the chosen language where modules do run.
(function () {
  "use strict";
  // The single file (make single) carries the wasm and works from disk.
  if (location.protocol !== "file:" || globalThis.onenetEmbedded) return;
  var zh = /^zh\b/i.test(navigator.language || "");
  var dir = decodeURIComponent(location.pathname.replace(/[^/]*$/, ""));
  var text = zh
    ? "此页面是以文件方式打开的（file://），浏览器在这种情况下拒绝加载 WebAssembly。请通过 HTTP 提供这个文件夹：在其中运行 python3 -m http.server 并打开 http://localhost:8000/，或在源码目录中运行 make run。"
    : "This page was opened from a file (file://), where browsers refuse to load WebAssembly. Serve the folder over HTTP instead: run `python3 -m http.server` in it and open http://localhost:8000/, or run `make run` in the source tree.";
  var show = function () {
    var banner = document.getElementById("banner");
    if (banner) {
      banner.textContent = text + " ";
      var code = document.createElement("code");
      code.textContent = "cd '" + dir.replace(/'/g, "'\\''") + "' && python3 -m http.server";
      banner.appendChild(code);
      banner.hidden = false;
    }
    var status = document.getElementById("load-status");
    if (status) {
      status.textContent = zh ? "未加载" : "Not loaded";
      status.className = "status error";
    }
    document.body.dataset.ready = "file";
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", show);
  else show();
})();
