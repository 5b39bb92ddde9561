// The service worker: keeps the page and its wasm in the browser so that the
// tool opens, computes tokens and talks to a broker on the local network
// without internet, once it has been loaded. Registered by sw-register.js.
//
// build.js (written by `make dist`; the local server generates it) names this
// build and lists its files. A new build changes build.js, so the browser
// installs a new worker, which fetches the new files into a new cache and
// deletes the old one. Only the page's own files are answered from the
// cache: local.json, the platform API, the broker's and relay's WebSockets
// and everything else go to the network untouched.
importScripts("build.js");

const build = self.onenetBuild;
const scope = new URL(self.registration.scope);
// Caches are per origin: the scope in the name keeps two copies of the tool
// on one host (/a/ and /b/) from deleting each other's.
const prefix = "onenet " + scope.pathname + " ";
const cacheName = prefix + build.id;
const files = new Set(build.files);

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      // "no-cache": revalidate with the host (a 304 reuses the HTTP cache),
      // so that a heuristically fresh copy of an older build is never kept
      // under this build's name. All or nothing: one failure keeps the old
      // worker and its cache.
      const entries = await Promise.all(
        build.files.map(async (f) => {
          const url = new URL(f, scope);
          const resp = await fetch(url, { cache: "no-cache" });
          if (!resp.ok) throw new Error(`${url.pathname}: HTTP ${resp.status}`);
          return [url, resp.redirected ? await unredirect(resp) : resp];
        }),
      );
      const cache = await caches.open(cacheName);
      await Promise.all(entries.map(([url, resp]) => cache.put(url, resp)));
      await self.skipWaiting();
    })(),
  );
});

// A response that followed a redirect may not answer a navigation: keep its
// body and headers only.
async function unredirect(resp) {
  return new Response(await resp.blob(), { status: resp.status, statusText: resp.statusText, headers: resp.headers });
}

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(prefix) && name !== cacheName) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return;
  let name = url.pathname.slice(scope.pathname.length);
  if (req.mode === "navigate") {
    if (name !== "" && name !== "index.html") return;
    name = "index.html"; // any query (?lang=…) is the page's own business
  } else if (url.search || !files.has(name)) {
    return;
  }
  event.respondWith(fromCache(name, req));
});

// caches.match with cacheName, not caches.open: a worker that a new build
// has just replaced must not re-create the cache the new one deleted.
async function fromCache(name, req) {
  const hit = await caches.match(new URL(name, scope), { cacheName });
  return hit || fetch(req);
}
