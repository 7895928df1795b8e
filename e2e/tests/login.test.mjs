// Log-in: a wrong password shows the translated error (Japanese by default,
// English after switching on the log-in page) and logs nobody in; the right
// one reaches the dashboard with the user's projects.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { launch, person, login, submit, switchLang, shot, keepLog, assertClean, PHONE } from '../lib/browser.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  if (server) {
    keepLog(server, 'login');
    await server.stop();
  }
});

test('a wrong password shows the translated error and logs nobody in', async () => {
  const p = await person(browser, server);
  const { page } = p;
  const r1 = await login(page, 'officer@kurume.example', 'not-the-password');
  assert.equal(r1.status(), 401);
  const alert = page.locator('p.alert[role=alert]');
  assert.equal(await alert.getAttribute('data-code'), 'login-failed');
  assert.equal((await alert.innerText()).trim(), 'メールアドレスまたはパスワードが正しくありません。');
  // The e-mail is kept, the password is not.
  assert.equal(await page.locator('input[name=email]').inputValue(), 'officer@kurume.example');
  assert.equal(await page.locator('input[name=password]').inputValue(), '');
  await assertClean(p, 'ja');
  await shot(page, 'login-failed-ja-desktop');

  // Switch to English on the log-in page: the same mistake, in English.
  await page.goto('/login');
  await switchLang(page, 'en');
  assert.equal(await page.locator('h1').innerText(), 'Log in');
  const r2 = await login(page, 'officer@kurume.example', 'still-wrong');
  assert.equal(r2.status(), 401);
  assert.equal(await alert.getAttribute('data-code'), 'login-failed');
  assert.equal((await alert.innerText()).trim(), 'The e-mail or the password is wrong.');
  await assertClean(p, 'en');
  await shot(page, 'login-failed-en-desktop');

  // Still logged out: a page that needs a log-in sends us back to the form.
  await page.goto('/dashboard');
  assert.match(page.url(), /\/login\?next=%2Fdashboard$/);
  await p.context.close();
});

test('the right password reaches the dashboard with the consortium projects', async () => {
  const p = await person(browser, server);
  const { page } = p;
  const r = await login(page, 'officer@kurume.example');
  assert.equal(r.status(), 200);
  assert.match(page.url(), /\/dashboard$/);
  assert.equal(await page.locator('h1').innerText(), 'プロジェクト一覧');
  // The officer of 久留米市 sees the Kurume project (its consortium) and
  // not the single-applicant drafts of other organisations.
  const names = await page.locator('a.project-name').allInnerTexts();
  assert.deepEqual(names, ['久留米市 AI水位予測による内水氾濫対策サービス']);
  assert.equal(await page.locator('.top .who').innerText(), '久留米 太郎');
  await assertClean(p, 'ja');
  await shot(page, 'dashboard-ja-desktop');
  await p.context.close();
});

test('a log-in that came from a deep link returns there', async () => {
  const p = await person(browser, server, PHONE);
  const { page } = p;
  await page.goto('/projects/new');
  assert.match(page.url(), /\/login\?next=%2Fprojects%2Fnew$/);
  await page.locator('input[name=email]').fill('provider@sensing.example');
  await page.locator('input[name=password]').fill('machi-demo-2025');
  await submit(page, page.locator('form[action="/login"] button[type=submit]'));
  assert.match(page.url(), /\/projects\/new$/);
  await assertClean(p, 'ja');
  await p.context.close();
});

