// A strip of test digits with the network's answer under each; wrong answers get a red outline
// and show the true label too, so mistakes stand out at a glance.

import { base64ToBytes, paintGray } from './pixels.js';

export class SampleStrip {
  constructor(list) {
    this.list = list;
  }

  /** @param {{labels:number[], predictions:number[], pixels_b64:string}} reply */
  show({ labels, predictions, pixels_b64: b64 }) {
    const bytes = base64ToBytes(b64);
    const items = labels.map((label, i) => {
      const predicted = predictions[i];
      const wrong = predicted !== label;
      const li = document.createElement('li');
      li.className = wrong ? 'sample wrong' : 'sample';
      li.dataset.label = String(label);
      li.dataset.prediction = String(predicted);
      li.setAttribute('aria-label', wrong ? `A ${label}, predicted ${predicted} (wrong)` : `A ${label}, predicted correctly`);
      const canvas = document.createElement('canvas');
      paintGray(canvas, bytes, 28, 28, 1, i * 784);
      const answer = document.createElement('span');
      answer.className = 'answer';
      answer.textContent = wrong ? `${predicted} ✗` : String(predicted);
      li.append(canvas, answer);
      if (wrong) {
        const truth = document.createElement('span');
        truth.className = 'truth';
        truth.textContent = `is ${label}`;
        li.append(truth);
      }
      return li;
    });
    this.list.replaceChildren(...items);
    const wrong = items.filter((li) => li.classList.contains('wrong')).length;
    this.list.dataset.wrong = String(wrong);
  }

  clear() {
    this.list.replaceChildren();
    delete this.list.dataset.wrong;
  }
}
