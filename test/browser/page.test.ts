/**
 * The page at `/`, in a real headless Chromium (Debian's, driven by playwright-core, which gives it a fresh profile): a person writes a program,
 * presses Run, sees its prompt, types an answer and sees the result.
 */
import * as fs from 'fs';
import { chromium, type Browser } from 'playwright-core';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const CHROMIUM = '/usr/bin/chromium';

let t: TestPlatform;
let browser: Browser;

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium package`);
  t = await startTestPlatform({ executors: 2 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in CI, and no network but loopback: keep Chromium from calling home.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

test('write, run, answer the prompt, see the result (on a phone-sized screen)', async () => {
  const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await page.goto(t.platform.url + '/');
  await page.fill('#code', "name = input('please input: ')\nprint('Output: ', name)");
  await page.click('#run');
  await page.waitForFunction(() => document.querySelector('#out')!.textContent!.includes('please input: '));
  await page.fill('#stdin', 'phone');
  await page.press('#stdin', 'Enter');
  await page.waitForFunction(() => /^ok/.test(document.querySelector('#status')!.textContent!), undefined, { timeout: 20_000 });
  expect(await page.textContent('#out')).toBe('please input: phone\nOutput:  phone\n');
  expect(await page.isDisabled('#kill')).toBe(true);
  await page.close();
});

test('kill stops a running program from the page', async () => {
  const page = await browser.newPage();
  await page.goto(t.platform.url + '/');
  await page.fill('#code', "import time\nprint('tick', flush=True)\ntime.sleep(60)");
  await page.click('#run');
  await page.waitForFunction(() => document.querySelector('#out')!.textContent!.includes('tick'));
  await page.click('#kill');
  await page.waitForFunction(() => /^killed/.test(document.querySelector('#status')!.textContent!), undefined, { timeout: 20_000 });
  await page.close();
});
