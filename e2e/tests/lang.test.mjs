// Switching the language: the page answers in English at once, keeps it
// after a reload, after logging out (a cookie) and in again, and on another
// device where the person logs in afresh (stored on the user).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { launch, person, login, logout, switchLang, shot, keepLog, assertClean, projectId, PHONE } from '../lib/browser.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  if (server) {
    keepLog(server, 'lang');
    await server.stop();
  }
});

const nav = (page) => page.locator('nav.nav a').allInnerTexts();

test('the language switch persists after reload, re-login and on a new device', async () => {
  const p = await person(browser, server);
  const { page } = p;
  await login(page, 'researcher@university.example');
  const id = await projectId(page, 'kashiwanoha-area-services');
  await page.goto(`/projects/${id}`);
  assert.deepEqual(await nav(page), ['プロジェクト一覧', '新規プロジェクト']);
  assert.equal(await page.locator('#evaluation h2').innerText(), '事業評価');

  // Switch on a project page: back on the same page, in English.
  await switchLang(page, 'en');
  assert.match(page.url(), new RegExp(`/projects/${id}$`));
  await assertClean(p, 'en');
  assert.deepEqual(await nav(page), ['Projects', 'New project']);
  assert.equal(await page.locator('#evaluation h2').innerText(), 'Evaluation');
  assert.equal(await page.locator('h1').innerText(), 'Kashiwanoha area management and smart services');
  // The charts' labels follow the language (they come from data-config).
  await page.locator('.charts[data-drawn="done"]').waitFor();
  const legend = await page.evaluate(() => window.Chart.getChart(document.querySelector('#chart-operations')).data.datasets.map((d) => d.label));
  assert.deepEqual(legend, ['Operating revenue', 'Cost savings', 'Running cost (opex)']);
  await shot(page, 'project-en-desktop');

  await page.reload();
  await assertClean(p, 'en');
  assert.equal(await page.locator('#evaluation h2').innerText(), 'Evaluation');

  // Log out: the log-in page stays English; log in again: still English.
  await logout(page);
  await assertClean(p, 'en');
  assert.equal(await page.locator('h1').innerText(), 'Log in');
  await login(page, 'researcher@university.example');
  await assertClean(p, 'en');
  assert.equal(await page.locator('h1').innerText(), 'Projects');

  // Another device (no cookies at all): the log-in page is Japanese, and
  // after log-in the user's stored choice, English, applies.
  const q = await person(browser, server, PHONE);
  await q.page.goto('/login');
  await assertClean(q, 'ja');
  await login(q.page, 'researcher@university.example');
  await assertClean(q, 'en');
  assert.equal(await q.page.locator('h1').innerText(), 'Projects');
  await shot(q.page, 'dashboard-en-phone');

  // Switching back is stored too: a third device logs in to Japanese.
  await switchLang(q.page, 'ja');
  await assertClean(q, 'ja');
  const r = await person(browser, server);
  await login(r.page, 'researcher@university.example');
  await assertClean(r, 'ja');
  assert.equal(await r.page.locator('h1').innerText(), 'プロジェクト一覧');
  // Another user's language was never touched.
  const o = await person(browser, server);
  await login(o.page, 'officer@kurume.example');
  await assertClean(o, 'ja');
  for (const x of [p, q, r, o]) await x.context.close();
});
