// Browser tests of the `ppkg serve` page, run by crates/ppkg-server/tests/browser.rs, which
// starts the server and passes:
//   PPKG_BASE_URL   the server's address (http://127.0.0.1:PORT)
//   PPKG_ARTIFACTS  folder for downloads and the screenshot (under target/)
//   PPKG_BIN        the `ppkg` binary, to inspect the downloads ("" when not built)
//   PPKG_PFX        a test PFX, PPKG_PFX_PASSWORD its password, PPKG_PFX_THUMBPRINT its SHA-1
//   CHROMIUM        the browser (default /usr/bin/chromium)
// Each download is checked with `wimlib-imagex verify` and `ppkg inspect --json`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.PPKG_BASE_URL;
const artifacts = process.env.PPKG_ARTIFACTS;
assert.ok(base, 'PPKG_BASE_URL must be set (run through cargo test)');
assert.ok(artifacts, 'PPKG_ARTIFACTS must be set');
mkdirSync(artifacts, { recursive: true });

let context;
let profileDir;

before(async () => {
  profileDir = mkdtempSync(join(tmpdir(), 'ppkg-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  if (context) await context.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

async function openPage() {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // Script errors and failed loads count; a 422 is the page's own check of a half-typed PFX
  // password (the answer it shows beside the field).
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 422/.test(m.text())) errors.push(m.text()); });
  if (process.env.PPKG_DEBUG) { page.on('request', (r) => console.log('req', r.method(), r.url())); page.on('pageerror', (e) => console.log('pageerror', e)); page.on('console', (m) => console.log('console', m.text())); }
  await page.goto(base + '/');
  return { page, errors };
}

// Waits until the page's latest validation has come back and says the form is valid.
async function waitValid(page) {
  await page.waitForFunction(() => document.getElementById('status').textContent === 'Ready to build.'
    && document.querySelectorAll('.diag .error').length === 0, null, { timeout: 15000 });
}

function verify(file) {
  const out = execFileSync('wimlib-imagex', ['verify', file], { encoding: 'utf8' });
  assert.match(out, /successfully verified/);
  if (!process.env.PPKG_BIN) {
    console.log('notice: ppkg binary not built; `ppkg inspect` check skipped');
    return null;
  }
  return JSON.parse(execFileSync(process.env.PPKG_BIN, ['inspect', '--json', file], { encoding: 'utf8' }));
}

async function download(page, name) {
  const dlp = page.waitForEvent('download', { timeout: 30000 }).catch(async (e) => {
    throw new Error(e.message + '; status: ' + await page.textContent('#status') + '; diagnostics: ' + await page.textContent('#general'));
  });
  await page.click('#build');
  const dl = await dlp;
  const file = join(artifacts, name);
  await dl.saveAs(file);
  assert.match(dl.suggestedFilename(), /\.ppkg$/);
  return file;
}

test('on-premises flow builds a package that wimlib-imagex and ppkg inspect accept', async () => {
  const { page, errors } = await openPage();
  await page.fill('#upn', 'enroll@example.com');
  await page.fill('#discovery', 'https://enroll.example.com/EnrollmentServer/Discovery.svc');
  await page.fill('#enrollment-url', 'https://enroll.example.com/EnrollmentServer/Enrollment.svc');
  await page.fill('#policy-url', 'https://enroll.example.com/EnrollmentServer/Policy.svc');
  await page.fill('#password', 'Browser-Passw0rd');
  await page.fill('#ssid', 'Browser-Lab');
  await page.fill('#wifi-key', 'browser-wifi-key');
  await page.fill('#computer-name', 'LAB-%RAND:5%');
  await page.fill('#pkg-name', 'Browser onprem');
  await page.fill('#pkg-version', '2.1');
  await page.fill('#pkg-rank', '7');
  await waitValid(page);
  assert.match(await page.textContent('#name-length'), /Worst case: 9 of 15/);
  // (A full-page screenshot resizes the viewport; taken before the click, it made Chromium
  // drop the click. It is taken once the download is done.)
  const file = await download(page, 'onprem.ppkg');
  await page.screenshot({ path: join(artifacts, 'page.png'), fullPage: true });
  const report = verify(file);
  if (report) {
    assert.equal(report.metadata.name, 'Browser onprem');
    assert.equal(report.metadata.version, '2.1');
    const text = JSON.stringify(report.settings);
    assert.match(text, /enroll@example\.com/);
    assert.match(text, /Browser-Lab/);
    assert.doesNotMatch(text, /Browser-Passw0rd/, 'inspect masks the password');
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('a bad UPN shows its diagnostic beside the UPN field', async () => {
  const { page } = await openPage();
  await page.fill('#upn', 'not a upn');
  const diag = page.locator('.diag[data-for="upn"] .error');
  await diag.waitFor({ timeout: 15000 });
  assert.match(await diag.textContent(), /not a user principal name/);
  // Beside the field: in the same .field block, right after the input.
  const sameField = await page.evaluate(() => {
    const input = document.getElementById('upn');
    const d = document.querySelector('.diag[data-for="upn"]');
    return input.parentElement === d.parentElement && input.nextElementSibling === d;
  });
  assert.ok(sameField);
  assert.ok(await page.locator('#upn.has-error').count() === 1);
  // Fixing it clears the message.
  await page.fill('#upn', 'fixed@example.com');
  await page.waitForFunction(() => !document.querySelector('.diag[data-for="upn"] .error'), null, { timeout: 15000 });
  await page.screenshot({ path: join(artifacts, 'bad-upn.png') });
  await page.close();
});

test('certificate flow: thumbprint read from the PFX by the server, package built', async () => {
  const pfx = process.env.PPKG_PFX;
  assert.ok(pfx, 'PPKG_PFX must be set');
  const { page, errors } = await openPage();
  await page.check('#flow-cert');
  await page.fill('#upn', 'device@example.com');
  await page.fill('#discovery', 'https://enroll.example.com/EnrollmentServer/Discovery.svc');
  await page.setInputFiles('#pfx', pfx);
  await page.fill('#pfx-password', process.env.PPKG_PFX_PASSWORD);
  await page.selectOption('#key-location', 'Software only');
  await page.waitForFunction((t) => document.getElementById('thumbprint').value === t,
    process.env.PPKG_PFX_THUMBPRINT, { timeout: 15000 });
  await page.fill('#pkg-name', 'Browser certificate');
  await waitValid(page);
  const file = await download(page, 'certificate.ppkg');
  const report = verify(file);
  if (report) {
    const text = JSON.stringify(report.settings);
    assert.match(text, /Certificate/);
    assert.match(text, /device@example\.com/);
  }
  // Drop the package on the Inspect zone: shown as a tree.
  await page.setInputFiles('#inspect-file', file);
  await page.locator('#inspect-tree').waitFor({ timeout: 15000 });
  assert.match(await page.textContent('#inspect-tree'), /Browser certificate/);
  await page.screenshot({ path: join(artifacts, 'certificate.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('computer-name worst case is shown live and over-long schemes are flagged', async () => {
  const { page } = await openPage();
  await page.fill('#computer-name', 'LAB-%SERIAL%-%RAND:3%');
  await page.fill('#serial-len', '10');
  await page.fill('#computer-name', 'LAB-%SERIAL%-%RAND:3%');
  assert.match(await page.textContent('#name-length'), /Worst case: 18 of 15/);
  assert.equal(await page.locator('#name-length.over').count(), 1);
  await page.close();
});

test('retry schedule drawn as an SVG timeline', async () => {
  const { page } = await openPage();
  await page.locator('#timeline-svg circle.attempt').first().waitFor({ timeout: 15000 });
  assert.ok(await page.locator('#timeline-svg circle.attempt').count() >= 5);
  assert.match(await page.textContent('#timeline-svg'), /system start/);
  await page.close();
});
