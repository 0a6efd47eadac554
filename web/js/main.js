// The page, put together. Each part has one job and its own module; they share one TrainerClient, which
// holds the state they all render from (its runtime, Python's training session, the request on its way)
// and announces every change with a "change" event:
//   session-panel.js    the preset form, Train / Pause / Stop / Reset, status and errors
//   training-view.js    live charts and figures, first-layer weights, test digits
//   prediction-pump.js  drawing → 28x28 input → the model's probabilities
//   model-files.js      export / import, and the model kept safe from a lost worker
//   site-footer.js      which build, which library does the matrix products
//   personal-digits.js  corrections, the person's own digits, learning from them (drawing-hint.js: which
//                       network reads drawings)
//   code-panel.js       the preset as an editable Python cell; Train runs the edited cell
// A new part is a new module
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
import { OverlayCharts } from './ui/overlay-charts.js';
import { FiguresView } from './ui/figures.js';
import { DrawPad } from './ui/draw-pad.js';
import { ProbabilityView } from './ui/probabilities.js';
import { WeightsView } from './ui/weights-view.js';
import { SampleStrip } from './ui/sample-strip.js';
import { keepOffline } from './offline.js';
import { PersonalStore } from './personal-store.js';
import { PersonalDigits } from './personal-digits.js';
import { DigitGallery } from './ui/gallery.js';
import { DrawingHint } from './drawing-hint.js';
import { RunStore, RunRecorder } from './runs.js';
import { RunList } from './ui/run-list.js';
import { ConfusionView } from './ui/confusion.js';
import { ShareLink } from './share-link.js';
import { CodePanel } from './code-panel.js';
import { keepFocus } from './ui/focus-keeper.js';

const $ = (id) => document.getElementById(id);

const client = new TrainerClient();
client.addEventListener('change', (e) => { if (e.detail.what === 'runtime' && client.runtime === 'loading') resetMetrics(); });
client.addEventListener('ready', (e) => {
  metrics.readyAt = performance.now();
  metrics.pythonStart = (e.detail.info && e.detail.info.pythonStart) || null;
});
// The site is copied for offline use once Python is up, so that the copy never slows its start.
client.addEventListener('ready', () => keepOffline(() => { $('offline-info').textContent = 'Works offline.'; }), { once: true });
client.addEventListener('accelerated', (e) => {
  metrics.matmul = e.detail.matmul || 'numpy';
  metrics.matmulThreads = e.detail.threads || 1;
  metrics.tanh = e.detail.tanh || 'numpy';
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
  charts: new OverlayCharts({ loss: $('chart-loss'), accuracy: $('chart-accuracy'), empty: $('chart-empty') }),
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
  extras: () => personal.trainingExtras(),
});

// After the panel: on Ready the panel fills the form first, then the code panel writes the preset's cell.
panel.code = new CodePanel(client, {
  form, host: $('code-editor'), message: $('code-message'), state: $('code-state'),
  reset: $('code-reset'), download: $('code-download'),
});

const pad = new DrawPad($('draw-canvas'));
const pump = new PredictionPump(client, {
  pad, preview: $('preview'), placeholder: $('pad-placeholder'),
  probs: new ProbabilityView({ bars: $('probabilities'), prediction: $('prediction'), hint: $('predict-hint') }),
});
$('clear').addEventListener('click', () => pad.clear());

const personal = new PersonalDigits(client, {
  store: new PersonalStore(), gallery: new DigitGallery($('personal-gallery')), status,
  input: () => pump.lastInput,
  els: {
    correction: $('correction'), digits: $('correction-digits'), note: $('correction-note'),
    count: $('personal-count'), learn: $('learn-digits'), learnHint: $('learn-hint'), include: $('include-personal'),
    exportButton: $('export-digits'), importInput: $('import-digits'), clearAll: $('clear-digits'),
    undo: $('undo-digits'), message: $('personal-message'),
  },
});
pump.probs.onRead = (digit) => personal.drawingRead(digit);
new DrawingHint(client, form, { hint: $('drawing-hint'), text: $('drawing-hint-text'), choose: $('choose-drawing'), train: $('train') });

// Runs compare: each finished run kept, overlaid on the charts when ticked, its mistakes shown.
const runs = new RunStore();
new RunRecorder(client, runs, { charts: training.charts, presets: () => form.presets });
new RunList(runs, { list: $('runs'), note: $('runs-note') });
const confusion = new ConfusionView({
  table: $('confusion'), title: $('mistakes-title'), empty: $('mistakes-empty'), cell: $('cell-note'),
  cellDigits: $('cell-digits'), mistakes: $('mistakes'),
}, (indices) => client.request('digits', { indices }));
const showRuns = () => {
  training.charts.setOverlays(runs.list().filter((r) => r.compare).reverse());
  confusion.show(runs.shown());
};
runs.addEventListener('change', showRuns);
client.addEventListener('ready', () => confusion.refresh());
showRuns();
new ShareLink(client, { form, trainForm: $('train-form'), copyButton: $('copy-link'), note: $('link-note') });

new SiteFooter(client, { build: $('build-info'), matmul: $('matmul-info') });

// A hook for the end-to-end tests and the benchmarks (and for the curious, from the console).
window.__pynet = {
  chartPoints: () => training.charts.points(),
  chartSeries: () => training.charts.series(),
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
  code: () => panel.code.text,   // the code panel's text, as the editor holds it
};

keepFocus();
panel.render();
client.start();
