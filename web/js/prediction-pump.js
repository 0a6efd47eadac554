// Drawing → prediction: the pad's ink becomes a 28x28 MNIST-style input (shown in the preview), goes to
// the model, and the ten bars show the answer. At most one prediction is in flight and at most one per
// animation frame; the newest drawing wins (older ones that were waiting are dropped). While training,
// the drawing is read again now and then, so the bars follow the model as it learns.

import { metrics } from './metrics.js';
import { toMnist } from './ui/preprocess.js';
import { paintGray } from './ui/pixels.js';

const HINT_NO_MODEL = 'Train or import a model to classify your drawing.';
const HINT_DRAW = 'Draw a digit in the box to see what the network thinks.';
const HINT_DIVERGED = 'Training diverged, so there is no usable model: train again with a smaller learning rate.';
const HINT_NO_PYTHON = 'Python is not running. Press Reset to start again.';
const WHILE_TRAINING_MS = 1000;

export class PredictionPump {
  /**
   * @param {import('./trainer-client.js').TrainerClient} client
   * @param {{pad: import('./ui/draw-pad.js').DrawPad, preview: HTMLCanvasElement,
   *          placeholder: HTMLElement, probs: import('./ui/probabilities.js').ProbabilityView}} parts
   */
  constructor(client, { pad, preview, placeholder, probs }) {
    Object.assign(this, { client, pad, preview, placeholder, probs });
    this.frameRequested = false;
    this.inflight = false;
    this.queued = null;
    this.queuedAt = null;   // input time of the queued drawing
    this.inputAt = null;    // when the oldest drawing change not yet sent to the network happened
    this.lastInput = null;  // the 28x28 input of the current drawing, as the network gets it (null: none)
    this.lastTrainingRead = 0;
    this.seen = null;
    // Straight to the network, not via the next animation frame: that wait alone costs up to a frame
    // (16 ms) of latency.
    pad.onChange = () => { this.inputAt ??= performance.now(); this.predictNow(); };
    client.addEventListener('change', () => this.modelChanged());
    client.addEventListener('training', () => {
      if (performance.now() - this.lastTrainingRead < WHILE_TRAINING_MS) return;
      this.lastTrainingRead = performance.now();
      this.schedule();
    });
    probs.clear(HINT_NO_MODEL);
    paintGray(preview, new Float32Array(784), 28, 28, 255);
  }

  get busy() {
    return this.inflight || this.queued !== null || this.frameRequested;
  }

  /** Read the drawing again when the model it is read by changed (new, at rest, gone). */
  modelChanged() {
    const { client } = this;
    const key = `${client.runtime}:${client.session ? client.session.model_id : ''}:${client.phase}`;
    if (key === this.seen) return;
    this.seen = key;
    if (client.runtime === 'loading') {
      this.queued = null;
      this.inflight = false;
    }
    this.schedule();
  }

  hint() {
    const { client } = this;
    if (client.dead) return HINT_NO_PYTHON;
    if (client.phase === 'diverged') return HINT_DIVERGED;
    return client.permits('predict') ? HINT_DRAW : HINT_NO_MODEL;
  }

  schedule() {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.predictNow();
    });
  }

  predictNow() {
    const { pad, preview, probs } = this;
    this.placeholder.hidden = !pad.empty;
    if (pad.empty) {
      this.lastInput = null;
      paintGray(preview, new Float32Array(784), 28, 28, 255);
      this.queued = null;
      this.inputAt = null;
      probs.clear(this.hint());
      return;
    }
    const pixels = toMnist(pad.strokes);
    this.lastInput = pixels;
    if (!pixels) return;
    paintGray(preview, pixels, 28, 28, 255);
    if (!this.client.permits('predict')) {
      probs.clear(this.hint());
      return;
    }
    this.queued = pixels;
    this.queuedAt = this.inputAt;
    this.inputAt = null;
    this.pump();
  }

  async pump() {
    if (this.inflight || !this.queued) return;
    const pixels = this.queued;
    const drawnAt = this.queuedAt;
    this.queued = null;
    this.queuedAt = null;
    this.inflight = true;
    let reply;
    try {
      reply = await this.client.predict(pixels);
    } finally {
      this.inflight = false;
    }
    if (reply.stale) return;
    this.show(reply, drawnAt);
    if (this.queued) this.pump();
  }

  show(reply, drawnAt) {
    const { probs } = this;
    if (this.pad.empty || !this.client.permits('predict')) {
      probs.clear(this.hint());
    } else if (reply.ok && Array.isArray(reply.probabilities) && reply.probabilities.every(Number.isFinite)) {
      probs.show(reply.probabilities, reply.digit);
      // Input to bars updated: under a frame (16.7 ms) means the new bars are in the next frame painted.
      if (drawnAt !== null) metrics.predictLatencies.push(performance.now() - drawnAt);
    } else if (reply.ok) {
      probs.clear('The model gives no usable answer (its weights are not finite numbers).');
    } else {
      probs.clear(reply.error || HINT_NO_MODEL);
    }
  }
}
