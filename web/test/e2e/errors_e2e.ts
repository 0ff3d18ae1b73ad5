// Errors a person can act on, end to end: a PACS that answers 401, 403 or 500 (Playwright route interception: a real
// Orthanc without authentication cannot), one that cannot be reached, an unknown study, a colour image and a non-CT
// series (real ones, uploaded to Orthanc), and models that fail to load (wrong SHA-256, no segmentation metadata).
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { errorText } from './page_probe.js';

export interface ErrorCase {
  origin: string;
  colourStudyUid: string; // a study with an RGB image labelled CT (series 1) and a secondary capture OT (series 2)
  demoStudyUid: string;
  shots: string;
  check(ok: boolean, what: string, detail?: string): void;
}

export async function checkErrors(page: Page, c: ErrorCase): Promise<void> {
  const { origin, shots, check } = c;
  const dicomWeb = (url: URL) => url.pathname.startsWith('/dicom-web/');

  for (const [status, pattern, what] of [
    [401, /asks for a login to read the study list \(HTTP 401\)\. Sign in to/, 'a PACS that asks for a login (401)'],
    [403, /may not read the study list on this PACS \(HTTP 403\)\. Ask its administrator/, 'a PACS that refuses the account (403)'],
    [500, /failed while answering the study list \(HTTP 500\)\. Try again/, 'a PACS that fails (500)'],
  ] as const) {
    await page.route(dicomWeb, (route) => route.fulfill({ status, body: '' }));
    await page.goto(`${origin}/cairn/`);
    const text = await errorText(page);
    check(pattern.test(text), `${what} is reported`, text);
    await page.screenshot({ path: join(shots, `error-${status}.png`) });
    await page.unroute(dicomWeb);
  }

  await page.goto(`${origin}/cairn/?root=${encodeURIComponent('http://127.0.0.1:9/dicom-web/')}`);
  let text = await errorText(page);
  check(/The PACS at http:\/\/127\.0\.0\.1:9\/dicom-web\/ cannot be reached/.test(text), 'an unreachable PACS is reported', text);
  await page.screenshot({ path: join(shots, 'error-unreachable.png') });

  await page.goto(`${origin}/cairn/?study=1.2.3.4.5`);
  text = await errorText(page);
  check(/no study 1\.2\.3\.4\.5/.test(text), 'an unknown study is reported', text);
  await page.screenshot({ path: join(shots, 'error-unknown-study.png') });

  await page.goto(`${origin}/cairn/?study=${c.colourStudyUid}`);
  text = await errorText(page);
  check(/colour series \(RGB, 3 samples per pixel\)/.test(text), 'a colour image labelled CT is refused with the reason', text);
  await page.screenshot({ path: join(shots, 'error-colour.png') });
  await page.click('#error-close');
  await page.waitForSelector('#series li:nth-child(2)');
  await page.click('#series li:nth-child(2)');
  text = await errorText(page);
  check(/This is a OT series, not CT/.test(text), 'a secondary capture (OT) is refused as not CT', text);
  check(await page.isVisible('#placeholder'), 'nothing is shown for them', '');

  // Models that fail to load, on the demo study.
  await page.goto(`${origin}/cairn/?study=${c.demoStudyUid}`);
  await page.waitForFunction(() => (globalThis as any).cairnViewer?.state().drawn >= 0, null, { timeout: 60_000 });
  for (const [id, pattern, what] of [
    ['wrong-sha', /could not be downloaded: model 'wrong-sha' from .* was refused: its SHA-256 is [0-9a-f]{64}, the catalog expects 0{64} .*Reload the page to try again; if this persists, .* ask the administrator to reinstall the model\./, 'a model whose SHA-256 does not match the catalog'],
    ['no-metadata', /does not say how to segment with it: .*cairn\.schema/, 'a model without segmentation metadata'],
  ] as const) {
    await page.selectOption('#model', id);
    await page.click('#apply');
    text = await errorText(page, 120_000);
    check(pattern.test(text), `${what} is reported`, text);
    await page.screenshot({ path: join(shots, `error-model-${id}.png`) });
    await page.click('#error-close');
  }
}
