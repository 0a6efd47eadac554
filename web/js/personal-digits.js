// Teaching the page your handwriting. When a drawing is read, a row of digit buttons lets the person say
// which digit they meant: the drawing's 28x28 input joins their own set (web/js/personal-store.js, kept in
// the browser), shown as a gallery. "Learn from my digits" fine-tunes the current model on the set mixed
// with MNIST, in the worker, as a training session of its own kind (pynet/session.py: finetune); a
// checkbox puts the set into later training runs too. The set goes to and from a .npz file that pynet's
// strict loader reads in the worker (and `python -m pynet train --extra` reads on the command line).

import { startRun } from './metrics.js';
import { MAX_DIGITS } from './personal-store.js';
import { download } from './ui/download.js';
import { sentence } from './ui/status.js';

const MAX_FILE_BYTES = 16 * 1024 * 1024;

export class PersonalDigits {
  /**
   * @param {import('./trainer-client.js').TrainerClient} client
   * @param {{store: import('./personal-store.js').PersonalStore, gallery: import('./ui/gallery.js').DigitGallery,
   *          input: () => (Float32Array|null), status, els: object}} parts
   *   els: correction, digits (the button row), note, count, learn, learnHint, include, exportButton,
   *        importInput, clearAll, undo, message
   */
  constructor(client, { store, gallery, input, status, els }) {
    Object.assign(this, { client, store, gallery, input, status, els });
    this.lastAdded = null;   // {input, digit}: the drawing last added, so a second click relabels it
    this.buttons = this.buildRow();
    gallery.onRemove = (index) => store.remove(index);
    els.learn.addEventListener('click', () => this.learn());
    els.exportButton.addEventListener('click', () => this.exportFile());
    els.importInput.addEventListener('change', () => this.importFile());
    els.clearAll.addEventListener('click', () => store.clear());
    els.undo.addEventListener('click', () => store.undo());
    store.addEventListener('change', () => this.storeChanged());
    client.addEventListener('change', () => this.render());
    this.storeChanged();
    if (store.problem) this.say(store.problem);
  }

  buildRow() {
    return Array.from({ length: 10 }, (_, d) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'correct-digit';
      button.textContent = String(d);
      button.dataset.testid = `correct-${d}`;
      button.setAttribute('aria-label', `I meant ${d}`);
      button.addEventListener('click', () => this.correct(d));
      this.els.digits.append(button);
      return button;
    });
  }

  /** The drawing was read as `digit` (null: nothing is read now): offer the row, the reading marked. */
  drawingRead(digit) {
    const { correction, note } = this.els;
    const shown = digit !== null && digit !== undefined;
    correction.hidden = !shown;
    if (!shown) note.textContent = '';
    this.buttons.forEach((b, d) => b.classList.toggle('read', d === digit));
  }

  correct(label) {
    const input = this.input();
    if (!input) return;
    const { store } = this;
    if (this.lastAdded && this.lastAdded.input === input && store.relabel(this.lastAdded.digit, label)) {
      this.els.note.textContent = `Changed: this drawing is now a ${label} in your digits.`;
      return;
    }
    const digit = store.add(input, label);
    if (!digit) {
      this.els.note.textContent = `Your set is full (${MAX_DIGITS} digits): remove some to add more.`;
      return;
    }
    this.lastAdded = { input, digit };
    this.els.note.textContent = `Added to your digits as a ${label} (${store.size} in all).`;
  }

  storeChanged() {
    const { store } = this;
    this.gallery.show(store.digits);
    if (store.problem) this.say(store.problem);
    else if (store.removed) this.say(`Removed ${store.removed.what}.`);
    else this.say('');
    this.render();
  }

  say(text) {
    this.els.message.textContent = text;
  }

  render() {
    const { els, store, client } = this;
    const size = store.size;
    els.count.textContent = size ? `${size} digit${size === 1 ? '' : 's'}` : 'none yet';
    els.learn.disabled = !(size && client.can('finetune'));
    els.learnHint.textContent = this.learnHint();
    els.include.disabled = !size;
    if (!size) els.include.checked = false;
    els.exportButton.disabled = !size;
    els.clearAll.disabled = !size;
    els.undo.hidden = !store.removed;
  }

  learnHint() {
    const { client, store } = this;
    if (!store.size) return 'Nothing to learn yet: draw a digit, then click the digit you meant.';
    if (client.permits('finetune')) {
      return `Trains the current network on your ${store.size} digit${store.size === 1 ? '' : 's'} mixed with MNIST digits, for a few seconds.`;
    }
    if (client.phase === 'training' || client.phase === 'paused') return 'Possible once this training has ended.';
    return 'Train or import a model first: learning your digits fine-tunes an existing model.';
  }

  /** What a Train click adds to its request: the set, when the person chose to include it. */
  trainingExtras() {
    return this.els.include.checked && this.store.size ? { digits: this.store.pack() } : {};
  }

  async learn() {
    const { client, store } = this;
    if (!store.size || !client.can('finetune')) {
      this.status.showError(this.learnHint());
      return;
    }
    this.status.clearError();
    startRun();
    const session = client.session;
    const reply = await client.train({ kind: 'finetune', preset: session.preset, params: {}, digits: store.pack() });
    if (!reply.ok && !reply.stale) this.status.showError(`Could not learn your digits: ${sentence(reply.error)}`);
  }

  async exportFile() {
    if (!this.store.size) return;
    const reply = await this.client.request('digits-export', { digits: this.store.pack() });
    if (!reply.ok) {
      if (!reply.stale) this.say(`Export failed: ${sentence(reply.error)}`);
      return;
    }
    download(reply.bytes, reply.filename);
    this.say(`Exported ${this.store.size} digits as ${reply.filename}.`);
  }

  async importFile() {
    const input = this.els.importInput;
    const file = input.files && input.files[0];
    input.value = '';   // choosing the same file again still fires "change"
    if (!file) return;
    const kept = ` Your digits are unchanged${this.store.size ? ` (${this.store.size})` : ''}.`;
    if (file.size > MAX_FILE_BYTES) {
      this.say(`"${file.name}" is too large to be a digit set (${(file.size / 1e6).toFixed(1)} MB).${kept}`);
      return;
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    const reply = await this.client.request('digits-import', { bytes }, [bytes.buffer]);
    if (!reply.ok) {
      if (!reply.stale) this.say(`Could not import "${file.name}": ${sentence(reply.error)}${kept}`);
      return;
    }
    const count = reply.digits.labels.length;
    const added = this.store.addMany(reply.digits);
    const left = count - added;
    this.say(`Imported ${added} digit${added === 1 ? '' : 's'} from ${file.name}.`
      + (left ? ` ${left} did not fit: the page keeps at most ${MAX_DIGITS}.` : ''));
  }
}
