// The Temporal Web UI (2.54.x, served by `./finetune dev`) driven by a real headless Chromium, on
// a worker that encrypts payloads: the history unreadable without the codec endpoint and readable
// with it (in the UI and for the Temporal CLI); find a pipeline by our search attributes, read its current details, decide a checkpoint with the
// UI's own "Send a Signal" dialog, open the HTML data report the review names, and screenshot the
// runs list, a run at its checkpoint, the data report and a finished run. Started by run.sh, which
// provides the environment below and the dev server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this test through browser-tests/run.sh`);
  return value;
};
const repo = env('FINETUNE_REPO_DIR');
const ui = env('FINETUNE_UI');
const spec = env('FINETUNE_SPEC');
const shots = env('SCREENSHOTS_DIR');
env('TEMPORAL_ADDRESS');
const codecEndpoint = env('FINETUNE_CODEC_ENDPOINT');
const codecToken = env('FINETUNE_CODEC_TOKEN');
const temporalCli = env('TEMPORAL_CLI');

const RUN_ID = process.env.FINETUNE_RUN_ID || 'ui-1';
const UI_WAIT = 20_000; // any one element of the UI to appear
const VISIBILITY_WAIT = 30_000; // search attributes to reach the visibility store
const CLI_WAIT = 240_000; // `status --wait` through import, baseline, training...

/** Runs ./finetune with a deadline; resolves to its stdout, rejects with its output on failure. */
function finetune(args, timeout = 60_000) {
  return new Promise((resolve, reject) => {
    execFile(
      path.join(repo, 'finetune'),
      args,
      { cwd: repo, timeout, killSignal: 'SIGKILL', maxBuffer: 10 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`./finetune ${args.join(' ')} failed (${error.code ?? error.signal}):\n${stdout}${stderr}`));
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

let browser;
let page;

before(async () => {
  mkdirSync(shots, { recursive: true });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    timeout: 60_000,
    // Debian's chromium on these machines: no sandbox, and nothing that reaches for the network.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(UI_WAIT);
  page.setDefaultNavigationTimeout(30_000);
});

after(async () => {
  await browser?.close();
});

const listUrl = (query) => `${ui}/namespaces/default/workflows?query=${encodeURIComponent(query)}`;

/** Opens the runs list filtered by a visibility query, reloading until `RUN_ID` is listed. */
async function openListShowing(query) {
  const link = page.getByRole('link', { name: RUN_ID, exact: true });
  const until = Date.now() + VISIBILITY_WAIT;
  for (;;) {
    await page.goto(listUrl(query));
    try {
      await link.first().waitFor({ timeout: 5_000 });
      return link;
    } catch (e) {
      if (Date.now() > until) {
        throw new Error(`${RUN_ID} not listed for ${query} within ${VISIBILITY_WAIT} ms`, { cause: e });
      }
    }
  }
}

/** Waits until the runs list says it holds `n` runs. */
async function workflowCount(n) {
  const count = page.getByTestId('workflow-count');
  const until = Date.now() + UI_WAIT;
  let shown;
  while ((shown = (await count.textContent()).trim()) !== n) {
    if (Date.now() > until) throw new Error(`the runs list says ${shown} runs, not ${n}`);
    await page.waitForTimeout(250);
  }
}

/** The run page's "User Metadata" tab; returns the frame that renders the current details. */
async function openCurrentDetails() {
  await page.goto(`${ui}/namespaces/default/workflows/${RUN_ID}`);
  await page.getByRole('heading', { name: RUN_ID }).waitFor();
  await page.getByRole('tab', { name: 'User Metadata' }).click();
  await page.getByText('Current Details').waitFor();
  // The UI renders the Markdown in an iframe of its own (/render?content=...).
  return page.frameLocator('iframe#user-metadata-current-details');
}

/** Runs the Temporal CLI; resolves to its stdout. */
function temporal(args) {
  return new Promise((resolve, reject) => {
    execFile(temporalCli, args, { timeout: 60_000, maxBuffer: 20 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`temporal ${args[0]} ${args[1]} failed: ${stderr}`));
      else resolve(stdout);
    });
  });
}

/** The run's first event's input as the Temporal CLI prints it, through the codec or not. */
async function startInput(codecArgs) {
  const history = JSON.parse(await temporal(['workflow', 'show', '-w', RUN_ID, '-o', 'json', ...codecArgs]));
  const payload = history.events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
  const encoding = Buffer.from(payload.metadata.encoding, 'base64').toString();
  return { encoding, data: Buffer.from(payload.data, 'base64').toString() };
}

/** The run page's Input card, as text. */
async function runInputText() {
  await page.goto(`${ui}/namespaces/default/workflows/${RUN_ID}`);
  await page.getByRole('heading', { name: RUN_ID }).waitFor();
  const input = page.getByText('Input', { exact: true }).locator('visible=true').first();
  await input.waitFor();
  await page.waitForTimeout(1000); // the card renders its payload after the page
  const text = await page.locator('body').innerText();
  return text.slice(text.indexOf('Input'));
}

let baselineFromCli;
let htmlReport; // the HTML data report's path, as `status` prints it

// The steps build on each other: once one fails, the rest are skipped rather than failing after it.
let failed = false;
function step(name, fn) {
  test(name, async (t) => {
    if (failed) {
      t.skip('an earlier step failed');
      return;
    }
    try {
      await fn(t);
    } catch (e) {
      failed = true;
      throw e;
    }
  });
}

step('a pipeline started from the CLI waits at data-review', async () => {
  const started = await finetune(['start', spec, '--id', RUN_ID]);
  assert.match(started, new RegExp(`Started ${RUN_ID} \\(FineTunePipeline`));
  const status = await finetune(['status', RUN_ID, '--wait'], CLI_WAIT);
  assert.match(status, /stage DATA_REVIEW, waiting for: data-review/);
  baselineFromCli = status.match(/prompt baseline \([^)]*\)\s+test\s+(\d\.\d{3})/)?.[1];
  assert.ok(baselineFromCli, `no baseline score in:\n${status}`);
  htmlReport = status.match(/^ {4}(\/\S+\.html) \(open in a browser: charts\)$/m)?.[1];
  assert.ok(htmlReport, `no HTML data report in:\n${status}`);
});

step('without the codec, the history holds only ciphertext: in the Web UI and for the Temporal CLI', async () => {
  const shown = await runInputText();
  assert.ok(!shown.includes('ticket-triage'), `the Input card shows plaintext:\n${shown.slice(0, 500)}`);
  assert.ok(!shown.includes('train.jsonl'));
  await page.screenshot({ path: path.join(shots, 'web-ui-encrypted-input.png') });

  const raw = await startInput([]);
  assert.equal(raw.encoding, 'binary/encrypted');
  assert.ok(!raw.data.includes('ticket-triage'));
  // Without the token, or with a wrong one, the endpoint decrypts nothing.
  const body = JSON.stringify({ payloads: [{ metadata: { encoding: Buffer.from(raw.encoding).toString('base64') }, data: '' }] });
  for (const [url, headers, status] of [
    [`${codecEndpoint}/decode`, {}, 401],
    [`${codecEndpoint}/decode`, { Authorization: 'Bearer wrong-token-0000000000' }, 403],
    [`${codecEndpoint}/wrong-token-0000000000/decode`, {}, 403],
  ]) {
    const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });
    assert.equal(r.status, status, `${url.replace(codecToken, '<token>')}: ${await r.text()}`);
  }
  const viaCodec = await startInput(['--codec-endpoint', codecEndpoint, '--codec-auth', `Bearer ${codecToken}`]);
  assert.equal(viaCodec.encoding, 'json/plain');
  assert.match(viaCodec.data, /"name":"ticket-triage"/);
});

step("with the codec endpoint set in the UI's Codec Server dialog, the history reads as JSON", async () => {
  await page.goto(`${ui}/namespaces/default/workflows/${RUN_ID}`);
  await page.getByRole('heading', { name: RUN_ID }).waitFor();
  await page.getByTestId('data-encoder-status').click(); // "Configure Codec Server"
  await page.getByTestId('use-local-endpoint-input').check();
  await page.getByTestId('data-encoder-endpoint-input').fill(`${codecEndpoint}/${codecToken}`);
  await page.getByTestId('confirm-modal-button').filter({ hasText: 'Apply' }).click();

  const decoded = page.waitForResponse((r) => r.url().startsWith(`${codecEndpoint}/`) && r.url().includes('/decode'));
  const shown = await runInputText();
  assert.equal((await decoded).status(), 200);
  assert.match(shown, /"name": "ticket-triage"/);
  assert.match(shown, /train\.jsonl/);
  await page.screenshot({ path: path.join(shots, 'web-ui-decrypted-input.png') });
});

step('the runs list finds it by a query on our search attributes', async () => {
  const link = await openListShowing('FinetuneModel="ticket-triage" AND FinetuneStage="DATA_REVIEW" AND ExecutionStatus="Running"');
  assert.equal(await link.count(), 1);
  // The UI shows the query as filter chips.
  await page.getByRole('button', { name: 'FinetuneStage = "DATA_REVIEW"' }).waitFor();
  await workflowCount('1');
  await page.screenshot({ path: path.join(shots, 'web-ui-runs-list.png') });

  // The filter really filters: nothing is at the promotion review yet.
  await page.goto(listUrl('FinetuneModel="ticket-triage" AND FinetuneStage="PROMOTION_REVIEW" AND ExecutionStatus="Running"'));
  await workflowCount('0');
  assert.equal(await page.getByRole('link', { name: RUN_ID, exact: true }).count(), 0);

  // From the list to the run page.
  await openListShowing('FinetuneModel="ticket-triage" AND FinetuneStage="DATA_REVIEW" AND ExecutionStatus="Running"');
  await page.getByRole('link', { name: RUN_ID, exact: true }).first().click();
  await page.getByRole('heading', { name: RUN_ID }).waitFor();
  await page.getByText(/^running$/i).first().waitFor();
  assert.match(page.url(), new RegExp(`/workflows/${RUN_ID}/`));
});

step('the run page shows its current details at the checkpoint', async () => {
  const details = await openCurrentDetails();
  const body = details.locator('body');
  await details.getByText('Decide with').waitFor();
  const text = (await body.innerText()).replace(/\s+/g, ' ');
  assert.match(text, /ticket-triage: stage DATA_REVIEW, waiting for data-review/);
  assert.match(text, new RegExp(`Prompt baseline: exact_match ${baselineFromCli.replace('.', '\\.')} \\(target 0\\.900\\)`));
  assert.match(text, new RegExp(`Decide with \\./finetune approve ${RUN_ID} --checkpoint data-review --by <you>`));
  assert.match(text, /send the signal decision with \{"checkpoint": "data-review", "action": "approve"/);
  assert.ok(text.includes(`with charts: ${htmlReport}`), `no HTML data report in:\n${text}`);
  await page.screenshot({ path: path.join(shots, 'web-ui-run-at-checkpoint.png') });
});

/** The numbers a chart or table carries on its elements (data-count), added up. */
const dataCounts = (locator) =>
  locator.evaluateAll((els) => els.reduce((sum, el) => sum + Number(el.dataset.count), 0));

step('the HTML data report renders its charts and the confusion matrices, offline', async () => {
  // Taller than the other pages: the screenshot shows the summary, warnings and charts.
  const report = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  const problems = [];
  report.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  report.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  report.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  report.on('request', (r) => { if (!r.url().startsWith('file:')) problems.push(`request to ${r.url()}`); });
  try {
    await report.goto(pathToFileURL(htmlReport).href);
    await report.getByRole('heading', { name: 'Data report', level: 1 }).waitFor();

    // The summary: rows, then train and test (rows kept out of training in neither).
    const summary = await report.locator('table.summary tr').nth(1).locator('td').allInnerTexts();
    const [rows, train, test] = summary.slice(0, 3).map(Number);
    assert.ok(rows > 0 && test > 0 && train + test <= rows, `summary ${summary}`);

    // One bar chart per category field of the spec (category, priority), each bar's count the rows
    // with that label: they add up to the rows; all drawn and visible.
    for (const field of ['category', 'priority']) {
      const chart = report.locator(`svg.chart.labels[data-field="${field}"]`);
      await chart.waitFor({ state: 'visible' });
      const box = await chart.boundingBox();
      assert.ok(box.width > 100 && box.height > 20, `${field} chart ${JSON.stringify(box)}`);
      const bars = chart.locator('g.bar');
      assert.ok((await bars.count()) >= 2, `${field}: fewer than 2 labels`);
      assert.ok((await dataCounts(bars)) <= rows);
      assert.ok((await bars.first().locator('rect').boundingBox()).width > 0);
    }
    // The input-length histogram: every row in one bin.
    const histogram = report.locator('svg.chart.histogram');
    await histogram.waitFor({ state: 'visible' });
    assert.equal(await dataCounts(histogram.locator('g.bin')), rows);

    // The prompt baseline's confusion matrix per category field: the same test rows in each.
    const matrices = report.locator('table.confusion');
    assert.equal(await matrices.count(), 2);
    const cells = await Promise.all(['category', 'priority'].map(async (field) => {
      const m = report.locator(`table.confusion[data-field="${field}"]`);
      await m.waitFor({ state: 'visible' });
      return dataCounts(m.locator('td[data-count]'));
    }));
    assert.ok(cells[0] > 0 && cells[0] === cells[1], `confusion matrices hold ${cells} rows`);

    // Nothing loaded from anywhere, no script error, no CSP complaint.
    assert.equal(await report.locator('script').count(), 0);
    assert.deepEqual(problems, []);
    await report.screenshot({ path: path.join(shots, 'data-report.png') });
  } finally {
    await report.close();
  }
});

step("the UI's Send a Signal dialog approves the data review", async () => {
  await page.goto(`${ui}/namespaces/default/workflows/${RUN_ID}`);
  await page.getByRole('heading', { name: RUN_ID }).waitFor();
  await page.getByRole('button', { name: 'More Actions' }).click();
  await page.getByRole('menuitem', { name: 'Send a Signal' }).click();
  const dialog = page.getByRole('dialog', { name: 'Send a Signal' });
  await dialog.waitFor();

  // The UI lists the signals the workflow defines (from the SDK's metadata query).
  await dialog.getByTestId('signal-select-button').click();
  await dialog.getByRole('option', { name: 'decision', exact: true }).click();
  assert.equal(await dialog.getByTestId('signal-select').inputValue(), 'decision');

  const payload = {
    checkpoint: 'data-review',
    action: 'approve',
    by: 'alice',
    comment: 'labels look right (from the Web UI)',
  };
  const data = dialog.getByRole('textbox', { name: 'Data' }); // a CodeMirror editor
  await data.click();
  await page.keyboard.insertText(JSON.stringify(payload)); // no auto-closed brackets or quotes
  // Leaving the editor re-formats the JSON and grows the dialog: leave it first, so that the
  // Submit button is where the click lands.
  await page.keyboard.press('Tab');
  assert.deepEqual(JSON.parse(await data.innerText()), payload);

  const submit = dialog.getByRole('button', { name: 'Submit' });
  await dialog.locator('[data-testid="confirm-modal-button"]:not([disabled])').waitFor();
  const sent = page.waitForResponse(
    (r) => r.request().method() === 'POST' && r.url().includes(`/workflows/${RUN_ID}/signal/decision`),
  );
  await submit.click();
  const response = await sent;
  assert.equal(response.status(), 200, `signal request answered ${response.status()}`);
  await dialog.waitFor({ state: 'hidden' });

  // The CLI sees the run past data-review, at the promotion checkpoint, decided via the signal.
  const status = await finetune(['status', RUN_ID, '--wait'], CLI_WAIT);
  assert.match(status, /stage PROMOTION_REVIEW, waiting for: promotion/);
  assert.match(status, /data-review\s+approve\s+by alice via signal at \S+, unverified \(--by only\): "labels look right \(from the Web UI\)"/);
});

step('the runs list follows the stage', async () => {
  await openListShowing('FinetuneModel="ticket-triage" AND FinetuneStage="PROMOTION_REVIEW" AND ExecutionStatus="Running"');
});

step('a run approved for promotion from the CLI shows as completed with its outcome', async () => {
  await finetune(['approve', RUN_ID, '--checkpoint', 'promotion', '--by', 'alice', '--comment', 'beats the baseline']);
  const status = await finetune(['status', RUN_ID, '--wait'], CLI_WAIT);
  assert.match(status, /outcome: PROMOTED/);
  assert.match(status, /promotion\s+approve\s+by alice via update/);

  await openListShowing('FinetuneModel="ticket-triage" AND FinetuneOutcome="PROMOTED"');
  const details = await openCurrentDetails();
  await page.getByText(/^completed$/i).first().waitFor();
  await details.getByText('Outcome:').waitFor();
  const text = (await details.locator('body').innerText()).replace(/\s+/g, ' ');
  assert.match(text, /ticket-triage: stage DONE/);
  // Each candidate with its score, latency and cost; then the gate's verdict.
  assert.match(
    text,
    /small ft:local-small:ticket-triage:\S+: exact_match \d\.\d{3}, p95 \d+\.\d ms, \$\d\.\d{4} per 1k requests \(best\)/,
  );
  assert.match(text, /Gate: small beats the prompt baseline: exact_match \d\.\d{3} vs \d\.\d{3}/);
  assert.match(text, /Outcome: PROMOTED: /);
  await page.screenshot({ path: path.join(shots, 'web-ui-run-finished.png') });
});
