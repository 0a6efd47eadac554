// The code panel: the chosen preset as a short notebook-style Python cell (pynet/codecell.py writes it),
// in a CodeMirror editor, editable, trained in the worker when Train is pressed.
//
// One piece of text, the editor's, and two rules keep it and the form in step:
// - the form's values are written into the cell's plain assignments (`alpha = 0.01`), the rest of the
//   text kept as the person wrote it; an edited assignment goes back into the form (Python reads both
//   with `ast`, through the worker's `code` request);
// - while the text is the preset's own cell for the form's values, Train trains the preset (its path, its
//   speed); once it differs, Train sends the text as a session of kind 'code'.
// An edited cell is kept per preset in localStorage until "Reset code" drops it. A mistake (a syntax error
// while typing, an error when Train runs it, a failure during training) is marked on its line: Python's
// messages say "line N of your code".
//
// The editor lives in a shadow root: CodeMirror then puts its styles in a constructed style sheet, which
// the page's policy (style-src 'self', no inline <style>) allows, so the policy needs no exception.

import { packCode, unpackCode } from './code-link.js';

const EDITOR_MODULE = '../vendor/codemirror/codemirror.js';
const STORAGE_PREFIX = 'pynet.code.';
const READ_AFTER_MS = 250;      // the form follows the code once typing pauses this long
const LINE = /line (\d+) of your code/;
const QUIET_MS = 1000;          // the editor is built once the person has not clicked or typed for this long
const whenIdle = globalThis.requestIdleCallback || ((run) => setTimeout(run, 50));

export class CodePanel {
  /**
   * @param {import('./trainer-client.js').TrainerClient} client
   * @param {{form: import('./ui/params-form.js').ParamsForm, host: HTMLElement, message: HTMLElement,
   *          reset: HTMLButtonElement, download: HTMLButtonElement, state: HTMLElement}} parts
   */
  constructor(client, { form, host, message, reset, download, state }) {
    Object.assign(this, { client, form, host, messageEl: message, resetButton: reset, downloadButton: download, stateEl: state });
    this.view = null;
    this.generated = null;   // the preset's own cell for the form's values: while the text is this, it is not edited
    this.preset = null;      // the preset the text belongs to
    this.applying = false;   // the text is being set by the page, not typed
    this.timer = null;
    this.ticket = 0;         // the latest sync: older answers are dropped
    this.fromLink = null;    // a cell that came in the address (?code=), used once
    this.plain = null;       // the cell's text while the editor is not built yet (shown as plain text)
    this.marked = null;      // the line marked as wrong, {line, message}, also while the editor is not built
    this.building = null;    // the editor's build, once started
    this.urgent = false;     // someone reached for the code: build the editor now, training or not
    this.calmWaiter = null;  // the build's next step, waiting for a calm moment
    this.calmTimer = null;   // the next look for that moment, once the person has been quiet for QUIET_MS
    // The editor is a large module, and building it is two long tasks of the main thread (the module's
    // evaluation parses Python's grammar; the view lays out the cell). The build starts after Ready (before,
    // it would take the processor from Python's boot, the longest wait of a visit), and each step waits for
    // an idle moment with no training running (a long task then would hold up the charts and the drawing
    // pad), unless someone reaches for the code (pointer or focus on it). Until then the cell is plain text.
    this.lastInput = 0;      // when the person last clicked or typed anywhere on the page (or Ready came)
    for (const type of ['pointerdown', 'keydown', 'input']) {
      document.addEventListener(type, () => { this.lastInput = performance.now(); this.checkCalm(); },
        { capture: true, passive: true });
    }
    client.addEventListener('ready', () => { this.lastInput = performance.now(); this.build(); }, { once: true });
    client.addEventListener('change', () => this.checkCalm());
    for (const type of ['focusin', 'pointerdown']) {  // someone reaches for the code
      host.addEventListener(type, () => { if (!this.view) this.build({ focus: true }); });
    }
    client.addEventListener('ready', () => this.presetChanged());
    form.els.select.addEventListener('change', () => this.presetChanged());
    form.els.grid.addEventListener('input', () => this.formChanged());
    form.els.grid.addEventListener('change', () => this.formChanged());
    client.addEventListener('change', () => this.sessionChanged());
    reset.addEventListener('click', () => this.resetCode());
    download.addEventListener('click', () => this.downloadScript());
    this.readLink();
  }

  // ── the editor ──────────────────────────────────────────────────────────────────────────────
  /** Training runs, or is about to: not the moment for a long task on the main thread. */
  get busy() {
    return this.client.phase === 'training' || this.client.sessionRequest !== null;
  }

  /** The editor, built once; `focus`: the person reached for the code, and the editor takes the focus. */
  build({ focus = false } = {}) {
    if (focus) this.urgent = true;
    this.building ||= this.loadEditor();
    this.checkCalm();
    if (focus) this.building.then(() => this.view.focus());
    return this.building;
  }

  /** Resolves in a calm moment (no training, no click or key for QUIET_MS, the browser idle), or at once
   *  if someone reached for the code. */
  whenCalm() {
    return new Promise((resolve) => {
      this.calmWaiter = resolve;
      this.checkCalm();
    });
  }

  checkCalm() {
    if (!this.calmWaiter) return;
    clearTimeout(this.calmTimer);
    if (this.urgent) {
      this.calmed();
    } else if (!this.busy) {   // while training runs, the client's change at its end checks again
      const quietIn = QUIET_MS - (performance.now() - this.lastInput);
      if (quietIn > 0) this.calmTimer = setTimeout(() => this.checkCalm(), quietIn);
      else whenIdle(() => (this.busy || performance.now() - this.lastInput < QUIET_MS ? this.checkCalm() : this.calmed()));
    }
  }

  calmed() {
    const resolve = this.calmWaiter;
    this.calmWaiter = null;
    if (resolve) resolve();
  }

  async loadEditor() {
    await this.whenCalm();
    const cm = await import(EDITOR_MODULE);
    await this.whenCalm();   // training may have started while the module came: the layout waits for its end
    this.cm = cm;
    this.host.replaceChildren();  // the plain text: the editor takes its place
    const root = this.host.attachShadow({ mode: 'open' });
    const theme = cm.EditorView.theme({
      '&': { fontSize: '13px', border: '1px solid #d0d7de', borderRadius: '6px', background: '#fff' },
      '.cm-scroller': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', maxHeight: '32rem' },
      '.cm-gutters': { background: '#f6f8fa' },
      // The page's focus ring (app.css, "Phones and keyboards"), drawn on the editor around its content.
      '&:focus-within': { outline: '3px solid var(--accent)', outlineOffset: '2px' },
    });
    this.view = new cm.EditorView({
      root,
      parent: root,
      doc: this.plain || '',
      extensions: [
        cm.basicSetup, cm.python(), cm.lintGutter(), theme,
        // tabindex: the content is editable (so focusable) anyway; saying so lets audits see that the scrolled
        // region around it is reachable from the keyboard.
        cm.EditorView.contentAttributes.of({ 'aria-label': 'Python code of the network (editable)', tabindex: '0' }),
        cm.EditorView.updateListener.of((update) => { if (update.docChanged && !this.applying) this.typed(); }),
      ],
    });
    this.plain = null;
    if (this.marked) this.mark(this.marked.line, this.marked.message);
  }

  /** The cell as plain text, until the editor is built: readable, and focusable to start editing. */
  showPlain() {
    let pre = this.host.querySelector('pre');
    if (!pre) {
      pre = document.createElement('pre');
      pre.className = 'code-plain';
      pre.dataset.testid = 'code-plain';
      pre.tabIndex = 0;
      pre.setAttribute('role', 'region');
      pre.setAttribute('aria-label', 'Python code of the network (editable: focus it to edit)');
      this.host.replaceChildren(pre);
    }
    pre.textContent = this.plain;
  }

  get text() {
    return this.view ? this.view.state.doc.toString() : (this.plain || '');
  }

  async setText(text) {
    const old = this.text;
    if (text === old) return;
    if (!this.view) {
      this.plain = text;
      this.showPlain();
      return;
    }
    this.applying = true;
    try {
      // Only the span that differs (a form field changes one line): CodeMirror then re-highlights and
      // redraws that line, not the whole cell, and the cursor stays where the person left it.
      this.view.dispatch({ changes: changedSpan(old, text) });
    } finally {
      this.applying = false;
    }
  }

  /** Mark `line` (from 1) with `message`, or clear the marks (line null). */
  mark(line, message) {
    const lines = this.view ? this.view.state.doc.lines : this.text.split('\n').length;
    const marked = Boolean(line && line >= 1 && line <= lines);
    const wasMarked = this.marked !== null;   // once built, the editor shows what `marked` says
    this.marked = marked ? { line, message } : null;
    this.host.dataset.errorLine = marked ? String(line) : '';
    // Nothing marked before or now: no update of the editor (each one costs it a redraw).
    if (!this.view || (!marked && !wasMarked)) return;   // the editor marks it once built
    const diagnostics = [];
    if (marked) {
      const l = this.view.state.doc.line(line);
      diagnostics.push({ from: l.from, to: l.to, severity: 'error', message });
    }
    this.view.dispatch(this.cm.setDiagnostics(this.view.state, diagnostics));
  }

  say(text, bad = false) {
    this.messageEl.textContent = text;
    this.messageEl.classList.toggle('invalid', bad);
  }

  get edited() {
    return this.generated !== null && this.text !== this.generated;
  }

  showState() {
    const edited = this.edited;
    this.stateEl.textContent = edited
      ? 'Edited: Train runs this code.'
      : 'The preset’s own code: Train runs the preset.';
    this.host.dataset.edited = edited ? 'true' : 'false';
    this.resetButton.disabled = !edited;
  }

  // ── Python's answers ────────────────────────────────────────────────────────────────────────
  ask(op, data) {
    return this.client.request('code', { op, ...data });
  }

  /** A new preset (or a new worker): its kept cell, or the one that came in the link, or its own. */
  async presetChanged() {
    const config = this.form.config();
    const preset = this.form.preset && this.form.preset.name;
    if (!preset) return;
    const ticket = ++this.ticket;
    const params = config ? config.params : {};
    const own = await this.ask('cell', { preset, params });
    if (ticket !== this.ticket || !own.ok) return;
    const kept = this.fromLink || this.stored(preset);
    this.fromLink = null;
    // Until the text is the new preset's, the panel holds the old preset's cell as it was: unedited, a
    // Train meanwhile runs the form's preset; and a field changed meanwhile is not written into that
    // cell (formChanged checks `preset`), or Train would then run the old preset's code as edited.
    await this.setText(kept || own.code);
    this.generated = own.code;
    this.preset = preset;
    this.showState();  // readValues, which a kept cell goes through, shows it again if the form's cell changed
    if (kept) await this.readValues(ticket);
    else this.mark(null);
    this.say('');
    // Fields changed while the cell was on its way: their values go into it now.
    const now = this.form.config();
    if (!kept && ticket === this.ticket && now && now.preset === preset
        && JSON.stringify(now.params) !== JSON.stringify(params)) await this.formChanged();
  }

  /** The person changed the form: its values go into the cell, and the preset's own cell is redone. */
  async formChanged() {
    const config = this.form.config();
    if (!config || config.preset !== this.preset) return;
    const ticket = ++this.ticket;
    const [written, own] = await Promise.all([
      this.ask('set', { code: this.text, values: config.params }),
      this.ask('cell', { preset: config.preset, params: config.params }),
    ]);
    if (ticket !== this.ticket) return;
    if (own.ok) this.generated = own.code;
    if (written.ok) await this.setText(written.code);
    this.keep();
    this.showState();
  }

  /** The person typed: once they pause, the form follows the cell's values and a syntax error is marked. */
  typed() {
    this.showState();
    clearTimeout(this.timer);
    const ticket = ++this.ticket;
    this.timer = setTimeout(() => this.readValues(ticket).then(() => this.keep()), READ_AFTER_MS);
  }

  async readValues(ticket) {
    const reply = await this.ask('values', { code: this.text });
    if (ticket !== this.ticket || !reply.ok) return;
    if (reply.error) {
      this.mark(reply.line, reply.error);
      this.say(reply.error, true);
      return;
    }
    this.mark(null);
    this.say('');
    const changed = this.fillForm(reply.values);
    if (changed) {
      const config = this.form.config();
      if (config) {
        const own = await this.ask('cell', { preset: config.preset, params: config.params });
        if (ticket === this.ticket && own.ok) this.generated = own.code;
      }
    }
    this.showState();
  }

  /** The cell's values into the form's fields of the same names; true if any changed. */
  fillForm(values) {
    let changed = false;
    for (const [name, value] of Object.entries(values || {})) {
      const field = this.form.inputs[name];
      if (!field) continue;
      if (field.spec.kind === 'bool') {
        if (field.input.checked !== Boolean(value)) { field.input.checked = Boolean(value); changed = true; }
      } else if (Number(field.input.value) !== value || field.input.value.trim() === '') {
        field.input.value = String(value);
        changed = true;
      }
    }
    if (changed) this.form.validate();
    return changed;
  }

  // ── training ────────────────────────────────────────────────────────────────────────────────
  /** What Train sends: the form's preset run, or this cell when it was edited. */
  config(base) {
    if (!base || !this.edited) return base;
    return { ...base, kind: 'code', code: this.text };
  }

  /** Train's reply: a refused cell is marked on its line. */
  trained(reply) {
    if (reply.ok || !reply.error) {
      if (reply.ok) { this.mark(null); this.say(''); }
      return;
    }
    const line = LINE.exec(reply.error);
    this.mark(line ? Number(line[1]) : null, reply.error);
    this.say(reply.error, true);
  }

  sessionChanged() {
    const session = this.client.session;
    if (!session || session.kind !== 'code' || session.version === this.seenVersion) return;
    this.seenVersion = session.version;
    if (session.state === 'failed' && session.message) {
      const line = LINE.exec(session.message);
      this.mark(line ? Number(line[1]) : null, session.message);
      this.say(session.message, true);
    }
  }

  // ── keeping, resetting, downloading, sharing ────────────────────────────────────────────────
  stored(preset) {
    try {
      return localStorage.getItem(STORAGE_PREFIX + preset);
    } catch {
      return null;   // storage refused (a private window's settings): the code is simply not kept
    }
  }

  keep() {
    if (!this.preset || this.generated === null) return;
    try {
      if (this.edited) localStorage.setItem(STORAGE_PREFIX + this.preset, this.text);
      else localStorage.removeItem(STORAGE_PREFIX + this.preset);
    } catch { /* see stored() */ }
  }

  async resetCode() {
    if (this.generated === null) return;
    ++this.ticket;
    await this.setText(this.generated);
    this.keep();
    this.mark(null);
    this.say('');
    this.showState();
  }

  async downloadScript() {
    const reply = await this.ask('script', { code: this.text });
    if (!reply.ok) {
      const line = LINE.exec(reply.error || '');
      this.mark(line ? Number(line[1]) : null, reply.error);
      this.say(reply.error || 'The code could not be turned into a script.', true);
      return;
    }
    const url = URL.createObjectURL(new Blob([reply.script], { type: 'text/x-python' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `pynet-${this.preset || 'code'}.py`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  /** The cell, packed for an address (`code=`), or '' while it is the preset's own. */
  async linkValue() {
    return this.edited ? packCode(this.text) : '';
  }

  /** `?code=` in the address: the cell to start from, for the preset the address names (or the default). */
  async readLink() {
    const packed = new URLSearchParams(self.location.search).get('code');
    if (!packed) return;
    try {
      this.fromLink = await unpackCode(packed);
    } catch {
      this.say('The code in this link could not be read: it was cut short or changed.', true);
    }
  }
}

/** The change turning `from` into `to`: the span between their common start and common end. */
export function changedSpan(from, to) {
  let start = 0;
  const shortest = Math.min(from.length, to.length);
  while (start < shortest && from[start] === to[start]) start += 1;
  let end = 0;
  while (end < shortest - start && from[from.length - 1 - end] === to[to.length - 1 - end]) end += 1;
  return { from: start, to: from.length - end, insert: to.slice(start, to.length - end) };
}
