// Every run that comes to an end (done, stopped, diverged) becomes a record the page keeps in the browser's
// storage: its setup, its final figures, its curves (thinned) and where it went wrong (pynet/evaluation.py).
// RunStore holds the list, the one place it lives; RunRecorder makes a record of each run as it ends.

export const MAX_RUNS = 12;        // the newest runs kept; older ones make room (said in the page)
export const MAX_POINTS = 300;     // points kept per curve: enough to draw it, small enough to keep a dozen
const KEY = 'pynet.runs.v1';
const ENDINGS = new Set(['done', 'stopped', 'diverged']);
const METRICS = ['trainLoss', 'testLoss', 'trainAcc', 'testAcc'];
// One colour per run for its overlaid curves, none of them the current run's blue and orange.
export const PALETTE = ['#2a9d8f', '#9b5de5', '#d62839', '#5c8a1f', '#e05fb0', '#7b5e57', '#0096c7', '#b8860b'];

/** The hyper-parameters that differ from the preset's defaults, in the preset's order. */
export function changedParams(params, preset) {
  const changed = {};
  for (const [name, spec] of Object.entries(preset ? preset.params : {})) {
    if (name in params && params[name] !== spec.value) changed[name] = params[name];
  }
  return changed;
}

/** A curve as [[x, y]] without gaps, thinned evenly to at most `max` points (the last one always kept). */
export function thin(x, y, max = MAX_POINTS) {
  const points = [];
  x.forEach((xi, i) => { if (typeof y[i] === 'number' && Number.isFinite(y[i])) points.push([xi, Number(y[i].toPrecision(5))]); });
  if (points.length <= max) return points;
  const step = (points.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, k) => points[Math.round(k * step)]);
}

export class RunStore extends EventTarget {
  constructor(storage = globalThis.localStorage) {
    super();
    this.storage = storage;
    this.runs = this.load();    // oldest first
    this.selected = null;       // the run whose mistakes are shown
    this.problem = '';          // why the list could not be saved, if it could not
  }

  load() {
    try {
      const runs = JSON.parse(this.storage.getItem(KEY) || '[]');
      return Array.isArray(runs) ? runs.filter((r) => r && typeof r.id === 'string') : [];
    } catch {
      return [];   // unreadable (another version, edited by hand): start a new list
    }
  }

  /** Saved, dropping the oldest runs while the browser's storage is full. */
  save() {
    for (;;) {
      try {
        this.storage.setItem(KEY, JSON.stringify(this.runs));
        this.problem = '';
        return;
      } catch (err) {
        if (this.runs.length <= 1) {
          this.problem = `The runs could not be kept in this browser's storage (${err && err.name}): they last until the page is closed.`;
          return;
        }
        this.runs.shift();
      }
    }
  }

  changed() {
    this.save();
    this.dispatchEvent(new Event('change'));
  }

  /** Newest first. */
  list() {
    return this.runs.slice().reverse();
  }

  get(id) {
    return this.runs.find((r) => r.id === id) || null;
  }

  add(run) {
    const number = (this.runs.reduce((n, r) => Math.max(n, r.number || 0), 0)) + 1;
    const record = { ...run, id: `run-${Date.now().toString(36)}-${number}`, number,
      color: PALETTE[(number - 1) % PALETTE.length], compare: false };
    record.name = record.name || `#${number} ${run.preset}`;
    this.runs.push(record);
    if (this.runs.length > MAX_RUNS) this.runs.splice(0, this.runs.length - MAX_RUNS);
    if (record.evaluation) this.selected = record.id;   // a diverged run has no matrix to show
    this.changed();
    return record;
  }

  update(id, patch) {
    const run = this.get(id);
    if (!run) return;
    Object.assign(run, patch);
    this.changed();
  }

  remove(id) {
    this.runs = this.runs.filter((r) => r.id !== id);
    if (this.selected === id) this.selected = null;
    this.changed();
  }

  select(id) {
    this.selected = id;
    this.dispatchEvent(new Event('change'));
  }

  /** The run whose mistakes are shown: the chosen one, else the newest with an evaluation. */
  shown() {
    const chosen = this.get(this.selected);
    return chosen && chosen.evaluation ? chosen : this.list().find((r) => r.evaluation) || null;
  }
}

export class RunRecorder {
  /**
   * @param {import('./trainer-client.js').TrainerClient} client
   * @param {RunStore} store
   * @param {{charts: import('./ui/charts.js').TrainingCharts, presets: () => Array<object>}} parts
   */
  constructor(client, store, { charts, presets }) {
    Object.assign(this, { client, store, charts, presets });
    this.run = null;   // the run in progress: {modelId, seconds, iterations}
    client.addEventListener('training', (e) => this.add(e.detail.events));
    client.addEventListener('change', () => this.follow());
  }

  add(events) {
    if (!this.run) return;
    for (const e of events) {
      if (e.type === 'iteration' && Number.isFinite(e.seconds)) {
        this.run.seconds += e.seconds;
        this.run.iterations += 1;
      }
    }
  }

  follow() {
    const session = this.client.runtime === 'ready' ? this.client.session : null;
    if (!session) { this.run = null; return; }
    if (session.state === 'training' && session.kind !== 'import' && (!this.run || this.run.modelId !== session.model_id)) {
      this.run = { modelId: session.model_id, seconds: 0, iterations: 0 };
    } else if (this.run && this.run.modelId === session.model_id && ENDINGS.has(session.state)) {
      const run = this.run;
      this.run = null;
      // The curves now, before a new run could clear the charts while Python evaluates this one.
      this.finish(run, session.state, this.curves());
    }
  }

  curves() {
    const { charts } = this;
    return Object.fromEntries(METRICS.map((m) => [m, thin(charts.x, charts[m])]));
  }

  async finish(run, state, curves) {
    const reply = await this.client.request('evaluation');
    if (!reply.ok) return;   // Python went away meanwhile: there is nothing to keep
    const { summary, evaluation } = reply;
    const params = summary.params || {};
    const preset = this.presets().find((p) => p.name === summary.preset);
    const last = (metric) => (curves[metric].length ? curves[metric][curves[metric].length - 1][1] : null);
    const percent = (v) => (v === null ? null : v / 100);
    this.store.add({
      preset: summary.preset, params, changed: changedParams(params, preset), state, at: Date.now(),
      iterations: run.iterations, planned: summary.iterations,
      final: {
        train_loss: last('trainLoss'), test_loss: last('testLoss'), train_accuracy: percent(last('trainAcc')),
        // The matrix's own accuracy when there is one: the same predictions as the last evaluation's.
        test_accuracy: evaluation ? evaluation.accuracy : percent(last('testAcc')),
      },
      seconds: run.seconds,
      images_per_second: run.seconds > 0 ? (run.iterations * params.train_size) / run.seconds : null,
      curves, evaluation: evaluation || null,
    });
  }
}
