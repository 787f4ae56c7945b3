import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const BASE='http://127.0.0.1:18095';
const PW='audit-password-2026';
const OUT='/tmp/audit/out'; mkdirSync(OUT,{recursive:true});
const VIEWS={phone:{width:360,height:740},desk:{width:1280,height:900}};
const PUBLIC=['/','/?q=mediatheque&pres_de=Nancy','/?q=d%C3%A9marches%20CAF','/orienter','/orienter?demande=compte-caf&pres_de=Nancy&niveau=debutant','/orienter?demande=materiel-solidaire&pres_de=Nancy','/diagnostic','DIAG','/ateliers','/ressources','/carte?pres_de=Nancy','/livret'];
const PRIV=['/activites','/activites/nouvelle?type=individuel','/activites/nouvelle?type=collectif','/orientations','/orientations/flux','/statistiques','/impact','/doublons','/qualite'];
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless','--no-sandbox'] });

async function signIn(p, email){
  await p.goto(BASE+'/connexion'); await p.fill('#email',email); await p.fill('#password',PW);
  await p.press('#password','Enter'); await p.waitForLoadState('load');
  return { url: p.url(), loggedOut: await p.isVisible('#password').catch(()=>false) };
}
async function diag(p, log){
  await p.goto(BASE+'/diagnostic'); await p.click('text=Commencer le test court'); await p.waitForLoadState('load');
  for (let i=0;i<15;i++){
    if (!/\/\d+$/.test(new URL(p.url()).pathname)) break;
    const qm = await measure(p, 'diag-q'+(i+1));
    log.push(qm);
    const lab = await p.$('main form.question label');
    if (lab) await lab.click();
    else { const inp = await p.$('main form.question input:not([type=hidden]), main form.question textarea'); if (inp) await inp.fill('test').catch(()=>{}); }
    await Promise.all([p.waitForNavigation(), p.click('button[value=suivant]')]);
  }
}
async function measure(p, label){
  const m = await p.evaluate(() => {
    const vis = el => { const r=el.getBoundingClientRect(); return r.width>0 && r.height>0 && el.checkVisibility({visibilityProperty:true, contentVisibilityAuto:true}); };
    const d=document.documentElement;
    const hdr=document.querySelector('header.site');
    const first = document.querySelector('main section.answer') || document.querySelector('main ol.results > li') || document.querySelector('main .map-list li') || document.querySelector('main table tbody tr') ;
    const firstLi = document.querySelector('main ol.results > li');
    const desc = el => { const t=(el.innerText||el.value||el.getAttribute('aria-label')||'').trim().replace(/\s+/g,' ').slice(0,40); return `${el.tagName.toLowerCase()}${el.id?'#'+el.id:''}${el.type&&el.tagName!=='BUTTON'?'['+el.type+']':''} "${t}"`; };
    const small=[];
    for (const el of document.querySelectorAll('a,button,input,select,summary,textarea')){
      if (el.type==='hidden' || !vis(el)) continue;
      const r=el.getBoundingClientRect();
      if (r.width>=24 && r.height>=24) continue;
      if (el.tagName==='A' && getComputedStyle(el).display==='inline') {
        let blk=el.parentElement; while(blk && getComputedStyle(blk).display==='inline') blk=blk.parentElement;
        const other=(blk.innerText||'').replace(el.innerText,'').trim();
        if (other.length>0) continue; // inline in sentence
      }
      small.push(`${desc(el)} ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
    const tiny=[]; const tinyEx=new Set();
    const walker=document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    let n; while((n=walker.nextNode())){
      if(!n.textContent.trim()) continue; const el=n.parentElement; if(!el||!vis(el)) continue;
      if (el.closest('script,style,noscript')) continue;
      const fs=parseFloat(getComputedStyle(el).fontSize);
      let eff=fs;
      // SVG text: scale by CTM
      if (el instanceof SVGElement && el.getScreenCTM) { const c=el.getScreenCTM(); if(c) eff=fs*Math.sqrt(Math.abs(c.a*c.d-c.b*c.c)); }
      if (eff<12) { tiny.push(el); tinyEx.add(`${el.tagName.toLowerCase()}${el.classList.length?'.'+[...el.classList].join('.'):''} ${eff.toFixed(1)}px "${n.textContent.trim().slice(0,30)}"`); }
    }
    const forms=[...document.querySelectorAll('main form')].map(f=>{
      const all=[...f.querySelectorAll('input,select,textarea')].filter(e=>e.type!=='hidden');
      return `${f.getAttribute('action')||''}: ${all.length} fields (${all.filter(vis).length} visible)`;
    });
    const fsAll=[]; {const w=document.createTreeWalker(document.body,NodeFilter.SHOW_TEXT); let t; while((t=w.nextNode())){ if(!t.textContent.trim())continue; const e=t.parentElement; if(!e||!vis(e)||e instanceof SVGElement)continue; fsAll.push(parseFloat(getComputedStyle(e).fontSize)); }}
    const minFs=Math.min(...fsAll); const n13=fsAll.filter(x=>x<14).length;
    const nresults = document.querySelectorAll('main ol.results > li').length;
    return { minFs, under14:n13, rows: document.querySelectorAll('main table tbody tr, main .activity, main article').length, url: location.pathname+location.search, height:d.scrollHeight, overflow:d.scrollWidth-d.clientWidth,
      header: hdr?Math.round(hdr.getBoundingClientRect().height):null,
      firstTop: first?Math.round(first.getBoundingClientRect().top+scrollY):null, firstDesc: first?first.tagName+'.'+first.className:null,
      firstLiTop: firstLi?Math.round(firstLi.getBoundingClientRect().top+scrollY):null, nresults,
      h1Top: document.querySelector('h1')?Math.round(document.querySelector('h1').getBoundingClientRect().top+scrollY):null,
      smallCount: small.length, small: small.slice(0,8), tinyCount: tiny.length, tinyEx:[...tinyEx].slice(0,6), forms,
      mainText: (document.querySelector('main')||document.body).innerText, headerText: hdr?hdr.innerText:'' };
  });
  await p.evaluate(axeSource);
  const r = await p.evaluate(() => axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa','wcag22aa','best-practice'] } }));
  m.axe = r.violations.map(v=>`${v.id} (${v.impact}): ${v.help} x${v.nodes.length} [${v.nodes.slice(0,2).map(n=>n.target.join(' ')).join(' | ')}]`);
  m.label = label;
  const slug = label.replace(/[^a-z0-9]+/gi,'_');
  writeFileSync(`${OUT}/${slug}.txt`, m.headerText+'\n-----\n'+m.mainText);
  delete m.mainText; delete m.headerText;
  return m;
}
const results=[];
for (const [vn, vp] of Object.entries(VIEWS)) {
  for (const who of ['anon','coord']) {
    const ctx = await b.newContext({ bypassCSP:true, viewport:vp, locale:'fr-FR' });
    const p = await ctx.newPage();
    if (who==='coord') { const s=await signIn(p,'coordination@demo.maillage.example'); console.error('signin', vn, JSON.stringify(s)); }
    const list = who==='anon' ? PUBLIC : [...PUBLIC, ...PRIV];
    for (const u of list) {
      try {
        if (u==='DIAG') { const log=[]; await diag(p, log); for (const q of log) { q.label=`${vn}/${who}/${q.label}`; results.push(q);} results.push(await measure(p, `${vn}/${who}/diag-result`)); continue; }
        const resp = await p.goto(BASE+u, { waitUntil:'load' });
        const m = await measure(p, `${vn}/${who}${u}`); m.status=resp.status(); results.push(m);
      } catch(e) { results.push({label:`${vn}/${who}${u}`, error:String(e).slice(0,300)}); }
    }
    await ctx.close();
  }
}
writeFileSync(OUT+'/results.json', JSON.stringify(results,null,1));
// aidant
{ const ctx = await b.newContext({ bypassCSP:true, viewport:VIEWS.phone, locale:'fr-FR' }); const p=await ctx.newPage();
  const s=await signIn(p,'aidant@demo.maillage.example'); console.log('aidant signin', JSON.stringify(s));
  for (const u of ['/activites','/activites/nouvelle?type=individuel','/activites/nouvelle?type=collectif']) { const resp=await p.goto(BASE+u); const m=await measure(p,'phone/aidant'+u); m.status=resp.status(); results.push(m); console.log(JSON.stringify(m)); }
  writeFileSync(OUT+'/results.json', JSON.stringify(results,null,1));
  await ctx.close(); }
await b.close();
