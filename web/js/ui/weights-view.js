// First-layer weights as a grid of grayscale tiles (28x28 per hidden unit for dense layers,
// 3x3 per kernel for the conv preset). Python already normalises each tile to 0..255 with
// 128 = zero weight, so this only lays them out and scales them up without smoothing.

import { base64ToBytes, grayImage } from './pixels.js';

const GAP = 2;

export class WeightsView {
  constructor(canvas, caption) {
    this.canvas = canvas;
    this.caption = caption;
    this.defaultCaption = caption.textContent;
  }

  /** @param {{tiles:number, height:number, width:number, pixels_b64:string}} reply */
  show({ tiles, height, width, pixels_b64: b64 }) {
    const bytes = base64ToBytes(b64);
    if (!tiles || bytes.length < tiles * height * width) return;
    // Small kernels get a bigger zoom so they stay readable.
    const zoom = Math.max(1, Math.round(56 / Math.max(height, width)));
    const avail = Math.max(120, (this.canvas.parentElement?.clientWidth || 600) - 4);
    const cell = width * zoom + GAP;
    const cols = Math.max(1, Math.min(tiles, Math.floor((avail + GAP) / cell)));
    const rows = Math.ceil(tiles / cols);
    const W = cols * cell - GAP;
    const H = rows * (height * zoom + GAP) - GAP;
    const c = this.canvas;
    if (c.width !== W) c.width = W;
    if (c.height !== H) c.height = H;
    const ctx = c.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    ctx.clearRect(0, 0, W, H);
    const tile = document.createElement('canvas');
    tile.width = width;
    tile.height = height;
    const tctx = tile.getContext('2d');
    for (let t = 0; t < tiles; t++) {
      tctx.putImageData(grayImage(bytes, width, height, 1, t * width * height), 0, 0);
      const x = (t % cols) * cell;
      const y = Math.floor(t / cols) * (height * zoom + GAP);
      ctx.drawImage(tile, x, y, width * zoom, height * zoom);
    }
    c.dataset.tiles = String(tiles);
    const kind = height === 28 && width === 28 ? `${tiles} hidden units, 28×28 weights each` : `${tiles} convolution kernels, ${height}×${width} each`;
    this.caption.textContent = `${kind} (grey = 0, light = positive, dark = negative).`;
  }

  clear() {
    this.canvas.width = 0;
    this.canvas.height = 0;
    delete this.canvas.dataset.tiles;
    this.caption.textContent = this.defaultCaption;
  }
}
