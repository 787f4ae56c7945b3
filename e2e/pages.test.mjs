// Browser tests: every page in Debian's Chromium, driven by playwright-core, checked with
// axe-core (zero violations, WCAG 2.1 A/AA rules), used by keyboard and at 320 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const BASE = process.env.MAILLAGE_E2E_URL ?? 'http://127.0.0.1:8090';
const PASSWORD = process.env.MAILLAGE_DEMO_PASSWORD ?? 'demo-password-2026';

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});
after(async () => { await browser?.close(); });

async function newPage(viewport = { width: 1280, height: 900 }) {
  // axe is injected by the test; the app's CSP forbids scripts, so the test context bypasses it.
  const context = await browser.newContext({ bypassCSP: true, viewport, locale: 'fr-FR' });
  return context.newPage();
}

async function checkA11y(page, label) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => globalThis.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  }));
  const summary = result.violations.map(v => `${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(' ')).join(', ')})`);
  assert.deepEqual(summary, [], `violations axe sur ${label}`);
}

// The header's menus (issue #10): public links in a row and the helpers' pages under « Espace
// aidant » on a large screen; one « Menu » on a phone.
async function clickNav(page, href) {
  if (await page.isVisible('header.site nav.wide')) {
    const link = `header.site nav.wide a[href="${href}"]`;
    if (!(await page.isVisible(link))) await page.click('header.site .pro-menu summary');
    await page.click(link);
  } else {
    await page.click('header.site .menu-small summary');
    await page.click(`header.site .menu-small a[href="${href}"]`);
  }
}

async function signIn(page, email) {
  await page.goto(`${BASE}/connexion`);
  await page.fill('#email', email);
  await page.fill('#password', PASSWORD);
  await page.press('#password', 'Enter');
  await page.waitForURL(`${BASE}/`);
}

test('recherche publique au clavier, fiche d\'un lieu', async () => {
  const page = await newPage();
  await page.goto(BASE);
  await checkA11y(page, 'la page de recherche');
  // Keyboard: the skip link comes first.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Aller au contenu');
  await page.fill('#q', 'mediatheque');
  await page.fill('#pres_de', 'Nancy');
  await page.press('#q', 'Enter');
  await page.waitForSelector('ol.results li');
  const heading = await page.textContent('#resultats');
  assert.match(heading, /lieux? trouvés?/);
  assert.match(heading, /Nancy/);
  assert.match(await page.textContent('ol.results li'), /à \d/);
  await checkA11y(page, 'les résultats');
  await page.click('ol.results li h3 a');
  await page.waitForSelector('article.place h1');
  assert.ok(await page.isVisible('table.hours'), 'tableau des horaires');
  assert.match(await page.textContent('body'), /Dernière mise à jour/);
  await checkA11y(page, 'la fiche d\'un lieu');
});

test('les mots de tous les jours trouvent des lieux, et la recherche dit quand elle élargit', async () => {
  const page = await newPage();
  await page.goto(BASE);
  await page.fill('#q', 'démarches CAF');
  await page.press('#q', 'Enter');
  await page.waitForSelector('ol.results li');
  assert.doesNotMatch(await page.textContent('#resultats'), /^0 lieu/);
  assert.match(await page.textContent('.widened'), /Aucun lieu ne contient tous ces mots/);
  assert.ok(await page.isVisible('.widened a[href^="/orienter"]'), 'lien vers Orienter');
  await checkA11y(page, 'des résultats élargis');
});

test('commune et intercommunalité, exports des résultats', async () => {
  const page = await newPage();
  await page.goto(BASE);
  // The professionals' filters are folded for the public.
  assert.equal(await page.isVisible('#commune'), false);
  await page.click('details.pro summary');
  await page.fill('#commune', 'nancy');
  await page.press('#commune', 'Enter');
  await page.waitForSelector('ol.results li');
  assert.match(await page.textContent('#commune-aide'), /Compris : Nancy \(54\)/);
  for (const li of await page.$$('ol.results li')) {
    assert.match(await li.textContent(), /Nancy/);
  }
  await page.fill('#commune', '');
  await page.fill('#epci', 'Vandoeuvre-les-Nancy');
  await page.press('#epci', 'Enter');
  await page.waitForSelector('#epci-aide');
  assert.match(await page.textContent('#epci-aide'), /intercommunalité de Vandœuvre-lès-Nancy/);
  await checkA11y(page, 'une recherche par intercommunalité');
  // Each export link gives a file of the asked format with the same filters.
  const links = await page.$$eval('.exports a', as => as.map(a => a.href));
  assert.ok(links.length >= 5, `liens d'export : ${links}`);
  for (const href of links) {
    const response = await page.request.get(href);
    assert.equal(response.status(), 200, href);
    const type = response.headers()['content-type'];
    assert.ok(type && !type.startsWith('text/html'), `${href} : ${type}`);
    assert.ok((await response.body()).length > 0, href);
  }
  const csv = await (await page.request.get(links.find(h => h.includes('format=csv&')))).text();
  const header = csv.split('\n')[0];
  assert.match(header, /^id,pivot,nom,/);
});

test('filtre invalide signalé, page introuvable', async () => {
  const page = await newPage();
  await page.goto(`${BASE}/?service=inconnu&rayon=abc`);
  assert.match(await page.textContent('.alert'), /valeur « inconnu » inconnue/);
  await checkA11y(page, 'une recherche aux filtres invalides');
  const response = await page.goto(`${BASE}/nulle-part`);
  assert.equal(response.status(), 404);
  await checkA11y(page, 'la page 404');
});

// Issue #10, on a phone: what people see is measured, not only screenshotted.
test('360 px : en-tête replié, résultats dans le premier écran, cibles de 24 px, rien ne déborde', async () => {
  const viewport = { width: 360, height: 740 };
  const page = await newPage(viewport);
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  const headerHeight = () => page.evaluate(() => document.querySelector('header.site').getBoundingClientRect().height);
  await page.goto(BASE);
  const anonymousHeader = await headerHeight();
  assert.ok(anonymousHeader <= viewport.height * 0.12, `en-tête ${anonymousHeader} px`);
  // The folded menu opens by keyboard and holds the public pages.
  await page.focus('header.site .menu-small summary');
  await page.keyboard.press('Enter');
  assert.ok(await page.isVisible('header.site .menu-small a[href="/orienter"]'));
  await checkA11y(page, 'le menu ouvert sur téléphone');
  // A search from the form: the page comes back on its results, the first one in the first
  // screen of the page.
  await page.goto(BASE);
  await page.fill('#q', 'médiathèque');
  await page.fill('#pres_de', 'Nancy');
  await page.press('#q', 'Enter');
  await page.waitForSelector('ol.results li');
  assert.match(page.url(), /#resultats$/);
  const heading = await page.evaluate(() => document.querySelector('#resultats').getBoundingClientRect().top);
  assert.ok(heading > -2 && heading < 120, `titre des résultats à ${heading} px du haut de l'écran`);
  const first = await page.evaluate(() => document.querySelector('ol.results li').getBoundingClientRect().top + window.scrollY);
  assert.ok(first <= viewport.height, `premier résultat à ${first} px du haut de la page`);
  // Cards give what a person needs to go: the distance, and the phone or the opening.
  const card = await page.textContent('ol.results li');
  assert.match(card, /à [\d,]+ (k?m)/);
  assert.equal(await overflow(), 0);
  // Every checkbox and radio of the form is a target of 24 px at least, once its box is open.
  for (const summary of await page.$$('form.search details summary')) await summary.click();
  const small = await page.$$eval('form.search input[type=checkbox], form.search input[type=radio]', inputs =>
    inputs.filter(i => i.offsetParent !== null).map(i => i.getBoundingClientRect())
      .filter(r => r.width < 24 || r.height < 24).length);
  assert.equal(small, 0, `${small} cases de moins de 24 px`);
  await checkA11y(page, 'la recherche sur téléphone, filtres ouverts');

  // A helper: the header stays one line, the helpers' pages grouped in the menu; the lists of
  // activities and orientations do not scroll sideways.
  const helper = await newPage(viewport);
  await signIn(helper, 'coordination@demo.maillage.example');
  const helperHeader = await helper.evaluate(() => document.querySelector('header.site').getBoundingClientRect().height);
  assert.ok(helperHeader <= viewport.height * 0.12, `en-tête d'un aidant ${helperHeader} px`);
  await helper.click('header.site .menu-small summary');
  const groups = await helper.$$eval('header.site .menu-small .group', ps => ps.map(p => p.textContent));
  assert.deepEqual(groups, ['Mon travail', "L'annuaire", 'Le réseau']);
  for (const path of ['/activites', '/orientations', '/orienter?demande=compte-caf&pres_de=Nancy', '/statistiques', '/doublons', '/impact', '/qualite']) {
    await helper.goto(BASE + path);
    const o = await helper.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(o <= 0, `${path} déborde de ${o} px`);
  }
  // Statistics: the key figures and an index of the sections first; tables drawn with their
  // own bars instead of charts shrunk to unreadable labels.
  await helper.goto(`${BASE}/statistiques`);
  const keyFigures = await helper.evaluate(() => document.querySelector('dl.figures').getBoundingClientRect().top + window.scrollY);
  assert.ok(keyFigures <= viewport.height / 2, `chiffres clés à ${keyFigures} px`);
  assert.ok(await helper.isVisible('nav.toc a[href^="#tableau-"]'));
  assert.equal(await helper.isVisible('svg.chart'), false);
  assert.ok(await helper.isVisible('table.data meter'));
  const tiny = await helper.evaluate(() => [...document.querySelectorAll('main *')]
    .filter(e => e.offsetParent !== null && e.childNodes.length && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
    .filter(e => parseFloat(getComputedStyle(e).fontSize) < 12).length);
  assert.equal(tiny, 0, `${tiny} textes de moins de 12 px`);
  await checkA11y(helper, 'les statistiques sur téléphone');
  // Orienter: the answer comes first, the form folded above it.
  await helper.goto(`${BASE}/orienter?demande=compte-caf&pres_de=Nancy&niveau=debutant#reponse`);
  const firstPlace = await helper.evaluate(() => {
    const li = document.querySelector('ol.results li.proposal');
    return li ? li.getBoundingClientRect().top + window.scrollY : null;
  });
  assert.ok(firstPlace !== null && firstPlace <= viewport.height * 1.5, `premier lieu proposé à ${firstPlace} px`);
  assert.equal(await helper.isVisible('#pres_de'), false, 'le formulaire est replié au-dessus de la réponse');
  await checkA11y(helper, 'la réponse d\'orientation sur téléphone');
});

test('réponses compressées, fichiers statiques versionnés et gardés longtemps', async () => {
  const page = await newPage();
  const response = await page.request.get(`${BASE}/?q=mediatheque`, { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(response.headers()['content-encoding'], 'gzip');
  await page.goto(BASE);
  const css = await page.getAttribute('link[rel=stylesheet]', 'href');
  assert.match(css, /^\/static\/[0-9a-f]{12}\/maillage\.css$/);
  const file = await page.request.get(BASE + css);
  assert.equal(file.status(), 200);
  assert.match(file.headers()['cache-control'], /max-age=31536000, immutable/);
});

test('320 px de large : pas de défilement horizontal', async () => {
  const page = await newPage({ width: 320, height: 640 });
  for (const path of ['/', '/?q=centre+social', '/connexion', '/ateliers', '/ressources', '/orienter', '/diagnostic', '/carte?pres_de=Nancy', '/livret']) {
    await page.goto(BASE + path);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${path} déborde de ${overflow} px`);
  }
  await page.goto(BASE + '/?q=centre+social');
  await page.click('ol.results li h3 a');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `la fiche déborde de ${overflow} px`);
});

test('coordinateur : connexion, ajout d\'un lieu avec erreurs en ligne, import vérifié', async () => {
  const page = await newPage();
  await page.goto(`${BASE}/connexion`);
  await checkA11y(page, 'la connexion');
  await page.fill('#email', 'coordination@demo.maillage.example');
  await page.fill('#password', 'mauvais mot de passe');
  await page.press('#password', 'Enter');
  assert.match(await page.textContent('.alert'), /incorrect/);
  await signIn(page, 'coordination@demo.maillage.example');

  await page.goto(`${BASE}/lieux/nouveau`);
  await checkA11y(page, 'le formulaire de lieu');
  await page.fill('#nom', 'Point numérique de test');
  await page.fill('#telephone', '12');
  await page.click('button.primary');
  await page.waitForSelector('#erreurs');
  assert.match(await page.textContent('#erreurs'), /Adresse/);
  assert.equal(await page.getAttribute('#telephone', 'aria-invalid'), 'true');
  await checkA11y(page, 'le formulaire en erreur');
  await page.fill('#adresse', '1 place Stanislas');
  await page.fill('#code_postal', '54000');
  await page.fill('#commune', 'nancy');
  await page.fill('#telephone', '03 83 00 00 00');
  await page.fill('#horaires', 'Mo-Fr 09:00-12:00');
  await page.check('#service-demarches');
  await page.click('button.primary');
  await page.waitForSelector('article.place h1');
  assert.equal(await page.textContent('article.place h1'), 'Point numérique de test');
  assert.match(await page.textContent('body'), /03 83 00 00 00/);

  await page.goto(`${BASE}/import`);
  await checkA11y(page, 'la page d\'import');
  await page.setInputFiles('#fichier', {
    name: 'lieux.csv', mimeType: 'text/csv',
    buffer: Buffer.from('id,nom,commune,code_postal,adresse,date_maj,telephone\nx1,Lieu A,Nancy,54000,2 rue A,2026-01-01,12\n'),
  });
  await page.click('button[value=verifier]');
  await page.waitForSelector('.report');
  assert.match(await page.textContent('.report'), /ligne 2/);
  assert.match(await page.textContent('.report'), /telephone/);
  await checkA11y(page, 'le rapport d\'import');
});

test('administration réservée à l\'administrateur', async () => {
  const page = await newPage();
  const refused = await page.goto(`${BASE}/admin`);
  assert.equal(refused.status(), 401);
  await signIn(page, 'admin@demo.maillage.example');
  await page.goto(`${BASE}/admin`);
  assert.match(await page.textContent('h1'), /Administration/);
  await checkA11y(page, 'l\'administration');
});

test('coordinateur : revue des doublons, fusion, annulation, « pas un doublon »', async () => {
  const page = await newPage();
  const refused = await page.goto(`${BASE}/doublons`);
  assert.equal(refused.status(), 401);
  await signIn(page, 'coordination@demo.maillage.example');
  await clickNav(page, '/doublons');
  await page.waitForSelector('article.pair');
  const before = (await page.$$('article.pair')).length;
  assert.ok(before >= 2, `paires proposées : ${before}`);
  assert.match(await page.textContent('article.pair h3'), /Score \d+/);
  await checkA11y(page, 'la revue des doublons');

  // Merge the first pair, keeping B, by keyboard.
  const first = await page.textContent('article.pair h3');
  await page.focus('article.pair input[value]:not([type=hidden]) >> nth=1');
  await page.keyboard.press('Space');
  await page.focus('article.pair button.primary');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.ok');
  assert.match(await page.textContent('.ok'), /Fusion faite/);
  assert.equal((await page.$$('article.pair')).length, before - 1);
  assert.match(await page.textContent('#historique + ul'), /\+/);
  await checkA11y(page, 'la revue après une fusion');

  // Undo it: the pair comes back.
  await page.click('form[action="/doublons/annuler"] button');
  await page.waitForSelector('.ok');
  assert.match(await page.textContent('.ok'), /Fusion annulée/);
  assert.equal((await page.$$('article.pair')).length, before);
  assert.equal(await page.textContent('article.pair h3'), first);

  // "Not the same places": remembered, not proposed again.
  await page.click('article.pair form[action="/doublons/pas-doublon"] button');
  await page.waitForSelector('.ok');
  assert.equal((await page.$$('article.pair')).length, before - 1);
  await page.reload();
  assert.equal((await page.$$('article.pair')).length, before - 1);
  // Within one source too, when asked.
  await page.click('a[href="/doublons?meme_source=1"]');
  await page.waitForSelector('main a[href="/doublons"]');
  assert.ok((await page.$$('article.pair')).length >= before - 1);
});

test('coordinateur : qualité de l\'annuaire ; fraîcheur sur chaque fiche', async () => {
  const page = await newPage();
  await page.goto(BASE);
  await page.click('ol.results li h3 a');
  await page.waitForSelector('article.place h1');
  assert.match(await page.textContent('body'), /Fiche complète à \d+ %/);
  assert.match(await page.textContent('body'), /\((à jour|à revoir bientôt|ancienne : à vérifier)\)/);
  const refused = await page.goto(`${BASE}/qualite`);
  assert.equal(refused.status(), 401);
  await signIn(page, 'coordination@demo.maillage.example');
  await clickNav(page, '/qualite');
  await page.waitForSelector('dl.figures');
  const places = Number(await page.textContent('dl.figures div:first-child dd'));
  assert.ok(places >= 150, `lieux du territoire : ${places}`);
  await checkA11y(page, 'la qualité de l\'annuaire');
  // A page to check is confirmed "nothing changed" from its page: it becomes fresh.
  const edit = await page.getAttribute('table a[href$="/modifier"]', 'href');
  assert.ok(edit, 'une fiche à vérifier au moins');
  await page.goto(`${BASE}${edit.replace(/\/modifier$/, '')}`);
  await page.click('form[action$="/confirmer"] button');
  await page.waitForSelector('article.place h1');
  const now = new Date();
  const month = now.toLocaleDateString('fr-FR', { month: 'long' });
  const today = `${now.getDate()}(er)? ${month} ${now.getFullYear()}`;
  assert.match(await page.textContent('body'), new RegExp(`mise à jour des informations : ${today} \\(à jour\\)`));
});

test('signaler une erreur sans compte ; la structure ou le coordinateur la traite', async () => {
  const page = await newPage();
  await page.goto(BASE);
  await page.click('ol.results li h3 a');
  await page.waitForSelector('article.place h1');
  const name = (await page.textContent('article.place h1')).trim();
  await page.click('a[href$="/signaler"]');
  await page.waitForSelector('form');
  await checkA11y(page, 'le formulaire de signalement');
  // Invalid: "other" without words, and a broken address.
  await page.check('#categorie-autre');
  await page.fill('#courriel', 'pas-une-adresse');
  await page.click('button.primary');
  await page.waitForSelector('.alert');
  assert.match(await page.textContent('#message-erreur'), /quelques mots/);
  assert.ok(await page.textContent('#courriel-erreur'));
  await checkA11y(page, 'le signalement refusé');
  await page.check('#categorie-horaires');
  await page.fill('#message', 'Fermé le mercredi après-midi depuis septembre');
  await page.fill('#courriel', '');
  await page.click('button.primary');
  await page.waitForSelector('.ok');
  assert.match(await page.textContent('.ok'), /Merci/);

  await signIn(page, 'coordination@demo.maillage.example');
  await clickNav(page, '/signalements');
  await page.waitForSelector('article.pair');
  assert.match(await page.textContent('main'), new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  assert.match(await page.textContent('main'), /Fermé le mercredi/);
  await checkA11y(page, 'les signalements à traiter');
  const before = (await page.$$('article.pair')).length;
  await page.fill('article.pair textarea', 'Horaires corrigés sur la fiche');
  await page.click('article.pair button');
  await page.waitForSelector('.ok');
  assert.equal((await page.$$('article.pair')).length, before - 1);
});

test('fiche à imprimer d\'un lieu, avec son code QR', async () => {
  const page = await newPage();
  await page.goto(BASE);
  await page.click('ol.results li h3 a');
  await page.waitForSelector('article.place h1');
  const name = (await page.textContent('article.place h1')).trim();
  await page.click('a[href$="/fiche-a-imprimer"]');
  await page.waitForSelector('article.slip');
  assert.equal((await page.textContent('article.slip h1')).trim(), name);
  assert.ok(await page.$('article.slip figure.qr svg'), 'code QR');
  assert.match(await page.textContent('figcaption'), /\/lieux\//);
  await checkA11y(page, 'la fiche à imprimer');
  // Printed: one page, without the site's navigation.
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.isVisible('header.site nav'), false);
  const pdf = await page.pdf({ format: 'A4' });
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
  assert.equal(pages, 1, `pages imprimées : ${pages}`);
});

test('carte des résultats : mêmes filtres, liste à côté, clavier', async () => {
  const page = await newPage();
  await page.goto(`${BASE}/?departement=54`);
  await page.click('a[href^="/carte"]');
  await page.waitForSelector('#carte.ready.leaflet-container');
  assert.equal(await page.getAttribute('.leaflet-control-zoom-in', 'title'), 'Rapprocher la carte');
  await page.waitForSelector('.leaflet-marker-icon, .marker-cluster');
  const listed = (await page.$$('.map-list li')).length;
  assert.ok(listed >= 150, `lieux listés : ${listed}`);
  await checkA11y(page, 'la carte');
  // Keyboard: the map takes focus and zooms with "+".
  await page.focus('#carte');
  // The zoom level shows in the scale of Leaflet's proxy element.
  const before = await page.evaluate(() => document.querySelector('.leaflet-proxy').style.transform);
  await page.keyboard.press('Equal');
  await page.waitForFunction((t) => document.querySelector('.leaflet-proxy').style.transform !== t, before);
  assert.ok(await page.evaluate(() => document.activeElement.id === 'carte'));
  // Without its scripts the page still lists the places.
  const bare = await browser.newContext({ javaScriptEnabled: false });
  const plain = await bare.newPage();
  await plain.goto(`${BASE}/carte?departement=54`);
  assert.match(await plain.textContent('#carte'), /liste donne les mêmes lieux/);
  assert.ok((await plain.$$('.map-list li')).length >= 150);
  await bare.close();
});

test('campagne de mise à jour : le coordinateur la lance, le référent répond sans compte', async () => {
  const page = await newPage();
  await signIn(page, 'coordination@demo.maillage.example');
  await clickNav(page, '/campagnes');
  await page.waitForSelector('h1');
  await checkA11y(page, 'les campagnes');
  await page.fill('#titre', 'Vérification annuelle');
  await page.check('#fiches-anciennes');
  await page.click('form[action="/campagnes"] button');
  await page.waitForURL(/\/campagnes\/[0-9a-f]+$/);
  const dashboard = page.url();
  const figure = async (label) => Number((await page.textContent(`dl.figures div:has(dt:text-is("${label}")) dd`)).split(' ')[0]);
  const total = await figure('Fiches');
  assert.ok(total > 0, 'des fiches anciennes dans la démo');
  assert.equal(await figure('Réponses'), 0);
  await checkA11y(page, 'le tableau de bord d\'une campagne');

  // The referent's e-mail, received by the local SMTP sink.
  const mails = readFileSync(process.env.MAILLAGE_E2E_MAILBOX, 'utf8').trim().split('\n').map(l => JSON.parse(l));
  const mail = mails.reverse().find(m => /\/mise-a-jour\/[0-9a-f]{64}/.test(m.data));
  assert.ok(mail, 'un courriel avec un lien personnel');
  const link = mail.data.match(/http:\/\/[^\s]+\/mise-a-jour\/[0-9a-f]{64}/)[0];

  // Without an account: the page, the correction form, then "nothing changed".
  const referent = await newPage({ width: 360, height: 740 });
  await referent.goto(link);
  assert.match(await referent.textContent('h1'), /votre fiche est-elle à jour/);
  await checkA11y(referent, 'la page du lien personnel');
  await referent.click('a[href$="/corriger"]');
  await referent.waitForSelector('form.place-form');
  assert.equal(await referent.$('form[action$="/supprimer"]'), null, 'pas de suppression par lien');
  await checkA11y(referent, 'la correction par lien');
  await referent.goBack();
  await referent.click('form[action$="/confirmer"] button');
  await referent.waitForSelector('h1');
  assert.match(await referent.textContent('h1'), /Merci/);
  // The link served once.
  const again = await referent.goto(link);
  assert.equal(again.status(), 410);
  assert.match(await referent.textContent('body'), /déjà été vérifiée/);

  await page.goto(dashboard);
  assert.equal(await figure('Réponses'), 1);
  assert.equal(await figure('Confirmées sans changement'), 1);
});

test('livret imprimable d\'une zone, sans compte : avancement puis PDF', async () => {
  const page = await newPage();
  await page.goto(BASE);
  await clickNav(page, '/livret');
  await page.waitForSelector('#zone');
  await checkA11y(page, 'la page du livret');
  // An unknown zone: a message that names it, the form kept.
  await page.fill('#zone', 'Atlantide');
  await page.click('form[action="/livret"] button');
  await page.waitForSelector('#erreur-livret');
  assert.match(await page.textContent('#erreur-livret'), /« Atlantide »/);
  assert.equal(await page.inputValue('#zone'), 'Atlantide');
  await checkA11y(page, 'l\'erreur de zone');
  // By names, as helpers type them.
  await page.fill('#zone', 'Métropole du Grand Nancy, Toul');
  await page.fill('#titre', 'Se faire aider près de chez soi');
  await page.click('form[action="/livret"] button');
  await page.waitForURL(/\/taches\/[0-9a-f]+$/);
  // The job page answers once the booklet is ready, or shows its progress: look again.
  for (let i = 0; i < 30 && !(await page.$('a[href$="/fichier"]')); i++) {
    assert.ok(await page.$('progress, [role=status]'), 'avancement affiché');
    await checkA11y(page, 'l\'avancement');
    await page.click('a[href^="/taches/"]');
  }
  assert.match(await page.textContent('[role=status]'), /\d+ lieu\(x\) sur \d+ pages/);
  await checkA11y(page, 'le livret prêt');
  const href = await page.getAttribute('a[href$="/fichier"]', 'href');
  const response = await page.request.get(`${BASE}${href}`);
  assert.equal(response.status(), 200);
  assert.equal(response.headers()['content-type'], 'application/pdf');
  const pdf = await response.body();
  assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
});

test('diagnostic seul, au clavier sur 360 px : arrêt, reprise avec le code, résultat sur une page', async () => {
  const page = await newPage({ width: 360, height: 740 });
  await page.goto(BASE);
  await clickNav(page, '/diagnostic');
  await page.waitForSelector('h1');
  await checkA11y(page, 'l\'accueil du diagnostic');
  // Keyboard only: focus the short test's button and press Enter.
  await page.focus('form[action="/diagnostic/commencer"] button.primary');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/diagnostic\/seul\/[A-Z0-9-]+\/1$/);
  await checkA11y(page, 'une question');
  assert.match(await page.textContent('.step'), /Question 1 sur 8/);
  // A question answered by keyboard: Tab to the first choice, Space, then "Suivant".
  const answer = async (choice) => {
    await page.focus(`#choix-${choice}`);
    await page.keyboard.press('Space');
    await page.focus('button[value=suivant]');
    await page.keyboard.press('Enter');
    await page.waitForLoadState('domcontentloaded');
  };
  await answer('smartphone');
  await answer('un_peu');
  // Stop: the code to resume.
  await page.click('button[value=arreter]');
  await page.waitForSelector('p.code');
  const code = (await page.textContent('p.code')).trim();
  assert.match(code, /^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  await checkA11y(page, 'la page d\'arrêt');
  // Resume elsewhere with the code typed loosely.
  const other = await newPage({ width: 360, height: 740 });
  await other.goto(`${BASE}/diagnostic`);
  await other.fill('#code', code.toLowerCase().replace('-', ' '));
  await other.click('form[action="/diagnostic/reprendre"] button');
  await other.waitForURL(/\/3$/);
  assert.match(await other.textContent('.step'), /Question 3 sur 8/);
  const answerOn = async (p, choice) => {
    await p.check(`#choix-${choice}`);
    await p.click('button[value=suivant]');
    await p.waitForLoadState('domcontentloaded');
  };
  await answerOn(other, 'souvent');
  await answerOn(other, 'envoie');
  await other.click('button[value=passer]');
  await other.waitForLoadState('domcontentloaded');
  await answerOn(other, 'facile');
  await answerOn(other, 'oui');
  await answerOn(other, 'plutot');
  await other.waitForURL(/\/resultat$/);
  assert.match(await other.textContent('.level-box h2'), /Niveau \d sur 5/);
  // The person goes straight to places that fit, in plain words, with a date in French.
  assert.ok(await other.$('form.find-help input[type=hidden][name=service]'), 'une recherche des lieux qui conviennent');
  assert.match(await other.textContent('.level-box'), /Vous /);
  await other.fill('form.find-help #pres_de', 'Nancy');
  await Promise.all([other.waitForNavigation(), other.click('form.find-help button')]);
  assert.match(other.url(), /service=.*pres_de=Nancy#resultats$/);
  assert.match(await other.textContent('#resultats'), /[1-9]\d* lieux? trouvés?/, `${other.url()}`);
  await other.goBack();
  assert.match(await other.textContent('.result .hint'), /\d{1,2}(er)? [a-zéû]+ 20\d\d/);
  assert.doesNotMatch(await other.textContent('.result'), /\bv1\b|FLE|\d{4}-\d{2}-\d{2}/);
  await checkA11y(other, 'le résultat');
  await other.emulateMedia({ media: 'print' });
  const pdf = await other.pdf({ format: 'A4' });
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
  assert.equal(pages, 1, 'le résultat imprimé tient sur une page');
});

test('diagnostic accompagné complet, puis nouveau passage : la progression', async () => {
  const page = await newPage();
  await signIn(page, 'aidant@demo.maillage.example');
  await page.goto(`${BASE}/diagnostics`);
  await checkA11y(page, 'les diagnostics de la structure');
  await page.click('a[href="/diagnostics/nouveau"]');
  await page.waitForSelector('form.diagnostic-form');
  await checkA11y(page, 'le questionnaire complet');
  // A new followed person without consent: refused, the form kept.
  await page.click('main details summary');
  await page.fill('#pseudonyme', 'Karim');
  await page.check('#q-acces_smartphone-proprietaire');
  await page.check('#q-maitrise_smartphone-non');
  await page.check('#q-aisance-peu');
  await page.click('form.diagnostic-form button[type=submit]');
  await page.waitForSelector('#erreur-diagnostic');
  assert.match(await page.textContent('#erreur-diagnostic'), /accord/);
  assert.ok(await page.isChecked('#q-maitrise_smartphone-non'), 'réponses gardées');
  await page.check('#accord');
  await page.check('#obs-1');
  await page.click('form.diagnostic-form button[type=submit]');
  await page.waitForURL(/\/diagnostics\/[0-9a-f]+$/);
  assert.match(await page.textContent('.level-box h2'), /Débutant/);
  assert.match(await page.textContent('body'), /A su allumer l'appareil/);
  await checkA11y(page, 'le résultat accompagné');
  // The re-test a month later.
  await page.click('a[href*="precedent="]');
  await page.waitForSelector('form.diagnostic-form');
  for (const id of ['q-acces_smartphone-proprietaire', 'q-maitrise_smartphone-bon', 'q-courriel-oui', 'q-courriel_frequence-semaine',
    'q-recherche-le_fais', 'q-messagerie-oui', 'q-aisance-plutot']) {
    await page.check(`#${id}`);
  }
  await page.click('form.diagnostic-form button[type=submit]');
  await page.waitForURL(/\/diagnostics\/[0-9a-f]+$/);
  assert.match(await page.textContent('#progres'), /progrès/);
  await page.emulateMedia({ media: 'print' });
  const printed = await page.pdf({ format: 'A4' });
  assert.equal((printed.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length, 1, 'une page à remettre');
  await page.emulateMedia({ media: 'screen' });
  const row = await page.textContent('table tbody tr:first-child');
  assert.match(row, /Débutant/);
  assert.match(row, /en progrès/);
  await checkA11y(page, 'la comparaison');
  // The person's page: timeline, export, erasure.
  await page.click('a[href^="/personnes/"]');
  await page.waitForSelector('h1');
  assert.match(await page.textContent('h1'), /Karim/);
  assert.equal(await page.locator('table').first().locator('tbody tr').count(), 2);
  await checkA11y(page, 'le suivi de la personne');
  const exported = await page.request.get(`${BASE}${await page.getAttribute('a[href$="/export"]', 'href')}`);
  const data = await exported.json();
  assert.equal(data.diagnostics.length, 2);
  await page.click('form[action$="/effacer"] button');
  await page.waitForSelector('[role=status]');
  assert.match(await page.textContent('[role=status]'), /effacés/);
});

test('ateliers : un atelier pour un Débutant près d\'une commune, inscription, liste d\'attente, annulation, agenda, programme', async () => {
  const page = await newPage();
  await page.goto(BASE);
  await clickNav(page, '/ateliers');
  await page.waitForSelector('#resultats');
  await checkA11y(page, 'le calendrier des ateliers');
  await page.selectOption('#niveau', 'debutant');
  await page.fill('#pres_de', 'Nancy');
  await page.fill('#rayon', '60');
  await page.click('form.filters button[type=submit]');
  await page.waitForSelector('#resultats');
  assert.match(await page.textContent('.hint'), /Compris/);
  const titles = await page.$$eval('ol.results h3', hs => hs.map(h => h.textContent));
  assert.ok(titles.some(t => /Premiers pas sur smartphone/.test(t)), titles.join(' | '));
  assert.ok(!titles.some(t => /arnaques/.test(t)), 'pas un atelier Avancé pour un Débutant');
  await checkA11y(page, 'les ateliers filtrés');

  // The small group (2 seats): two people, then a third on the waiting list, with an e-mail.
  await page.goto(`${BASE}/ateliers`);
  await page.click('text=Atelier smartphone en petit groupe');
  await page.waitForSelector('.level-box');
  assert.match(await page.textContent('.level-box'), /Pas besoin/);
  await checkA11y(page, 'la page d\'un atelier');
  const register = async (name, contact = '') => {
    await page.fill('#prenom', name);
    await page.fill('#contact', contact);
    await page.click('form[action^="/ateliers/"] button[type=submit]');
    await page.waitForSelector('#inscription-faite');
    return page.textContent('#inscription-faite');
  };
  const first = await register('Ana');
  assert.match(first, /Inscription confirmée/);
  const cancelLink = await page.getAttribute('#inscription-faite a', 'href');
  assert.match(cancelLink, /\/ateliers\/annulation\//);
  await register('Bruno');
  const third = await register('Chloé', 'chloe@exemple.fr');
  assert.match(third, /liste d'attente/);
  await checkA11y(page, 'l\'inscription en liste d\'attente');
  // Ana cancels with her link: Chloé is told by e-mail.
  await page.goto(`${BASE}${cancelLink}`);
  await checkA11y(page, 'l\'annulation');
  await page.click('form[action^="/ateliers/annulation/"] button');
  await page.waitForSelector('[role=status]');
  const mails = readFileSync(process.env.MAILLAGE_E2E_MAILBOX, 'utf8').trim().split('\n').map(l => JSON.parse(l));
  assert.ok(mails.some(m => m.to.includes('chloe@exemple.fr') && /place s'est lib/.test(m.data)), 'courriel de place libérée');

  // The organiser (the demo helper's structure runs « Premiers pas sur smartphone »).
  const organiser = await newPage();
  await signIn(organiser, 'aidant@demo.maillage.example');
  await organiser.goto(`${BASE}/ateliers`);
  await organiser.click('text=Premiers pas sur smartphone');
  await organiser.fill('#prenom', 'Karim');
  await organiser.click('form[action^="/ateliers/"] button[type=submit]');
  await organiser.waitForSelector('#inscription-faite');
  await organiser.click('a[href$="/inscrits"]');
  await organiser.waitForSelector('table.sheet');
  assert.match(await organiser.textContent('table.sheet'), /Karim/);
  await checkA11y(organiser, 'la liste des inscrits');
  await organiser.check('table.sheet input[name=present]');
  await organiser.click('form button.primary');
  await organiser.waitForSelector('[role=status]');

  // Feeds and the monthly programme.
  const ics = await page.request.get(`${BASE}/ateliers.ics`);
  assert.equal(ics.status(), 200);
  assert.match(await ics.text(), /BEGIN:VCALENDAR[\s\S]*BEGIN:VEVENT/);
  await page.goto(`${BASE}/ateliers/programme`);
  assert.match(await page.textContent('h1'), /Ateliers numériques/);
  await checkA11y(page, 'le programme du mois');
  await page.emulateMedia({ media: 'print' });
  const pdf = await page.pdf({ format: 'A4' });
  assert.ok(pdf.length > 1000);
});

test('ressourcerie : chercher par thème et niveau au clavier, proposer avec un fichier, publier', async () => {
  const page = await newPage({ width: 360, height: 740 });
  await page.goto(`${BASE}/ressources`);
  await checkA11y(page, 'la ressourcerie');
  assert.match(await page.textContent('#resultats'), /\d{2} ressources/);
  // By keyboard: the themes open, Parenting ticked, the level chosen, submitted with Enter.
  await page.focus('main details summary');
  await page.keyboard.press('Enter');
  await page.focus('#th-parentalite');
  await page.keyboard.press('Space');
  await page.selectOption('#niveau', 'debutant');
  await page.focus('#q');
  await page.keyboard.press('Enter');
  await page.waitForURL(/thematique=parentalite/);
  const results = await page.textContent('ol.results');
  assert.match(results, /Faminum/);
  assert.doesNotMatch(results, /Tinkercad/);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `la ressourcerie déborde de ${overflow} px`);
  await checkA11y(page, 'une recherche dans la ressourcerie');
  await page.click('text=Faminum : une charte du numérique en famille');
  await page.waitForSelector('article.resource h1');
  assert.match(await page.textContent('article.resource'), /faminum\.com/);
  await checkA11y(page, 'la page d\'une ressource');
  // Words, as in the directory: stemmed and typo tolerant.
  await page.goto(`${BASE}/ressources?q=mot+de+passe`);
  assert.match(await page.textContent('ol.results'), /mots de passe/);
  await page.goto(`${BASE}/ressources?q=clavié`);
  assert.match(await page.textContent('ol.results'), /clavier/);

  // A member proposes an outline with a PDF; errors first, named in French.
  const member = await newPage();
  await signIn(member, 'aidant@demo.maillage.example');
  await member.goto(`${BASE}/ressources/nouvelle`);
  await checkA11y(member, 'le formulaire de proposition');
  await member.click('form.place-form button[type=submit]');
  await member.waitForSelector('#erreurs');
  assert.match(await member.textContent('#erreurs'), /donnez un lien, écrivez le déroulé ou joignez un fichier/);
  await checkA11y(member, 'le formulaire avec ses erreurs');
  await member.fill('#titre', 'Atelier arnaques au téléphone');
  await member.fill('#resume', 'Reconnaître un faux SMS de livraison ou de la banque, en jouant.');
  await member.selectOption('#type', 'deroule');
  await member.fill('#deroule', 'Montrer trois SMS.\n\nDeviner lesquels sont faux.');
  await member.check('#th-securite');
  await member.check('#nv-debutant');
  await member.fill('#auteur', 'Dominique Aidante');
  await member.setInputFiles('#fichier', {
    name: 'sms-pieges.pdf', mimeType: 'application/pdf',
    buffer: Buffer.from('%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n'),
  });
  await member.click('form.place-form button[type=submit]');
  await member.waitForURL(/etat=proposees/);
  assert.match(await member.textContent('[role=status]'), /attend la relecture/);
  assert.match(await member.textContent('ol.results'), /Atelier arnaques au téléphone/);
  // Not public yet.
  await page.goto(`${BASE}/ressources?q=arnaques+telephone`);
  assert.match(await page.textContent('#resultats'), /^0 ressource/);

  // The coordinator publishes it; then everyone finds it, with its file.
  const coord = await newPage();
  await signIn(coord, 'coordination@demo.maillage.example');
  await coord.goto(`${BASE}/ressources?etat=proposees`);
  await checkA11y(coord, 'la file des propositions');
  await coord.click('text=Atelier arnaques au téléphone');
  await coord.click('form[action$="/publier"] button');
  await coord.waitForURL(/fait=publiee/);
  await page.goto(`${BASE}/ressources?q=arnaques+telephone`);
  await page.click('ol.results li h3 a');
  const file = await page.request.get(page.url() + '/fichier');
  assert.equal(file.status(), 200);
  assert.equal(file.headers()['content-type'], 'application/pdf');
  assert.match(file.headers()['content-disposition'], /sms-pieges\.pdf/);
});

test('veille : abonnement par plateforme, nouvelle du coordinateur, résumé reçu par courriel', async () => {
  const helper = await newPage();
  await signIn(helper, 'aidant@demo.maillage.example');
  await helper.goto(`${BASE}/veille/abonnement`);
  await checkA11y(helper, 'l\'abonnement à la veille');
  // Follows the CAF only, by keyboard.
  for (const box of await helper.$$('input[name=plateforme]:checked')) await box.uncheck();
  await helper.focus('#pf-caf');
  await helper.keyboard.press('Space');
  await helper.click('button[value=abonner]');
  await helper.waitForSelector('[role=status]');
  assert.ok(await helper.isChecked('#pf-caf'));
  assert.ok(!(await helper.isChecked('#pf-impots')));

  const coord = await newPage();
  await signIn(coord, 'coordination@demo.maillage.example');
  await coord.goto(`${BASE}/veille/nouvelle`);
  await checkA11y(coord, 'le formulaire de la veille');
  await coord.fill('#titre', 'CAF : nouveau justificatif de domicile en ligne');
  await coord.check('#pf-caf');
  await coord.fill('#ce_qui_change', 'Le justificatif se dépose maintenant depuis l\'espace Mon Compte.');
  await coord.fill('#pour_qui', 'Les allocataires qui déménagent');
  await coord.fill('#quoi_dire', 'Photographier le justificatif avec le téléphone suffit.');
  await coord.fill('#demarches', 'Changement d\'adresse');
  await coord.click('form.place-form button[type=submit]');
  await coord.waitForURL(/fait=publiee/);
  await coord.goto(`${BASE}/veille/nouvelle`);
  await coord.fill('#titre', 'ANTS : rien à voir pour la CAF');
  await coord.check('#pf-ants');
  await coord.fill('#ce_qui_change', 'Un changement qui ne concerne que l\'ANTS.');
  await coord.fill('#pour_qui', 'Les conducteurs');
  await coord.fill('#quoi_dire', 'Rien de particulier à dire.');
  await coord.click('form.place-form button[type=submit]');
  await coord.waitForURL(/fait=publiee/);
  await checkA11y(coord, 'la veille');
  await coord.click('text=Envoyer le résumé aux abonnés maintenant');
  await coord.waitForURL(/fait=resumes-/);

  const mails = readFileSync(process.env.MAILLAGE_E2E_MAILBOX, 'utf8').trim().split('\n').map(l => JSON.parse(l));
  const digest = mails.reverse().find(m => m.to.includes('aidant@demo.maillage.example') && /Veille de la semaine/.test(m.data));
  assert.ok(digest, 'un résumé pour l\'aidante');
  assert.match(digest.data, /CAF : nouveau justificatif de domicile en ligne/);
  assert.match(digest.data, /Photographier le justificatif/);
  assert.doesNotMatch(digest.data, /ANTS : rien à voir/);

  // Anyone reads the watch, filtered by platform or procedure.
  const page = await newPage();
  await page.goto(`${BASE}/veille?plateforme=caf`);
  assert.match(await page.textContent('ol.results'), /nouveau justificatif/);
  assert.doesNotMatch(await page.textContent('ol.results'), /ANTS/);
  await page.goto(`${BASE}/veille?demarche=adresse`);
  assert.match(await page.textContent('ol.results'), /nouveau justificatif/);
  await page.click('text=CAF : nouveau justificatif de domicile en ligne');
  await checkA11y(page, 'une nouvelle de la veille');
});

test('orienter : demande dans les mots de la personne, au clavier sur 360 px, raisons, fiche imprimée et envoyée', async () => {
  const page = await newPage({ width: 360, height: 740 });
  await page.goto(`${BASE}/orienter`);
  await checkA11y(page, 'le formulaire d\'orientation');
  // By keyboard: the request as the person says it, the commune, the level, free only.
  await page.focus('#texte');
  await page.keyboard.type('je dois m\'inscrire à pôle emploi');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'pres_de');
  await page.keyboard.type('Nancy');
  await page.focus('#niv-debutant');
  await page.keyboard.press('Space');
  await page.focus('#gratuit');
  await page.keyboard.press('Space');
  // Enter in a text field sends the form.
  await page.focus('#pres_de');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#reponse');
  assert.match(await page.textContent('#reponse'), /France Travail/);
  // The page comes back on the answer.
  const answerTop = await page.evaluate(() => document.querySelector('#reponse').getBoundingClientRect().top);
  assert.ok(answerTop > -2 && answerTop < 120, `réponse à ${answerTop} px du haut de l'écran`);
  const cards = await page.$$('ol.results li.proposal');
  assert.ok(cards.length > 0, 'des lieux proposés');
  for (const card of cards.slice(0, 3)) {
    assert.match(await card.textContent(), /Gratuit/);
    assert.match(await card.textContent(), /à [\d,]+ (k?m)/);
  }
  assert.match(await page.textContent('.answer'), /Questions à poser/);
  assert.match(await page.textContent('.answer'), /À apporter/);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `largeur ${width}`);
  await checkA11y(page, 'la réponse de l\'orientation');

  // Hard constraints: a Wednesday evening leaves no place open, and the page says so.
  await page.goto(`${BASE}/orienter?demande=compte-caf&pres_de=Nancy&niveau=debutant&disponible=mercredi-soir`);
  assert.match(await page.textContent('.answer'), /Aucun lieu ne remplit toutes les conditions|0 lieu/);

  // The slip for the person: the request's things to bring, one printed page.
  await page.goto(`${BASE}/orienter?demande=compte-caf&pres_de=Nancy&niveau=debutant`);
  await page.click('ol.results li.proposal a:has-text("Fiche pour la personne")');
  await page.waitForSelector('article.slip');
  assert.match(await page.textContent('article.slip'), /Pour : Créer son compte CAF/);
  assert.match(await page.textContent('article.slip'), /numéro d'allocataire/);
  // A sketch from where the person lives: the direction and the distance, in words.
  assert.match(await page.textContent('figure.sketch figcaption'), /(km|m) (au|à l').+ de Nancy/);
  await checkA11y(page, 'la fiche pour la personne');
  assert.ok((await page.inputValue('#texte-court')).length > 20);
  await page.fill('#courriel', 'personne@exemple.fr');
  await page.click('button:has-text("Envoyer la fiche")');
  await page.waitForSelector('[role=status]');
  const mails = readFileSync(process.env.MAILLAGE_E2E_MAILBOX, 'utf8').trim().split('\n').map(l => JSON.parse(l));
  const sent = mails.reverse().find(m => m.to.includes('personne@exemple.fr'));
  assert.ok(sent, 'la fiche envoyée');
  assert.match(sent.data, /allocataire/);
  await page.emulateMedia({ media: 'print' });
  const pdf = await page.pdf({ format: 'A4' });
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
  assert.equal(pages, 1, `pages imprimées : ${pages}`);

  // The coordinator keeps the catalogue of requests.
  const coord = await newPage();
  await signIn(coord, 'coordination@demo.maillage.example');
  await coord.goto(`${BASE}/orienter/demandes`);
  await checkA11y(coord, 'le catalogue des demandes');
  await coord.click('a[href="/orienter/demandes/compte-caf/modifier"]');
  await checkA11y(coord, 'une demande du catalogue');
  const bring = await coord.inputValue('#apporter');
  await coord.fill('#apporter', `${bring}\nLe dernier courrier reçu de la CAF`);
  await coord.click('button:has-text("Enregistrer")');
  await coord.waitForURL(/fait=enregistree/);
  await coord.goto(`${BASE}/orienter?demande=compte-caf&pres_de=Nancy`);
  assert.match(await coord.textContent('.answer'), /Le dernier courrier reçu de la CAF/);
});

test('orientation transmise : accord oral, la structure reçoit, prend en charge, clôture ; l\'expéditeur suit chaque étape', async () => {
  const helper = await newPage();
  await signIn(helper, 'aidant@demo.maillage.example');
  await helper.goto(`${BASE}/orienter?demande=compte-caf&pres_de=Nancy&niveau=debutant`);
  const card = helper.locator('li.proposal', { hasText: 'France Services de Nancy' }).first();
  await card.locator('a:has-text("Orienter avec transmission")').click();
  await helper.waitForSelector('#prenom');
  await checkA11y(helper, 'le formulaire d\'orientation transmise');
  // Consent first: without it, nothing leaves and each field is named.
  await helper.fill('#prenom', 'Karim (démonstration)');
  await helper.click('button:has-text("Envoyer l\'orientation")');
  await helper.waitForSelector('#erreurs');
  assert.match(await helper.textContent('#erreurs'), /accord/);
  await helper.fill('#contact', '06 12 34 56 78');
  await helper.fill('#note', 'Doit déclarer ses ressources avant la fin du mois.');
  await helper.fill('#explique', 'Prénom, téléphone et demande transmis à la France Services de Nancy.');
  await helper.check('#confirme-case');
  await helper.click('button:has-text("Envoyer l\'orientation")');
  await helper.waitForURL(/orientations\?fait=envoyee/);
  await checkA11y(helper, 'les orientations de la structure');
  assert.match(await helper.textContent('table'), /Karim \(démonstration\)/);
  assert.match(await helper.textContent('table'), /Envoyée/);

  const mails = () => readFileSync(process.env.MAILLAGE_E2E_MAILBOX, 'utf8').trim().split('\n').map(l => JSON.parse(l));
  const told = mails().reverse().find(m => m.to.includes('accueil@demo.maillage.example'));
  assert.ok(told, 'la structure qui reçoit est prévenue');
  assert.match(told.data, /Karim/);

  const desk = await newPage();
  await signIn(desk, 'accueil@demo.maillage.example');
  await desk.goto(`${BASE}/orientations`);
  await desk.click('a:has-text("Karim (démonstration)")');
  await desk.waitForSelector('h1');
  assert.match(await desk.textContent('dl'), /Reçue/);
  assert.match(await desk.textContent('dl'), /ressources avant la fin du mois/);
  await checkA11y(desk, 'une orientation reçue');
  await desk.click('button:has-text("Prendre en charge")');
  await desk.waitForSelector('dd.status');
  assert.match(await desk.textContent('dd.status'), /Prise en charge/);
  const taken = mails().reverse().find(m => m.to.includes('aidant@demo.maillage.example') && /prise en charge/.test(m.data));
  assert.ok(taken, 'l\'aidante est prévenue de la prise en charge');
  await desk.selectOption('#issue', 'reglee');
  await desk.click('button:has-text("Clôturer")');
  await desk.waitForSelector('dd.status');
  assert.match(await desk.textContent('dd.status'), /Clôturée/);
  assert.match(await desk.textContent('ol'), /Prise en charge/);

  // The coordinator sees the flows, never the person.
  const coord = await newPage();
  await signIn(coord, 'coordination@demo.maillage.example');
  await coord.goto(`${BASE}/orientations/flux`);
  await checkA11y(coord, 'les flux d\'orientation');
  assert.match(await coord.textContent('table'), /France Services de Nancy/);
  assert.doesNotMatch(await coord.textContent('main'), /Karim/);
});

// The figures of a statistics page: data-indicateur → number.
async function figuresOf(page) {
  return page.$$eval('[data-indicateur]', els => Object.fromEntries(els.map(e => [
    e.dataset.indicateur,
    Number(e.textContent.replace(/[\s\u202f]/g, '').replace(',', '.')),
  ])));
}

test('activité : un accompagnement enregistré au clavier sur 360 px compte aussitôt ; statistiques, API, rapport, impact', async () => {
  const page = await newPage({ width: 360, height: 740 });
  await signIn(page, 'aidant@demo.maillage.example');
  const scope = 'portee=moi&tout=1';
  await page.goto(`${BASE}/statistiques?${scope}`);
  await checkA11y(page, 'les statistiques de l\'aidante');
  const before = await figuresOf(page);
  assert.ok(before.activites > 100, `une année d'activité de démonstration : ${before.activites}`);

  // The form: one page, nothing wider than the phone, the essentials before the details.
  await page.goto(`${BASE}/activites/nouvelle?type=individuel`);
  await checkA11y(page, 'le formulaire de compte rendu');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 360);
  assert.equal(await page.$$eval('form.record', f => f.length), 1);
  const formHeight = await page.$eval('form.record', f => f.getBoundingClientRect().height);
  assert.ok(formHeight <= 740, `le formulaire tient sur un écran de téléphone : ${formHeight} px`);
  await page.fill('#duree', '45');
  await page.focus('#t-internet');
  await page.keyboard.press('Space');
  await page.focus('#t-courriel');
  await page.keyboard.press('Space');
  await page.selectOption('#autonomie', 'avec');
  await page.focus('button.primary');
  await page.keyboard.press('Enter');
  await page.waitForURL(/fait=enregistree/);
  assert.match(await page.textContent('[role=status]'), /compte déjà/);
  await checkA11y(page, 'la liste des activités');

  // Counted at once, and the API says the same as the page.
  await page.goto(`${BASE}/statistiques?${scope}`);
  const after = await figuresOf(page);
  assert.equal(after.activites, before.activites + 1);
  assert.equal(after.accompagnements, before.accompagnements + 1);
  const api = await (await page.request.get(`${BASE}/api/v1/statistiques?${scope}`)).json();
  for (const [id, value] of Object.entries(after)) {
    assert.equal(api.chiffres[id], value, `chiffre ${id}`);
  }
  assert.ok(await page.$('svg.chart title'), 'graphiques avec un titre');
  const xlsx = await page.request.get(`${BASE}/statistiques/export.xlsx?${scope}`);
  assert.equal(xlsx.status(), 200);
  assert.match(xlsx.headers()['content-type'], /spreadsheetml/);

  // A bad record: the message names the field, in French.
  await page.goto(`${BASE}/activites/nouvelle?type=collectif`);
  await page.fill('#titre', 'Atelier tablette');
  await page.fill('#duree', 'trois jours');
  await page.click('button.primary');
  assert.match(await page.textContent('#erreurs'), /durée attendue/);
  await checkA11y(page, 'le formulaire avec ses erreurs');

  // The printable report and the impact page, for the structure.
  const desk = await newPage();
  await signIn(desk, 'aidant@demo.maillage.example');
  await desk.goto(`${BASE}/statistiques`);
  const org = await desk.$eval('#portee option:nth-child(3)', o => o.value);
  await desk.goto(`${BASE}/statistiques/rapport?portee=${org}`);
  assert.match(await desk.textContent('h1'), /Rapport d'activité/);
  await checkA11y(desk, 'le rapport imprimable');
  await desk.goto(`${BASE}/impact?portee=${org}`);
  await checkA11y(desk, 'la page d\'impact');
  assert.match(await desk.textContent('#tableau-aisance'), /Plus à l'aise qu'avant/);
  assert.match(await desk.textContent('#tableau-typologie'), /Séniors débutants/);
  await desk.goto(`${BASE}/territoire/offre?portee=territoire`);
  await checkA11y(desk, 'l\'offre du territoire');
});

test('questionnaire avant/après : la personne répond seule par le lien, sans compte', async () => {
  const helper = await newPage();
  await signIn(helper, 'aidant@demo.maillage.example');
  await helper.goto(`${BASE}/impact/enquete`);
  await checkA11y(helper, 'la page du questionnaire');
  await helper.click('button[value=creer]');
  const text = await helper.textContent('[role=status]');
  const link = text.match(/https?:\/\/\S+\/enquete\/[0-9a-f]+/)[0].replace(/^https?:\/\/[^/]+/, BASE);
  const person = await newPage({ width: 360, height: 740 });
  await person.goto(link);
  await checkA11y(person, 'le questionnaire');
  await person.click('button.primary');
  await person.waitForSelector('#erreurs');
  await person.check('#avant-peu');
  await person.check('#maintenant-plutot');
  await person.check('#n-demarche');
  await person.check('#p-beaucoup');
  await person.click('button.primary');
  assert.match(await person.textContent('[role=status]'), /Merci/);
  assert.ok(await person.evaluate(() => document.documentElement.scrollWidth) <= 360);
});

// Issue #19: a habilitated helper records a three-démarche mandate by keyboard on a phone,
// prints its one-page attestation, uses it; the person stops it alone with their link; a
// later use is refused with the reason; another structure does not even see it; the
// coordinator's habilitations keep their history.
test('mandat au clavier sur 360 px : attestation d\'une page, usage, arrêt par la personne, refus ensuite', async () => {
  const viewport = { width: 360, height: 740 };
  const helper = await newPage(viewport);
  await signIn(helper, 'aidant@demo.maillage.example');
  await clickNav(helper, '/mandats');
  await helper.waitForSelector('h1');
  assert.match(await helper.textContent('main'), /habilité/);
  await checkA11y(helper, 'les mandats de la structure');
  await helper.click('a[href^="/mandats/nouveau"]');
  await helper.waitForSelector('form.mandate-form');
  await checkA11y(helper, 'le formulaire de mandat');
  const structure = await helper.getAttribute('input[name=structure]', 'value');
  // By keyboard only, counting what the helper presses: the name, three démarches, the
  // confirmation read with the person; duration (1 year) and consent (on screen) as proposed.
  let presses = 0;
  const press = async (key, times = 1) => {
    for (let i = 0; i < times; i++) { await helper.keyboard.press(key); presses += 1; }
  };
  await helper.focus('#nom');
  await helper.keyboard.type('Germaine Clavier');
  presses += 1;
  await press('Tab'); await press('Space');            // papiers
  await press('Tab', 2); await press('Space');         // social
  await press('Tab', 4); await press('Space');         // argent
  await press('Tab', 3);                                // justice, étranger, loisirs
  await press('Tab', 3);                                // durée, accord, contact
  await press('Tab'); await press('Space');            // texte lu
  await press('Tab'); await press('Enter');            // enregistrer
  await helper.waitForSelector('article.attestation');
  assert.ok(presses <= 30, `${presses} touches`);
  const facts = await helper.textContent('article.attestation');
  assert.match(facts, /Germaine Clavier/);
  assert.match(facts, /Papiers - Citoyenneté, Social - Santé, Argent - Impôts - Consommation/);
  await checkA11y(helper, "l'attestation");
  const personUrl = (await helper.textContent('.qr .url')).trim();
  assert.match(personUrl, /\/mon-mandat\/[0-9a-f]{64}$/);
  // Printed: one A4 page, read back.
  await helper.emulateMedia({ media: 'print' });
  const pdf = await helper.pdf({ format: 'A4' });
  await helper.emulateMedia({ media: 'screen' });
  assert.equal((pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length, 1, 'une seule page A4');
  const printed = execFileSync('pdftotext', ['-layout', '-', '-'], { input: pdf }).toString();
  for (const part of ['Attestation de mandat', 'Germaine Clavier', 'Social - Santé', 'mots de passe', 'Empreinte', 'Mon lien personnel']) {
    assert.ok(printed.includes(part), `« ${part} » absent du PDF`);
  }
  // Used for a démarche, in the person's place: the password typed by mistake is masked.
  await helper.click('a:has-text("Retour au mandat")');
  await helper.waitForSelector('form[action$="/actes"]');
  const mandateUrl = helper.url();
  await helper.selectOption('#demarche', 'social');
  await helper.check('#maniere-a-la-place');
  await helper.fill('#quoi', 'Déclaration trimestrielle, mot de passe : Soleil2024!');
  await helper.click('form[action$="/actes"] button[type=submit]');
  await helper.waitForURL(/fait=acte/);
  assert.match(await helper.textContent('[role=status]'), /masqué/);
  assert.doesNotMatch(await helper.textContent('main'), /Soleil2024/);
  await checkA11y(helper, 'le mandat après une démarche');
  // Counted in the structure's activity: the record is prefilled from the act (issue #7).
  await helper.click('a:has-text("Compter cette démarche")');
  await helper.waitForSelector('input[type=hidden][name=mandat]', { state: 'attached' });
  assert.ok(await helper.isChecked('#d-social-sante'), 'domaine de la démarche prérempli');
  assert.equal(await helper.inputValue('#autonomie'), 'a-la-place');
  await helper.click('form.record button.primary');
  await helper.waitForURL(/\/activites\?fait=/);
  await helper.goto(mandateUrl);
  assert.match(await helper.textContent('main'), /Comptées dans l'activité \(1\)/);
  // A second tab keeps the form open while the person stops the mandate.
  const stale = await helper.context().newPage();
  await stale.goto(mandateUrl);
  // The person, alone on their phone, with their link.
  const person = await newPage(viewport);
  await person.goto(personUrl);
  assert.match(await person.textContent('main'), /Déclaration trimestrielle/);
  await checkA11y(person, 'la page de la personne');
  await person.click('form[action$="/arret"] button');
  await person.waitForURL(/fait=arret/);
  assert.match(await person.textContent('[role=status]'), /arrêté/);
  // A later use is refused, with the reason.
  await stale.selectOption('#demarche', 'papiers');
  await stale.fill('#quoi', 'Demande de passeport');
  await stale.click('form[action$="/actes"] button[type=submit]');
  await stale.waitForSelector('[role=alert]');
  assert.match(await stale.textContent('[role=alert]'), /refusé : le mandat a été révoqué/);
  await helper.goto(`${mandateUrl}/revocation`);
  assert.match(await helper.textContent('article.attestation'), /arrêté depuis/);
  // Another structure does not see it.
  const other = await newPage(viewport);
  await signIn(other, 'accueil@demo.maillage.example');
  const seen = await other.goto(mandateUrl);
  assert.equal(seen.status(), 404);
  // The coordinator habilitates again: the history keeps both grants.
  const coord = await newPage(viewport);
  await signIn(coord, 'coordination@demo.maillage.example');
  await coord.goto(`${BASE}/mandats/habilitations/${structure}`);
  await checkA11y(coord, 'les habilitations');
  const card = coord.locator('section.card', { hasText: 'Dominique Aidante' });
  await card.locator('input[type=date]').fill(new Date().toISOString().slice(0, 10));
  await card.locator('button:has-text("Habiliter")').click();
  await coord.waitForSelector('h1');
  assert.match(await coord.locator('section.card', { hasText: 'Dominique Aidante' }).textContent(), /Historique \(2\)/);
  for (const p of [helper, stale, person, other, coord]) {
    assert.ok(await p.evaluate(() => document.documentElement.scrollWidth) <= 360, 'rien ne déborde');
  }
});

// Issue #19: a person's request about their data, noted with its one-month deadline and
// answered from one page; the register of processing for administrators.
test('demande d\'accès notée, données lues et remises ; registre des traitements', async () => {
  const helper = await newPage({ width: 360, height: 740 });
  await signIn(helper, 'aidant@demo.maillage.example');
  await clickNav(helper, '/demandes');
  await helper.waitForSelector('h1');
  await checkA11y(helper, 'les demandes sur les données');
  await helper.check('#droit-acces');
  await helper.selectOption('#personne', { label: 'Karim (démonstration)' });
  await helper.click('form[action="/demandes"] button[type=submit]');
  await helper.waitForURL(/\/demandes\/[0-9a-f]+$/);
  assert.match(await helper.textContent('main'), /\(3[01] jour\(s\)\)|\(2[89] jour\(s\)\)/);
  assert.match(await helper.textContent('main'), /1 fiche\(s\) de personne suivie/);
  await checkA11y(helper, 'une demande');
  const download = await helper.request.get(helper.url() + '/export');
  assert.equal(download.status(), 200);
  assert.match(await download.text(), /Karim/);
  await helper.fill('#reponse', 'Fichier remis en main propre');
  await helper.click('form button.primary');
  await helper.waitForSelector('dl.place-facts');
  assert.match(await helper.textContent('main'), /Traitée/);
  assert.ok(await helper.evaluate(() => document.documentElement.scrollWidth) <= 360);
  const admin = await newPage();
  await signIn(admin, 'admin@demo.maillage.example');
  await admin.goto(`${BASE}/admin/registre`);
  await checkA11y(admin, 'le registre des traitements');
  assert.match(await admin.textContent('main'), /Mandats : démarches faites à la place/);
  const privacy = await newPage();
  await privacy.goto(`${BASE}/donnees-personnelles`);
  assert.match(await privacy.textContent('main'), /journal qui prouve/);
});

// The territory (issue #20): a zone typed by its name, the coverage per kind of help, the map
// drawn as SVG — every commune of the zone, a legend, the table beside — read back in the
// browser and compared with the API's figures; a phone's width; a refused zone.
test('territoire : carte des communes d\'un département, tableau à côté, mêmes chiffres que l\'API', async () => {
  const page = await newPage();
  const refused = await page.goto(`${BASE}/territoire?zone=54`);
  assert.equal(refused.status(), 401);
  await signIn(page, 'coordination@demo.maillage.example');
  await clickNav(page, '/territoire');
  await page.fill('#zone', 'Meurthe-et-Moselle');
  await page.fill('#portee', '10');
  await page.click('form.territory-form button[type="submit"]');
  await page.waitForSelector('svg.choropleth');
  assert.match(await page.textContent('#synthese'), /Meurthe-et-Moselle \(54\)/);
  const communes = Number((await page.textContent('#communes')).match(/\((\d+)\)/)[1]);
  assert.ok(communes > 500, `communes du 54 : ${communes}`);
  // Every commune drawn, each with a visible area, and each in one class of the legend.
  const drawn = await page.$$eval('svg.choropleth path[data-insee]', (paths) => paths.map((p) => {
    const box = p.getBBox();
    return { code: p.dataset.insee, cls: p.getAttribute('class'), area: box.width * box.height };
  }));
  assert.equal(drawn.length, communes, 'une forme par commune');
  assert.equal(new Set(drawn.map((d) => d.code)).size, communes);
  assert.ok(drawn.every((d) => d.area > 0), 'chaque commune a une surface');
  const legend = await page.$$eval('ul.legend li', (items) => items.map((i) => i.textContent.trim()));
  assert.ok(legend.includes('dans la commune') && legend.includes('plus loin seulement'), legend.join(' | '));
  const rows = await page.$$eval('table.map-table tbody tr', (trs) => trs.map((tr) => ({
    label: tr.querySelector('th').textContent.trim(),
    communes: Number(tr.querySelector('td').textContent),
  })));
  assert.equal(rows.reduce((s, r) => s + r.communes, 0), communes, 'le tableau compte chaque commune');
  const classes = { 'dans la commune': 'dans-la-commune', 'à portée': 'a-portee', 'plus loin seulement': 'plus-loin', 'nulle part': 'nulle-part' };
  for (const r of rows) {
    assert.equal(drawn.filter((d) => d.cls === classes[r.label]).length, r.communes, `classe ${r.label}`);
  }
  // The map is drawn large on a wide screen, beside or above its table.
  const box = await page.locator('svg.choropleth').boundingBox();
  assert.ok(box.width >= 500, `largeur de la carte : ${box.width}`);
  // The same figures as the API.
  const api = await (await page.request.get(`${BASE}/api/v1/territoire?zone=54&portee=10`)).json();
  assert.equal(api.nombre_communes, communes);
  const any = api.couverture.find((k) => k.aide === 'toute-aide');
  const byLabel = Object.fromEntries(rows.map((r) => [r.label, r.communes]));
  assert.deepEqual(byLabel, {
    'dans la commune': any.communes_avec_lieu,
    'à portée': any.communes_a_portee,
    'plus loin seulement': any.communes_plus_loin,
    'nulle part': any.communes_nulle_part,
  });
  assert.equal(api.zones_blanches.length, any.communes_plus_loin + any.communes_nulle_part);
  // Where the people helped come from: the page's shares are the API's, beside seed 003's.
  assert.ok(api.provenance.parts, 'parts de la provenance');
  const origins = await page.$$eval('section[aria-labelledby="provenance"] tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())));
  assert.equal(origins[0][1], `${String(api.provenance.parts[0]).replace('.', ',')} %`);
  assert.equal(origins[0][2], '72 %');
  assert.ok(await page.isVisible('section[aria-labelledby="provenance"] svg.chart'));
  await checkA11y(page, 'le territoire');
  // Another kind of help from the coverage table: the map changes with it.
  await page.click('section[aria-labelledby="couverture"] a[href*="aide=demarches"]');
  await page.waitForSelector('svg.choropleth');
  assert.match(await page.textContent('#la-carte'), /Aide aux démarches administratives/);
  // The CSV of the communes: one line each, cells as written.
  const csv = await (await page.request.get(`${BASE}/territoire/communes.csv?zone=54`)).text();
  assert.equal(csv.trim().split('\n').length, communes + 1);
  // The territorial diagnosis: the link of the page gives a PDF.
  const pdfLink = await page.getAttribute('a[href^="/territoire/diagnostic.pdf"]', 'href');
  const pdf = await page.request.get(`${BASE}${pdfLink}`);
  assert.equal(pdf.status(), 200);
  assert.equal(pdf.headers()['content-type'], 'application/pdf');
  assert.equal((await pdf.body()).subarray(0, 4).toString(), '%PDF');
  // The fragility layer (the demo's invented sample, said as such): every commune in a band.
  await page.goto(`${BASE}/territoire?zone=54&carte=fragilite`);
  await page.waitForSelector('svg.choropleth');
  assert.match(await page.textContent('section[aria-labelledby="fragilite"]'), /Exemple fictif/);
  const bands = await page.$$eval('svg.choropleth path[data-insee]', (paths) => paths.map((p) => p.getAttribute('class')));
  assert.equal(bands.length, communes);
  assert.ok(bands.every((c) => /^fragilite-[1-5]$/.test(c)), [...new Set(bands)].join(' '));
  assert.equal(api.fragilite.communes_avec_indice, communes);
  await checkA11y(page, 'la carte de la fragilité');
  // Importing indicators: a file with a wrong cell is refused whole, the cell named.
  await page.click('a[href="/territoire/indicateurs"]');
  await page.fill('#source', 'Essai du navigateur');
  await page.setInputFiles('#fichier', {
    name: 'indicateurs.csv', mimeType: 'text/csv',
    buffer: Buffer.from('code_insee;taux_pauvrete\n54395;22,4\n54528;beaucoup\n'),
  });
  await page.click('form[action="/territoire/indicateurs"] button[type="submit"]');
  await page.waitForSelector('.alert');
  assert.match(await page.textContent('.alert'), /Rien n'a été enregistré/);
  const cells = await page.$$eval('table:has(caption:text("Cases à corriger")) tbody td', (tds) => tds.map((td) => td.textContent));
  assert.deepEqual(cells.slice(0, 3), ['3', 'taux_pauvrete', 'beaucoup']);
  await checkA11y(page, 'l\'import refusé des indicateurs');
  // A phone: nothing wider than the screen, the map fits.
  const phone = await newPage({ width: 360, height: 800 });
  await signIn(phone, 'coordination@demo.maillage.example');
  await phone.goto(`${BASE}/territoire?zone=54`);
  await phone.waitForSelector('svg.choropleth');
  assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= 360), 'pas de défilement horizontal');
  const small = await phone.locator('svg.choropleth').boundingBox();
  assert.ok(small.width >= 300 && small.width <= 360, `carte sur un téléphone : ${small.width}`);
  // A zone that does not exist: refused with the field named, the form kept.
  const bad = await phone.goto(`${BASE}/territoire?zone=Atlantide`);
  assert.equal(bad.status(), 422);
  assert.match(await phone.textContent('#zone-erreur'), /« Atlantide » n'est ni une région/);
  assert.equal(await phone.getAttribute('#zone', 'aria-invalid'), 'true');
  await checkA11y(phone, 'le territoire refusé');
});

test('enquêtes : un partenaire répond seul par son lien sur un téléphone, confirme sa fiche ; le coordinateur voit les résultats', async () => {
  const desk = await newPage();
  await signIn(desk, 'coordination@demo.maillage.example');
  await desk.goto(`${BASE}/territoire`);
  await desk.click('nav[aria-label="Le territoire"] a[href="/territoire/enquetes"]');
  await desk.waitForSelector('h1:text("Enquêtes du réseau")');
  await checkA11y(desk, 'la liste des enquêtes');
  await desk.click('a:text("Besoins des partenaires (démonstration)")');
  await desk.waitForSelector('h2:text("Résultats")');
  const surveyId = desk.url().split('/').pop();
  const before = await (await desk.request.get(`${BASE}/api/v1/enquetes/${surveyId}`)).json();
  assert.equal(before.questionnaire, 'partenaires');
  // The ranking of training wishes and the equipment needed against given: each chart with
  // its table, the same figures as the API.
  const ranking = before.resultats.flatMap((s) => s.questions).find((q) => q.id === 'sites_formation');
  const firstSite = await desk.textContent('section[aria-labelledby="resultat-sites_formation"] tbody tr th');
  assert.equal(firstSite, ranking.resultat.elements[0].libelle);
  assert.ok(await desk.isVisible('section[aria-labelledby="resultat-sites_formation"] svg.chart'));
  assert.ok(await desk.isVisible('section[aria-labelledby="materiel"] svg.chart'));
  const computers = await desk.$$eval('section[aria-labelledby="materiel"] tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent.trim())));
  const apiComputers = before.materiel.find((m) => m.materiel === 'ordinateur');
  assert.deepEqual(computers[0], [apiComputers.libelle, String(apiComputers.demande_par), String(apiComputers.donne_par)]);
  await checkA11y(desk, 'le tableau de bord d\'une enquête');
  // A link for a place that has not answered (those come first), shown once.
  const placeName = (await desk.textContent('table tbody tr:has(button) td a')).trim();
  await desk.click('table tbody tr:has(button) button');
  await desk.waitForSelector('.survey-link');
  const link = (await desk.textContent('.survey-link')).trim();
  assert.match(link, /\/questionnaire\/[0-9a-f]{64}$/);

  // The partner, alone, on a phone, without account.
  const phone = await newPage({ width: 360, height: 800 });
  const path = new URL(link).pathname;
  await phone.goto(`${BASE}${path}`);
  assert.match(await phone.textContent('h1'), /Besoins des partenaires/);
  assert.match(await phone.textContent('main'), new RegExp(placeName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= 360), 'pas de défilement horizontal');
  for (const box of await phone.$$eval('form.survey-form input[type="radio"], form.survey-form input[type="checkbox"]', (inputs) => inputs.map((i) => { const r = i.getBoundingClientRect(); return { w: r.width, h: r.height, right: r.right }; }))) {
    assert.ok(box.w >= 24 && box.h >= 24, `cible de ${box.w}×${box.h}`);
    assert.ok(box.right <= 360, `case hors de l'écran : ${box.right}`);
  }
  await checkA11y(phone, 'le questionnaire ouvert par un lien');
  // Two sites with the same priority: refused, the problem named and focused, nothing kept.
  await phone.check('#q-materiel_besoin-ordinateur');
  await phone.check('#q-wifi-oui');
  await phone.check('#q-plain_pied-oui');
  await phone.selectOption('#q-sites_formation-caf', '1');
  await phone.selectOption('#q-sites_formation-ameli', '1');
  await phone.click('form.survey-form button[type="submit"]');
  await phone.waitForSelector('#erreurs');
  assert.match(await phone.textContent('#erreurs'), /le rang 1 est déjà donné à « CAF »/);
  assert.equal(await phone.evaluate(() => document.activeElement.id), 'erreurs');
  assert.ok(await phone.isChecked('#q-wifi-oui'), 'les réponses restent');
  await checkA11y(phone, 'le questionnaire refusé');
  await phone.selectOption('#q-sites_formation-ameli', '2');
  await phone.click('form.survey-form button[type="submit"]');
  await phone.waitForSelector('#merci');
  // What the answer changes on the place's entry, to confirm: the buttons fit the screen.
  await phone.waitForSelector('#fiche');
  const changes = await phone.$$eval('section[aria-labelledby="fiche"] tbody th', (ths) => ths.map((th) => th.textContent));
  assert.ok(changes.length >= 1, 'au moins un changement');
  const confirm = await phone.locator('button[value="confirmer"]').boundingBox();
  assert.ok(confirm.height >= 24 && confirm.x + confirm.width <= 360, `bouton : ${JSON.stringify(confirm)}`);
  assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= 360), 'pas de défilement horizontal');
  await checkA11y(phone, 'la confirmation des changements');
  await phone.click('button[value="confirmer"]');
  await phone.waitForSelector('h1:text("Merci")');
  assert.match(await phone.textContent('main'), /La fiche de votre lieu est mise à jour/);

  // The coordinator counts one more answer.
  const after = await (await desk.request.get(`${BASE}/api/v1/enquetes/${surveyId}`)).json();
  assert.equal(after.reponses, before.reponses + 1);
  assert.equal(after.lieux_ayant_repondu, before.lieux_ayant_repondu + 1);
  const neededAfter = after.materiel.find((m) => m.materiel === 'ordinateur').demande_par;
  assert.equal(neededAfter, apiComputers.demande_par + 1);
  // The exchanges of equipment: proposals nearest first, each with its distance.
  await desk.goto(`${BASE}/territoire/enquetes/${surveyId}/echanges`);
  const proposals = await desk.$$eval('div[aria-label="Rapprochements proposés"] tbody tr', (trs) => trs
    .map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())));
  // The demo's partners need computers others give: each proposal names both places and
  // their distance, at most three givers per need and equipment, nearest first.
  assert.ok(proposals.length > 0, 'des rapprochements proposés');
  assert.ok(proposals.every((p) => p[1] !== p[2] && /^\d+(,\d)? km$|^distance inconnue$/.test(p[3])), JSON.stringify(proposals.slice(0, 3)));
  const perNeed = new Map();
  for (const p of proposals) {
    const key = `${p[0]}|${p[1]}`;
    const km = p[3] === 'distance inconnue' ? Infinity : Number(p[3].replace(' km', '').replace(',', '.'));
    const seen = perNeed.get(key) ?? [];
    if (seen.length > 0) assert.ok(seen[seen.length - 1] <= km, `plus proche d'abord : ${key}`);
    perNeed.set(key, [...seen, km]);
  }
  assert.ok([...perNeed.values()].every((list) => list.length <= 3), 'trois donneurs au plus par besoin');
  await checkA11y(desk, 'les échanges de matériel');
});

test('carte interactive : la couche du territoire sous les lieux, chaque commune colorée comme sur la page', async () => {
  const page = await newPage();
  // Without an account, no layer is offered.
  await page.goto(`${BASE}/carte?couche=acces&zone=54`);
  assert.equal(await page.$('#couche'), null);
  assert.equal(await page.$('#couche-data'), null);
  await signIn(page, 'coordination@demo.maillage.example');
  await page.goto(`${BASE}/carte?couche=acces&zone=54`);
  await page.waitForSelector('.leaflet-overlay-pane path.commune');
  const api = await (await page.request.get(`${BASE}/api/v1/territoire?zone=54`)).json();
  const classes = await page.$$eval('.leaflet-overlay-pane path.commune', (paths) => paths.map((p) => p.getAttribute('class').split(' ').find((c) => c !== 'commune' && !c.startsWith('leaflet'))));
  assert.equal(classes.length, api.nombre_communes, 'une forme par commune');
  const any = api.couverture.find((k) => k.aide === 'toute-aide');
  assert.equal(classes.filter((c) => c === 'dans-la-commune').length, any.communes_avec_lieu);
  assert.equal(classes.filter((c) => c === 'a-portee').length, any.communes_a_portee);
  // The legend beside the map says the same counts; the places stay on top.
  const legend = await page.$$eval('.layer-legend ul.legend li', (lis) => lis.map((li) => li.textContent.trim()));
  assert.ok(legend.some((l) => l.startsWith('dans la commune') && l.includes(`(${any.communes_avec_lieu} communes)`)), legend.join(' | '));
  assert.ok((await page.$$('.leaflet-marker-pane .leaflet-marker-icon, .leaflet-marker-pane .marker-cluster')).length > 0, 'les lieux par-dessus');
  await checkA11y(page, 'la carte avec la couche du territoire');
  // Another layer: the fragility bands.
  await page.goto(`${BASE}/carte?couche=fragilite&zone=54`);
  await page.waitForSelector('.leaflet-overlay-pane path.commune');
  const bands = await page.$$eval('.leaflet-overlay-pane path.commune', (paths) => paths.map((p) => p.getAttribute('class')));
  assert.ok(bands.every((c) => /fragilite-[1-5]/.test(c)), [...new Set(bands)].slice(0, 5).join(' '));
});

test('données ouvertes et sources moissonnées : où moissonner l\'annuaire ; un coordinateur ajoute une source sur un téléphone', async () => {
  // Anyone, on a phone: the open data page, reached from the footer, names four stable
  // addresses; each answers with its tag, and 304 to a collector whose copy is current.
  const visitor = await newPage({ width: 360, height: 740 });
  await visitor.goto(`${BASE}/`);
  await visitor.click('footer a[href="/donnees"]');
  await visitor.waitForSelector('h1:text("Données ouvertes de l\'annuaire")');
  const addresses = await visitor.$$eval('table tbody tr td a', (as) => as.map((a) => a.textContent.trim()));
  assert.equal(addresses.length, 4);
  for (const address of addresses) {
    const path = new URL(address).pathname;
    const first = await visitor.request.get(`${BASE}${path}`);
    assert.equal(first.status(), 200, path);
    const tag = first.headers()['etag'];
    assert.ok(tag && first.headers()['last-modified'], path);
    const again = await visitor.request.get(`${BASE}${path}`, { headers: { 'If-None-Match': tag } });
    assert.equal(again.status(), 304, path);
  }
  const structures = await (await visitor.request.get(`${BASE}/donnees/data-inclusion/structures.json`)).json();
  const api = await (await visitor.request.get(`${BASE}/api/v1/lieux?par_page=1`)).json();
  assert.equal(structures.length, api.total, 'une structure par lieu de l\'annuaire');
  assert.ok(await visitor.evaluate(() => document.documentElement.scrollWidth) <= 360, 'rien ne déborde');
  await checkA11y(visitor, 'les données ouvertes');

  // A coordinator, on a phone: from the import page to the sources; a private address is
  // refused with its reason, a public one registered; « fetch now » says it started, and the
  // run's outcome (no internet on this machine: a failure, named) appears.
  const page = await newPage({ width: 360, height: 740 });
  await signIn(page, 'coordination@demo.maillage.example');
  await page.goto(`${BASE}/import`);
  await page.click('a[href="/sources"]');
  await page.waitForSelector('h1:text("Sources moissonnées")');
  await page.fill('#nom', 'Hub régional de démonstration');
  await page.fill('#adresse', 'http://127.0.0.1/lieux.csv');
  await page.check('#format-standard');
  await page.selectOption('#frequence', '24');
  await page.click('button:text("Ajouter la source")');
  await page.waitForSelector('[role="alert"]');
  assert.match(await page.textContent('[role="alert"]'), /adresse : une adresse privée ou locale n'est pas moissonnée/);
  assert.equal(await page.inputValue('#nom'), 'Hub régional de démonstration', 'la saisie est gardée');
  await checkA11y(page, 'le formulaire d\'une source refusée');
  await page.fill('#adresse', 'https://hub.exemple.invalid/lieux.csv');
  await page.click('button:text("Ajouter la source")');
  await page.waitForSelector('h1:text("Source « Hub régional de démonstration »")');
  const button = await page.$('button:text("Moissonner maintenant")');
  const box = await button.boundingBox();
  assert.ok(box.width >= 24 && box.height >= 24 && box.x >= 0 && box.x + box.width <= 360, 'bouton de 24 px au moins, dans l\'écran');
  await button.click();
  await page.waitForSelector('[role="status"]:has-text("Moisson lancée")');
  // The run is listed « en cours » as soon as it starts; its outcome comes when the address
  // fails to resolve, which takes as long as the machine's resolver takes to give up.
  let outcome = '';
  for (let i = 0; i < 150 && !/échec|importé|rien de changé|refusé/.test(outcome); i += 1) {
    await page.waitForTimeout(200);
    await page.reload();
    outcome = (await page.textContent('section[aria-labelledby="moissons"] article h3').catch(() => '')) ?? '';
  }
  assert.match(outcome, /échec/);
  assert.match(await page.textContent('section[aria-labelledby="moissons"] article p'), /injoignable/);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 360, 'rien ne déborde');
  await checkA11y(page, 'une source et ses moissons');
  await page.goto(`${BASE}/sources`);
  assert.ok(await page.isVisible('table a:text("Hub régional de démonstration")'));
  await checkA11y(page, 'la liste des sources');
});
