// Loading the two Go wasm modules behind the onenet API (../onenet.js):
// core.wasm (tokens only, small, so the token generator works early) and
// mqtt.wasm (the MQTT client and the protocol checks, loaded in the
// background). Each registers its functions on a global (__onenetCore,
// __onenetMQTT) and calls that global's name + "Ready" once it has started.
//
// Each step leaves a performance mark, "onenet:FILE:compiled" (compiled and
// instantiated) and "onenet:FILE:started" (the Go program has registered
// its functions), which the benchmark reads (docs/BENCHMARKS.md); the
// bytes' arrival is in the resource timing. "onenet:core.wasm:early" says
// that the module compiled by onenet/early.js was taken.
import "../wasm_exec.js";

/**
 * A started module: the functions it registered, and its memory, where the
 * MQTT module passes what it hands over (ids, received messages) by
 * address instead of as JavaScript objects (see wasm/mqtt).
 * @typedef {{ exports: any, memory: WebAssembly.Memory }} Module
 */

function mark(file, step) {
  if (typeof performance !== "undefined" && performance.mark) performance.mark(`onenet:${file}:${step}`);
}

/** Starts downloading a module's wasm; resolves with the Response. */
function fetchWasm(url) {
  return fetch(url).then((resp) => {
    if (!resp.ok) throw new Error(`HTTP ${resp.status} for ${url.pathname}`);
    return resp;
  });
}

/**
 * Returns a Response with resp's body that calls done() once the body has
 * been read to the end, still streamed to the compiler.
 */
function onBodyRead(resp, done) {
  if (!resp.body || typeof ReadableStream === "undefined") {
    done();
    return resp;
  }
  const reader = resp.body.getReader();
  const body = new ReadableStream({
    async pull(ctrl) {
      const { done: end, value } = await reader.read();
      if (end) {
        ctrl.close();
        done();
      } else ctrl.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: resp.status, statusText: resp.statusText, headers: resp.headers });
}

/**
 * Starts the Go wasm module `file` (at url) from the Response `fetched`
 * resolves with, and resolves with its Module once it has registered its
 * functions on globalThis[name].
 * @returns {Promise<Module>}
 */
function loadModule(url, file, name, fetched, compiled) {
  return new Promise((resolve, reject) => {
    const go = new Go();
    let memory = null;
    globalThis[name + "Ready"] = () => {
      delete globalThis[name + "Ready"];
      mark(file, "started");
      resolve({ exports: globalThis[name], memory });
    };
    const fail = (e) => reject(new Error(`cannot load ${file}: ${e && e.message ? e.message : e}`));
    const start = (result) => {
      mark(file, "compiled");
      memory = result.instance.exports.mem;
      go.run(result.instance).then(
        () => fail(new Error("the Go program exited")),
        fail,
      );
    };
    if (compiled) {
      // Compiled early (onenet/early.js); if that failed, from the bytes.
      compiled
        .then(
          (mod) => WebAssembly.instantiate(mod, go.importObject),
          () =>
            fetchWasm(url)
              .then((resp) => resp.arrayBuffer())
              .then((buf) => WebAssembly.instantiate(buf, go.importObject))
              .then((r) => r.instance),
        )
        .then((instance) => start({ instance }), fail);
    } else if (WebAssembly.instantiateStreaming) {
      WebAssembly.instantiateStreaming(fetched, go.importObject)
        .catch(async (e) => {
          // A server that sends the wrong Content-Type: fall back to bytes.
          if (!String(e).includes("MIME")) throw e;
          const resp = await fetch(url);
          return WebAssembly.instantiate(await resp.arrayBuffer(), go.importObject);
        })
        .then(start, fail);
    } else {
      fetched
        .then((resp) => resp.arrayBuffer())
        .then((buf) => WebAssembly.instantiate(buf, go.importObject))
        .then(start, fail);
    }
  });
}

/**
 * Starts loading the modules from the folder base: core.wasm at once, and
 * mqtt.wasm's download as soon as core.wasm has been received, not when
 * core has compiled and started: on a slow network the two downloads then
 * neither share the bandwidth nor leave it idle (docs/BENCHMARKS.md).
 * index.html preloads core.wasm, and onenet/early.js starts compiling it
 * before the modules have loaded; the compiled module is taken from there.
 * mqtt() starts the MQTT module, once.
 * @param {URL} base
 * @returns {{ core: Promise<Module>, mqtt: () => Promise<Module> }}
 */
export function load(base) {
  const coreURL = new URL("core.wasm", base);
  const mqttURL = new URL("mqtt.wasm", base);
  let mqttFetch = null;
  const fetchMQTT = () => {
    if (!mqttFetch) {
      mqttFetch = fetchWasm(mqttURL);
      mqttFetch.catch(() => {}); // reported by mqtt()
    }
    return mqttFetch;
  };
  const early = globalThis.__onenetEarly;
  let core;
  if (early && early.url === coreURL.href) {
    delete globalThis.__onenetEarly;
    mark("core.wasm", "early");
    early.compiled.then(fetchMQTT, fetchMQTT);
    core = loadModule(coreURL, "core.wasm", "__onenetCore", null, early.compiled);
  } else {
    core = loadModule(
      coreURL,
      "core.wasm",
      "__onenetCore",
      fetchWasm(coreURL).then((resp) => onBodyRead(resp, fetchMQTT)),
    );
  }
  let mqtt = null;
  return {
    core,
    mqtt() {
      if (!mqtt) mqtt = core.then(() => loadModule(mqttURL, "mqtt.wasm", "__onenetMQTT", fetchMQTT()));
      return mqtt;
    },
  };
}
