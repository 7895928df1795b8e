// The 409 path: two people of the same consortium (久留米市's officer and
// 筑後センシング's provider) edit the Kurume project at the same time. The
// first save wins; the second gets the conflict page with both versions
// side by side, and nothing is overwritten. Saving the combined form then
// makes a new version on top of the first person's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../lib/server.mjs';
import { launch, person, login, submit, shot, keepLog, assertClean, projectId, api, PHONE, DESKTOP } from '../lib/browser.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  if (server) {
    keepLog(server, 'conflict');
    await server.stop();
  }
});

// On the phone the save button is pressed with the keyboard: the edit form
// is wider than a phone (known defect, see tests/screens.test.mjs), and
// Chromium's mobile emulation then puts taps beside the button.
const save = (page, size) => submit(page, page.locator('form.edit-form button[type=submit].primary'), { key: size === PHONE });

for (const [lang, size, sizeName] of [['ja', DESKTOP, 'desktop'], ['en', PHONE, 'phone']]) {
  test(`the second of two concurrent saves gets the conflict page and overwrites nothing (${lang}, ${sizeName})`, async () => {
    const a = await person(browser, server, size);
    const b = await person(browser, server, size);
    await login(a.page, 'officer@kurume.example');
    await login(b.page, 'provider@sensing.example');
    if (lang === 'en') {
      // Each person's own choice; pages follow it.
      for (const x of [a, b]) {
        await submit(x.page, x.page.locator('form[action="/lang"] button[value="en"]'));
      }
    }
    const id = await projectId(a.page, 'kurume-flood-ai');
    assert.equal(await projectId(b.page, 'kurume-flood-ai'), id);
    const start = (await api(a.page, `/api/v1/projects/${id}`)).version.version;

    // Both open the edit form of the same version.
    for (const x of [a, b]) {
      await x.page.goto(`/projects/${id}/edit`);
      assert.equal(await x.page.locator('form.edit-form [name=base_version]').inputValue(), String(start));
    }
    const aliceSummary = `A (${lang}): 令和8年度から市内全域の水位計12基で運用する。`;
    const contact = `筑後 花子（E2E ${lang}）`;
    const bobSummary = `B (${lang}): 水位計は18基に増設し、筑後川の支川も対象にする。`;
    await a.page.locator('[name="summary.ja"]').fill(aliceSummary);
    await a.page.locator('[name=note]').fill('A: summary');
    await b.page.locator('[name="summary.ja"]').fill(bobSummary);
    await b.page.locator('[name="contact.name"]').fill(contact);
    const bobNote = `B (${lang}): summary and contact`;
    await b.page.locator('[name=note]').fill(bobNote);

    // The first save goes through.
    const first = await save(a.page, size);
    assert.equal(first.status(), 200);
    assert.match(a.page.url(), new RegExp(`/projects/${id}\\?version=${start + 1}$`));
    assert.equal(await a.page.locator('[data-version]').getAttribute('data-version'), String(start + 1));
    // The page shows the summary in its language; the Japanese one is A's.
    if (lang === 'ja') assert.equal(await a.page.locator('p.summary').innerText(), aliceSummary);
    assert.equal((await api(a.page, `/api/v1/projects/${id}`)).document.project.summary.ja, aliceSummary);
    await assertClean(a, lang);

    // The second is refused with 409 and the conflict page.
    const second = await save(b.page, size);
    assert.equal(second.status(), 409);
    assert.equal(await b.page.locator('section.alert[data-code="conflict"]').count(), 1);
    assert.match(await b.page.locator('section.alert[data-code="conflict"]').innerText(),
      lang === 'ja' ? new RegExp(`第${start + 1}版`) : new RegExp(`version ${start + 1}`));
    // Side by side: every field B changed, with A's saved value beside it.
    const rows = await b.page.locator('table.side-by-side tbody tr').evaluateAll((trs) => trs.map((tr) => ({
      field: tr.querySelector('th').innerText.trim(),
      theirs: tr.querySelector('td.theirs').innerText.trim(),
      yours: tr.querySelector('td.yours').innerText.trim(),
    })));
    const summaryRow = rows.find((r) => r.yours === bobSummary);
    assert.ok(summaryRow, `a row with B's summary: ${JSON.stringify(rows)}`);
    assert.equal(summaryRow.theirs, aliceSummary);
    const contactRow = rows.find((r) => r.yours === contact);
    assert.ok(contactRow, `a row with B's contact: ${JSON.stringify(rows)}`);
    assert.equal(rows.length, 2, JSON.stringify(rows));
    // The combined form is based on A's version and carries B's edits.
    const form = b.page.locator('form.edit-form');
    assert.equal(await form.locator('[name=base_version]').inputValue(), String(start + 1));
    assert.equal(await form.locator('[name="summary.ja"]').inputValue(), bobSummary);
    assert.equal(await form.locator('[name="contact.name"]').inputValue(), contact);
    await assertClean(b, lang);
    await shot(b.page, `conflict-${lang}-${sizeName}`);

    // Nothing was overwritten: the latest version is A's, one newer than the start.
    const latest = await api(b.page, `/api/v1/projects/${id}`);
    assert.equal(latest.version.version, start + 1);
    assert.equal(latest.document.project.summary.ja, aliceSummary);
    const versions = await api(b.page, `/api/v1/projects/${id}/versions`);
    assert.equal(versions.versions.length, start + 1);
    assert.ok(!versions.versions.some((v) => v.note === bobNote));

    // B saves the combined form: a new version on top of A's.
    const third = await save(b.page, size);
    assert.equal(third.status(), 200);
    assert.equal(await b.page.locator('[data-version]').getAttribute('data-version'), String(start + 2));
    const merged = await api(b.page, `/api/v1/projects/${id}`);
    assert.equal(merged.document.project.summary.ja, bobSummary);
    assert.equal(merged.document.application.contact.name, contact);
    const v2 = await api(b.page, `/api/v1/projects/${id}?version=${start + 1}`);
    assert.equal(v2.document.project.summary.ja, aliceSummary);
    await assertClean(b, lang);
    await a.context.close();
    await b.context.close();
  });
}
