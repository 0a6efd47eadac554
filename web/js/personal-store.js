// The person's own digits: drawings they corrected, each the 28x28 input the network saw and the digit
// they meant. Kept in the browser's localStorage so they survive reloads, each pixel as one byte (0-255:
// a quarter of the floats' size, and all a 28x28 input needs), base64 in a small JSON document. Every
// change is saved at once and announced with a "change" event; the last removal (one digit or all of
// them) can be undone, so a stray click loses nothing.

import { base64ToBytes, bytesToBase64 } from './ui/pixels.js';

const KEY = 'pynet.personal-digits';
const VERSION = 1;
export const PIXELS = 784;
// localStorage holds a few megabytes per site; this many digits take about half a megabyte.
export const MAX_DIGITS = 500;

export class PersonalStore extends EventTarget {
  constructor(storage = globalThis.localStorage) {
    super();
    this.storage = storage;
    this.digits = [];        // [{label, pixels: Uint8Array(784)}], oldest first
    this.removed = null;     // {what, digits, at: [index...]}: the last removal, until the next change
    this.problem = '';       // why the set could not be read or saved, if it could not
    this.load();
  }

  get size() {
    return this.digits.length;
  }

  load() {
    let saved = null;
    try {
      saved = JSON.parse(this.storage.getItem(KEY) || 'null');
    } catch {
      this.problem = 'Your saved digits could not be read; they start afresh.';
    }
    if (!saved || saved.version !== VERSION || !Array.isArray(saved.digits)) return;
    this.digits = saved.digits
      .map((d) => ({ label: d.label, pixels: base64ToBytes(String(d.pixels)) }))
      .filter((d) => Number.isInteger(d.label) && d.label >= 0 && d.label <= 9 && d.pixels.length === PIXELS);
  }

  /** Save the set; returns '' or why it could not be saved (the set in the page is kept either way). */
  save() {
    const doc = { version: VERSION, digits: this.digits.map((d) => ({ label: d.label, pixels: bytesToBase64(d.pixels) })) };
    try {
      this.storage.setItem(KEY, JSON.stringify(doc));
      this.problem = '';
    } catch (err) {
      this.problem = `Your digits could not be saved in this browser (${err && err.name === 'QuotaExceededError'
        ? 'its storage is full' : 'storage is not available'}): export them to keep them.`;
    }
  }

  changed(removed = null) {
    this.removed = removed;
    this.save();
    this.dispatchEvent(new CustomEvent('change'));
  }

  /** Add a drawing (784 values in [0, 1]) as `label`; returns the new digit, or null when the set is full. */
  add(input, label) {
    if (this.digits.length >= MAX_DIGITS) return null;
    const pixels = new Uint8Array(PIXELS);
    for (let i = 0; i < PIXELS; i++) pixels[i] = Math.round(Math.min(1, Math.max(0, input[i])) * 255);
    const digit = { label, pixels };
    this.digits.push(digit);
    this.changed();
    return digit;
  }

  /** Give a digit already in the set another label (a second click on the same drawing). */
  relabel(digit, label) {
    if (!this.digits.includes(digit)) return false;
    digit.label = label;
    this.changed();
    return true;
  }

  remove(index) {
    const [digit] = this.digits.splice(index, 1);
    if (digit) this.changed({ what: `the ${digit.label}`, digits: [digit], at: [index] });
  }

  clear() {
    if (!this.digits.length) return;
    const all = this.digits;
    this.digits = [];
    this.changed({ what: `${all.length} digit${all.length === 1 ? '' : 's'}`, digits: all, at: all.map((_, i) => i) });
  }

  /** Put back what the last removal took, where it was. */
  undo() {
    const { removed } = this;
    if (!removed) return;
    removed.at.forEach((index, k) => this.digits.splice(index, 0, removed.digits[k]));
    this.changed();
  }

  /** Add digits read from a file ({pixels: N*784 bytes, labels}); returns how many fitted. */
  addMany({ pixels, labels }) {
    const room = Math.max(0, MAX_DIGITS - this.digits.length);
    const count = Math.min(room, labels.length);
    for (let k = 0; k < count; k++) {
      this.digits.push({ label: labels[k], pixels: pixels.slice(k * PIXELS, (k + 1) * PIXELS) });
    }
    if (count) this.changed();
    return count;
  }

  /** The set as the worker takes it: {pixels: Uint8Array(N*784), labels: number[]}. */
  pack() {
    const pixels = new Uint8Array(this.digits.length * PIXELS);
    this.digits.forEach((d, k) => pixels.set(d.pixels, k * PIXELS));
    return { pixels, labels: this.digits.map((d) => d.label) };
  }
}
