// Model files: Export writes the current model as a .npz download, Import reads one into the worker.
// The page also keeps its own copy of the last model that came to rest (paused, stopped, done, failed, or
// imported): if the worker is lost, that model is not, and Reset brings it back into the new worker.
// A Reset the person chose on a working page starts with a clean slate and drops the copy.

import { sentence } from './ui/status.js';
import { download } from './ui/download.js';

const MAX_IMPORT_BYTES = 64 * 1024 * 1024;
const KEEP_IN = new Set(['paused', 'stopped', 'done', 'failed']);

export class ModelFiles {
  /**
   * @param {import('./trainer-client.js').TrainerClient} client
   * @param {{exportButton: HTMLButtonElement, importInput: HTMLInputElement, importLabel: HTMLElement,
   *          status, onImported: (summary: object, name: string) => void}} parts
   */
  constructor(client, { exportButton, importInput, importLabel, status, onImported }) {
    Object.assign(this, { client, exportButton, importInput, importLabel, status, onImported });
    this.kept = null;           // {bytes, name, about}: the last model at rest
    this.keptVersion = null;    // the session version it was kept at
    this.restoreOnReady = false;
    this.lastRuntime = null;
    exportButton.addEventListener('click', () => this.exportModel());
    importInput.addEventListener('change', () => this.importFile());
    client.addEventListener('change', () => this.render());
  }

  render() {
    const { client } = this;
    const canImport = client.can('import');
    this.exportButton.disabled = !client.can('export');
    this.importInput.disabled = !canImport;
    this.importLabel.setAttribute('aria-disabled', canImport ? 'false' : 'true');
    this.followRuntime();
    const session = client.runtime === 'ready' ? client.session : null;
    if (session && KEEP_IN.has(session.state) && session.version !== this.keptVersion && !this.restoreOnReady) {
      this.keptVersion = session.version;
      this.keepCurrent(session);
    }
  }

  /** A lost worker keeps the copy for the next one; a Reset of a working page drops it. */
  followRuntime() {
    const { runtime } = this.client;
    if (runtime === this.lastRuntime) return;
    const before = this.lastRuntime;
    this.lastRuntime = runtime;
    if (runtime === 'broken' && before === 'ready') this.restoreOnReady = Boolean(this.kept);
    if (runtime === 'loading' && before === 'ready') this.kept = null;
    if (runtime === 'ready' && this.restoreOnReady) this.restore();
  }

  /**
   * What becomes of the person's model now that the worker is gone, to follow the failure message:
   * what was lost with it, what Reset brings back.
   */
  recoveryNote() {
    const during = this.client.failedDuring;
    if (!during) return '';   // lost while loading: there was no model in it yet
    const lost = during.state === 'training' ? 'The model being trained was lost with it; your settings are kept.'
      : during.model_id && !this.kept ? 'The model was lost with it; your settings are kept.'
        : 'Your settings are kept.';
    const next = this.kept ? `Press Reset to start again: it restores ${this.kept.about}.` : 'Press Reset to start again.';
    return `${lost} ${next}`;
  }

  async keepCurrent(session) {
    const reply = await this.client.exportModel();
    if (!reply.ok) return;   // the state moved on (a new run): the next rest keeps that one
    const how = { paused: 'as it was when paused', stopped: 'as it was when stopped', done: 'fully trained',
      failed: 'as it was before training failed' }[session.state];
    this.kept = { bytes: reply.bytes, name: reply.filename, about: `your ${session.preset || ''} model, ${how}`.replace('  ', ' ') };
  }

  async restore() {
    this.restoreOnReady = false;
    const { bytes, name, about } = this.kept;
    const reply = await this.client.importModel(bytes.slice());
    if (!reply.ok) {
      if (!reply.stale) this.status.showError(`Could not restore ${about}: ${sentence(reply.error)}`);
      return;
    }
    this.onImported(reply.summary || {}, name);
    this.status.set('ready', 'Ready', `Restored ${about}`);
  }

  async exportModel() {
    const reply = await this.client.exportModel();
    if (!reply.ok) {
      if (!reply.stale) this.status.showError(`Export failed: ${sentence(reply.error)}`);
      return;
    }
    const session = this.client.session || {};
    download(reply.bytes, reply.filename || `pynet-${session.preset || 'model'}.npz`);
  }

  async importFile() {
    const input = this.importInput;
    const file = input.files && input.files[0];
    input.value = '';              // choosing the same file again still fires "change"
    if (!file) return;
    if (file.size > MAX_IMPORT_BYTES) {
      this.status.showError(`"${file.name}" is too large to be a pynet model (${(file.size / 1e6).toFixed(1)} MB).`);
      return;
    }
    const hadModel = this.client.permits('predict');
    const bytes = new Uint8Array(await file.arrayBuffer());
    const copy = bytes.slice();    // the original is handed over to the worker
    const reply = await this.client.importModel(bytes);
    if (!reply.ok) {
      if (!reply.stale) {
        this.status.showError(`Could not import "${file.name}": ${sentence(reply.error)}${hadModel ? ' The current model is kept.' : ''}`);
      }
      return;
    }
    this.status.clearError();
    const summary = reply.summary || {};
    this.kept = { bytes: copy, name: file.name, about: `the model imported from ${file.name}` };
    this.keptVersion = this.client.session && this.client.session.version;
    this.onImported(summary, file.name);
    this.status.set('ready', 'Ready', `Imported ${file.name}${summary.parameters ? ` · ${summary.parameters.toLocaleString('en-US')} parameters` : ''}`);
  }
}
