// Drives the GraphiQL page in headless Chromium with every other origin blocked, as
// tests/api/graphiql.rs runs it: `node web/graphiql/e2e.mjs <server url> <token>`.
// Checks: the page loads with no request to another origin and no CSP violation, the token is
// kept and sent, the docs list `Lead`, the query builder lists `leads`, the first example runs and
// shows data, autocomplete offers `leads`, and a WebSocket opened by the page gets
// `connection_ack` with the token.
// Exits 0 on success, 1 with the reason on stderr.
import { chromium } from 'playwright-core';

const [url, token] = process.argv.slice(2);
if (!url || !token) {
  console.error('usage: node e2e.mjs <server url> <token>');
  process.exit(2);
}
const origin = new URL(url).origin;
const executablePath = process.env.CDP_CHROMIUM ?? '/usr/bin/chromium';
const STEP = 30_000;

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: [
    // Any name but the server's resolves to nothing: a forgotten CDN link fails here too.
    `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${new URL(url).hostname}`,
    '--no-sandbox',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--disable-component-update',
  ],
});
const problems = [];
try {
  const context = await browser.newContext();
  const blocked = [];
  await context.route('**/*', (route) => {
    const target = route.request().url();
    if (new URL(target).origin === origin) return route.continue();
    blocked.push(target);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  const violations = [];
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));

  const step = async (what, action) => {
    try {
      return await action();
    } catch (e) {
      throw new Error(`${what}: ${e.message.split('\n')[0]}`);
    }
  };

  try {
    await step('the page loads', async () => {
      await page.goto(url, { waitUntil: 'load', timeout: STEP });
      await page.locator('.graphiql-container').waitFor({ timeout: STEP });
      await page.locator('.graphiql-editor .monaco-editor').first().waitFor({ timeout: STEP });
    });

    await step('the token is entered and kept', async () => {
      await page.locator('input[name="token"]').fill(token);
      await page.getByRole('button', { name: 'Use token' }).click();
      await page.getByRole('status').filter({ hasText: 'Token set.' }).waitFor({ timeout: STEP });
      const kept = await page.evaluate(() => window.localStorage.getItem('cdp360.token'));
      if (kept !== token) throw new Error('the token is not in localStorage');
    });

    await step('the docs explorer lists Lead', async () => {
      await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
      const docs = page.locator('.graphiql-doc-explorer');
      await docs.waitFor({ timeout: STEP });
      await docs
        .locator('a.graphiql-doc-explorer-type-name', { hasText: /^Lead$/ })
        .first()
        .waitFor({ timeout: STEP });
    });

    await step('the query builder lists leads', async () => {
      await page.getByRole('button', { name: 'Show GraphiQL Explorer' }).click();
      await page
        .locator('.graphiql-explorer-root')
        .getByText('leads', { exact: true })
        .first()
        .waitFor({ timeout: STEP });
    });

    await step('the first example runs with the token and shows data', async () => {
      const answered = page.waitForResponse(
        (r) =>
          r.url() === `${origin}/graphql` &&
          r.request().method() === 'POST' &&
          (r.request().postData() ?? '').includes('Customer360'),
        { timeout: STEP },
      );
      await page.locator('.graphiql-execute-button').click();
      const response = await answered;
      const sent = response.request().headers()['authorization'];
      if (sent !== `Bearer ${token}`) throw new Error(`Authorization sent: ${sent}`);
      const body = await response.json();
      if (body.errors) throw new Error(`errors: ${JSON.stringify(body.errors)}`);
      if (!body.data?.accounts?.nodes?.length) throw new Error(`no accounts: ${JSON.stringify(body)}`);
      const name = body.data.accounts.nodes[0].accountName;
      await page.locator('.graphiql-response').getByText(name).first().waitFor({ timeout: STEP });
    });

    await step('autocomplete offers leads (Monaco and its GraphQL worker run)', async () => {
      await page.locator('.graphiql-query-editor .monaco-editor').first().click();
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.type('query Typed { lea');
      await page.keyboard.press('Control+Space');
      const suggestions = page.locator('.suggest-widget .monaco-list-row');
      await suggestions
        .filter({ hasText: /^leads/ })
        .first()
        .waitFor({ timeout: STEP });
    });

    await step('a WebSocket from the page is acknowledged with the token', async () => {
      const answer = await page.evaluate(
        (t) =>
          new Promise((resolve) => {
            const ws = new WebSocket(
              new URL('/graphql', location.href).href.replace(/^http/, 'ws'),
              'graphql-transport-ws',
            );
            const timer = setTimeout(() => resolve('no answer in 10 s'), 10_000);
            ws.onopen = () =>
              ws.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${t}` } }));
            ws.onmessage = (m) => {
              clearTimeout(timer);
              ws.close();
              resolve(JSON.parse(m.data).type);
            };
            ws.onerror = () => resolve('error');
          }),
        token,
      );
      if (answer !== 'connection_ack') throw new Error(`answer: ${answer}`);
    });
  } catch (e) {
    problems.push(e.message);
  }
  violations.push(...(await page.evaluate(() => window.__violations ?? []).catch(() => [])));
  if (blocked.length) problems.push(`requests to other origins: ${blocked.join(', ')}`);
  if (violations.length) {
    const distinct = [...new Set(violations.map((v) => v.slice(0, 200)))];
    problems.push(
      `${violations.length} content security policy violations, e.g.: ${distinct.slice(0, 5).join(' | ')}`,
    );
  }
} catch (e) {
  problems.push(e.message);
} finally {
  await browser.close();
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log('graphiql e2e: ok');
