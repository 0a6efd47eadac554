// A setup in the page's address: `?preset=conv&iterations=50&alpha=0.5&quirks=0...`, one query parameter
// per hyper-parameter, named as in the library (pynet/presets.py). Plain functions on the presets Python
// reports, so they run in Node as well (tests/test_links.py). A link is typed, pasted, shortened by
// hand: every value is checked as the form checks it, and a bad one is explained and replaced by the
// preset's default, so a link never leaves the page blank or the form unusable.

import { crossFieldErrors, validateParam } from './ui/validation.js';

// Parameters of the page itself, not of a network: kept as they are when the address is rewritten.
export const PAGE_PARAMS = ['matmul', 'threads'];

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/**
 * The setup a query string asks for.
 * @param {string} search  location.search
 * @param {Array<object>} presets  the "presets" list from Python
 * @returns {{preset: string|null, values: Record<string, string|boolean>, notes: string[]}}
 *   preset is null when the address names no setup; values hold only valid values (form text, or a
 *   boolean for a checkbox); notes say what was wrong and what was used instead.
 */
export function readLink(search, presets) {
  const query = new URLSearchParams(search);
  const names = [...new Set(query.keys())].filter((k) => !PAGE_PARAMS.includes(k));
  if (!names.length || !presets.length) return { preset: null, values: {}, notes: [] };
  const notes = [];
  const fallback = presets.find((p) => p.default) || presets[0];
  let preset = fallback;
  if (query.has('preset')) {
    const asked = query.get('preset');
    preset = presets.find((p) => p.name === asked);
    if (!preset) {
      preset = fallback;
      notes.push(`The link asks for a network "${asked}", which does not exist (there are ${presets.map((p) => p.name).join(', ')}): showing ${fallback.name}.`);
    }
  }
  const values = {};
  const parsed = {};
  for (const name of names) {
    if (name === 'preset') continue;
    const spec = preset.params[name];
    const raw = query.get(name);
    if (!spec) {
      notes.push(`${name}=${raw} is ignored: ${preset.name} has no such hyper-parameter.`);
      continue;
    }
    const { value, error } = readValue(spec, raw);
    if (error) {
      notes.push(`${name}=${raw} is not valid (${bare(error)}): using ${preset.name}'s default, ${formText(spec, spec.value)}.`);
      continue;
    }
    values[name] = formText(spec, value);
    parsed[name] = value;
  }
  // A rule between two fields (a batch larger than the training set): the link's value gives way.
  const all = Object.fromEntries(Object.entries(preset.params).map(([n, s]) => [n, n in parsed ? parsed[n] : s.value]));
  for (const [name, error] of Object.entries(crossFieldErrors(all))) {
    if (!(name in values)) continue;
    const spec = preset.params[name];
    notes.push(`${name}=${values[name]} is not valid (${bare(error)}): using ${preset.name}'s default, ${formText(spec, spec.value)}.`);
    delete values[name];
  }
  return { preset: preset.name, values, notes };
}

/**
 * The query string of a setup: the preset, then every hyper-parameter in the preset's order (a link
 * reproduces the setup even if a default changes later), then the page's own parameters from `search`.
 * @param {object} preset  one preset from Python
 * @param {Record<string, string|boolean>} raw  the form's values (text, or booleans for checkboxes)
 */
export function linkQuery(preset, raw, search = '') {
  const query = new URLSearchParams({ preset: preset.name });
  for (const [name, spec] of Object.entries(preset.params)) {
    const value = name in raw ? raw[name] : spec.value;
    query.set(name, spec.kind === 'bool' ? (value ? '1' : '0') : String(value).trim());
  }
  const current = new URLSearchParams(search);
  for (const name of PAGE_PARAMS) if (current.has(name)) query.set(name, current.get(name));
  return `?${query}`;
}

function readValue(spec, raw) {
  if (spec.kind !== 'bool') return validateParam(spec, raw);
  const text = String(raw).trim().toLowerCase();
  if (TRUE.has(text)) return { value: true, error: '' };
  if (FALSE.has(text)) return { value: false, error: '' };
  return { value: null, error: 'use 1 or 0' };
}

const bare = (message) => message.replace(/\.$/, '').replace(/^\w/, (c) => c.toLowerCase());

function formText(spec, value) {
  if (spec.kind === 'bool') return Boolean(value);
  return String(value);
}
