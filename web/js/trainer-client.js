// Promise/event wrapper around the worker protocol documented at the top of worker.js.
// Requests return promises; everything the worker announces on its own (progress, training
// events, paused, done, errors...) is re-dispatched as DOM events with the message as `detail`.
// A crashed or silent worker always ends in an "error" event with fatal = true, never a hang.

const INIT_SILENCE_MS = 150_000;   // no progress message for this long while loading = give up

export class TrainerClient extends EventTarget {
  constructor() {
    super();
    this.worker = null;
    this.nextId = 1;
    this.pending = new Map();
    this.dead = false;
    this.ready = false;
    // Shared memory lets the page reach Python while it is busy (pause/stop between batches,
    // interrupt a long batch). It needs a cross-origin isolated page (COOP/COEP headers).
    this.isolated = Boolean(self.crossOriginIsolated && typeof SharedArrayBuffer === 'function');
    this.control = this.isolated ? new Int32Array(new SharedArrayBuffer(4)) : null;
    this.interrupt = this.isolated ? new Uint8Array(new SharedArrayBuffer(1)) : null;
  }

  start() {
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'pynet-python' });
    this.worker.onmessage = (e) => this.onMessage(e.data);
    // Module load failures and uncaught exceptions in the worker land here.
    this.worker.onerror = (e) => {
      e.preventDefault();
      const where = e.filename ? ` (${e.filename.split('/').pop()}:${e.lineno})` : '';
      // Chromium gives no message when a module worker's script fails to load or parse.
      const why = e.message || (this.ready ? 'it stopped unexpectedly' : 'its script could not be loaded; rebuild the site with `python build.py`');
      this.fail(`The Python worker crashed${where}: ${why}. Press Reset to start again.`);
    };
    this.worker.onmessageerror = () => this.fail('The Python worker sent a message that could not be read. Press Reset to start again.');
    this.armWatchdog();
    const query = new URLSearchParams(self.location.search);
    this.worker.postMessage({
      type: 'init',
      control: this.control ? this.control.buffer : null,
      interrupt: this.interrupt ? this.interrupt.buffer : null,
      // `?matmul=numpy|openblas|xnnpack` pins the matrix-product library, `?threads=1` XNNPACK's one-thread
      // build, to measure what each brings.
      matmul: query.get('matmul') || 'auto',
      threads: Number(query.get('threads')) || 0,
    });
  }

  armWatchdog() {
    clearTimeout(this.watchdog);
    if (this.ready || this.dead) return;
    this.watchdog = setTimeout(() => {
      this.fail('Loading Python stopped making progress. Check your connection to this site and press Reset (or reload).');
    }, INIT_SILENCE_MS);
  }

  onMessage(msg) {
    if (this.dead) return;
    if (msg.type === 'reply') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      const { type, id, ...result } = msg;
      p.resolve(result);
      return;
    }
    if (msg.type === 'progress') this.armWatchdog();
    if (msg.type === 'ready') {
      this.ready = true;
      clearTimeout(this.watchdog);
    }
    if (msg.type === 'error' && msg.fatal) {
      clearTimeout(this.watchdog);
      this.dead = true;
      this.rejectAll(msg.message);
    }
    this.dispatchEvent(new CustomEvent(msg.type, { detail: msg }));
  }

  fail(message) {
    if (this.dead) return;
    this.dead = true;
    clearTimeout(this.watchdog);
    this.rejectAll(message);
    this.dispatchEvent(new CustomEvent('error', { detail: { type: 'error', fatal: true, phase: 'worker', message } }));
  }

  rejectAll(message) {
    for (const p of this.pending.values()) p.resolve({ ok: false, error: message });
    this.pending.clear();
  }

  /** Send a request; resolves with the reply ({ok, ...}); never rejects. */
  request(type, data = {}, transfer = []) {
    if (this.dead || !this.worker) return Promise.resolve({ ok: false, error: 'Python is not running: press Reset.' });
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve });
      this.worker.postMessage({ type, id, ...data }, transfer);
    });
  }

  setControl(value) {
    if (this.control) Atomics.store(this.control, 0, value);
  }

  train(config) {
    this.setControl(0);
    return this.request('train', config);
  }

  pause() {
    this.setControl(1);     // Python stops after the current batch...
    this.worker?.postMessage({ type: 'pause' });   // ...and the worker stops calling it again
  }

  resume() {
    this.setControl(0);
    this.worker?.postMessage({ type: 'resume' });
  }

  stop() {
    this.setControl(2);
    if (this.interrupt) this.interrupt[0] = 2;   // SIGINT: a KeyboardInterrupt inside Python ends even a long batch
    this.worker?.postMessage({ type: 'stop' });
  }

  predict(pixels) { return this.request('predict', { pixels }); }
  weights(maxTiles = 16) { return this.request('weights', { maxTiles }); }
  samples(count = 20) { return this.request('samples', { count }); }
  status() { return this.request('status'); }
  exportModel() { return this.request('export'); }
  importModel(bytes) { return this.request('import', { bytes }, [bytes.buffer]); }

  terminate() {
    clearTimeout(this.watchdog);
    this.dead = true;
    this.rejectAll('Python was restarted.');
    this.worker?.terminate();
    this.worker = null;
  }
}
