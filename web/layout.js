// The page's layout: the views (tabs at phone width; columns on a wide
// screen: setup │ act │ see), the token and connection panels folding to a
// one-line summary once connected, and the theme (the system's, or the
// remembered switch).
import { $ } from "./ui.js";
import { t, show, formatTime } from "./i18n.js";

const VIEWS = ["setup", "act", "see"];
const narrow = matchMedia("(max-width: 899.98px)");

export class Layout {
  constructor(app) {
    this.app = app;
  }

  wire() {
    const tabs = VIEWS.map((v) => $("view-" + v));
    for (const tab of tabs) {
      tab.addEventListener("click", () => this.setView(tab.id.slice(5)));
      tab.addEventListener("keydown", (ev) => {
        const i = tabs.indexOf(tab);
        let j = -1;
        if (ev.key === "ArrowRight") j = (i + 1) % tabs.length;
        else if (ev.key === "ArrowLeft") j = (i + tabs.length - 1) % tabs.length;
        else if (ev.key === "Home") j = 0;
        else if (ev.key === "End") j = tabs.length - 1;
        if (j < 0) return;
        ev.preventDefault();
        tabs[j].focus();
        this.setView(VIEWS[j]);
      });
    }
    narrow.addEventListener("change", () => this.roles());
    this.roles();
    for (const id of ["token", "connect"]) {
      $(id + "-summary").addEventListener("click", () => this.fold(id, !$(id + "-panel").classList.contains("collapsed")));
    }
    $("theme").addEventListener("change", () => this.theme());
    this.theme();
  }

  /** The columns are tab panels only while the tabs are shown. */
  roles() {
    for (const v of VIEWS) {
      const col = $("col-" + v);
      if (narrow.matches) col.setAttribute("role", "tabpanel");
      else col.removeAttribute("role");
    }
  }

  setView(v) {
    document.querySelector("main").dataset.view = v;
    for (const x of VIEWS) {
      const tab = $("view-" + x);
      tab.setAttribute("aria-selected", String(x === v));
      tab.tabIndex = x === v ? 0 : -1;
    }
  }

  theme() {
    const v = $("theme").value;
    if (v === "light" || v === "dark") document.documentElement.dataset.theme = v;
    else delete document.documentElement.dataset.theme;
  }

  /** Folds (or opens) the token or connection panel to its summary line. */
  fold(id, folded) {
    const panel = $(id + "-panel");
    panel.classList.toggle("collapsed", folded);
    $(id + "-summary").setAttribute("aria-expanded", String(!folded));
  }

  /** The connection's state changed: fold the setup once connected, open it when closed. */
  connection(state) {
    const on = state !== "closed";
    for (const id of ["token", "connect"]) $(id + "-summary").hidden = !on;
    if (state === "connected" && !this.folded) {
      this.folded = true;
      this.fold("token", true);
      this.fold("connect", true);
      if (narrow.matches) this.setView("act");
    }
    if (state === "closed") {
      this.folded = false;
      this.fold("token", false);
      this.fold("connect", false);
    }
    this.summaries();
  }

  summaries() {
    const app = this.app;
    const o = app.token.options();
    const tok = $("token-out").value;
    let et = "";
    try {
      if (tok) et = formatTime(app.onenet.parseToken(tok).et * 1000);
    } catch {
      // No token: no expiry.
    }
    const res = app.token.resource() || "—";
    show($("token-summary"), () => t("sum.token", { res, method: o.method, date: et || "—" }));
    const state = $("conn-state").dataset.state;
    const url = app.conn.url || "";
    const client = $("clientId").value;
    show($("connect-summary"), () => t("sum.conn", { state: t("state." + state), url, client }));
    // A summary too long for its line ends in "…": the whole of it is the title.
    for (const id of ["token-summary", "connect-summary"]) $(id).title = $(id).textContent;
  }
}
