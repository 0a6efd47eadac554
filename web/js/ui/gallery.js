// The person's digits as a small gallery: each one as the network saw it, the digit it was taught as,
// and a button that removes it. Newest first, since that is the one a person checks after a correction.

import { paintGray } from './pixels.js';

export class DigitGallery {
  /** @param {HTMLOListElement} list */
  constructor(list) {
    this.list = list;
    this.onRemove = () => {};   // (index into the set) => void, set by the gallery's owner
  }

  /** @param {{label: number, pixels: Uint8Array}[]} digits  oldest first */
  show(digits) {
    const items = digits.map((digit, index) => this.item(digit, index)).reverse();
    this.list.replaceChildren(...items);
    this.list.dataset.count = String(digits.length);
  }

  item({ label, pixels }, index) {
    const li = document.createElement('li');
    li.className = 'personal-digit';
    li.dataset.testid = 'personal-digit';
    li.dataset.label = String(label);
    const canvas = document.createElement('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `Your drawing of a ${label}`);
    paintGray(canvas, pixels, 28, 28);
    const name = document.createElement('span');
    name.className = 'answer';
    name.textContent = String(label);
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'remove';
    remove.dataset.testid = 'personal-remove';
    remove.textContent = '×';
    remove.title = 'Remove this digit';
    remove.setAttribute('aria-label', `Remove this ${label} from your digits`);
    remove.addEventListener('click', () => this.onRemove(index));
    const caption = document.createElement('span');
    caption.className = 'caption';
    caption.append(name, remove);
    li.append(canvas, caption);
    return li;
  }
}
