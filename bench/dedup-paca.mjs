// Deduplication measured against a published outcome: the PACA hub's 2023 files (792 places
// from five sources before deduplication, 646 kept after). A proposed pair is counted right
// when at least one of its two places was removed by the published deduplication (two kept
// places cannot be duplicates of each other); recall is the share of removed places that
// appear in a proposed pair. Usage: node bench/dedup-paca.mjs [path/to/maillage]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = process.argv[2] ?? 'target/release/maillage';
const shared = process.env.MAILLAGE_SHARED ?? '../shared';
const before = join(shared, 'data/dedup-paca/paca-792-before-dedup-v0.1.json');
const after = join(shared, 'data/dedup-paca/paca-646-after-dedup-v0.1.json');
const kept = new Set(JSON.parse(readFileSync(after, 'utf8')).map(r => r.id));
const all = JSON.parse(readFileSync(before, 'utf8')).map(r => r.id);
const removed = new Set(all.filter(id => !kept.has(id)));

const dir = mkdtempSync(join(tmpdir(), 'maillage-dedup-'));
const db = `sqlite://${join(dir, 'paca.sqlite')}`;
try {
  execFileSync(bin, ['--database', db, 'import', 'lieux', before, '--source', 'paca', '--skip-invalid'], { stdio: 'ignore' });
  console.log(`${all.length} lieux avant, ${kept.size} gardés par la déduplication publiée, ${removed.size} retirés.\n`);
  console.log('| mode | seuil | paires proposées | justes | précision | lieux retirés retrouvés | rappel | lieux après fusion | durée |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const internal of [false, true])
  for (const threshold of [60, 70, 80, 85, 90]) {
    const started = process.hrtime.bigint();
    const args = ['--database', db, 'dedup', 'lieux', '--json', '--threshold', String(threshold)];
    if (internal) args.push('--source-internal');
    const out = execFileSync(bin, args, { maxBuffer: 1 << 28 });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const pairs = JSON.parse(out);
    const right = pairs.filter(p => removed.has(p.a.source_id) || removed.has(p.b.source_id)).length;
    const found = new Set(pairs.flatMap(p => [p.a.source_id, p.b.source_id]).filter(id => removed.has(id)));
    // Places left if every proposed pair were merged (connected groups become one place).
    const parent = new Map();
    const root = x => { while (parent.get(x) !== x) { parent.set(x, parent.get(parent.get(x))); x = parent.get(x); } return x; };
    for (const id of all) parent.set(id, id);
    for (const p of pairs) parent.set(root(p.a.source_id), root(p.b.source_id));
    const groups = new Set(all.map(root)).size;
    const pct = (n, d) => d ? `${(100 * n / d).toFixed(1)} %` : '—';
    console.log(`| ${internal ? 'avec --source-internal' : 'entre sources'} | ${threshold} | ${pairs.length} | ${right} | ${pct(right, pairs.length)} | ${found.size} / ${removed.size} | ${pct(found.size, removed.size)} | ${groups} | ${Math.round(ms)} ms |`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
