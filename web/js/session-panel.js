// The session's controls and status: the preset form, Train / Pause / Stop / Reset, the status card and
// the error banner. Everything is drawn from the client's state (its runtime, Python's session snapshot,
// the request on its way); the buttons only send requests, and Python's answer moves the state.

import { startRun } from './metrics.js';
import { sentence } from './ui/status.js';

// The status word and dot colour for each phase (see TrainerClient.phase).
const WORDS = {
  loading: ['loading', null],   // the loading checklist speaks for itself
  broken: ['error', 'Error'],
  empty: ['ready', 'Ready'],
  imported: ['ready', 'Ready'],
  training: ['training', 'Training…'],
  paused: ['paused', 'Paused'],
  stopped: ['stopped', 'Stopped'],
  done: ['done', 'Done'],
  diverged: ['diverged', 'Diverged'],
  failed: ['error', 'Failed'],
};
const PENDING_WORDS = { pause: 'Pausing…', resume: 'Resuming…', stop: 'Stopping…' };

export class SessionPanel {
  /**
   * @param {import('./trainer-client.js').TrainerClient} client
   * @param {{status, form, buttons: {train, pause, stop, reset}, trainForm: HTMLFormElement,
   *          recoveryNote?: () => string, extras?: () => object}} parts  extras: more for a Train request
   */
  constructor(client, { status, form, buttons, trainForm, recoveryNote, extras }) {
    Object.assign(this, { client, status, form, buttons, recoveryNote: recoveryNote || (() => ''), extras: extras || (() => ({})) });
    this.code = null;  // the code panel (code-panel.js), once main.js gives it: what Train sends, and its reply
    this.seen = { runtime: null, version: null, modelId: null };
    form.onValidity = () => this.render();
    trainForm.addEventListener('submit', (e) => { e.preventDefault(); this.train(); });
    buttons.pause.addEventListener('click', () => this.togglePause());
    buttons.stop.addEventListener('click', () => this.stop());
    buttons.reset.addEventListener('click', () => this.client.restart());
    client.addEventListener('change', () => this.render());
    client.addEventListener('progress', (e) => status.loading(e.detail.step, e.detail.fraction, e.detail.note));
    client.addEventListener('ready', (e) => this.ready(e.detail));
    client.addEventListener('accelerated', (e) => {
      const name = { xnnpack: 'XNNPACK', openblas: 'OpenBLAS' }[e.detail.matmul];
      if (name) status.addDetail(`matrix products: ${name}`);
    });
    client.addEventListener('error', (e) => status.showError(e.detail.message));  // not fatal: a worker bug
  }

  ready({ presets, info = {} }) {
    this.form.setPresets(presets || []);
    this.status.ready([`Pyodide ${info.pyodide || ''}`, info.numpy ? `NumPy ${info.numpy}` : '',
      info.isolated ? '' : 'no shared memory: pause acts between steps'].filter(Boolean).join(' · '));
  }

  // ── actions ─────────────────────────────────────────────────────────────────────────────────
  async train() {
    const config = this.code ? this.code.config(this.form.config()) : this.form.config();
    if (!config || !this.client.can('train')) return;
    this.status.clearError();
    startRun();
    this.sentCode = config.kind === 'code';
    const reply = await this.client.train({ ...config, ...this.extras() });
    this.code?.trained(reply);
    if (!reply.ok) this.refused(reply, 'train', 'Python refused these settings.');
  }

  async togglePause() {
    const resume = this.client.can('resume');
    if (!resume && !this.client.can('pause')) return;
    const reply = await (resume ? this.client.resume() : this.client.pause());
    if (!reply.ok) this.refused(reply, resume ? 'resume' : 'pause');
  }

  async stop() {
    if (!this.stoppable()) return;
    const reply = await this.client.stop();
    if (!reply.ok) this.refused(reply, 'stop');
  }

  /** Stop stays possible while a pause or resume is on its way: it is what a hurried person clicks next;
   * and while the code panel's cell runs before training, since it may never return. */
  stoppable() {
    const request = this.client.sessionRequest;
    if (request === 'train' && this.sentCode) return this.client.isolated;
    return this.client.permits('stop') && (!request || request === 'pause' || request === 'resume');
  }

  /**
   * A request did not go through. A refusal the state has since made moot (Stop just as training
   * finished) says nothing new: the state already shows what happened. Anything else is shown.
   */
  refused(reply, action, fallback) {
    if (reply.stale || this.client.dead) return;   // a restart or a lost worker: shown elsewhere
    if (reply.refused && !this.client.permits(action)) {
      console.info(`pynet: ${action} overtaken: ${reply.error}`);
      return;
    }
    this.status.showError(reply.error || fallback || `${action} failed.`);
    if (reply.detail) console.warn(reply.detail);
  }

  // ── rendering ───────────────────────────────────────────────────────────────────────────────
  render() {
    const { client, buttons, form } = this;
    const phase = client.phase;
    const request = client.sessionRequest;
    this.announce(phase);
    form.setEnabled(client.can('train'));
    buttons.train.disabled = !(client.can('train') && form.valid);
    buttons.pause.disabled = !(client.can('pause') || client.can('resume'));
    buttons.pause.textContent = request === 'pause' ? 'Pausing…' : phase === 'paused' ? 'Resume' : 'Pause';
    buttons.pause.setAttribute('aria-pressed', phase === 'paused' ? 'true' : 'false');
    buttons.stop.disabled = !this.stoppable();
    // Assistive technology, and web/js/ui/focus-keeper.js, wait while a request is on its way.
    buttons.train.form.setAttribute('aria-busy', request ? 'true' : 'false');
    const [dot, word] = WORDS[phase] || WORDS.loading;
    const pendingWord = request && PENDING_WORDS[request];
    if (pendingWord) this.status.set('training', pendingWord);
    else if (word) this.status.set(dot, word);
  }

  /** Things said once, when they happen: a new worker, a lost one, a new model, an ending. */
  announce(phase) {
    const { client, status, seen } = this;
    if (client.runtime !== seen.runtime) {
      seen.runtime = client.runtime;
      if (client.runtime === 'loading') {
        status.clearError();
        status.startLoading();
      } else if (client.runtime === 'broken') {
        if (client.failure.phase === 'init') status.loadFailed(client.failure.step);
        const note = this.recoveryNote();
        const message = note ? client.failure.message.replace(/\s*Press Reset to start again\.$/, '') : client.failure.message;
        status.showError([message, note].filter(Boolean).join(' '));
      }
    }
    const session = client.runtime === 'ready' ? client.session : null;
    if (!session || session.version === seen.version) return;
    seen.version = session.version;
    if (session.model_id !== seen.modelId) {
      seen.modelId = session.model_id;
      if (session.kind !== 'import' && session.state === 'training') {
        status.set('training', 'Training…', `${session.preset || 'your code'}: ${session.parameters.toLocaleString('en-US')} parameters`);
      }
    }
    if (phase === 'diverged') status.showError(divergedText(session.message));
    if (phase === 'failed') status.showError(`${session.message} Change the settings and press Train to try again.`);
  }
}

/** Python's message already says where and why ("training diverged at iteration 8: the loss became inf ..."). */
function divergedText(message) {
  const text = sentence(message || 'training diverged: the loss became NaN or infinite');
  const hint = /alpha|learning rate/i.test(text) ? '' : ' Try a smaller learning rate (alpha).';
  return `${text[0].toUpperCase()}${text.slice(1)}${hint} Change the settings and press Train to try again.`;
}
