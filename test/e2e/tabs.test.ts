// Tabs in real Chromium: real BroadcastChannel, real Web Locks, real network, the built bundle.
// Each browser context is one browser profile: its pages are the tabs of one user.
import { execSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildSync } from 'esbuild'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDemo, type DemoSession } from '../../examples/demo/server.mjs'
import { PROTOCOL_VERSION } from '../../src/cross-tab'
import { makeJwt } from '../helpers/jwt'
import { launchChromium, launchFreezableChromium } from './chromium'

type DemoEvent = { type: string; text: string; at: number }

// 10-second tokens; the demo page refreshes 5 seconds after a token arrives (its floor).
const LIFETIME_MS = 10_000
let browser: Browser
let demo: Awaited<ReturnType<typeof startDemo>>

beforeAll(async () => {
  demo = await startDemo({ lifetime: '10s', courier: false })
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
const status = (page: Page) => page.evaluate(() => (window as any).demo.manager.status as string)

/** The name of the demo manager's channel and Web Lock: `courier-token-manager v<protocol version> <url>`. */
const STREAM = `courier-token-manager v${PROTOCOL_VERSION} /api/generate-courier-jwt`
const lockHeld = (page: Page) =>
  page.evaluate((name) => navigator.locks.query().then(({ held }) => !!held?.some((lock) => lock.name === name)), STREAM)

/** Polls `condition` every 100 ms until it holds; fails after `ms`. */
async function until(condition: () => boolean | Promise<boolean>, ms: number, what: string) {
  const deadline = Date.now() + ms
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`)
    await sleep(100)
  }
}

/**
 * Replaces the demo page's manager with one built from `options` (the same bundle, the same endpoint
 * and user), started; its events go to the page's `demo.events` like the demo's own.
 */
async function installManager(page: Page, options: Record<string, unknown>) {
  // An inline module: a dynamic import() in the test's code would be rewritten by Vite before it reaches the page.
  await page.addScriptTag({
    type: 'module',
    content: "import { createTokenManager } from '/dist/index.js'; window.createTokenManager = createTokenManager",
  })
  await page.waitForFunction(() => typeof (window as any).createTokenManager === 'function')
  await page.evaluate(async (options) => {
    const { demo, createTokenManager } = window as any
    demo.manager.stop()
    demo.manager = createTokenManager({ url: '/api/generate-courier-jwt', userId: 'demo-user', ...options })
    for (const type of ['token', 'refreshing', 'error', 'expired', 'unauthenticated']) {
      demo.manager.on(type, (event: any) => demo.events.push({ type, text: event?.reason ?? event?.error?.message ?? '', at: Date.now() }))
    }
    await demo.manager.start()
  }, options)
}

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

/** The last commit whose tab protocol had version 1 (0.1's unversioned channel and lock names). */
const LAST_VERSION_1_COMMIT = '9f42be2'

/**
 * The library as it was at `commit`, bundled for the demo page (ky, jwt-decode and mitt from its import
 * map); it sets window.createOldTokenManager. Read from git, so it needs the repository's history.
 */
function buildAtCommit(commit: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'courier-token-manager-old-'))
  try {
    execSync(`git archive ${commit} src | tar -x -C ${JSON.stringify(dir)}`)
    const result = buildSync({
      stdin: {
        contents: "import { createTokenManager } from './src/index.ts'\nwindow.createOldTokenManager = createTokenManager",
        resolveDir: dir,
        loader: 'ts',
      },
      bundle: true,
      format: 'esm',
      target: 'es2022',
      external: ['ky', 'jwt-decode', 'mitt'],
      write: false,
      logLevel: 'silent',
    })
    return result.outputFiles[0]!.text
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Records in `window.channelNames` the name of every BroadcastChannel the context's pages open. */
const recordChannelNames = (context: BrowserContext) =>
  context.addInitScript(() => {
    const Native = BroadcastChannel
    const names: string[] = []
    ;(window as any).channelNames = names
    ;(window as any).BroadcastChannel = class extends Native {
      constructor(name: string) {
        super(name)
        names.push(name)
      }
    }
  })

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
    await Promise.all(
      others.map((page) =>
        page.waitForFunction((old) => (window as any).demo.manager.current?.expiresAt > old, Math.max(...before), { timeout: 4_000 }),
      ),
    )
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
    await Promise.all(
      pages.map((page) => page.waitForFunction(() => (window as any).demo.manager.status === 'ready', null, { timeout: 3_000 })),
    )
    expect(session.requests - sent).toBeLessThanOrEqual(2)

    await setMode(pages[0]!, 'fail')
    sent = session.requests
    await sleep(15_000)
    const failing = session.requests - sent
    // Three tabs, 15 s of 503s: retries are spaced at least 5 s apart per tab.
    expect(failing).toBeGreaterThanOrEqual(1)
    expect(failing).toBeLessThanOrEqual(9)
    await setMode(pages[0]!, 'ok')
    await Promise.all(
      pages.map((page) => page.waitForFunction(() => (window as any).demo.manager.status === 'ready', null, { timeout: 20_000 })),
    )
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
    // A page Chromium can freeze: Playwright's own pages stay visible, and a visible page is not frozen.
    const chromium = await launchFreezableChromium()
    try {
      const page = await chromium.newPage(demo.url)
      await page.waitForFunction(() => (window as any).demo?.manager.current !== undefined, null, { timeout: 5_000 })
      const [cookie] = await chromium.context.cookies()
      const session = demo.sessions.get(cookie!.value)!
      const first = await page.evaluate(() => (window as any).demo.manager.current.token as string)
      const cdp = await chromium.context.newCDPSession(page)
      await cdp.send('Page.setWebLifecycleState', { state: 'frozen' })
      const sent = session.requests
      await sleep(LIFETIME_MS + 1_000)
      // Frozen: no timer ran, so no refresh was sent.
      expect(session.requests).toBe(sent)
      // Resumed and shown again, as when the user returns to it.
      await cdp.send('Page.setWebLifecycleState', { state: 'active' })
      await cdp.send('Emulation.setFocusEmulationEnabled', { enabled: true })
      const resumedAt = Date.now()
      // The old token expired during the freeze (the server issues a new one: its clock moved too).
      await page.waitForFunction(
        (old) => (window as any).demo.manager.current && (window as any).demo.manager.current.token !== old,
        first,
        { timeout: 3_000 },
      )
      expect(Date.now() - resumedAt).toBeLessThan(2_000)
      expect((await events(page)).some((event) => event.type === 'expired')).toBe(true)
    } finally {
      await chromium.close()
    }
  })

  it('signs every tab out when the backend answers 401, and no tab asks again', async () => {
    const { context, pages, session } = await profile(3)
    await setMode(pages[0]!, 'unauthorized')
    const sent = session.requests
    // The next refresh gets the 401: every tab drops its token and stops.
    await Promise.all(
      pages.map((page) => page.waitForFunction(() => (window as any).demo.manager.status === 'unauthenticated', null, { timeout: 10_000 })),
    )
    const signedOut = session.requests - sent
    const states = await Promise.all(
      pages.map((page) =>
        page.evaluate(() => {
          const { manager } = (window as any).demo
          return { current: manager.current, code: manager.error?.code, status: manager.error?.status }
        }),
      ),
    )
    for (const state of states) expect(state).toMatchObject({ current: undefined, code: 'unauthenticated' })
    // The tab that got the 401 says so; the others heard it from that tab, or got a 401 of their own.
    expect(states.filter((state) => state.status === 401).length).toBe(signedOut)
    expect(signedOut).toBeGreaterThanOrEqual(1)
    expect(signedOut).toBeLessThanOrEqual(pages.length)
    // Nothing more: no retry, no refresh, no tab asking its peers and then the backend, well past the tokens' expiry.
    await sleep(LIFETIME_MS / 2)
    expect(session.requests - sent).toBe(signedOut)
    for (const page of pages) {
      expect(await status(page)).toBe('unauthenticated')
      expect((await events(page)).filter((event) => event.type === 'unauthenticated')).toHaveLength(1)
    }
    console.info(`sign-out: ${signedOut} request(s) for 3 tabs`)
    await context.close()
  })

  it('fetches without the lock a tab frozen mid-refresh keeps, before the token expires; the tab recovers when resumed', async () => {
    // Measured in Chromium: a frozen page keeps its Web Lock (its callback cannot return), its timers stop,
    // and BroadcastChannel messages still reach it. A short request timeout keeps the others' two waits for
    // the lock (2 × timeout each) short, and 24-second tokens leave room for both before the token runs out.
    const TIMEOUT_MS = 1_500
    const slow = await startDemo({ lifetime: '24s', courier: false })
    const chromium = await launchFreezableChromium()
    try {
      const pages: Page[] = []
      for (let i = 0; i < 3; i++) {
        const page = await chromium.newPage(slow.url)
        await page.waitForFunction(() => (window as any).demo?.manager.current !== undefined, null, { timeout: 5_000 })
        pages.push(page)
      }
      // The demo's managers all stop first: only the test's managers share the stream.
      for (const page of pages) await page.evaluate(() => (window as any).demo.manager.stop())
      for (const page of pages) await installManager(page, { refreshMargin: 12_000, request: { timeout: TIMEOUT_MS } })
      const [cookie] = await chromium.context.cookies()
      const session = slow.sessions.get(cookie!.value)!
      const [frozen, ...others] = pages as [Page, Page, Page]
      const old = await others[0].evaluate(() => (window as any).demo.manager.current as { token: string; expiresAt: number })
      for (const page of pages) expect(await page.evaluate(() => (window as any).demo.manager.current?.token)).toBe(old.token)

      // One tab refreshes against a backend that never answers, and is frozen as its request starts: it keeps the lock.
      const cdp = await chromium.context.newCDPSession(frozen)
      let frozenAt = 0
      await frozen.exposeFunction('freeze', async () => {
        await cdp.send('Page.setWebLifecycleState', { state: 'frozen' })
        frozenAt = Date.now()
      })
      session.mode = 'hang'
      const sent = session.requests
      await frozen.evaluate(() => {
        const { demo, freeze } = window as any
        const off = demo.manager.on('refreshing', () => {
          off()
          freeze()
        })
        demo.manager.refresh().catch(() => {})
      })
      await until(() => frozenAt > 0 && session.requests === sent + 1, 5_000, 'the tab to freeze with its request sent')
      session.mode = 'ok'
      expect(await lockHeld(others[0])).toBe(true)
      await others[0].evaluate((name) => {
        const asks: number[] = []
        ;(window as any).asks = asks
        new BroadcastChannel(name).onmessage = ({ data }) => data.type === 'ask' && asks.push(Date.now())
        // When the frozen tab's lock was last seen held.
        setInterval(async () => {
          const { held } = await navigator.locks.query()
          if (held?.some((lock) => lock.name === name)) (window as any).lockSeenAt = Date.now()
        }, 50)
      }, STREAM)

      // The others refresh on schedule, wait for the lock twice, then fetch without it: before their token expires.
      await Promise.all(
        others.map((page) =>
          page.waitForFunction((old) => (window as any).demo.manager.current?.expiresAt > old, old.expiresAt, {
            timeout: old.expiresAt - Date.now() + 2_000,
          }),
        ),
      )
      const bypassed = session.requests - sent - 1
      const [firstAsk] = await others[0].evaluate(() => (window as any).asks as number[])
      const adoptedAt = (await events(others[0])).find((event) => event.type === 'token' && event.at > frozenAt)!.at
      console.info(
        `frozen tab: the others fetched ${adoptedAt - firstAsk!} ms after their refresh began and ${old.expiresAt - adoptedAt} ms before expiry, ${bypassed} request(s)`,
      )
      // The frozen tab still held the lock when the others went without it (it gives it back once their token reaches it).
      expect(await others[0].evaluate(() => (window as any).lockSeenAt as number)).toBeGreaterThanOrEqual(adoptedAt - 200)
      expect(adoptedAt - firstAsk!).toBeGreaterThanOrEqual(2 * 2 * TIMEOUT_MS)
      expect(bypassed).toBeGreaterThanOrEqual(1)
      expect(bypassed).toBeLessThanOrEqual(others.length)
      for (const page of others)
        expect((await events(page)).filter((event) => event.type === 'expired' || event.type === 'error')).toEqual([])

      // Resumed and shown again, as when the user returns to it: its request times out, the lock is free, and it holds a valid token.
      await cdp.send('Page.setWebLifecycleState', { state: 'active' })
      await cdp.send('Emulation.setFocusEmulationEnabled', { enabled: true })
      await frozen.waitForFunction(
        () => (window as any).demo.manager.status === 'ready' && (window as any).demo.manager.current?.expiresAt > Date.now(),
        null,
        { timeout: 3_000 },
      )
      await until(async () => !(await lockHeld(others[0])), 3_000, 'the frozen tab to release the lock')
      expect(session.requests - sent - 1).toBe(bypassed)
    } finally {
      await chromium.close()
      await slow.close()
    }
  })
  it('forged messages: a page of the origin posting on the library’s channel never makes a tab hold or hand out a token past its JWT’s exp', async () => {
    const context = await browser.newContext()
    // The channel names, as the library opens them in the page (no name is assumed).
    await recordChannelNames(context)
    const victim = await context.newPage()
    await victim.goto(demo.url)
    await victim.waitForFunction(() => (window as any).demo?.manager.current !== undefined, null, { timeout: 5_000 })
    const names = await victim.evaluate(() => (window as any).channelNames as string[])
    expect(names).toContain(STREAM)
    // The attacker: a page of the same origin that runs no manager.
    const attacker = await context.newPage()
    await attacker.goto(`${demo.url}/not-a-page`)

    const now = Date.now()
    const jwt = (iat: number, exp: number) =>
      makeJwt({ scope: 'user_id:demo-user inbox:read:messages inbox:write:events', iat, exp, jti: `forged-${iat}-${exp}` })
    const seconds = Math.floor(now / 1000)
    const dead = jwt(seconds - 7200, seconds - 3600) // expired an hour ago
    // One minute left, issued 30 minutes ago: alive, newer than the demo's 10-second tokens.
    const alive = jwt(seconds - 1800, seconds + 60)
    const forged = [
      // The review's reproduction: an hour-expired JWT said to expire 10^10 ms ahead.
      { type: 'token', token: dead, expiresAt: now + 1e10, issuedAt: (seconds - 7200) * 1000 },
      // The same JWT with both times moved by one offset to "issued a second ago".
      { type: 'token', token: dead, expiresAt: now - 1000 + 3_600_000, issuedAt: now - 1000 },
      // A live JWT with both times moved 29 minutes later: held, but only until its own exp.
      { type: 'token', token: alive, expiresAt: (seconds + 60 + 29 * 60) * 1000, issuedAt: (seconds - 60) * 1000 },
    ]
    await attacker.evaluate(
      ({ names, forged }) => {
        for (const name of names) {
          const channel = new BroadcastChannel(name)
          for (const message of forged) channel.postMessage(message)
          channel.close()
        }
      },
      { names, forged },
    )
    // What the victim holds and hands out, every 50 ms for 2 s: each token judged by its own exp claim.
    const samples = await victim.evaluate(async () => {
      const claims = (token: string) => JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')))
      const seen: Array<{ token: string; held: number | null; exp: number; at: number }> = []
      for (const end = Date.now() + 2_000; Date.now() < end; ) {
        const token = await (window as any).demo.manager.getToken()
        const current = (window as any).demo.manager.current
        seen.push({ token, held: current?.token === token ? current.expiresAt : null, exp: claims(token).exp * 1000, at: Date.now() })
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
      return seen
    })
    expect(samples.length).toBeGreaterThan(10)
    expect(samples.filter((sample) => sample.exp <= sample.at)).toEqual([])
    expect(samples.filter((sample) => sample.held !== null && sample.held > sample.exp)).toEqual([])
    expect(samples.some((sample) => sample.token === dead)).toBe(false)
    // The live forged token was taken (it is newer), placed at its own exp, not 29 minutes later.
    const adopted = samples.find((sample) => sample.token === alive)
    expect(adopted?.held).toBe((seconds + 60) * 1000)
    await context.close()
  })
  it('an old build (protocol version 1, unversioned names) and a new one in one profile ignore each other, and both always hold a valid token', async () => {
    const oldBuild = buildAtCommit(LAST_VERSION_1_COMMIT)
    const context = await browser.newContext()
    await recordChannelNames(context)
    const [older, newer] = [await context.newPage(), await context.newPage()]
    for (const page of [older, newer]) {
      await page.goto(demo.url)
      await page.waitForFunction(() => (window as any).demo?.manager.current !== undefined, null, { timeout: 5_000 })
    }
    // The first tab is replaced by the old build, as a tab left open across a deploy would be.
    await older.addScriptTag({ type: 'module', content: oldBuild })
    await older.waitForFunction(() => typeof (window as any).createOldTokenManager === 'function')
    await older.evaluate(async () => {
      const { demo, createOldTokenManager } = window as any
      demo.manager.stop()
      ;(window as any).channelNames.length = 0
      demo.manager = createOldTokenManager({ url: '/api/generate-courier-jwt', userId: 'demo-user' })
      await demo.manager.start()
    })
    for (const page of [older, newer]) {
      await page.evaluate(() => {
        const log: string[] = []
        ;(window as any).fetches = log
        ;(window as any).demo.manager.on('refreshing', ({ reason }: { reason: string }) => log.push(reason))
      })
    }
    const gaps = await watch([older, newer], 2 * LIFETIME_MS + 2_000)
    const [oldNames, newNames] = await Promise.all(
      [older, newer].map((page) => page.evaluate(() => (window as any).channelNames as string[])),
    )
    const [oldFetches, newFetches] = await Promise.all(
      [older, newer].map((page) => page.evaluate(() => (window as any).fetches as string[])),
    )
    // Each build on its own channel (and locks): the old one on 0.1's unversioned name.
    expect(oldNames).toEqual(['courier-token-manager /api/generate-courier-jwt'])
    expect(newNames).toEqual([STREAM])
    // Neither took the other's tokens instead of fetching: each refreshed on its own, twice at least.
    expect(oldFetches!.filter((reason) => reason === 'scheduled').length).toBeGreaterThanOrEqual(2)
    expect(newFetches!.filter((reason) => reason === 'scheduled').length).toBeGreaterThanOrEqual(2)
    expect(gaps).toBe(0)
    for (const page of [older, newer])
      expect((await events(page)).filter((event) => event.type === 'expired' || event.type === 'error')).toEqual([])
    await context.close()
  })
})
