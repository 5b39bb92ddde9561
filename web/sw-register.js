// Registers sw.js, which keeps the page working offline once it has been
// loaded. Service workers need a secure context: https, or http://localhost
// and http://127.0.0.1; elsewhere (and from file://) the page works online
// only. Registration waits for both wasm modules so that it does not compete
// with them for the network.
import { onenet } from "./onenet.js";

if ("serviceWorker" in navigator && globalThis.isSecureContext) {
  const register = async () => {
    try {
      const reg = await navigator.serviceWorker.register(new URL("sw.js", import.meta.url), { updateViaCache: "none" });
      // Look for a new build now, not only at the next navigation.
      await reg.update();
    } catch (e) {
      // Offline (the worker that answers is the installed one), or a host
      // that does not serve build.js: the page itself is unaffected.
      console.info("onenet: service worker:", e && e.message ? e.message : e);
    }
  };
  onenet.mqttReady.then(register, register);
}
