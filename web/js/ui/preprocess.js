// MNIST-style preprocessing of a drawing, in plain JS (no canvas needed, so it is cheap and testable).
//
// MNIST's digits are scans of handwriting, each scaled so that the longer side of its ink fits a 20x20
// box (aspect kept, anti-aliased), then placed in a 28x28 field with the ink's centre of mass on the
// field's pixel 14. A network trained on MNIST reads drawings prepared the same way.
//
// We start from the pen's path, not from the pad's pixels. The pad draws with one pen width, so a digit
// drawn small would shrink into bold strokes with its loops filled in, and one drawn large into
// hairlines; in MNIST the stroke is about a tenth of the box whatever the writer's size. So the path is
// scaled into the box and drawn anew with MNIST's typical stroke: a drawing's size and place on the pad,
// and the pad's pen, no longer change what the network sees.

export const SIZE = 28;
export const BOX = 20;
// Stroke width (pixels of the 28x28 field) and the width of its soft edge: what MNIST's training digits
// have (bench/ink_stats.py measures their median stroke width and share of full-black pixels).
export const PEN = 2.5;
export const EDGE = 1.4;
// MNIST's digits have their centre of mass on pixel 14 of the field, i.e. 14.5 pixels from its top-left
// corner (measured on the training digits), not on the field's geometric centre (14.0).
export const CENTRE = 14.5;
const CURVE_STEPS = 4;  // straight pieces per curve of the pad's smoothed stroke

/**
 * @param {Array<Array<{x: number, y: number}>>} strokes  the pen's samples, one list per pen-down stroke,
 *   in any unit that is the same on both axes (the pad gives fractions of its side)
 * @param {{pen?: number, edge?: number}} [options]
 * @returns {Float32Array|null} 784 values 0..1 (row-major 28x28, 1 = full ink), or null with no points
 */
export function toMnist(strokes, { pen = PEN, edge = EDGE } = {}) {
  const lines = strokes.filter((s) => s.length > 0).map(centreline);
  if (lines.length === 0) return null;
  const box = bounds(lines);
  // The path's longer side plus the stroke and its edge make the 20-pixel box (a dot is just the pen).
  const longer = Math.max(box.x1 - box.x0, box.y1 - box.y0);
  const scale = longer > 0 ? (BOX - pen - edge) / longer : 1;
  // First drawn with the box's middle on the field's middle, to find the centre of mass; then moved so
  // that it lands where MNIST's does. (Drawing again is exact where shifting pixels would round.)
  const place = { scale, dx: SIZE / 2 - scale * (box.x0 + box.x1) / 2, dy: SIZE / 2 - scale * (box.y0 + box.y1) / 2 };
  const first = rasterise(lines, place, pen, edge);
  const mass = centreOfMass(first);
  if (!mass) return first;
  return rasterise(lines, { scale, dx: place.dx + CENTRE - mass.x, dy: place.dy + CENTRE - mass.y }, pen, edge);
}

/**
 * The stroke the pad shows for these samples (web/js/ui/draw-pad.js): quadratic curves from midpoint to
 * midpoint with the samples as control points, a straight start and end; as a polyline.
 */
export function centreline(points) {
  const out = [points[0]];
  let from = points[0];
  for (let i = 1; i < points.length; i++) {
    const c = points[i - 1];
    const to = { x: (c.x + points[i].x) / 2, y: (c.y + points[i].y) / 2 };
    for (let k = 1; k <= CURVE_STEPS; k++) {
      const t = k / CURVE_STEPS, u = 1 - t;
      out.push({ x: u * u * from.x + 2 * u * t * c.x + t * t * to.x, y: u * u * from.y + 2 * u * t * c.y + t * t * to.y });
    }
    from = to;
  }
  if (points.length > 1) out.push(points[points.length - 1]);
  return out;
}

/** Smallest box {x0, y0, x1, y1} holding every point of the lines. */
export function bounds(lines) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const line of lines) {
    for (const p of line) {
      if (p.x < x0) x0 = p.x;
      if (p.x > x1) x1 = p.x;
      if (p.y < y0) y0 = p.y;
      if (p.y > y1) y1 = p.y;
    }
  }
  return { x0, y0, x1, y1 };
}

/**
 * The lines drawn with a round pen `pen` pixels wide into the 28x28 field, each point p placed at
 * p * scale + (dx, dy). A pixel's ink falls from 1 to 0 over `edge` pixels across the pen's border
 * (measured from the pixel's centre): the anti-aliasing MNIST's scaling left around its strokes.
 */
export function rasterise(lines, { scale, dx, dy }, pen = PEN, edge = EDGE) {
  const nearest = new Float32Array(SIZE * SIZE).fill(Infinity);  // distance to the path, per pixel
  const reach = pen / 2 + edge / 2;
  for (const line of lines) {
    const pts = line.map((p) => ({ x: p.x * scale + dx, y: p.y * scale + dy }));
    if (pts.length === 1) pts.push(pts[0]);
    for (let i = 1; i < pts.length; i++) nearSegment(nearest, pts[i - 1], pts[i], reach);
  }
  const out = new Float32Array(SIZE * SIZE);
  for (let i = 0; i < out.length; i++) {
    out[i] = Math.min(1, Math.max(0, (pen / 2 - nearest[i]) / edge + 0.5));
  }
  return out;
}

/** Lower `nearest` to each pixel centre's distance from segment a-b, for pixels within `reach` of it. */
function nearSegment(nearest, a, b, reach) {
  const vx = b.x - a.x, vy = b.y - a.y;
  const length2 = vx * vx + vy * vy;
  const xs = Math.max(0, Math.floor(Math.min(a.x, b.x) - reach)), xe = Math.min(SIZE - 1, Math.ceil(Math.max(a.x, b.x) + reach));
  const ys = Math.max(0, Math.floor(Math.min(a.y, b.y) - reach)), ye = Math.min(SIZE - 1, Math.ceil(Math.max(a.y, b.y) + reach));
  for (let y = ys; y <= ye; y++) {
    for (let x = xs; x <= xe; x++) {
      const px = x + 0.5 - a.x, py = y + 0.5 - a.y;
      const t = length2 > 0 ? Math.min(1, Math.max(0, (px * vx + py * vy) / length2)) : 0;
      const d = Math.hypot(px - t * vx, py - t * vy);
      if (d < nearest[y * SIZE + x]) nearest[y * SIZE + x] = d;
    }
  }
}

/** Centre of mass {x, y} of a 28x28 image, in pixels from its top-left corner (pixel i spans [i, i+1)), or null if it is blank. */
export function centreOfMass(image) {
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const v = image[y * SIZE + x];
      mass += v; mx += v * (x + 0.5); my += v * (y + 0.5);
    }
  }
  return mass > 0 ? { x: mx / mass, y: my / mass } : null;
}
