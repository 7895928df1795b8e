// The model in and out of Excel: export the workbook (and the CSV) from the
// project page, import the file unchanged: a new version exists, noted as
// an import, and its model evaluates exactly as before. An import based on
// a version someone has since replaced is refused (409) and saves nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../lib/server.mjs';
import { launch, person, login, submit, shot, keepLog, assertClean, projectId, api, useLang, DESKTOP, PHONE } from '../lib/browser.mjs';

let server;
let browser;
let downloads;
before(async () => {
  server = await startServer();
  browser = await launch();
  downloads = mkdtempSync(join(tmpdir(), 'machi-e2e-downloads-'));
});
after(async () => {
  await browser?.close();
  if (server) {
    keepLog(server, 'transfer');
    await server.stop();
  }
  if (downloads) rmSync(downloads, { recursive: true, force: true });
});

/** Clicks a download link; returns { name, path } of the saved file. */
async function download(page, link) {
  const [d] = await Promise.all([page.waitForEvent('download'), link.click()]);
  assert.equal(await d.failure(), null);
  const path = join(downloads, d.suggestedFilename());
  await d.saveAs(path);
  return { name: d.suggestedFilename(), path };
}

/** The parts of an evaluation that make "the same model": every yearly figure and every metric. */
function model(evaluation) {
  const { statement, funding, metrics, cliff } = evaluation;
  return { statement, funding, metrics, cliff };
}

/** Uploads `file` on the import page and returns the response of the page it lands on. */
async function importFile(page, id, file, { base } = {}) {
  if (base === undefined) await page.goto(`/projects/${id}/import`);
  await page.locator('form[action$="/import"] input[type=file]').setInputFiles(file.path);
  return submit(page, page.locator('form[action$="/import"] button[type=submit].primary'));
}

for (const [kind, lang, size, sizeName] of [['xlsx', 'ja', DESKTOP, 'desktop'], ['csv', 'en', PHONE, 'phone']]) {
  test(`export ${kind.toUpperCase()} and import it again: a new version, the same model (${lang}, ${sizeName})`, async () => {
    const p = await person(browser, server, size);
    const { page } = p;
    await login(page, 'officer@kurume.example');
    await useLang(page, lang);
    const id = await projectId(page, 'kurume-flood-ai');
    const start = (await api(page, `/api/v1/projects/${id}`)).version.version;
    const evalBefore = await api(page, `/api/v1/projects/${id}/evaluation`);

    await page.goto(`/projects/${id}`);
    const file = await download(page, page.locator(`a[href="/projects/${id}/export.${kind}?version=${start}"]`));
    assert.equal(file.name, `kurume-flood-ai-v${start}.${kind}`);
    const bytes = readFileSync(file.path);
    if (kind === 'xlsx') {
      assert.equal(bytes.subarray(0, 4).toString('latin1'), 'PK\x03\x04', 'an XLSX is a zip');
    } else {
      const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
      // The service-fee line: ¥4,800,000 a year from FY2026, ¥67,200,000 in all.
      const fee = text.split(/\r?\n/).find((l) => l.startsWith('prediction-service,'));
      assert.ok(fee, 'the CSV has the prediction-service line');
      assert.match(fee, /,0,4800000,4800000,.*,67200000$/);
    }

    const r = await importFile(page, id, file);
    assert.equal(r.status(), 200);
    assert.match(page.url(), new RegExp(`/projects/${id}\\?version=${start + 1}$`));
    assert.equal(await page.locator('[data-version]').getAttribute('data-version'), String(start + 1));
    await assertClean(p, lang);
    await shot(page, `imported-${kind}-${lang}-${sizeName}`);

    const latest = await api(page, `/api/v1/projects/${id}`);
    assert.equal(latest.version.version, start + 1);
    const notes = {
      xlsx: { ja: `Excelから取り込み（${file.name}）`, en: `Imported from Excel (${file.name})` },
      csv: { ja: `CSVから取り込み（${file.name}）`, en: `Imported from CSV (${file.name})` },
    };
    assert.equal(latest.version.note, notes[kind][lang]);
    const versions = await api(page, `/api/v1/projects/${id}/versions`);
    assert.equal(versions.versions.length, start + 1);
    // The model is unchanged: every yearly figure and metric, and the
    // amounts of every line item and funding source per year.
    const evalAfter = await api(page, `/api/v1/projects/${id}/evaluation`);
    assert.deepEqual(model(evalAfter), model(evalBefore));
    await p.context.close();
  });
}

test('an import onto a version someone has replaced is refused with 409 and saves nothing', async () => {
  const a = await person(browser, server);
  const b = await person(browser, server);
  await login(a.page, 'officer@kurume.example');
  await login(b.page, 'researcher@university.example');
  await useLang(a.page, 'ja');
  const id = await projectId(a.page, 'kurume-flood-ai');
  const start = (await api(a.page, `/api/v1/projects/${id}`)).version.version;
  await a.page.goto(`/projects/${id}`);
  const file = await download(a.page, a.page.locator(`a[href="/projects/${id}/export.xlsx?version=${start}"]`));

  // A opens the import page (based on `start`); meanwhile B saves a change.
  await a.page.goto(`/projects/${id}/import`);
  assert.equal(await a.page.locator('form[action$="/import"] [name=base_version]').inputValue(), String(start));
  await b.page.goto(`/projects/${id}/edit`);
  await b.page.locator('[name=note]').fill('B: meanwhile');
  await b.page.locator('[name="contact.tel"]').fill('0942-30-9000');
  await submit(b.page, b.page.locator('form.edit-form button[type=submit].primary'));
  assert.equal((await api(b.page, `/api/v1/projects/${id}`)).version.version, start + 1);

  const r = await importFile(a.page, id, file, { base: start });
  assert.equal(r.status(), 409);
  assert.equal(await a.page.locator('section.alert[data-code="conflict"]').count(), 1);
  // The form is now based on B's version; nothing of A's import was saved.
  assert.equal(await a.page.locator('form[action$="/import"] [name=base_version]').inputValue(), String(start + 1));
  const latest = await api(a.page, `/api/v1/projects/${id}`);
  assert.equal(latest.version.version, start + 1);
  assert.equal(latest.version.note, 'B: meanwhile');
  assert.equal(latest.document.application.contact.tel, '0942-30-9000');
  await assertClean(a, 'ja');
  await shot(a.page, 'import-conflict-ja-desktop');
  await a.context.close();
  await b.context.close();
});
