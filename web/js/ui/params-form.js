// Preset picker and hyper-parameter form, built entirely from the presets Python reports
// (labels, ranges, help texts), so adding a preset in Python needs no change here.
// Values are validated on every keystroke; the message sits next to the field and Train stays
// disabled while anything is invalid. What the person typed is kept per preset, for as long as the page
// lives: switching presets and back, or a new worker (Reset, a crash), gives their values back.

import { validateAll } from './validation.js';

export class ParamsForm {
  /**
   * @param {{select: HTMLSelectElement, grid: HTMLElement, fieldset: HTMLFieldSetElement,
   *          network: HTMLElement, description: HTMLElement, summary: HTMLElement}} els
   * @param {(valid: boolean) => void} onValidity
   */
  constructor(els, onValidity) {
    this.els = els;
    this.onValidity = onValidity;
    this.presets = [];
    this.inputs = {};
    this.typed = {};   // preset name -> {param: raw value} as last typed
    this.valid = false;
    this.enabled = false;
    els.select.addEventListener('change', () => this.renderPreset());
  }

  /** @param {Array<object>} presets  the "presets" list from Python */
  setPresets(presets) {
    this.presets = presets;
    const { select } = this.els;
    const keep = select.value;
    select.replaceChildren(...presets.map((p) => {
      const o = document.createElement('option');
      o.value = p.name;
      o.textContent = p.title;
      if (p.cell) o.title = `Notebook cell: ${p.cell}`;
      return o;
    }));
    const chosen = presets.find((p) => p.name === (this.chosen || keep)) || presets.find((p) => p.default) || presets[0];
    if (chosen) select.value = chosen.name;
    this.renderPreset();
  }

  get preset() {
    return this.presets.find((p) => p.name === this.els.select.value) || null;
  }

  renderPreset() {
    const p = this.preset;
    const { grid, network, description, cell } = this.els;
    this.inputs = {};
    if (!p) { grid.replaceChildren(); return; }
    this.chosen = p.name;
    network.textContent = p.network || '';
    description.textContent = p.description || '';
    if (cell) cell.textContent = p.cell ? `Notebook cell: “${p.cell}”` : '';
    const entries = Object.entries(p.params || {});
    // Checkboxes read better after the number fields.
    entries.sort((a, b) => (a[1].kind === 'bool') - (b[1].kind === 'bool'));
    grid.replaceChildren(...entries.map(([name, spec]) => this.field(name, spec)));
    this.validate();
  }

  field(name, spec) {
    const id = `param-${name}`;
    const testid = name.replace(/_/g, '-');
    const wrap = document.createElement('div');
    wrap.className = `param ${spec.kind === 'bool' ? 'checkbox wide' : ''}`.trim();
    wrap.dataset.param = name;
    const input = document.createElement('input');
    input.id = id;
    input.name = name;
    input.dataset.testid = testid;
    input.setAttribute('data-testid', testid);
    const label = document.createElement('label');
    label.htmlFor = id;
    const help = document.createElement('span');
    help.className = 'help';
    help.id = `${id}-help`;
    help.textContent = spec.help || '';
    const message = document.createElement('span');
    message.className = 'message';
    message.id = `${id}-message`;
    message.setAttribute('data-testid', `message-${testid}`);
    message.setAttribute('aria-live', 'polite');
    input.setAttribute('aria-describedby', `${message.id} ${help.id}`);

    const typed = (this.typed[this.chosen] || {})[name];
    if (spec.kind === 'bool') {
      input.type = 'checkbox';
      input.checked = typed !== undefined ? Boolean(typed) : Boolean(spec.value);
      label.textContent = spec.label || name;
      const text = document.createElement('div');
      text.append(label, help);
      wrap.append(input, text, message);
    } else {
      input.type = 'text';   // text, not number: we want to see (and explain) what was typed
      input.inputMode = spec.kind === 'int' ? 'numeric' : 'decimal';
      input.autocomplete = 'off';
      input.spellcheck = false;
      input.value = typed !== undefined ? String(typed) : String(spec.value);
      label.textContent = spec.label || name;
      const allowed = rangeText(spec);
      if (allowed) {
        const range = document.createElement('span');
        range.className = 'range';
        range.textContent = ` (${allowed})`;
        help.append(range);
      }
      wrap.append(label, input, message, help);
    }
    input.addEventListener('input', () => this.validate());
    input.addEventListener('change', () => this.validate());
    this.inputs[name] = { input, message, spec };
    return wrap;
  }

  raw() {
    const out = {};
    for (const [name, { input, spec }] of Object.entries(this.inputs)) out[name] = spec.kind === 'bool' ? input.checked : input.value;
    return out;
  }

  validate() {
    const p = this.preset;
    if (!p) { this.valid = false; this.onValidity(false); return; }
    const raw = this.raw();
    this.typed[p.name] = raw;
    const { values, errors } = validateAll(p.params, raw);
    for (const [name, { input, message }] of Object.entries(this.inputs)) {
      const err = errors[name] || '';
      message.textContent = err;
      input.setAttribute('aria-invalid', err ? 'true' : 'false');
    }
    const bad = Object.keys(errors);
    this.valid = bad.length === 0;
    this.values = values;
    const { summary } = this.els;
    if (this.valid) {
      summary.textContent = '';
      summary.classList.remove('invalid');
    } else {
      const labels = bad.map((n) => p.params[n].label || n);
      summary.textContent = `Fix ${labels.join(', ')} to train.`;
      summary.classList.add('invalid');
    }
    this.onValidity(this.valid);
  }

  /** The {preset, params} to send to Python, or null while invalid. */
  config() {
    this.validate();
    if (!this.valid) return null;
    return { preset: this.preset.name, params: { ...this.values } };
  }

  setEnabled(on) {
    this.enabled = on;
    this.els.select.disabled = !on;
    this.els.fieldset.disabled = !on;
  }
}

/** "1–10000", "≥ 0" for huge maxima (a seed), "up to 100" when only a max applies. */
function rangeText({ min, max }) {
  const hasMin = typeof min === 'number';
  const hasMax = typeof max === 'number';
  const f = (n) => (Math.abs(n) >= 1e4 ? n.toLocaleString('en-US') : String(n));
  if (hasMin && hasMax && max < 1e6) return `${f(min)}–${f(max)}`;
  if (hasMin) return `≥ ${f(min)}`;
  if (hasMax) return `up to ${f(max)}`;
  return '';
}
