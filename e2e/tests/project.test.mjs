// Creating a project: the small form (with a mistake first: nothing is
// saved and the problem names the field), then a project file upload; both
// land on the new project's page at version 1 and appear on the dashboard.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, REPO_ROOT } from '../lib/server.mjs';
import { launch, person, login, submit, shot, keepLog, assertClean, api, projectId } from '../lib/browser.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  if (server) {
    keepLog(server, 'project');
    await server.stop();
  }
});

async function fillNewForm(page, f) {
  for (const [name, value] of Object.entries(f)) {
    const field = page.locator(`form[action="/projects"] [name="${name}"]`);
    if ((await field.evaluate((e) => e.tagName)) === 'SELECT') await field.selectOption(value);
    else await field.fill(value);
  }
}

test('create a project from the form; a mistake saves nothing and names the field', async () => {
  const p = await person(browser, server);
  const { page } = p;
  await login(page, 'officer@kurume.example');
  const before = (await api(page, '/api/v1/projects')).projects.length;

  await page.goto('/projects/new');
  const form = {
    id: 'e2e-bus-demand',
    name_ja: '久留米市 デマンド交通 E2E',
    name_en: 'Kurume on-demand bus E2E',
    municipality: '久留米市',
    code: '402037', // wrong check digit (402036 is right)
    category: 'demand-creation',
    site: 'brownfield',
    first: '令和7年度',
    last: '令和16年度',
    discount_rate: '4%',
  };
  await fillNewForm(page, form);
  const bad = await submit(page, page.locator('form[action="/projects"] button[type=submit]'));
  assert.equal(bad.status(), 422);
  const alert = page.locator('section.alert[data-code="invalid-project"]');
  assert.match(await alert.innerText(), /地方公共団体コード/);
  // What was typed is kept; nothing was saved.
  assert.equal(await page.locator('form[action="/projects"] [name=name_ja]').inputValue(), form.name_ja);
  assert.equal((await api(page, '/api/v1/projects')).projects.length, before);
  await assertClean(p, 'ja');
  await shot(page, 'project-new-invalid-ja-desktop');

  await page.locator('form[action="/projects"] [name=code]').fill('402036');
  const ok = await submit(page, page.locator('form[action="/projects"] button[type=submit]'));
  assert.equal(ok.status(), 200);
  const m = /\/projects\/(\d+)$/.exec(page.url());
  assert.ok(m, `landed on ${page.url()}`);
  assert.equal(await page.locator('h1').innerText(), form.name_ja);
  assert.equal(await page.locator('[data-version]').getAttribute('data-version'), '1');
  assert.match(await page.locator('.head-row .muted').first().innerText(), /令和7年度–令和16年度 \(10年度\)/);
  // The creator's organisation is the ◎ representative.
  assert.match(await page.locator('#application ul.members').innerText(), /◎\s*久留米市/);
  await assertClean(p, 'ja');
  await shot(page, 'project-created-ja-desktop');

  const doc = await api(page, `/api/v1/projects/${m[1]}`);
  assert.equal(doc.project.slug, form.id);
  assert.equal(doc.version.version, 1);
  assert.equal(doc.document.project.municipality.code, '402036');
  await page.goto('/dashboard');
  assert.ok((await page.locator('a.project-name').allInnerTexts()).includes(form.name_ja));
  await p.context.close();
});

test('create a project by uploading a project file', async () => {
  const p = await person(browser, server);
  const { page } = p;
  await login(page, 'provider@mobility.example');
  await page.goto('/projects/new');
  // The Hino example under another id (ids are unique per machi).
  const text = readFileSync(join(REPO_ROOT, 'examples', 'hino-mimamori.toml'), 'utf8')
    .replace(/^id = "hino-mimamori"$/m, 'id = "e2e-hino-upload"');
  assert.match(text, /id = "e2e-hino-upload"/);
  await page.locator('input[type=file][name=file]').setInputFiles({
    name: 'e2e-hino.toml',
    mimeType: 'application/toml',
    buffer: Buffer.from(text),
  });
  await submit(page, page.locator('form[action="/projects/upload"] button[type=submit]'));
  assert.match(page.url(), /\/projects\/\d+$/);
  assert.equal(await page.locator('h1').innerText(), '日野市 IoT見守りサービス');
  assert.equal(await page.locator('[data-version]').getAttribute('data-version'), '1');
  // A full model: the evaluation's charts get drawn.
  await page.locator('.charts[data-drawn="done"]').waitFor();
  await assertClean(p, 'ja');
  await shot(page, 'project-uploaded-ja-desktop');
  await p.context.close();
});

// Browsers compile `pattern` attributes with the `v` flag; one that does not
// compile is ignored, so the field loses its client-side check.
test('every pattern attribute on the forms compiles as the browser compiles it', async () => {
  const p = await person(browser, server);
  const { page } = p;
  await login(page, 'officer@kurume.example');
  const kurume = await projectId(page, 'kurume-flood-ai');
  const bad = [];
  for (const path of ['/projects/new', `/projects/${kurume}/edit`]) {
    await page.goto(path);
    const patterns = await page.locator('input[pattern]').evaluateAll((els) => els.map((e) => e.getAttribute('pattern')));
    assert.ok(patterns.length > 0, `${path} has pattern attributes`);
    const broken = await page.evaluate((ps) => ps.filter((s) => {
      try { new RegExp(`^(?:${s})$`, 'v'); return false; } catch { return true; }
    }), patterns);
    bad.push(...broken.map((s) => `${path}: ${s}`));
  }
  await p.context.close();
  assert.deepEqual(bad, []);
});
