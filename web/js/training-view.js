// What training shows while it goes: the live charts and figures, the first layer's weights and a strip of
// test digits with the model's answers. A new model (train, import) or a new worker starts them afresh; the
// weights and digits are refreshed while training, one request at a time, and once more when it rests.

import { metrics } from './metrics.js';

const WEIGHTS_EVERY_MS = 1000;
const SAMPLES_EVERY_MS = 3000;
// Where training comes to rest with a model worth showing.
const AT_REST = new Set(['paused', 'stopped', 'done', 'failed', 'imported']);

export class TrainingView {
  /**
   * @param {import('./trainer-client.js').TrainerClient} client
   * @param {{charts, figures, weights, samples}} views  the widgets of web/js/ui/
   */
  constructor(client, { charts, figures, weights, samples }) {
    Object.assign(this, { client, charts, figures, weights, samples });
    this.seen = { modelId: null, phase: null, runtime: null };
    this.timer = null;
    this.refreshing = false;
    this.lastSamplesAt = 0;
    client.addEventListener('training', (e) => this.add(e.detail.events));
    client.addEventListener('change', () => this.render());
  }

  add(events) {
    metrics.events.push(...events.filter((e) => e.type !== 'batch'));
    this.charts.add(events);
    this.figures.update(events);
  }

  /** An imported model has no history, only what its file says it scored. */
  showImported(summary) {
    if (typeof summary.test_accuracy === 'number') this.figures.setAcc(this.figures.testAcc, summary.test_accuracy);
  }

  clear(iterations = null) {
    this.charts.reset();
    this.figures.reset(iterations);
    this.weights.clear();
    this.samples.clear();
    this.lastSamplesAt = 0;
  }

  render() {
    const { client, seen } = this;
    const phase = client.phase;
    if (client.runtime !== seen.runtime) {
      seen.runtime = client.runtime;
      if (client.runtime === 'loading') {
        seen.modelId = null;
        this.clear();
      }
    }
    const session = client.runtime === 'ready' ? client.session : null;
    if (session && session.model_id !== seen.modelId) {
      seen.modelId = session.model_id;
      if (session.model_id) this.clear(session.iterations);
    }
    if (phase === seen.phase) return;
    seen.phase = phase;
    if (phase === 'training') this.startRefresh();
    else this.stopRefresh();
    if (AT_REST.has(phase) || phase === 'diverged') this.charts.redraw();
    if (AT_REST.has(phase)) this.refresh();
  }

  startRefresh() {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (!this.refreshing) this.refresh(performance.now() - this.lastSamplesAt > SAMPLES_EVERY_MS);
    }, WEIGHTS_EVERY_MS);
  }

  stopRefresh() {
    clearInterval(this.timer);
    this.timer = null;
  }

  async refresh(withSamples = true) {
    const { client } = this;
    if (!client.permits('weights')) return;
    this.refreshing = true;
    try {
      const w = await client.weights(16);
      if (w.ok) this.weights.show(w);
      if (withSamples && client.permits('samples')) {
        this.lastSamplesAt = performance.now();
        const s = await client.samples(20);
        if (s.ok) this.samples.show(s);
      }
    } finally {
      this.refreshing = false;
    }
  }
}
