// Debian's chromium driven by playwright-core, and the helpers every
// scenario shares: contexts at desktop and phone size, log-in, form
// submission, screenshots, and checks that run on every page.
import { chromium } from 'playwright-core';
import { mkdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { DEMO_PASSWORD } from './server.mjs';

/** Chromium flags: the machine's network is closed, so nothing may phone home. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Launches Debian's chromium headless. playwright-core's `launch` gives the
 * browser a new, empty temporary --user-data-dir and removes it on close.
 */
export function launch() {
  return chromium.launch({
    executablePath: process.env.MACHI_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
}

export const DESKTOP = { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 };
export const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};

/** Where screenshots go: MACHI_E2E_SHOTS (scripts/test.sh makes a temp dir), else one under the OS temp dir. */
export const SHOTS = process.env.MACHI_E2E_SHOTS || join(tmpdir(), 'machi-e2e-screenshots');
mkdirSync(SHOTS, { recursive: true });

/** Saves a full-page screenshot as SHOTS/<name>.png. */
export async function shot(page, name) {
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Keeps the server's log next to the screenshots (read it when a scenario fails). */
export function keepLog(server, name) {
  try {
    copyFileSync(join(server.dir, 'server.log'), join(SHOTS, `${name}.server.log`));
  } catch {
    // the server never started
  }
}

/**
 * Known defects of the web crate that show up as console errors, each with
 * the exact message, tolerated by `assertClean` so the other checks keep
 * running. Empty: every console error fails a scenario. Add an entry only
 * with an issue filed for it.
 */
export const KNOWN_CONSOLE_ERRORS = [];

const known = (text) => KNOWN_CONSOLE_ERRORS.some((k) => k.re.test(text));

/**
 * A new browser context (its own cookies: one person) at `size`, with
 * `baseURL` set, and a page that records what must never happen on any
 * machi page: script errors, console errors (Content-Security-Policy
 * violations land there), and failed sub-resources (a script, style or
 * chart JSON answering 4xx/5xx). `problems()` lists them.
 */
export async function person(browser, server, size = DESKTOP) {
  const context = await browser.newContext({
    ...size,
    baseURL: server.url,
    locale: 'ja-JP',
    timezoneId: 'Asia/Tokyo',
    acceptDownloads: true,
  });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const seen = [];
  const knownSeen = [];
  page.on('pageerror', (e) => seen.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    // The document's own status (401 on a failed log-in, 409 on a
    // conflict) is reported by Chromium as a console error; those are
    // asserted by the scenarios. Everything else counts.
    if (m.type() !== 'error' || /^Failed to load resource: the server responded with a status of/.test(m.text())) return;
    (known(m.text()) ? knownSeen : seen).push(`console error: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && r.request().resourceType() !== 'document') {
      seen.push(`${r.status()} for ${r.request().resourceType()} ${r.url()}`);
    }
  });
  page.on('requestfailed', (r) => {
    // A download navigates and is "aborted" as a page load: not a failure.
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') seen.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  return { context, page, problems: () => seen.slice(), knownProblems: () => knownSeen.slice() };
}

/**
 * Clicks `locator` (or, with `{ key: true }`, focuses it and presses Enter)
 * and waits for the navigation it causes; returns the final response
 * (after redirects).
 */
export async function submit(page, locator, { key = false } = {}) {
  const [response] = await Promise.all([page.waitForNavigation(), key ? locator.press('Enter') : locator.click()]);
  return response;
}

/** Logs in through the form; returns the response of the page it lands on. */
export async function login(page, email, password = DEMO_PASSWORD) {
  await page.goto('/login');
  await page.locator('input[name=email]').fill(email);
  await page.locator('input[name=password]').fill(password);
  return submit(page, page.locator('form[action="/login"] button[type=submit]'));
}

/** Logs out with the header's button. */
export async function logout(page) {
  return submit(page, page.locator('form[action="/logout"] button'));
}

/** Switches the language with the header's button (ja ⇄ en). */
export async function switchLang(page, to) {
  return submit(page, page.locator(`form[action="/lang"] button[value="${to}"]`));
}

/** Makes the page's language `lang` (the choice is stored on the user, so it carries over between tests). */
export async function useLang(page, lang) {
  if ((await page.locator('html').getAttribute('lang')) !== lang) await switchLang(page, lang);
  assert.equal(await page.locator('html').getAttribute('lang'), lang);
}

/**
 * Checks every machi page should pass: no untranslated key, the page's
 * language is `lang`, and nothing recorded by `person` went wrong.
 */
export async function assertClean(p, lang) {
  const body = await p.page.locator('body').innerText();
  assert.ok(!body.includes('⟦missing message⟧'), `untranslated text on ${p.page.url()}`);
  if (lang) assert.equal(await p.page.locator('html').getAttribute('lang'), lang, `language of ${p.page.url()}`);
  assert.deepEqual(p.problems(), [], `problems on ${p.page.url()}`);
}

/** The id (in URLs) of the project whose file id (`project.id`) is `slug`, from the API's list. */
export async function projectId(page, slug) {
  const { projects } = await api(page, '/api/v1/projects');
  const found = projects.find((p) => p.slug === slug);
  assert.ok(found, `project ${slug} among ${projects.map((p) => p.slug)}`);
  return found.id;
}

/** GET an API path with the page's cookies (the session). */
export async function api(page, path) {
  const r = await page.request.get(path, { headers: { Accept: 'application/json' } });
  assert.equal(r.status(), 200, `GET ${path}: ${await r.text()}`);
  return r.json();
}
