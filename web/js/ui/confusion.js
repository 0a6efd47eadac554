// Where the shown run goes wrong on its test set: the confusion matrix (a table: rows the true digit,
// columns the network's answer, each cell its count and a colour for it), the test digits of a chosen
// cell, and the worst mistakes (the wrong answers it was surest of). The counts and answers come with the
// run's record (pynet/evaluation.py); the digits' images are asked of the worker by test-set index.

import { base64ToBytes, paintGray } from './pixels.js';

export const CELL_DIGITS = 60;   // the digits a cell shows at most (a diagonal cell holds hundreds)

/** The test-set indices whose true digit is `truth` and whose answer is `answer`. */
export function cellIndices(labels, answers, truth, answer) {
  const out = [];
  for (let i = 0; i < labels.length; i++) if (+labels[i] === truth && +answers[i] === answer) out.push(i);
  return out;
}

export class ConfusionView {
  /**
   * @param {{table: HTMLTableElement, title: HTMLElement, cell: HTMLElement, cellDigits: HTMLOListElement,
   *          mistakes: HTMLOListElement, empty: HTMLElement}} els
   * @param {(indices: number[]) => Promise<{ok: boolean, labels?: number[], pixels_b64?: string, error?: string}>} digits
   */
  constructor(els, digits) {
    Object.assign(this, { els, digits });
    this.run = null;
    els.table.addEventListener('click', (e) => {
      const td = e.target.closest('td[data-true]');
      if (td) this.showCell(+td.dataset.true, +td.dataset.pred);
    });
  }

  /** Show `run`'s evaluation (null: nothing to show). Redrawn only when the run or its name changed. */
  show(run) {
    this.latest = run;
    const key = run && run.evaluation ? `${run.id}:${run.name}` : '';
    if (key === this.key) return;
    this.key = key;
    this.run = key ? run : null;
    const { table, title, empty, cell, cellDigits, mistakes } = this.els;
    empty.hidden = Boolean(this.run);
    table.hidden = !this.run;
    cell.textContent = '';
    cellDigits.replaceChildren();
    mistakes.replaceChildren();
    title.textContent = this.run ? `Where “${run.name}” goes wrong` : 'Where it goes wrong';
    if (!this.run) { table.replaceChildren(); return; }
    this.renderTable(run);
    this.renderMistakes(run);
  }

  /** Draw the shown run again: its digits' images could not be fetched before Python was ready. */
  refresh() {
    this.key = null;
    this.show(this.latest);
  }

  renderTable(run) {
    const { confusion, test_size: size, accuracy } = run.evaluation;
    const table = this.els.table;
    const caption = el('caption', '', `Test digits of ${run.name}: ${size.toLocaleString('en-US')}, ${(accuracy * 100).toFixed(1)}% right. Rows: the true digit; columns: the network's answer. Choose a cell to see its digits.`);
    const head = el('tr');
    head.append(el('th', 'corner', 'true ↓ answer →'));
    for (let p = 0; p < 10; p++) head.append(header('col', String(p)));
    const offDiagonal = Math.max(1, ...confusion.flatMap((row, t) => row.filter((_, p) => p !== t)));
    const rows = confusion.map((row, t) => {
      const tr = el('tr');
      tr.append(header('row', String(t)));
      const rowTotal = row.reduce((a, b) => a + b, 0) || 1;
      row.forEach((count, p) => {
        const td = el('td', t === p ? 'right' : count ? 'wrong' : '');
        td.dataset.true = String(t);
        td.dataset.pred = String(p);
        td.dataset.count = String(count);
        td.setAttribute('data-testid', 'confusion-cell');
        // Right answers shade by their share of the row, mistakes by the largest mistake: a handful of
        // confusions must stand out next to hundreds of right answers.
        const shade = t === p ? count / rowTotal : count / offDiagonal;
        td.style.setProperty('--shade', String(shade));
        if (whiteReads(t === p ? RIGHT : WRONG, shade)) td.classList.add('strong');   // light text on a dark cell
        const b = el('button', 'cell', String(count));
        b.type = 'button';
        b.setAttribute('aria-label', `${count} test digit${count === 1 ? '' : 's'} that ${count === 1 ? 'is' : 'are'} ${t}, answered ${p}`);
        b.disabled = count === 0;
        td.append(b);
        tr.append(td);
      });
      return tr;
    });
    const thead = el('thead');
    thead.append(head);
    const tbody = el('tbody');
    tbody.append(...rows);
    table.replaceChildren(caption, thead, tbody);
  }

  async showCell(truth, answer) {
    const run = this.run;
    if (!run) return;
    const { labels, answers } = run.evaluation;
    const indices = cellIndices(labels, answers, truth, answer);
    const shown = indices.slice(0, CELL_DIGITS);
    const what = truth === answer ? `${indices.length} ${truth}s answered right` : `${indices.length} ${truth}s taken for ${answer}`;
    this.els.cell.textContent = `${what}${indices.length > shown.length ? ` (the first ${shown.length} shown)` : ''}.`;
    this.els.cellDigits.dataset.true = String(truth);
    this.els.cellDigits.dataset.pred = String(answer);
    const items = await this.images(shown, () => '');
    if (this.run === run) this.els.cellDigits.replaceChildren(...items);
  }

  async renderMistakes(run) {
    const { mistakes } = run.evaluation;
    const list = this.els.mistakes;
    if (!mistakes.length) {
      list.replaceChildren(el('li', 'hint', 'No mistakes on the test set.'));
      return;
    }
    const items = await this.images(mistakes.map((m) => m.index), (i) => {
      const m = mistakes[i];
      return `said ${m.answer} (${Math.round(m.confidence * 100)}%), is ${m.truth}`;
    });
    items.forEach((li, i) => {
      li.dataset.truth = String(mistakes[i].truth);
      li.dataset.answer = String(mistakes[i].answer);
      li.setAttribute('data-testid', 'mistake');
    });
    if (this.run === run) list.replaceChildren(...items);
  }

  /** One list item per test digit: its image (once the worker sent it) and a caption. */
  async images(indices, caption) {
    const reply = indices.length ? await this.digits(indices) : { ok: true, labels: [], pixels_b64: '' };
    const bytes = reply.ok ? base64ToBytes(reply.pixels_b64) : null;
    return indices.map((index, i) => {
      const li = el('li', 'digit');
      li.dataset.index = String(index);
      const canvas = el('canvas');
      if (bytes) paintGray(canvas, bytes, 28, 28, 1, i * 784);
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', `Test digit ${index}${caption(i) ? `: ${caption(i)}` : ''}`);
      li.append(canvas);
      if (caption(i)) li.append(el('span', 'caption', caption(i)));
      return li;
    });
  }
}

function header(scope, text) {
  const th = el('th', '', text);
  th.scope = scope;
  return th;
}

function el(tag, className = '', text = '') {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text) e.textContent = text;
  return e;
}

// The cells' colours, as app.css paints them: [r, g, b, alpha at shade 0, alpha added at shade 1] over white.
export const RIGHT = [47, 91, 211, 0, 0.85];
export const WRONG = [198, 40, 40, 0.12, 0.78];

/** White text reads better than black on this cell. Between the two, one always reaches WCAG's 4.5:1
 * on any background, so choosing by contrast (not by a fixed shade) keeps every count legible. */
export function whiteReads([r, g, b, base, gain], shade) {
  const alpha = base + gain * shade;
  const channel = (c) => {
    const v = (255 + (c - 255) * alpha) / 255;  // composited over white
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  return 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05;
}
