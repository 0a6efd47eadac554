// The page, put together. Each part has one job and its own module; they share one TrainerClient, which
// holds the state they all render from (its runtime, Python's training session, the request on its way)
// and announces every change with a "change" event:
//   session-panel.js    the preset form, Train / Pause / Stop / Reset, status and errors
//   training-view.js    live charts and figures, first-layer weights, test digits
//   prediction-pump.js  drawing → 28x28 input → the model's probabilities
//   model-files.js      export / import, and the model kept safe from a lost worker
//   site-footer.js      which build, which library does the matrix products
// A new part (a run list, a confusion matrix, a code editor, a gallery of personal digits) is a new module
// given the client and its elements here; it listens to the client's events and sends it requests. All
// heavy work happens in the worker; the main thread only renders.

import { TrainerClient } from './trainer-client.js';
import { metrics, resetMetrics } from './metrics.js';
import { SessionPanel } from './session-panel.js';
import { TrainingView } from './training-view.js';
import { PredictionPump } from './prediction-pump.js';
import { ModelFiles } from './model-files.js';
import { SiteFooter } from './site-footer.js';
import { StatusView } from './ui/status.js';
import { ParamsForm } from './ui/params-form.js';
import { TrainingCharts } from './ui/charts.js';
import { FiguresView } from './ui/figures.js';
import { DrawPad } from './ui/draw-pad.js';
import { ProbabilityView } from './ui/probabilities.js';
import { WeightsView } from './ui/weights-view.js';
import { SampleStrip } from './ui/sample-strip.js';
import { keepOffline } from './offline.js';
import { keepFocus } from './ui/focus-keeper.js';

const $ = (id) => document.getElementById(id);

const client = new TrainerClient();
client.addEventListener('change', (e) => { if (e.detail.what === 'runtime' && client.runtime === 'loading') resetMetrics(); });
client.addEventListener('ready', () => { metrics.readyAt = performance.now(); });
// The site is copied for offline use once Python is up, so that the copy never slows its start.
client.addEventListener('ready', () => keepOffline(() => { $('offline-info').textContent = 'Works offline.'; }), { once: true });
client.addEventListener('accelerated', (e) => {
  metrics.matmul = e.detail.matmul || 'numpy';
  metrics.matmulThreads = e.detail.threads || 1;
});

const status = new StatusView({
  text: $('status'), dot: $('status-dot'), progress: $('load-progress'), steps: $('load-steps'),
  detail: $('status-detail'), error: $('error'), errorMessage: $('error-message'), errorDismiss: $('error-dismiss'),
});
const form = new ParamsForm({
  select: $('preset'), grid: $('params-grid'), fieldset: $('params'),
  network: $('preset-network'), description: $('preset-description'), cell: $('preset-cell'), summary: $('form-summary'),
}, () => {});

const training = new TrainingView(client, {
  charts: new TrainingCharts({ loss: $('chart-loss'), accuracy: $('chart-accuracy'), empty: $('chart-empty') }),
  figures: new FiguresView({
    iteration: $('fig-iteration'), trainAcc: $('fig-train-acc'), testAcc: $('fig-test-acc'),
    speed: $('fig-speed'), batchBar: $('batch-bar'),
  }),
  weights: new WeightsView($('weights'), $('weights-caption')),
  samples: new SampleStrip($('samples')),
});

const models = new ModelFiles(client, {
  exportButton: $('export'), importInput: $('import'), importLabel: $('import-label'), status,
  onImported: (summary) => {
    training.showImported(summary);
    if (summary.preset && form.presets.some((p) => p.name === summary.preset)) {
      form.els.select.value = summary.preset;
      form.renderPreset();
    }
  },
});

const panel = new SessionPanel(client, {
  status, form, trainForm: $('train-form'),
  buttons: { train: $('train'), pause: $('pause'), stop: $('stop'), reset: $('reset') },
  recoveryNote: () => models.recoveryNote(),
});

const pad = new DrawPad($('draw-canvas'));
const pump = new PredictionPump(client, {
  pad, preview: $('preview'), placeholder: $('pad-placeholder'),
  probs: new ProbabilityView({ bars: $('probabilities'), prediction: $('prediction'), hint: $('predict-hint') }),
});
$('clear').addEventListener('click', () => pad.clear());

new SiteFooter(client, { build: $('build-info'), matmul: $('matmul-info') });

// A hook for the end-to-end tests and the benchmarks (and for the curious, from the console).
window.__pynet = {
  chartPoints: () => training.charts.points(),
  // What a person saw while training, as [ms since navigation, value]: each chart redraw with the points
  // it showed, and each value of the iteration counter.
  shown: () => ({ charts: training.charts.draws(), iterations: training.figures.shown.slice() }),
  phase: () => client.phase,
  session: () => ({ runtime: client.runtime, session: client.session, request: client.sessionRequest }),
  hasModel: () => client.permits('predict'),
  isolated: () => client.isolated,
  predictInFlight: () => pump.busy,
  metrics: () => metrics,
  status: () => client.status(),
  // The 28x28 input of the current drawing, as the network gets it (null: no drawing).
  input: () => (pump.lastInput ? Array.from(pump.lastInput) : null),
};

keepFocus();
panel.render();
client.start();
