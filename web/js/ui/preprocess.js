// MNIST-style preprocessing of a drawing, in plain JS (no canvas needed, so it is cheap and testable).
//
// MNIST digits were made by: cropping to the ink, scaling so the larger side fits a 20x20 box
// (aspect kept, anti-aliased), then placing that box in a 28x28 field so that the centre of mass
// of the ink sits at the centre. A network trained on MNIST only recognises drawings prepared
// the same way, so we repeat those steps here.

export const SIZE = 28;
export const BOX = 20;

/**
 * @param {Float32Array} ink  intensities 0..1 (row-major, width*height), 1 = full ink
 * @param {number} width
 * @param {number} height
 * @param {number} [threshold]  ink below this does not count for the bounding box (anti-aliasing fringe)
 * @returns {Float32Array|null} 784 values 0..1 (row-major 28x28), or null when there is no ink
 */
export function toMnist(ink, width, height, threshold = 0.1) {
  const bbox = inkBoundingBox(ink, width, height, threshold);
  if (!bbox) return null;
  const { x0, y0, x1, y1 } = bbox;
  const bw = x1 - x0, bh = y1 - y0;
  // Larger side becomes 20 pixels; the smaller one keeps the aspect (at least 1 pixel).
  const scale = BOX / Math.max(bw, bh);
  const w = Math.max(1, Math.round(bw * scale));
  const h = Math.max(1, Math.round(bh * scale));
  const small = areaResample(ink, width, x0, y0, bw, bh, w, h);

  // Centre of mass of the small image, then shift so it lands on the 28x28 centre (14, 14).
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = small[y * w + x];
      mass += v; mx += v * (x + 0.5); my += v * (y + 0.5);
    }
  }
  if (mass <= 0) return null;
  mx /= mass; my /= mass;
  const ox = Math.round(SIZE / 2 - mx);
  const oy = Math.round(SIZE / 2 - my);

  const out = new Float32Array(SIZE * SIZE);
  for (let y = 0; y < h; y++) {
    const ty = y + oy;
    if (ty < 0 || ty >= SIZE) continue;
    for (let x = 0; x < w; x++) {
      const tx = x + ox;
      if (tx < 0 || tx >= SIZE) continue;
      out[ty * SIZE + tx] = Math.min(1, small[y * w + x]);
    }
  }
  return out;
}

/** Smallest box [x0, x1) x [y0, y1) holding every value >= threshold, or null. */
export function inkBoundingBox(ink, width, height, threshold = 0.1) {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (ink[row + x] >= threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  return { x0, y0, x1: x1 + 1, y1: y1 + 1 };
}

/**
 * Area-average resampling (a box filter with exact fractional coverage), done separably:
 * every output pixel is the mean of the source area it covers, which is the anti-aliasing
 * that a plain nearest/bilinear downscale by 10x would lack.
 */
export function areaResample(src, srcWidth, sx, sy, sw, sh, dw, dh) {
  const wx = coverage(sw, dw);
  const wy = coverage(sh, dh);
  // Horizontal pass: sh rows x dw columns.
  const tmp = new Float32Array(sh * dw);
  for (let y = 0; y < sh; y++) {
    const row = (sy + y) * srcWidth + sx;
    for (let x = 0; x < dw; x++) {
      const { start, weights } = wx[x];
      let acc = 0;
      for (let k = 0; k < weights.length; k++) acc += src[row + start + k] * weights[k];
      tmp[y * dw + x] = acc;
    }
  }
  // Vertical pass: dh rows x dw columns.
  const out = new Float32Array(dh * dw);
  for (let y = 0; y < dh; y++) {
    const { start, weights } = wy[y];
    for (let x = 0; x < dw; x++) {
      let acc = 0;
      for (let k = 0; k < weights.length; k++) acc += tmp[(start + k) * dw + x] * weights[k];
      out[y * dw + x] = acc;
    }
  }
  return out;
}

/** For n source samples mapped onto m outputs: which sources each output covers, and by how much (weights sum to 1). */
function coverage(n, m) {
  const step = n / m;
  const result = [];
  for (let j = 0; j < m; j++) {
    const a = j * step, b = (j + 1) * step;
    const start = Math.floor(a);
    const end = Math.min(n, Math.ceil(b));
    const weights = [];
    for (let i = start; i < end; i++) {
      const overlap = Math.min(b, i + 1) - Math.max(a, i);
      weights.push(overlap > 0 ? overlap / step : 0);
    }
    result.push({ start, weights });
  }
  return result;
}
