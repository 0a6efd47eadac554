// Hyper-parameter validation, done in JS so that invalid values never reach Python.
// Each parameter spec comes from the "presets" reply: {value, min, max, kind: "int"|"float"|"bool", label}.

const INT_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * @param {{kind:string, min?:number, max?:number}} spec
 * @param {string|boolean} raw  the input's text (or checked state for bools)
 * @returns {{value: number|boolean|null, error: string}}  error is '' when valid
 */
export function validateParam(spec, raw) {
  if (spec.kind === 'bool') return { value: Boolean(raw), error: '' };
  const text = String(raw).trim();
  if (text === '') return { value: null, error: 'Required.' };
  let value;
  if (spec.kind === 'int') {
    if (!INT_RE.test(text)) {
      return { value: null, error: FLOAT_RE.test(text) ? 'Must be a whole number.' : 'Enter a whole number.' };
    }
    value = parseInt(text, 10);
  } else {
    if (!FLOAT_RE.test(text)) return { value: null, error: 'Enter a number (e.g. 0.005 or 5e-3).' };
    value = Number(text);
    if (!Number.isFinite(value)) return { value: null, error: 'Enter a finite number.' };
  }
  if (typeof spec.min === 'number' && value < spec.min) return { value: null, error: `Must be at least ${fmt(spec.min)}.` };
  if (typeof spec.max === 'number' && value > spec.max) return { value: null, error: `Must be at most ${fmt(spec.max)}.` };
  return { value, error: '' };
}

/**
 * Rules that involve two fields. Returns {name: message} for fields that break one.
 * @param {Record<string, number|boolean|null>} values  already individually valid values (null = invalid)
 */
export function crossFieldErrors(values) {
  const errors = {};
  const { batch_size: batch, train_size: train } = values;
  if (typeof batch === 'number' && typeof train === 'number' && batch > train) {
    errors.batch_size = `Must be at most the training set size (${train} images).`;
  }
  return errors;
}

/** Validate a whole form: {values, errors} where errors maps names to messages. */
export function validateAll(specs, raws) {
  const values = {};
  const errors = {};
  for (const [name, spec] of Object.entries(specs)) {
    const { value, error } = validateParam(spec, raws[name]);
    values[name] = value;
    if (error) errors[name] = error;
  }
  for (const [name, msg] of Object.entries(crossFieldErrors(values))) {
    if (!errors[name]) errors[name] = msg;
  }
  return { values, errors };
}

function fmt(n) {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(6)));
}
