// A message log that stays responsive with 100,000 entries: a bounded ring
// of entries, rows of fixed height, and only the rows in view in the DOM.
// Appends are batched into one render per animation frame.

export class MessageLog {
  /**
   * @param {HTMLElement} container scrolling element
   * @param {HTMLElement} spacer child that sets the scroll height
   * @param {(entry: object, el: HTMLElement) => void} renderRow
   * @param {{capacity?: number, rowHeight?: number}} opts
   */
  constructor(container, spacer, renderRow, opts = {}) {
    this.container = container;
    this.spacer = spacer;
    this.renderRow = renderRow;
    this.capacity = opts.capacity || 100000;
    this.rowHeight = opts.rowHeight || 28;
    this.entries = []; // oldest first; trimmed in chunks to stay bounded
    this.filter = null;
    this.view = null; // filtered entries, newest first, when a filter is set
    this.paused = false;
    this.held = []; // entries that arrived while paused
    this.rows = [];
    this.scheduled = false;
    this.total = 0;
    this.dropped = 0;
    this.onChange = null;
    this.onOpen = null; // called with the entry a click or Enter opens
    this.selected = null; // the entry opened
    this.cursor = null; // the entry the arrow keys are on
    container.addEventListener("scroll", () => this.schedule(), { passive: true });
    container.addEventListener("click", (ev) => {
      const row = ev.target.closest(".msg");
      if (row && row._entry) this.open(row._entry);
    });
    container.addEventListener("keydown", (ev) => this.key(ev));
    new ResizeObserver(() => this.schedule()).observe(container);
  }

  /** Adds entries (oldest first). */
  push(batch) {
    this.total += batch.length;
    if (this.paused) {
      for (const e of batch) this.held.push(e);
      if (this.held.length > this.capacity) {
        const n = this.held.length - this.capacity;
        this.held.splice(0, n);
        this.dropped += n;
      }
      this.schedule();
      return;
    }
    this._add(batch);
  }

  _add(batch) {
    for (const e of batch) this.entries.push(e);
    const over = this.entries.length - this.capacity;
    if (over > 0) {
      // Trim in chunks so that the cost is amortised.
      const n = Math.max(over, Math.floor(this.capacity / 10));
      this.entries.splice(0, n);
      this.dropped += n;
    }
    if (this.filter) {
      this.view = null;
    }
    this.schedule();
  }

  setPaused(p) {
    this.paused = p;
    if (!p && this.held.length) {
      const h = this.held;
      this.held = [];
      this._add(h);
    }
    this.schedule();
  }

  setFilter(fn) {
    this.filter = fn;
    this.view = null;
    this.container.scrollTop = 0;
    this.schedule();
  }

  clear() {
    this.entries = [];
    this.cursor = null;
    this.held = [];
    this.view = null;
    this.schedule();
  }

  /** The entries shown, newest first (a view, not a copy, when unfiltered). */
  count() {
    return this.filter ? this._view().length : this.entries.length;
  }

  at(i) {
    if (this.filter) return this._view()[i];
    return this.entries[this.entries.length - 1 - i];
  }

  all() {
    return this.entries.slice();
  }

  /**
   * The entries the filter lets through, oldest first; with held, the
   * messages that arrived while paused too.
   */
  shown(held) {
    const all = held ? this.entries.concat(this.held) : this.entries;
    return this.filter ? all.filter(this.filter) : all.slice();
  }

  _view() {
    if (!this.view) {
      const v = [];
      for (let i = this.entries.length - 1; i >= 0; i--) {
        if (this.filter(this.entries[i])) v.push(this.entries[i]);
      }
      this.view = v;
    }
    return this.view;
  }

  /** The position of an entry among those shown (newest first), or -1. */
  indexOf(entry) {
    if (!entry) return -1;
    if (this.filter) return this._view().indexOf(entry);
    const i = this.entries.lastIndexOf(entry);
    return i < 0 ? -1 : this.entries.length - 1 - i;
  }

  select(entry) {
    this.selected = entry;
    if (entry) this.cursor = entry;
    this.schedule();
  }

  open(entry) {
    this.select(entry);
    if (this.onOpen) this.onOpen(entry);
  }

  /** Arrows, Page Up/Down, Home/End move the cursor; Enter (or Space) opens. */
  key(ev) {
    const n = this.count();
    if (!n) return;
    const page = Math.max(1, Math.floor((this.container.clientHeight || 400) / this.rowHeight) - 1);
    let i = this.indexOf(this.cursor);
    const moves = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
    if (ev.key in moves) i = i < 0 ? 0 : i + moves[ev.key];
    else if (ev.key === "Home") i = 0;
    else if (ev.key === "End") i = n - 1;
    else if ((ev.key === "Enter" || ev.key === " ") && this.cursor) {
      ev.preventDefault();
      this.open(this.cursor);
      return;
    } else return;
    ev.preventDefault();
    i = Math.max(0, Math.min(n - 1, i));
    this.cursor = this.at(i);
    const top = i * this.rowHeight;
    const c = this.container;
    if (top < c.scrollTop) c.scrollTop = top;
    else if (top + this.rowHeight > c.scrollTop + c.clientHeight) c.scrollTop = top + this.rowHeight - c.clientHeight;
    this.schedule();
  }

  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.render();
    });
  }

  /** Re-renders the visible rows (e.g. after an entry changed). */
  refresh() {
    this.schedule();
  }

  render() {
    const n = this.count();
    const h = this.rowHeight;
    this.spacer.style.height = n * h + "px";
    const top = this.container.scrollTop;
    const height = this.container.clientHeight || 400;
    const first = Math.max(0, Math.floor(top / h) - 5);
    const last = Math.min(n, Math.ceil((top + height) / h) + 5);
    const needed = last - first;
    let cursorRow = null;
    while (this.rows.length < needed) {
      const el = document.createElement("div");
      el.className = "msg";
      el.style.height = h + "px";
      this.container.appendChild(el);
      this.rows.push(el);
    }
    for (let i = 0; i < this.rows.length; i++) {
      const el = this.rows[i];
      if (i >= needed) {
        el.hidden = true;
        continue;
      }
      const entry = this.at(first + i);
      el.hidden = false;
      el.style.transform = `translateY(${(first + i) * h}px)`;
      if (el._entry !== entry || entry._v !== el._v) {
        el._entry = entry;
        el._v = entry._v;
        this.renderRow(entry, el);
      }
      el.id = "msg-row-" + i;
      el.setAttribute("role", "option");
      el.setAttribute("aria-posinset", String(first + i + 1));
      el.setAttribute("aria-setsize", String(n));
      el.setAttribute("aria-selected", String(entry === this.selected));
      el.classList.toggle("cur", entry === this.cursor);
      if (entry === this.cursor) cursorRow = el;
    }
    if (cursorRow) this.container.setAttribute("aria-activedescendant", cursorRow.id);
    else this.container.removeAttribute("aria-activedescendant");
    if (this.onChange) this.onChange();
  }
}
