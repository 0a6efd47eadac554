// First-layer weights as a grid of grayscale tiles (28x28 per hidden unit for dense layers,
// 3x3 per kernel for the conv preset). Python already normalises each tile to 0..255 with
// 128 = zero weight, so this only lays them out and scales them up without smoothing.

import { base64ToBytes, grayImage } from './pixels.js';

const TILE_GAP = 2;     // between 28x28 tiles
const KERNEL_GAP = 8;   // 3x3 kernels need more room or they read as one mosaic

export class WeightsView {
  constructor(canvas, caption) {
    this.canvas = canvas;
    this.caption = caption;
    this.defaultCaption = caption.textContent;
  }

  /** @param {{tiles:number, height:number, width:number, pixels_b64:string}} reply */
  show({ tiles, height, width, pixels_b64: b64 }) {
    const bytes = base64ToBytes(b64);
    const GAP = Math.max(height, width) < 8 ? KERNEL_GAP : TILE_GAP;
    if (!tiles || bytes.length < tiles * height * width) return;
    // Tiles grow to fill the card (but stay crisp integer zooms); 3x3 kernels get a big zoom.
    const avail = Math.max(120, (this.canvas.parentElement?.clientWidth || 600) - 40);
    const wantCols = Math.min(tiles, 8);
    const maxZoom = Math.max(1, Math.round(112 / Math.max(height, width)));
    const zoom = Math.max(1, Math.min(maxZoom, Math.floor((avail - GAP * (wantCols - 1)) / (wantCols * width))));
    const cell = width * zoom + GAP;
    const maxCols = Math.max(1, Math.min(tiles, Math.floor((avail + GAP) / cell)));
    // Balanced rows: 16 tiles that fit 13 across become 2 rows of 8, not 13 + 3.
    const rows = Math.ceil(tiles / maxCols);
    const cols = Math.ceil(tiles / rows);
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
