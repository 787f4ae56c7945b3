// Parse + validation of a standard CSV with the reference TypeScript library of the standard
// (@gouvfr-anct/lieux-de-mediation-numerique), for the side-by-side import benchmark.
// Usage: node bench/reference-parse.mjs FILE.csv — prints one JSON line.
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { fromSchemaLieuDeMediationNumerique } from '@gouvfr-anct/lieux-de-mediation-numerique';

const file = process.argv[2];
const started = process.hrtime.bigint();
const rows = parse(readFileSync(file), { columns: true, bom: true, skip_empty_lines: true });
let valid = 0;
const errors = new Map();
for (const row of rows) {
  // The library takes the standard's records with numbers for coordinates and absent fields
  // left out, as its own CSV readers give them.
  const item = {};
  for (const [key, value] of Object.entries(row)) {
    if (value === '') continue;
    item[key] = key === 'latitude' || key === 'longitude' ? Number(value) : value;
  }
  try {
    fromSchemaLieuDeMediationNumerique(item);
    valid += 1;
  } catch (error) {
    const name = error?.constructor?.name ?? 'Error';
    errors.set(name, (errors.get(name) ?? 0) + 1);
  }
}
const ms = Number(process.hrtime.bigint() - started) / 1e6;
console.log(JSON.stringify({ rows: rows.length, valid, errors: Object.fromEntries(errors), ms: Math.round(ms) }));
