// The text alternative of a chart: what a screen reader says for it instead of the picture, kept to the
// latest values so that it stays short however long the run (the chart's host has role="img", and its
// aria-label is this sentence). Not announced as it changes: it is read when the reader reaches the chart.

/**
 * @param {string} title   what is drawn, e.g. "Loss"
 * @param {number[]} x     iterations completed, one per point
 * @param {{name: string, values: (number|null)[]}[]} series  e.g. train and test, aligned with x
 * @param {(v: number) => string} format
 */
export function describeChart(title, x, series, format) {
  const parts = series.map(({ name, values }) => {
    const i = lastIndex(values);
    return i < 0 ? null : `${name} ${format(values[i])} after ${x[i]} ${x[i] === 1 ? 'iteration' : 'iterations'}`;
  }).filter(Boolean);
  if (!parts.length) return `${title} by iteration: no values yet.`;
  return `${title} by iteration, latest values: ${parts.join('; ')}.`;
}

function lastIndex(values) {
  for (let i = values.length - 1; i >= 0; i--) {
    if (typeof values[i] === 'number' && Number.isFinite(values[i])) return i;
  }
  return -1;
}
