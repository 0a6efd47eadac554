// The run list: one item per kept run (web/js/runs.js), newest first, with its setup (the preset and what
// differs from its defaults), how it ended, its final figures, time and speed. Each run can be overlaid on
// the charts (its checkbox), inspected (its confusion matrix and mistakes), renamed and deleted.

import { MAX_RUNS } from '../runs.js';

const pct = (a) => (typeof a === 'number' ? `${(a * 100).toFixed(1)}%` : '–');
const num = (v) => (typeof v === 'number' ? (Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(2)) : '–');
const ENDED = { done: 'done', stopped: 'stopped', diverged: 'diverged' };

/** "alpha 0.5, hidden_size 50", or "defaults". */
export function changesText(changed) {
  const parts = Object.entries(changed || {}).map(([k, v]) => `${k} ${typeof v === 'boolean' ? (v ? 'on' : 'off') : v}`);
  return parts.length ? parts.join(', ') : 'defaults';
}

export class RunList {
  /**
   * @param {import('../runs.js').RunStore} store
   * @param {{list: HTMLOListElement, note: HTMLElement}} els
   */
  constructor(store, { list, note }) {
    Object.assign(this, { store, list, note });
    this.renaming = null;   // the id of the run whose name is being edited
    store.addEventListener('change', () => this.render());
    list.addEventListener('change', (e) => {
      const item = e.target.closest('[data-run-id]');
      if (item && e.target.dataset.testid === 'compare') store.update(item.dataset.runId, { compare: e.target.checked });
    });
    list.addEventListener('click', (e) => this.clicked(e));
    list.addEventListener('submit', (e) => {
      e.preventDefault();
      const item = e.target.closest('[data-run-id]');
      const name = e.target.elements.name.value.trim();
      this.renaming = null;
      if (name) store.update(item.dataset.runId, { name });
      else this.render();
    });
    this.render();
  }

  clicked(e) {
    const button = e.target.closest('button');
    const item = e.target.closest('[data-run-id]');
    if (!button || !item) return;
    const id = item.dataset.runId;
    const action = button.dataset.testid;
    if (action === 'delete') this.store.remove(id);
    else if (action === 'inspect') this.store.select(id);
    else if (action === 'rename') {
      this.renaming = id;
      this.render();
      this.list.querySelector(`[data-run-id="${id}"] input[name=name]`)?.focus();
    } else if (action === 'rename-cancel') {
      this.renaming = null;
      this.render();
    }
  }

  render() {
    const runs = this.store.list();
    const shown = this.store.shown();
    this.list.replaceChildren(...runs.map((run) => this.item(run, shown && shown.id === run.id)));
    this.note.textContent = runs.length
      ? `${runs.length} run${runs.length > 1 ? 's' : ''}, kept in this browser (the newest ${MAX_RUNS}). ${this.store.problem}`
      : `Each run you train is listed here when it ends and kept in this browser (the newest ${MAX_RUNS}); tick two to compare their curves.`;
  }

  item(run, shown) {
    const li = el('li', `run ${run.state}${shown ? ' shown' : ''}`);
    li.dataset.runId = run.id;
    li.style.setProperty('--run-color', run.color);
    const tick = el('input');
    tick.type = 'checkbox';
    tick.id = `compare-${run.id}`;
    tick.checked = Boolean(run.compare);
    tick.setAttribute('data-testid', 'compare');
    const tickLabel = el('label', 'run-compare');
    tickLabel.htmlFor = tick.id;
    tickLabel.append(tick, el('span', 'swatch'), el('span', 'visually-hidden', `Overlay ${run.name} on the charts`));

    const head = el('div', 'run-head');
    head.append(tickLabel, this.renaming === run.id ? renameForm(run) : el('span', 'run-name', run.name, 'run-name'),
      el('span', `run-state ${run.state}`, ENDED[run.state] || run.state));
    const f = run.final || {};
    const speed = typeof run.images_per_second === 'number' ? `${Math.round(run.images_per_second).toLocaleString('en-US')} img/s` : '–';
    const seconds = typeof run.seconds === 'number' ? `${run.seconds.toFixed(1)} s` : '–';
    const figures = el('p', 'run-figures',
      `test ${pct(f.test_accuracy)} · train ${pct(f.train_accuracy)} · loss ${num(f.train_loss)} train, ${num(f.test_loss)} test · `
      + `${run.iterations}/${run.planned} iterations in ${seconds} · ${speed}`, 'run-figures');
    const setup = el('p', 'run-setup', `${run.preset}: ${changesText(run.changed)}`, 'run-setup');

    const actions = el('div', 'run-actions');
    const inspect = button('Mistakes', 'inspect', `Mistakes of ${run.name}`);
    inspect.setAttribute('aria-pressed', shown ? 'true' : 'false');
    inspect.disabled = !run.evaluation;
    actions.append(inspect, button('Rename', 'rename', `Rename ${run.name}`), button('Delete', 'delete', `Delete ${run.name}`));
    li.append(head, setup, figures, actions);
    return li;
  }
}

function renameForm(run) {
  const form = el('form', 'run-rename');
  const input = el('input');
  input.name = 'name';
  input.value = run.name;
  input.maxLength = 80;
  input.setAttribute('aria-label', 'New name of the run');
  input.setAttribute('data-testid', 'run-name-input');
  const save = button('Save', 'rename-save', 'Save the name');
  save.type = 'submit';
  form.append(input, save, button('Cancel', 'rename-cancel', 'Keep the old name'));
  return form;
}

function button(text, testid, label) {
  const b = el('button', 'small', text, testid);
  b.type = 'button';
  b.setAttribute('aria-label', label);
  return b;
}

function el(tag, className = '', text = '', testid = '') {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text) e.textContent = text;
  if (testid) e.setAttribute('data-testid', testid);
  return e;
}
