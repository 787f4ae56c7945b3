import { chromium } from 'playwright-core';
const BASE='http://127.0.0.1:18095';
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless','--no-sandbox'] });
const ctx = await b.newContext({ bypassCSP: true, viewport:{width:360,height:740}, locale:'fr-FR' });
const p = await ctx.newPage();
await p.goto(BASE+'/diagnostic');
await p.click('text=Commencer le test court');
await p.waitForLoadState();
for (let i=0;i<12;i++){
  console.log('URL', p.url());
  const main = await p.evaluate(()=>document.querySelector('main').outerHTML);
  console.log(main.slice(0,3000));
  if (i>0) break;
}
await b.close();
