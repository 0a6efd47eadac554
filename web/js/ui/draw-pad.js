// Drawing pad: Pointer Events (mouse, touch and pen alike), pointer capture so a stroke that
// leaves the canvas still ends cleanly, thick round strokes smoothed with quadratic curves.
// Ink is kept in the canvas alpha channel (transparent background, CSS paints it white).
// The pad also keeps the pen's samples (`strokes`): the network's input is made from the pen's path
// (web/js/ui/preprocess.js), so the pen's width here is only for the eye, and pressure is not used.

const STROKE_FRACTION = 0.075;   // stroke width relative to the pad: ~21 px on a 280 px pad

export class DrawPad {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{onChange?: () => void, onStrokeEnd?: () => void}} callbacks
   */
  constructor(canvas, { onChange, onStrokeEnd } = {}) {
    this.canvas = canvas;
    this.onChange = onChange || (() => {});
    this.onStrokeEnd = onStrokeEnd || (() => {});
    this.ctx = canvas.getContext('2d', { willReadFrequently: true });
    this.pointerId = null;
    this.last = null;       // last raw point of the current stroke
    this.lastMid = null;    // end of the last drawn curve segment
    this.strokes = [];      // the pen's samples, one list per stroke, in fractions of the pad's side
    this.empty = true;
    this.resize();
    this.bind();
  }

  /** Match the backing store to the displayed size (sharp strokes on high-DPI screens). */
  resize() {
    const rect = this.canvas.getBoundingClientRect();
    const dpr = Math.min(window.devicePixelRatio || 1, 2);
    const side = Math.max(1, Math.round((rect.width || 280) * dpr));
    if (this.canvas.width === side && this.canvas.height === side) return;
    // Keep what is drawn when the layout changes size.
    const old = this.empty ? null : this.snapshot();
    this.canvas.width = side;
    this.canvas.height = side;
    if (old) this.ctx.drawImage(old, 0, 0, side, side);
  }

  snapshot() {
    const copy = document.createElement('canvas');
    copy.width = this.canvas.width;
    copy.height = this.canvas.height;
    copy.getContext('2d').drawImage(this.canvas, 0, 0);
    return copy;
  }

  bind() {
    const c = this.canvas;
    c.addEventListener('pointerdown', (e) => this.down(e));
    c.addEventListener('pointermove', (e) => this.move(e));
    c.addEventListener('pointerup', (e) => this.up(e));
    c.addEventListener('pointercancel', (e) => this.up(e));
    c.addEventListener('lostpointercapture', (e) => this.up(e));
    c.addEventListener('contextmenu', (e) => e.preventDefault());
    c.addEventListener('keydown', (e) => {
      if (e.key === 'Delete' || e.key === 'Backspace' || e.key === 'Escape') {
        e.preventDefault();
        this.clear();
      }
    });
    if ('ResizeObserver' in window) new ResizeObserver(() => this.resize()).observe(c);
  }

  point(e) {
    const rect = this.canvas.getBoundingClientRect();
    return {
      x: (e.clientX - rect.left) * (this.canvas.width / rect.width),
      y: (e.clientY - rect.top) * (this.canvas.height / rect.height),
    };
  }

  /** A point of the backing store as fractions of the pad's side: what survives a resize. */
  fraction(p) {
    return { x: p.x / this.canvas.width, y: p.y / this.canvas.height };
  }

  style() {
    const ctx = this.ctx;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.strokeStyle = '#000';
    ctx.fillStyle = '#000';
    ctx.lineWidth = this.canvas.width * STROKE_FRACTION;
  }

  down(e) {
    if (this.pointerId !== null) return;          // one stroke at a time (ignore a second finger)
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    e.preventDefault();
    this.pointerId = e.pointerId;
    try { this.canvas.setPointerCapture(e.pointerId); } catch { /* pointer already gone */ }
    this.canvas.focus({ preventScroll: true });
    const p = this.point(e);
    this.last = p;
    this.lastMid = p;
    this.strokes.push([this.fraction(p)]);
    // A tap leaves a dot.
    this.style();
    this.ctx.beginPath();
    this.ctx.arc(p.x, p.y, this.ctx.lineWidth / 2, 0, Math.PI * 2);
    this.ctx.fill();
    this.markInk();
  }

  move(e) {
    if (e.pointerId !== this.pointerId) return;
    e.preventDefault();
    // Coalesced events carry every sample the device produced between two frames: smoother curves.
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    const list = events.length ? events : [e];
    this.style();
    const ctx = this.ctx;
    ctx.beginPath();
    ctx.moveTo(this.lastMid.x, this.lastMid.y);
    for (const ev of list) {
      const p = this.point(ev);
      const mid = { x: (this.last.x + p.x) / 2, y: (this.last.y + p.y) / 2 };
      ctx.quadraticCurveTo(this.last.x, this.last.y, mid.x, mid.y);
      this.last = p;
      this.lastMid = mid;
      this.strokes[this.strokes.length - 1].push(this.fraction(p));
    }
    ctx.stroke();
    this.markInk();
  }

  up(e) {
    if (e.pointerId !== this.pointerId) return;
    // Finish the stroke at the last real point.
    if (this.last && this.lastMid) {
      this.style();
      this.ctx.beginPath();
      this.ctx.moveTo(this.lastMid.x, this.lastMid.y);
      this.ctx.lineTo(this.last.x, this.last.y);
      this.ctx.stroke();
    }
    try { this.canvas.releasePointerCapture(e.pointerId); } catch { /* already released */ }
    this.pointerId = null;
    this.last = this.lastMid = null;
    this.markInk();
    this.onStrokeEnd();
  }

  markInk() {
    this.empty = false;
    this.canvas.dataset.empty = 'false';
    this.onChange();
  }

  clear() {
    this.ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.strokes = [];
    this.empty = true;
    this.canvas.dataset.empty = 'true';
    this.onChange();
  }
}
