// The page's end of the worker protocol documented at the top of worker.js, and the one place the page
// learns what state things are in:
// - `runtime`: 'loading' → 'ready' → 'broken' (a load failure, a crashed runtime, a worker that died).
//   It is decided here, since only the page can see a worker die.
// - `session`: the training session's latest snapshot, exactly as Python announced it (pynet/session.py
//   owns that state machine; this is a copy, never edited here).
// - `pending`: the request that will change the session (train, pause, resume, stop, import) while it is
//   on its way, so the page can show "Stopping…" and refuse a second click.
// Every change of the three fires one "change" event; page modules render from `phase` and `can()`.
// Requests return promises that always resolve ({ok, ...}); the worker's own announcements (progress,
// training events...) are re-dispatched as DOM events with the message as `detail`. A crashed, killed
// or silent worker always ends in runtime 'broken' with a message, never a hang. `restart()` replaces
// the worker; replies and events of the old one are dropped (replies resolve with `stale: true`).

import { shared, takeWorker } from './boot.js';

const INIT_SILENCE_MS = 150_000;   // no progress message for this long while loading = give up
const SESSION_REQUESTS = new Set(['train', 'pause', 'resume', 'stop', 'import']);
const INTERRUPT_AGAIN_MS = 200;    // Stop's interrupt is written again this often until its reply comes

export class TrainerClient extends EventTarget {
  constructor() {
    super();
    this.worker = null;
    this.generation = 0;
    this.nextId = 1;
    this.pending = new Map();
    // Shared memory to reach Python while it is busy (boot.js): null where the page is not isolated.
    this.isolated = shared.isolated;
    this.control = shared.control;
    this.interrupt = shared.interrupt;
    this.reset();
  }

  reset() {
    this.runtime = 'loading';
    this.failure = null;          // {message, phase, step} once broken
    this.session = null;
    this.sessionRequest = null;   // the session-changing request in flight
    this.failedDuring = null;     // the session the worker had when it was lost
  }

  // ── state, as the page reads it ─────────────────────────────────────────────────────────────
  /** One word for the page: the runtime's state until it is ready, then the session's. */
  get phase() {
    if (this.runtime !== 'ready') return this.runtime;
    return this.session ? this.session.state : 'loading';
  }

  /** The session permits `action` now (and the runtime is up). */
  permits(action) {
    return this.runtime === 'ready' && Boolean(this.session) && this.session.permits.includes(action);
  }

  /** `action` may be asked for now: permitted, and no other session request is on its way. */
  can(action) {
    return this.permits(action) && !this.sessionRequest;
  }

  get dead() {
    return this.runtime === 'broken';
  }

  changed(what) {
    this.dispatchEvent(new CustomEvent('change', { detail: { what } }));
  }

  // ── the worker ──────────────────────────────────────────────────────────────────────────────
  /** Adopt the worker the page started with (boot.js), the first time; start a new one after that. */
  start() {
    const generation = ++this.generation;
    const { worker, lifeline, said } = takeWorker();
    this.worker = worker;
    this.lifeline = lifeline;
    const current = () => generation === this.generation;
    const handlers = {
      message: (e) => { if (current()) this.onMessage(e.data); },
      // Module load failures and uncaught exceptions in the worker land here.
      error: (e) => {
        e.preventDefault();
        if (!current()) return;
        const where = e.filename ? ` (${e.filename.split('/').pop()}:${e.lineno})` : '';
        // Chromium gives no message when a module worker's script fails to load or parse.
        const why = e.message || (this.runtime === 'ready' ? 'it stopped unexpectedly' : 'its script could not be loaded; rebuild the site with `python build.py`');
        this.fail(`The Python worker crashed${where}: ${why}. Press Reset to start again.`, 'worker');
      },
      messageerror: () => {
        if (current()) this.fail('The Python worker sent a message that could not be read. Press Reset to start again.', 'worker');
      },
    };
    worker.onmessage = handlers.message;
    worker.onerror = handlers.error;
    worker.onmessageerror = handlers.messageerror;
    this.armWatchdog();
    this.changed('runtime');
    for (const { kind, event } of said) handlers[kind](event);  // what it said before the page listened
  }

  /** A new worker with a clean slate: whatever the old one was doing is dropped. */
  restart() {
    this.terminate();
    this.reset();
    this.start();
  }

  terminate() {
    this.generation++;   // from now on the old worker's messages, errors and lifeline are ignored
    clearTimeout(this.watchdog);
    this.rejectAll('Python was restarted.', { stale: true });
    this.worker?.terminate();
    this.worker = null;
  }

  /** The worker holds its lifeline lock: queue on it; we get it only once the worker is gone. */
  watchLifeline() {
    if (!navigator.locks) return;
    const generation = this.generation;
    navigator.locks.request(this.lifeline, () => {
      if (generation !== this.generation) return;
      this.fail('The Python worker stopped unexpectedly (the browser ended it, for example when it ran out of memory).', 'lost');
    }).catch(() => {});
  }

  armWatchdog() {
    clearTimeout(this.watchdog);
    if (this.runtime !== 'loading') return;
    this.watchdog = setTimeout(() => {
      this.fail('Loading Python stopped making progress. Check your connection to this site and press Reset (or reload).', 'init');
    }, INIT_SILENCE_MS);
  }

  onMessage(msg) {
    if (this.dead) return;
    switch (msg.type) {
      case 'reply': {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        const { type, id, ...result } = msg;
        p.resolve(result);
        return;
      }
      case 'lifeline':
        this.watchLifeline();
        return;
      case 'progress':
        this.armWatchdog();
        break;
      case 'session':
        this.session = msg.session;
        this.changed('session');
        break;
      case 'ready':
        this.runtime = 'ready';
        clearTimeout(this.watchdog);
        this.dispatchEvent(new CustomEvent('ready', { detail: msg }));
        this.changed('runtime');
        return;
      case 'error':
        if (msg.fatal) {
          this.fail(msg.message, msg.phase, msg.step);
          return;
        }
        break;
      default:
        break;
    }
    this.dispatchEvent(new CustomEvent(msg.type, { detail: msg }));
  }

  /** The runtime is gone: every waiting request is answered, the page is told once. */
  fail(message, phase, step) {
    if (this.dead) return;
    if (this.runtime === 'ready') this.failedDuring = this.session;
    this.runtime = 'broken';
    this.failure = { message, phase, step };
    this.sessionRequest = null;
    clearTimeout(this.watchdog);
    this.rejectAll(message);
    this.changed('runtime');
  }

  rejectAll(message, extra = {}) {
    for (const p of this.pending.values()) p.resolve({ ok: false, error: message, ...extra });
    this.pending.clear();
  }

  // ── requests ────────────────────────────────────────────────────────────────────────────────
  /** Send a request; resolves with the reply ({ok, ...}); never rejects. */
  request(type, data = {}, transfer = []) {
    if (this.dead || !this.worker) return Promise.resolve({ ok: false, error: 'Python is not running: press Reset.' });
    const id = this.nextId++;
    const reply = new Promise((resolve) => {
      this.pending.set(id, { resolve });
      this.worker.postMessage({ type, id, ...data }, transfer);
    });
    if (!SESSION_REQUESTS.has(type)) return reply;
    const generation = this.generation;
    this.sessionRequest = type;
    this.changed('pending');
    return reply.then((result) => {
      if (generation === this.generation && this.sessionRequest === type) {
        this.sessionRequest = null;
        this.changed('pending');
      }
      return result;
    });
  }

  setControl(value) {
    if (this.control) Atomics.store(this.control, 0, value);
  }

  /** @param {{kind?: string, preset: string, params: object}} config */
  train(config) {
    this.setControl(0);
    return this.request('train', config);
  }

  pause() {
    this.setControl(1);     // Python stops after the current batch...
    return this.request('pause');   // ...and the request makes it a pause
  }

  resume() {
    this.setControl(0);
    return this.request('resume');
  }

  stop() {
    this.setControl(2);
    this.sendInterrupt();   // SIGINT: a KeyboardInterrupt inside Python ends even a long batch
    const reply = this.request('stop');
    if (this.interrupt) {
      // Python's check reads the interrupt buffer, then writes 0 to it: a write landing between the two is
      // lost. The worker clears a stale interrupt before a command, too: one written before the cell it was
      // meant for began. Either way a cell that never returns would never end, so the interrupt is written
      // again until the stop's reply comes. A repeat that lands after Python was interrupted hits a later
      // command, which the worker clears or runs again (worker.js `call`).
      const again = setInterval(() => this.sendInterrupt(), INTERRUPT_AGAIN_MS);
      reply.then(() => clearInterval(again));
    }
    return reply;
  }

  sendInterrupt() {
    if (this.interrupt) Atomics.store(this.interrupt, 0, 2);
  }

  predict(pixels) { return this.request('predict', { pixels }); }
  weights(maxTiles = 16) { return this.request('weights', { maxTiles }); }
  samples(count = 20) { return this.request('samples', { count }); }
  status() { return this.request('status'); }
  exportModel() { return this.request('export'); }
  importModel(bytes) { return this.request('import', { bytes }, [bytes.buffer]); }
}
