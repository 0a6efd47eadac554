// Small helpers for grayscale images that come from Python as base64 uint8 bytes.

/** Decode base64 into bytes (atob is fine for the few kilobytes involved here). */
export function base64ToBytes(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Bytes to base64 without building one huge argument list. */
export function bytesToBase64(bytes) {
  let bin = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK));
  return btoa(bin);
}

/**
 * Grayscale ImageData from values.
 * @param {ArrayLike<number>} values  either 0..1 floats (scale=255) or 0..255 bytes (scale=1)
 */
export function grayImage(values, width, height, scale = 1, offset = 0) {
  const img = new ImageData(width, height);
  const d = img.data;
  for (let i = 0; i < width * height; i++) {
    const v = Math.max(0, Math.min(255, Math.round(values[offset + i] * scale)));
    d[i * 4] = d[i * 4 + 1] = d[i * 4 + 2] = v;
    d[i * 4 + 3] = 255;
  }
  return img;
}

/** Paint 28x28 (or any size) values into a canvas of exactly that size; CSS scales it up pixelated. */
export function paintGray(canvas, values, width, height, scale = 1, offset = 0) {
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  canvas.getContext('2d').putImageData(grayImage(values, width, height, scale, offset), 0, 0);
}
