// The per-fiscal-year model editor: typing an amount recalculates without
// saving (the row total, the headline figures, the statement and the charts'
// data change); a wrong amount marks its cell and saves nothing; saving makes
// a new version whose evaluation is what the editor showed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { launch, person, login, submit, shot, keepLog, assertClean, projectId, api, useLang, DESKTOP, PHONE } from '../lib/browser.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  if (server) {
    keepLog(server, 'model');
    await server.stop();
  }
});

/** The data each chart of the editor's results currently draws: { funding|operations|cash: { label: [..] } }. */
function chartData(page) {
  return page.evaluate(() => {
    const out = {};
    for (const c of document.querySelectorAll('#model-results canvas[data-chart]')) {
      const chart = window.Chart.getChart(c);
      out[c.dataset.chart] = chart ? Object.fromEntries(chart.data.datasets.map((d) => [d.label, d.data.slice()])) : null;
    }
    return out;
  });
}

/**
 * Types `text` into the input named `name` the way a person does (select
 * all, type), and waits until htmx has swapped in the recalculated results
 * (and, with `charts`, until their charts are drawn).
 */
async function typeAmount(page, name, text, { charts = true } = {}) {
  const cell = page.locator(`#model-form input[name="${name}"]`);
  // Mark the results on the page now: the recalculated ones replace them.
  await page.evaluate(() => { document.getElementById('model-results').dataset.e2eStale = '1'; });
  const preview = page.waitForResponse((r) => r.url().endsWith('/model/preview') && r.request().method() === 'POST');
  await cell.click();
  await cell.press('Control+A');
  await cell.pressSequentially(text, { delay: 20 });
  const r = await preview;
  assert.equal(r.status(), 200, `preview answered ${r.status()}`);
  await page.locator('#model-results:not([data-e2e-stale])').waitFor({ state: 'attached' });
  if (charts) await page.locator('#model-results:not([data-e2e-stale]) .charts[data-drawn="done"]').waitFor();
}

const statementRow = (page, fy) => page.locator('#model-results table.statement tbody tr', { has: page.locator('th', { hasText: fy }) }).locator('td');

test('typing an amount recalculates the totals, the statement and the charts without saving; saving makes a new version', async () => {
  const p = await person(browser, server);
  const { page } = p;
  await login(page, 'officer@kurume.example');
  const id = await projectId(page, 'kurume-flood-ai');
  const start = (await api(page, `/api/v1/projects/${id}`)).version.version;
  await page.goto(`/projects/${id}/model`);
  await page.locator('#model-results .charts[data-drawn="done"]').waitFor();
  await assertClean(p, 'ja');
  assert.equal(await page.locator('[data-version]').first().getAttribute('data-version'), String(start));

  // The service fee line (AI水位予測サービス利用料), FY2027: ¥4,800,000 a year.
  const row = page.locator('#model-lines tbody tr', { has: page.locator('input.name[value^="AI水位予測サービス利用料"]') });
  const rowKey = await row.getAttribute('data-row'); // "l.7."
  const cellName = `${rowKey}y.FY2027`;
  assert.equal(await page.locator(`input[name="${cellName}"]`).inputValue(), '4,800,000');
  const total = row.locator('output');
  const totalBefore = await total.innerText();
  assert.equal(totalBefore, '¥67,200,000');
  const before = await chartData(page);
  const opexLabel = '運営費';
  const cumLabel = '累積キャッシュ';
  assert.equal(before.operations[opexLabel][2], 11_400_000);
  const statusBefore = await page.locator('#model-status').innerText();
  const rowBefore = await statementRow(page, '令和9年度').allInnerTexts();
  await shot(page, 'model-before-ja-desktop');

  // +¥5,000,000 of running cost in FY2027, typed as 980万円.
  await typeAmount(page, cellName, '980万円');
  await assertClean(p, 'ja');
  assert.equal(await total.innerText(), '¥72,200,000');
  const after = await chartData(page);
  assert.equal(after.operations[opexLabel][2], 16_400_000, 'opex FY2027 in the chart');
  // The other years are untouched; the cumulative cash drops by ¥5M from FY2027 on.
  after.operations[opexLabel].forEach((v, i) => { if (i !== 2) assert.equal(v, before.operations[opexLabel][i], `opex year ${i}`); });
  after.cash[cumLabel].forEach((v, i) => assert.equal(v, before.cash[cumLabel][i] - (i >= 2 ? 5_000_000 : 0), `cumulative cash year ${i}`));
  // The statement (千円) and the status bar say the same.
  const rowAfter = await statementRow(page, '令和9年度').allInnerTexts();
  assert.notDeepEqual(rowAfter, rowBefore);
  assert.ok(rowAfter.includes('16,400'), `statement FY2027: ${rowAfter}`);
  const statusAfter = await page.locator('#model-status').innerText();
  assert.notEqual(statusAfter, statusBefore);
  assert.match(await page.locator('#model-results h2').innerText(), /未保存/);
  await shot(page, 'model-after-ja-desktop');
  // Nothing saved yet.
  assert.equal((await api(page, `/api/v1/projects/${id}`)).version.version, start);

  // A wrong amount: its cell is marked, the results say nothing was saved.
  await typeAmount(page, cellName, '98o万円', { charts: false });
  // The cell is marked once htmx has settled the new results.
  await page.locator(`input[name="${cellName}"][aria-invalid="true"]`).waitFor();
  assert.match(await page.locator(`small.cell-error[data-for="${cellName}"]`).innerText(), /「98o万円」は円の金額として読めません/);
  assert.equal(await page.locator('#model-results [data-code="invalid-model"]').count(), 1);
  await assertClean(p, 'ja');
  await shot(page, 'model-invalid-ja-desktop');
  await typeAmount(page, cellName, '9,800,000');
  await page.locator(`input[name="${cellName}"]:not([aria-invalid])`).waitFor();
  assert.equal(await page.locator('small.cell-error').count(), 0);
  assert.deepEqual(await chartData(page), after);

  // Save: a new version with that amount, evaluated as the editor showed.
  await page.locator('#model-form [name=note]').fill('E2E: 令和9年度の利用料を増額');
  const saved = await submit(page, page.locator('#model-form button[name=op][value=save]'));
  assert.equal(saved.status(), 200);
  const latest = await api(page, `/api/v1/projects/${id}`);
  assert.equal(latest.version.version, start + 1);
  assert.equal(latest.version.note, 'E2E: 令和9年度の利用料を増額');
  const evaluation = await api(page, `/api/v1/projects/${id}/evaluation`);
  assert.deepEqual(evaluation.statement.map((r) => r.opex), after.operations[opexLabel]);
  assert.deepEqual(evaluation.statement.map((r) => r.cumulative_cash), after.cash[cumLabel]);
  await assertClean(p, 'ja');
  await shot(page, 'model-saved-ja-desktop');
  await p.context.close();
});

for (const [lang, sizeName, size] of [['en', 'desktop', DESKTOP], ['ja', 'phone', PHONE], ['en', 'phone', PHONE]]) {
  test(`the model editor recalculates as you type (${lang}, ${sizeName})`, async () => {
    const p = await person(browser, server, size);
    const { page } = p;
    await login(page, 'researcher@university.example');
    await useLang(page, lang);
    const id = await projectId(page, 'kashiwanoha-area-services');
    await page.goto(`/projects/${id}/model`);
    await page.locator('#model-results .charts[data-drawn="done"]').waitFor();
    await assertClean(p, lang);
    await shot(page, `model-${lang}-${sizeName}`);
    // The first year cell of the first line: add ¥1,000,000.
    const cell = page.locator('#model-lines tbody tr:first-child input.amount').first();
    const name = await cell.getAttribute('name');
    const row = page.locator('#model-lines tbody tr:first-child');
    const was = Number((await cell.inputValue()).replace(/,/g, '') || 0);
    const totalBefore = Number((await row.locator('output').innerText()).replace(/[¥,]/g, ''));
    await typeAmount(page, name, String(was + 1_000_000));
    const totalAfter = Number((await row.locator('output').innerText()).replace(/[¥,]/g, ''));
    assert.equal(totalAfter - totalBefore, 1_000_000);
    await assertClean(p, lang);
    await shot(page, `model-typed-${lang}-${sizeName}`);
    await p.context.close();
  });
}

test('two people saving the model from the same version: the second gets 409, both versions side by side, nothing overwritten', async () => {
  const a = await person(browser, server);
  const b = await person(browser, server);
  await login(a.page, 'officer@kurume.example');
  await login(b.page, 'provider@sensing.example');
  await useLang(a.page, 'ja');
  await useLang(b.page, 'ja');
  const id = await projectId(a.page, 'kurume-flood-ai');
  const start = (await api(a.page, `/api/v1/projects/${id}`)).version.version;
  for (const x of [a, b]) {
    await x.page.goto(`/projects/${id}/model`);
    await x.page.locator('#model-results .charts[data-drawn="done"]').waitFor();
    assert.equal(await x.page.locator('#model-form [name=base_version]').inputValue(), String(start));
  }
  // Both change the same cell: maintenance (機器保守・点検), FY2030.
  const rowKey = await a.page.locator('#model-lines tbody tr', { has: a.page.locator('input.name[value^="機器保守"]') }).getAttribute('data-row');
  const cellName = `${rowKey}y.FY2030`;
  await typeAmount(a.page, cellName, '2,500,000');
  await typeAmount(b.page, cellName, '3,000,000');

  const first = await submit(a.page, a.page.locator('#model-form button[name=op][value=save]'));
  assert.equal(first.status(), 200);
  assert.equal((await api(a.page, `/api/v1/projects/${id}`)).version.version, start + 1);

  const second = await submit(b.page, b.page.locator('#model-form button[name=op][value=save]'));
  assert.equal(second.status(), 409);
  const alert = b.page.locator('section.alert[data-code="conflict"]');
  assert.equal(await alert.count(), 1);
  assert.match(await alert.innerText(), new RegExp(`第${start + 1}版`));
  const rows = await b.page.locator('table.side-by-side tbody tr').evaluateAll((trs) => trs.map((tr) => ({
    theirs: tr.querySelector('td.theirs').innerText.trim(),
    yours: tr.querySelector('td.yours').innerText.trim(),
  })));
  assert.ok(rows.some((r) => /2,500,000/.test(r.theirs) && /3,000,000/.test(r.yours)), JSON.stringify(rows));
  // The form to save again is based on A's version and keeps B's amount.
  assert.equal(await b.page.locator('#model-form [name=base_version]').inputValue(), String(start + 1));
  assert.equal(await b.page.locator(`#model-form input[name="${cellName}"]`).inputValue(), '3,000,000');
  await assertClean(b, 'ja');
  await shot(b.page, 'model-conflict-ja-desktop');
  // Nothing overwritten: the latest is A's, with A's amount.
  const latest = await api(b.page, `/api/v1/projects/${id}`);
  assert.equal(latest.version.version, start + 1);
  const evaluation = await api(b.page, `/api/v1/projects/${id}/evaluation`);
  const fy2030 = evaluation.statement.find((r) => r.fiscal_year === 'FY2030' || r.fiscal_year === 2030);
  assert.ok(fy2030, JSON.stringify(evaluation.statement[0]));
  const before = await api(b.page, `/api/v1/projects/${id}/evaluation?version=${start}`);
  const fy2030Before = before.statement.find((r) => r.fiscal_year === fy2030.fiscal_year);
  assert.equal(fy2030.opex - fy2030Before.opex, 500_000, 'A\'s +¥500,000 is what was saved');
  await a.context.close();
  await b.context.close();
});
