// A bounded minute of abuse in real Chromium: 3 tabs of the demo, each with the real <courier-inbox>
// kept busy, 2-second tokens, a backend flapping between up and down. Courier (a loopback stand-in
// that refuses expired tokens, as Courier does) must never receive an expired token.
import type { Page } from 'playwright-core'
import { expect, it } from 'vitest'
import { startDemo } from '../../examples/demo/server.mjs'
import { startCourierStub, STUB_API_KEY } from '../helpers/courier-stub'
import { launchChromium } from './chromium'

const SOAK_MS = Number(process.env.SOAK_MS ?? 60_000)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

it(`never sends Courier an expired token: 3 tabs, 2-second tokens, a flapping backend, ${SOAK_MS / 1000} s`, async () => {
  const stub = await startCourierStub()
  stub.messages.push({ messageId: 'm1', title: 'Soak', created: new Date().toISOString() })
  const demo = await startDemo({ lifetime: '2s', courier: { apiKey: STUB_API_KEY, baseUrl: stub.baseUrl, apiUrls: stub.apiUrls } })
  const browser = await launchChromium()
  try {
    const context = await browser.newContext()
    const pages: Page[] = []
    const errors: string[] = []
    for (let i = 0; i < 3; i++) {
      const page = await context.newPage()
      page.on('pageerror', (error) => errors.push(error.message))
      await page.goto(demo.url)
      await page.waitForFunction(() => document.querySelector('courier-inbox')?.textContent?.includes('Soak'), null, { timeout: 10_000 })
      // Keep Courier busy, as a user reading the Inbox would. (A module script: the page's import map resolves it.)
      await page.addScriptTag({
        type: 'module',
        content: `import { CourierInboxDatastore } from '@trycourier/courier-ui-inbox'
          setInterval(() => CourierInboxDatastore.shared.loadUnreadCountsForTabs(['all_messages']).catch(() => {}), 250)`,
      })
      // When each tab said it would try again, to bound its recovery by what it announced.
      await page.evaluate(() =>
        (window as any).demo.manager.on(
          'error',
          ({ retryInMs }: { retryInMs?: number }) => ((window as any).retryAt = Date.now() + (retryInMs ?? 0)),
        ),
      )
      pages.push(page)
    }
    const [cookie] = await context.cookies()
    const session = demo.sessions.get(cookie!.value)!

    const end = Date.now() + SOAK_MS
    let up = true
    while (Date.now() < end) {
      await sleep(1_500 + Math.random() * 3_000)
      up = !up
      session.mode = up ? 'ok' : 'fail'
    }
    session.mode = 'ok'
    // Every tab is back on a valid token once the backend is up: at its announced retry at the
    // latest, plus one request (the timeout, 10 s) and a little slack.
    const retryAt = Math.max(
      Date.now(),
      ...(await Promise.all(pages.map((page) => page.evaluate(() => ((window as any).retryAt ?? 0) as number)))),
    )
    const recovery = retryAt - Date.now() + 12_000
    for (const page of pages)
      await page.waitForFunction(() => (window as any).demo.manager.current?.expiresAt > Date.now(), null, { timeout: recovery })

    const tokens = await Promise.all(
      pages.map((page) =>
        page.evaluate(() => (window as any).demo.events.filter((e: { type: string }) => e.type === 'token').length as number),
      ),
    )
    const expired = await Promise.all(
      pages.map((page) =>
        page.evaluate(() => (window as any).demo.events.filter((e: { type: string }) => e.type === 'expired').length as number),
      ),
    )
    const refused = stub.graphql.filter((call) => call.status !== 200)
    console.info(
      [
        `soak ${SOAK_MS / 1000} s, 3 tabs, 2-second tokens, backend flapping:`,
        `  token endpoint: ${session.requests} requests (${stub.issued.length} tokens issued by Courier)`,
        `  tokens seen per tab: ${tokens.join(', ')}; expiries without a replacement per tab: ${expired.join(', ')}`,
        `  Courier: ${stub.graphql.length} Inbox requests, ${stub.sockets.length} sockets; refused for an expired token: ${refused.length} requests, ${stub.sockets.filter((call) => call.refused).length} sockets`,
      ].join('\n'),
    )
    expect(stub.graphql.length).toBeGreaterThan(100)
    expect(refused).toEqual([])
    expect(stub.sockets.filter((call) => call.refused)).toEqual([])
    expect(errors).toEqual([])
  } finally {
    await browser.close()
    await demo.close()
    await stub.close()
  }
}, 240_000) // the soak, then at most the capped backoff (2 min) to recover
