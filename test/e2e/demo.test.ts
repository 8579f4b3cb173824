// The demo page in real Chromium: the built ESM bundle, real fetch, real timers, real online/offline events.
import { execFile, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startDemo, type DemoSession } from '../../examples/demo/server.mjs'
import { startCourierStub, STUB_API_KEY } from '../helpers/courier-stub'
import { launchChromium } from './chromium'

type DemoEvent = { type: string; text: string; at: number }

let browser: Browser
let demo: Awaited<ReturnType<typeof startDemo>>

beforeAll(async () => {
  demo = await startDemo({ lifetime: '8s', courier: false })
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await demo?.close()
})

/** A fresh page with its own demo session; `session` is the server's view of it. */
async function open(): Promise<{ page: Page; events: () => Promise<DemoEvent[]>; session: DemoSession }> {
  const context = await browser.newContext()
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  await page.goto(demo.url)
  await page.waitForFunction(() => (window as any).demo?.events.some((e: DemoEvent) => e.type === 'token'))
  expect(errors).toEqual([])
  const [cookie] = await context.cookies()
  return {
    page,
    events: () => page.evaluate(() => (window as any).demo.events as DemoEvent[]),
    session: demo.sessions.get(cookie!.value)!,
  }
}

const count = (events: DemoEvent[], type: string) => events.filter((event) => event.type === type).length

describe('the demo in Chromium', () => {
  it('refreshes the token before it expires, cycle after cycle', async () => {
    const { page, events, session } = await open()
    await page.waitForFunction(() => (window as any).demo.events.filter((e: DemoEvent) => e.type === 'token').length >= 3, null, {
      timeout: 20_000,
    })
    const seen = await events()
    expect(seen.filter((e) => e.type === 'refreshing').map((e) => e.text)).toEqual(['start', 'scheduled', 'scheduled'])
    expect(count(seen, 'expired')).toBe(0)
    expect(count(seen, 'error')).toBe(0)
    expect(session.requests).toBe(3)
    const tokens = seen.filter((e) => e.type === 'token')
    // 8-second tokens (7 s counted conservatively) with refreshMargin 5 s: the margin is capped at half
    // the life, 3.5 s, so refreshes come 1.75 to 3.5 seconds apart.
    for (let i = 1; i < tokens.length; i++) {
      expect(tokens[i]!.at - tokens[i - 1]!.at).toBeGreaterThanOrEqual(1_600)
      expect(tokens[i]!.at - tokens[i - 1]!.at).toBeLessThan(4_000)
    }
    expect(await page.textContent('#status')).toBe('ready')
    expect(await page.textContent('#user')).toBe('demo-user')
    mkdirSync('test-results', { recursive: true })
    await page.screenshot({ path: 'test-results/demo.png' })
    await page.context().close()
  })

  it('stops at a 401 from the backend: signed out, no more requests', async () => {
    const { page, events, session } = await open()
    await page.evaluate(() => (window as any).demo.setMode('unauthorized'))
    await page.click('#refresh')
    await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'unauthenticated')
    const after = session.requests
    // Longer than the token's refresh point and its expiry: nothing is scheduled any more.
    await page.waitForTimeout(9_000)
    expect(session.requests).toBe(after)
    expect(count(await events(), 'unauthenticated')).toBe(1)
    // The token and what it said are gone from the page; the timeline gives the error's words, not only its code.
    expect([await page.textContent('#user'), await page.textContent('#scopes')]).toEqual(['–', '–'])
    expect((await events()).find((e) => e.type === 'unauthenticated')?.text).toMatch(/^Token request failed: /)
    await page.context().close()
  })

  it('waits out an offline period without requests, then refreshes at once when back online', async () => {
    const { page, events, session } = await open()
    const context = page.context()
    await context.setOffline(true)
    expect(await page.evaluate(() => navigator.onLine)).toBe(false)
    const before = session.requests
    // The refresh comes due and the token expires while offline: no request is spent.
    await page.waitForFunction(() => (window as any).demo.events.some((e: DemoEvent) => e.type === 'expired'), null, { timeout: 12_000 })
    expect(session.requests).toBe(before)
    await context.setOffline(false)
    await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'ready', null, { timeout: 3_000 })
    expect(session.requests).toBe(before + 1)
    expect(count(await events(), 'error')).toBe(0)
    await context.close()
  })

  it('warns, in plain words, about a token issued without the inbox scopes', async () => {
    const { page, events } = await open()
    await page.evaluate(() => (window as any).demo.setMode('no-scopes'))
    await page.click('#refresh')
    await page.waitForFunction(() => (window as any).demo.events.some((e: DemoEvent) => e.text.startsWith('missing-scope')))
    // (The demo's 8-second test tokens also draw a short-lived warning.)
    const warning = (await events()).find((e) => e.type === 'warning' && e.text.startsWith('missing-scope'))!
    expect(warning.text).toMatch(/^missing-scope: inbox needs inbox:read:messages inbox:write:events/)
    expect(await page.textContent('#scopes')).toBe('user_id:demo-user')
    await page.context().close()
  })

  it('explains an HTML page served where the token should be', async () => {
    const { page, events } = await open()
    await page.evaluate(() => (window as any).demo.setMode('html'))
    await page.click('#refresh')
    await page.waitForFunction(() => (window as any).demo.events.some((e: DemoEvent) => e.type === 'error'))
    expect(
      await page.evaluate(async () => (await (window as any).demo.manager.refresh().catch((e: Error) => e.message)) as string),
    ).toMatch(/\/api\/generate-courier-jwt sent text\/html, not a JWT \(a missing route\?\)/)
    // The timeline names the code and says what it means.
    expect((await events()).find((e) => e.type === 'error')!.text).toMatch(
      /^invalid-response: \/api\/generate-courier-jwt sent text\/html, not a JWT \(a missing route\?\)\. Retry in \d+\.\d s\.$/,
    )
    await page.context().close()
  })
})

/** Sends `raw` to the demo server as is and resolves its status line. */
const statusLine = (url: string, raw: string) =>
  new Promise<string>((resolve, reject) => {
    const { port, hostname } = new URL(url)
    const socket = connect(Number(port), hostname, () => socket.end(raw))
    let text = ''
    socket.on('data', (chunk) => (text += chunk))
    socket.on('end', () => resolve(text.split('\r\n')[0]!))
    socket.on('error', reject)
  })

describe('the demo server', () => {
  it.each([
    ['a malformed percent-encoding', 'GET /% HTTP/1.1\r\nHost: x\r\n\r\n', '400'],
    ['a malformed percent-encoding in a library path', 'GET /dist/%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n', '400'],
    [
      'a method the Request constructor refuses on the token endpoint',
      'TRACE /api/generate-courier-jwt HTTP/1.1\r\nHost: x\r\n\r\n',
      '500',
    ],
  ])('answers %s and keeps serving', async (_, raw, status) => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(await statusLine(demo.url, raw)).toBe(`HTTP/1.1 ${status} ${status === '400' ? 'Bad Request' : 'Internal Server Error'}`)
    expect((await fetch(`${demo.url}api/demo/config`)).status).toBe(200)
  })

  it('serves nothing from a parent folder', async () => {
    expect(await statusLine(demo.url, 'GET /..%2f..%2fpackage.json HTTP/1.1\r\nHost: x\r\n\r\n')).toBe('HTTP/1.1 404 Not Found')
  })

  // dist-evil starts with "dist": a check of the prefix alone would serve it. The file must exist, or a 404 proves nothing.
  it('serves nothing from a sibling folder with a shared prefix', async () => {
    const sibling = fileURLToPath(new URL('../../dist-evil', import.meta.url))
    mkdirSync(sibling)
    try {
      writeFileSync(join(sibling, 'x.js'), 'secret')
      expect(await statusLine(demo.url, 'GET /dist/..%2fdist-evil%2fx.js HTTP/1.1\r\nHost: x\r\n\r\n')).toBe('HTTP/1.1 404 Not Found')
    } finally {
      rmSync(sibling, { recursive: true })
    }
  })

  it('rejects startDemo on a port in use instead of crashing', async () => {
    const { port } = new URL(demo.url)
    await expect(startDemo({ port: Number(port), courier: false })).rejects.toMatchObject({ code: 'EADDRINUSE' })
  })

  it('prints its URL within 10 s when run from the command line, serving its own build of the library', async () => {
    const started = Date.now()
    const child = spawn(process.execPath, ['examples/demo/server.mjs'], { env: { PATH: process.env.PATH ?? '', PORT: '0' } })
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = ''
        child.stdout.on('data', (chunk) => {
          out += chunk
          const match = /demo: (http:\S+)/.exec(out)
          if (match) resolve(match[1]!)
        })
        child.once('exit', (code) => reject(new Error(`exited with ${code}`)))
      })
      expect(Date.now() - started).toBeLessThan(10_000)
      // Its own copy (node_modules/.cache), so that `npm run build`, which empties dist/, cannot break it.
      const served = await (await fetch(`${url}dist/index.js`)).text()
      expect(served).toContain('createTokenManager')
      expect(served).toBe(readFileSync('node_modules/.cache/courier-token-manager-demo/index.js', 'utf8'))
      expect(served).not.toBe(readFileSync('dist/index.js', 'utf8'))
    } finally {
      child.kill()
    }
  })

  it('says which port is in use when run from the command line, and exits 1', async () => {
    const { port } = new URL(demo.url)
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        ['examples/demo/server.mjs'],
        { env: { PATH: process.env.PATH ?? '', PORT: port }, timeout: 10_000 },
        (error, _stdout, stderr) => resolve({ code: typeof error?.code === 'number' ? error.code : 0, stderr }),
      ),
    )
    expect(code).toBe(1)
    expect(stderr.trim()).toBe(`courier-token-manager demo: port ${port} is in use. Pick another: PORT=8080 npm run demo`)
  })
})

describe('the demo with Courier (COURIER_API_KEY)', () => {
  it('issues tokens through Courier and keeps the real <courier-inbox> signed in across refreshes', async () => {
    const stub = await startCourierStub()
    stub.messages.push({ messageId: 'm1', title: 'Hello from Courier', created: new Date().toISOString() })
    const withCourier = await startDemo({
      lifetime: '10s',
      courier: { apiKey: STUB_API_KEY, baseUrl: stub.baseUrl, apiUrls: stub.apiUrls },
    })
    const context = await browser.newContext()
    try {
      const page = await context.newPage()
      const errors: string[] = []
      page.on('pageerror', (error) => errors.push(error.message))
      await page.goto(withCourier.url)
      await page.waitForFunction(() => document.querySelector('courier-inbox')?.textContent?.includes('Hello from Courier'), null, {
        timeout: 10_000,
      })
      // Through the app's backend, with the server's key; the browser never saw it.
      expect(stub.issued[0]).toEqual({
        apiKey: STUB_API_KEY,
        scope: 'user_id:demo-user inbox:read:messages inbox:write:events',
        expires_in: '10s',
      })
      expect(await page.content()).not.toContain(STUB_API_KEY)
      // A refresh later: the socket reconnected with the new token, and nothing carried an expired one.
      await page.waitForFunction(() => (window as any).demo.events.filter((e: DemoEvent) => e.type === 'token').length >= 2, null, {
        timeout: 10_000,
      })
      const second = await page.evaluate(() => (window as any).demo.manager.current.token as string)
      await expect.poll(() => stub.subscribed().map((call) => call.token), { timeout: 5_000 }).toEqual([second])
      expect(stub.graphql.filter((call) => call.status !== 200)).toEqual([])
      expect(await page.textContent('courier-inbox')).toContain('Hello from Courier')
      expect(errors).toEqual([])
      mkdirSync('test-results', { recursive: true })
      await page.screenshot({ path: 'test-results/demo-with-courier.png', fullPage: true })
    } finally {
      await context.close()
      await withCourier.close()
      await stub.close()
    }
  })
})

describe('the demo with the local Courier (no COURIER_API_KEY)', () => {
  it('keeps the real <courier-inbox> live in real time across many refreshes, while a token fetched once goes dead', async () => {
    // 6-second tokens: the page refreshes about every 2 s, the naive Inbox's one token dies after 6.
    const local = await startDemo({ lifetime: '6s' })
    const context = await browser.newContext()
    try {
      const page = await context.newPage()
      const errors: string[] = []
      page.on('pageerror', (error) => errors.push(error.message))
      await page.goto(local.url)
      const tokens = () => page.evaluate(() => (window as any).demo.events.filter((e: DemoEvent) => e.type === 'token').length as number)
      await page.waitForFunction(() => (window as any).demo.events.filter((e: DemoEvent) => e.type === 'token').length >= 6, null, {
        timeout: 30_000,
      })
      const naive = page.frameLocator('#naive')
      await expect
        .poll(
          () =>
            page
              .frames()
              .find((frame) => frame.url().endsWith('/naive.html'))
              ?.evaluate(() => (window as any).naive?.dead),
          { timeout: 10_000 },
        )
        .toBe(true)

      // Sent after five refreshes and after the naive token died: the managed Inbox shows it within 2 s.
      await page.click('#send')
      const sentAt = Date.now()
      const inbox = page.locator('courier-inbox')
      await inbox.getByText('Test message 1').waitFor({ timeout: 2_000 })
      expect(Date.now() - sentAt).toBeLessThan(2_000)
      // The Inbox with a token fetched once lost its socket when that token expired: it never hears of it.
      await page.waitForTimeout(1_000)
      expect(await naive.locator('courier-inbox').textContent()).not.toContain('Test message 1')

      // Opening it marks it read, through the Inbox API, with a token that is valid now.
      await inbox.getByText('Test message 1').click()
      await expect.poll(() => local.local!.messages('demo-user')[0]?.read, { timeout: 3_000 }).toBeTruthy()
      const current = await page.evaluate(() => (window as any).demo.manager.current.token as string)
      expect(local.local!.connections().map((connection) => connection.token)).toContain(current)
      expect(await tokens()).toBeGreaterThanOrEqual(6)
      expect(
        (await page.evaluate(() => (window as any).demo.events as DemoEvent[])).filter((e) => ['error', 'expired'].includes(e.type)),
      ).toEqual([])
      expect(errors).toEqual([])
      mkdirSync('test-results', { recursive: true })
      await page.screenshot({ path: 'test-results/demo-local-courier.png', fullPage: true })
    } finally {
      await context.close()
      await local.close()
    }
  })
})
