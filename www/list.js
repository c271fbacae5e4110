// A virtualised grid: only the rows in view (plus a few) exist in the DOM, recycled while
// scrolling, so 100 000+ rows scroll as smoothly as 10. Keyboard: arrows, Page Up/Down,
// Home/End move the selection (aria-activedescendant); Enter activates.

const MAX_PX = 8_000_000; // browsers cap element heights (~16-33M px); compress beyond this
const OVERSCAN = 4;

export class VirtualGrid {
  /**
   * @param {HTMLElement} grid     focusable element with role=grid
   * @param {HTMLElement} viewport scrolling element
   * @param {HTMLElement} spacer   sets the scroll height
   * @param {HTMLElement} layer    holds the rendered rows
   * @param {object} opts {columns, render(rowEl, cells, index), onSelect(index), onActivate(index)}
   */
  constructor(grid, viewport, spacer, layer, opts) {
    this.grid = grid;
    this.viewport = viewport;
    this.spacer = spacer;
    this.layer = layer;
    this.opts = opts;
    this.count = 0; // rows in view (after filtering)
    this.map = null; // view position -> model index (null: identity)
    this.selected = -1; // view position
    this.pool = [];
    this.rowHeight = 0;
    this.raf = 0;
    this.viewport.addEventListener('scroll', () => this.schedule(), { passive: true });
    new ResizeObserver(() => this.schedule()).observe(this.viewport);
    this.grid.addEventListener('keydown', (e) => this.onKey(e));
    this.layer.addEventListener('click', (e) => {
      const row = e.target.closest('[data-pos]');
      if (row) {
        this.select(Number(row.dataset.pos));
        this.grid.focus({ preventScroll: true });
      }
    });
    this.layer.addEventListener('dblclick', (e) => {
      const row = e.target.closest('[data-pos]');
      if (row && this.opts.onActivate) this.opts.onActivate(this.modelIndex(Number(row.dataset.pos)));
    });
  }

  modelIndex(pos) {
    return this.map ? this.map[pos] : pos;
  }

  /** Position in view of model row `index`, or -1 when filtered out. */
  viewPos(index) {
    if (!this.map) return index < this.count ? index : -1;
    // map is ascending: binary search
    let lo = 0;
    let hi = this.map.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.map[mid];
      if (v === index) return mid;
      if (v < index) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** New data: `count` model rows, optionally filtered through `map` (ascending indices). */
  setRows(count, map = null) {
    const keep = this.selected >= 0 ? this.modelIndex(this.selected) : -1;
    this.map = map;
    this.count = map ? map.length : count;
    this.grid.setAttribute('aria-rowcount', String(this.count + 1));
    this.grid.style.setProperty('--n', String(this.count)); // a short list takes less room
    this.measure();
    this.spacer.style.height = `${Math.min(this.count * this.rowHeight, MAX_PX)}px`;
    this.selected = keep >= 0 ? this.viewPos(keep) : -1;
    if (this.selected < 0) this.grid.removeAttribute('aria-activedescendant');
    this.render();
  }

  measure() {
    if (this.rowHeight) return;
    const probe = this.makeRow();
    probe.style.visibility = 'hidden';
    this.layer.append(probe);
    this.rowHeight = probe.getBoundingClientRect().height || 24;
    probe.remove();
  }

  makeRow() {
    const row = document.createElement('div');
    row.className = 'row';
    row.setAttribute('role', 'row');
    const cells = [];
    for (const c of this.opts.columns) {
      const cell = document.createElement('span');
      cell.className = c;
      cell.setAttribute('role', 'gridcell');
      row.append(cell);
      cells.push(cell);
    }
    row.cells_ = cells;
    return row;
  }

  schedule() {
    if (!this.raf) {
      this.raf = requestAnimationFrame(() => {
        this.raf = 0;
        this.render();
      });
    }
  }

  /** First row in view and the layer's offset, with height compression for huge lists. */
  geometry() {
    const h = this.rowHeight;
    const viewH = this.viewport.clientHeight;
    const full = this.count * h;
    const top = this.viewport.scrollTop;
    if (full <= MAX_PX) {
      const first = Math.floor(top / h);
      return { first, offset: first * h, visible: Math.ceil(viewH / h) + 1 };
    }
    const maxTop = Math.max(1, MAX_PX - viewH);
    const rowsAbove = Math.max(0, this.count - Math.floor(viewH / h));
    const first = Math.min(this.count - 1, Math.floor((top / maxTop) * rowsAbove));
    return { first, offset: top, visible: Math.ceil(viewH / h) + 1 };
  }

  render() {
    if (!this.rowHeight) this.measure();
    const { first, offset, visible } = this.geometry();
    const start = Math.max(0, first - OVERSCAN);
    const end = Math.min(this.count, first + visible + OVERSCAN);
    const need = end - start;
    while (this.pool.length < need) {
      const row = this.makeRow();
      this.layer.append(row);
      this.pool.push(row);
    }
    this.layer.style.transform = `translateY(${offset - (first - start) * this.rowHeight}px)`;
    let active = null;
    for (let i = 0; i < this.pool.length; i++) {
      const row = this.pool[i];
      if (i >= need) {
        if (!row.hidden) row.hidden = true;
        continue;
      }
      const pos = start + i;
      row.hidden = false;
      row.dataset.pos = String(pos);
      row.id = `r${pos}`;
      row.setAttribute('aria-rowindex', String(pos + 2));
      const sel = pos === this.selected;
      row.setAttribute('aria-selected', sel ? 'true' : 'false');
      if (sel) active = row;
      this.opts.render(row, row.cells_, this.modelIndex(pos));
    }
    if (active) this.grid.setAttribute('aria-activedescendant', active.id);
    else this.grid.removeAttribute('aria-activedescendant');
  }

  /** Scrolls so view position `pos` is visible. */
  reveal(pos) {
    const h = this.rowHeight;
    const viewH = this.viewport.clientHeight;
    if (this.count * h <= MAX_PX) {
      const top = pos * h;
      if (top < this.viewport.scrollTop) this.viewport.scrollTop = top;
      else if (top + h > this.viewport.scrollTop + viewH) this.viewport.scrollTop = top + h - viewH;
    } else {
      const { first, visible } = this.geometry();
      if (pos < first || pos >= first + visible - 1) {
        const rowsAbove = Math.max(1, this.count - Math.floor(viewH / h));
        this.viewport.scrollTop = (Math.min(pos, rowsAbove) / rowsAbove) * Math.max(1, MAX_PX - viewH);
      }
    }
  }

  /** Selects view position `pos` (clamped), scrolls it into view and tells `onSelect`. */
  select(pos, notify = true) {
    if (this.count === 0) return;
    pos = Math.max(0, Math.min(this.count - 1, pos));
    this.selected = pos;
    this.reveal(pos);
    this.render();
    if (notify && this.opts.onSelect) this.opts.onSelect(this.modelIndex(pos));
  }

  /** Selects model row `index` if it is in view. */
  selectIndex(index, notify = true) {
    const pos = this.viewPos(index);
    if (pos >= 0) this.select(pos, notify);
    return pos >= 0;
  }

  onKey(e) {
    if (this.count === 0) return;
    const page = Math.max(1, Math.floor(this.viewport.clientHeight / this.rowHeight) - 1);
    const cur = this.selected < 0 ? -1 : this.selected;
    let next = null;
    switch (e.key) {
      case 'ArrowDown': next = cur + 1; break;
      case 'ArrowUp': next = cur < 0 ? 0 : cur - 1; break;
      case 'PageDown': next = cur + page; break;
      case 'PageUp': next = cur - page; break;
      case 'Home': next = 0; break;
      case 'End': next = this.count - 1; break;
      case 'Enter':
        if (cur >= 0 && this.opts.onActivate) {
          e.preventDefault();
          this.opts.onActivate(this.modelIndex(cur));
        }
        return;
      default:
        return;
    }
    e.preventDefault();
    this.select(next);
  }
}
