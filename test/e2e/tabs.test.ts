// Tabs in real Chromium: real BroadcastChannel, real Web Locks, real network, the built bundle.
// Each browser context is one browser profile: its pages are the tabs of one user.
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDemo, type DemoSession } from '../../examples/demo/server.mjs'
import { launchChromium } from './chromium'

type DemoEvent = { type: string; text: string; at: number }

// 10-second tokens; the demo page refreshes 5 seconds after a token arrives (its floor).
const LIFETIME_MS = 10_000
let browser: Browser
let demo: Awaited<ReturnType<typeof startDemo>>

beforeAll(async () => {
  demo = await startDemo({ lifetime: '10s' })
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await demo?.close()
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A browser profile with `count` tabs of the demo, opened one after the other like a user would. */
async function profile(count: number) {
  const context = await browser.newContext()
  const pages: Page[] = []
  for (let i = 0; i < count; i++) {
    const page = await context.newPage()
    await page.goto(demo.url)
    await page.waitForFunction(() => (window as any).demo?.manager.current !== undefined, null, { timeout: 5_000 })
    pages.push(page)
  }
  const [cookie] = await context.cookies()
  const session: DemoSession = demo.sessions.get(cookie!.value)!
  return { context, pages, session }
}

const events = (page: Page) => page.evaluate(() => (window as any).demo.events as DemoEvent[])
const holdsValidToken = (page: Page) =>
  page.evaluate(() => {
    const info = (window as any).demo.manager.current
    return !!info && info.expiresAt > Date.now()
  })
const setMode = (page: Page, mode: string) => page.evaluate((value) => (window as any).demo.setMode(value), mode)

/** Samples every tab every 200 ms for `ms`: how often a tab held no valid token. */
async function watch(pages: Page[], ms: number) {
  let gaps = 0
  const until = Date.now() + ms
  while (Date.now() < until) {
    for (const held of await Promise.all(pages.map(holdsValidToken))) if (!held) gaps++
    await sleep(200)
  }
  return gaps
}

describe('tabs in Chromium', () => {
  it('asks the backend once per cycle with 5 tabs, and every tab always holds a valid token', async () => {
    const [one, five] = await Promise.all([profile(1), profile(5)])
    // The 5 tabs opened one after another: only the first asked the backend.
    expect(five.session.requests).toBe(1)
    // Which tokens each tab gets from here on (in the page only: tokens are never logged).
    for (const page of [...one.pages, ...five.pages]) {
      await page.evaluate(() => {
        ;(window as any).seen = []
        ;(window as any).demo.manager.on('token', (info: { token: string }) => (window as any).seen.push(info.token))
      })
    }
    const start = { one: one.session.requests, five: five.session.requests }
    const [gapsOne, gapsFive] = await Promise.all([watch(one.pages, 2 * LIFETIME_MS + 1_000), watch(five.pages, 2 * LIFETIME_MS + 1_000)])
    const requests = { one: one.session.requests - start.one, five: five.session.requests - start.five }
    const seen = await Promise.all(five.pages.map((page) => page.evaluate(() => (window as any).seen as string[])))
    const distinct = new Set(seen.flat())
    console.info(`tabs: 1 tab made ${requests.one} requests, 5 tabs made ${requests.five}, for ${distinct.size} tokens`)
    // One request per cycle: every request brought a new token, and every tab adopted every one.
    expect(requests.five).toBeGreaterThanOrEqual(4)
    expect(requests.five).toBe(distinct.size)
    for (const tokens of seen) expect(new Set(tokens)).toEqual(distinct)
    // The cadence is one tab's: the jitter comes from each token, so the counts differ by chance only.
    expect(requests.five).toBeLessThanOrEqual(requests.one * 1.5 + 1)
    expect(gapsOne + gapsFive).toBe(0)
    for (const page of five.pages) expect((await events(page)).filter((event) => event.type === 'expired')).toEqual([])
    await Promise.all([one.context.close(), five.context.close()])
  })

  it('lets another tab take over when the fetching tab closes mid-refresh', async () => {
    const { context, pages, session } = await profile(3)
    await setMode(pages[0]!, 'hang')
    // Wait for the refresh: one tab is stuck fetching, holding the lock.
    let leader: Page | undefined
    for (let i = 0; i < 100 && !leader; i++) {
      const statuses = await Promise.all(pages.map((page) => page.evaluate(() => (window as any).demo.manager.status as string)))
      leader = pages[statuses.indexOf('refreshing')]
      if (!leader) await sleep(100)
    }
    expect(leader).toBeDefined()
    const before = await Promise.all(pages.map((page) => page.evaluate(() => (window as any).demo.manager.current?.expiresAt as number)))
    const others = pages.filter((page) => page !== leader)
    await setMode(others[0]!, 'ok')
    await leader!.close()
    // The others get a fresh token well before the old one expires.
    await Promise.all(others.map((page) => page.waitForFunction((old) => (window as any).demo.manager.current?.expiresAt > old, Math.max(...before), { timeout: 4_000 })))
    for (const page of others) expect((await events(page)).filter((event) => event.type === 'expired')).toEqual([])
    expect(session.requests).toBeLessThanOrEqual(4)
    await context.close()
  })

  it('recovers when the network and then the backend come back, with a bounded number of requests', async () => {
    const { context, pages, session } = await profile(3)
    await context.setOffline(true)
    let sent = session.requests
    await sleep(LIFETIME_MS + 1_000)
    // Offline: nothing is sent, the tokens run out.
    expect(session.requests).toBe(sent)
    await context.setOffline(false)
    await Promise.all(pages.map((page) => page.waitForFunction(() => (window as any).demo.manager.status === 'ready', null, { timeout: 3_000 })))
    expect(session.requests - sent).toBeLessThanOrEqual(2)

    await setMode(pages[0]!, 'fail')
    sent = session.requests
    await sleep(15_000)
    const failing = session.requests - sent
    // Three tabs, 15 s of 503s: retries are spaced at least 5 s apart per tab.
    expect(failing).toBeGreaterThanOrEqual(1)
    expect(failing).toBeLessThanOrEqual(9)
    await setMode(pages[0]!, 'ok')
    await Promise.all(pages.map((page) => page.waitForFunction(() => (window as any).demo.manager.status === 'ready', null, { timeout: 20_000 })))
    await context.close()
  })

  it('refreshes at once when a hidden tab that slept past expiry becomes visible', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.clock.install()
    await page.goto(demo.url)
    await page.waitForFunction(() => (window as any).demo?.manager.current !== undefined)
    const [cookie] = await context.cookies()
    const session = demo.sessions.get(cookie!.value)!
    // Hidden, then asleep: timers stop while the page's wall clock moves a minute on.
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' })
      document.dispatchEvent(new Event('visibilitychange', { bubbles: true }))
    })
    await page.clock.pauseAt(Date.now() + 1_000)
    await page.clock.setSystemTime(Date.now() + 60_000)
    expect(await page.evaluate(() => (window as any).demo.manager.current)).toBeUndefined()
    const before = session.requests
    await page.clock.resume()
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' })
      document.dispatchEvent(new Event('visibilitychange', { bubbles: true }))
    })
    // Visible again: a request at once, and a token valid on the page's clock. (The server may hand
    // back the token it issued a moment ago: on its own clock that one is still fresh.)
    await page.waitForFunction(() => (window as any).demo.manager.current?.expiresAt > Date.now(), null, { timeout: 2_000 })
    expect(session.requests).toBe(before + 1)
    expect((await events(page)).some((event) => event.type === 'expired')).toBe(true)
    await context.close()
  })

  it('refreshes at once when a page frozen past expiry is resumed', async () => {
    const { context, pages } = await profile(1)
    const page = pages[0]!
    const first = await page.evaluate(() => (window as any).demo.manager.current.token as string)
    const cdp = await context.newCDPSession(page)
    await cdp.send('Page.setWebLifecycleState', { state: 'frozen' })
    await sleep(LIFETIME_MS + 1_000)
    await cdp.send('Page.setWebLifecycleState', { state: 'active' })
    const resumedAt = Date.now()
    // The old token expired during the freeze (the server issues a new one: its clock moved too).
    await page.waitForFunction((old) => (window as any).demo.manager.current && (window as any).demo.manager.current.token !== old, first, { timeout: 3_000 })
    expect(Date.now() - resumedAt).toBeLessThan(2_000)
    await context.close()
  })
})

