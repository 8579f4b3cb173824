// Benchmark scenarios. Each returns figures; the scripts in this folder print them.
// Simulated ones run on a virtual clock (hours in milliseconds, the same on every run).
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { connect } from '../src/courier/connect'
import { createTokenManager, type TokenManager } from '../src/index'
import { createDevIssuer, createTokenHandler } from '../src/server/index'
import { fakeCourier } from '../test/helpers/courier-fake'
import { fakeOnline, fakeVisibility } from '../test/helpers/environment'
import { courierJwt } from '../test/helpers/jwt'
import { fakeChannels, fakeLocks } from '../test/helpers/tabs'
import { virtualTime } from './virtual-time'

const MINUTE = 60_000
const HOUR = 60 * MINUTE

// Numbered tokens, not random ones: the refresh jitter comes from the token, so every run repeats the figures.
let minted = 0
const token = (issuedAt: number, lifetime: number) => courierJwt({ issuedAt, lifetime, jti: String(++minted) })

/** min+gzip (level 9) of `source` bundled by esbuild for the browser, as ESM, minified; `external` left out. */
export async function bundleSize(source: string, external: string[] = []): Promise<{ min: number; gzip: number }> {
  const result = await build({
    stdin: { contents: source, resolveDir: process.cwd(), loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    external,
    logLevel: 'silent',
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': '"production"' },
  })
  const code = result.outputFiles[0]!.contents
  return { min: code.length, gzip: gzipSync(code, { level: 9 }).length }
}

/** Backend requests in one hour from `tabs` tabs of one user, after a warm-up of one token lifetime. */
export async function requestsPerHour(tabs: number, crossTab: boolean, lifetime: number): Promise<number> {
  const time = virtualTime()
  const channels = fakeChannels()
  const locks = fakeLocks()
  let requests = 0
  let counting = false
  const managers: TokenManager[] = []
  for (let i = 0; i < tabs; i++) {
    const manager = createTokenManager({
      fetchToken: async () => {
        if (counting) requests++
        await time.sleep(150)
        return token(time.now, lifetime / 1000)
      },
      crossTab,
      channel: channels.create,
      locks,
      clock: time.clock,
      online: fakeOnline(),
      visibility: fakeVisibility(),
    })
    managers.push(manager)
    manager.start().catch(() => {})
    // Tabs open a few seconds apart, as a user opens them.
    await time.runUntil(time.now + 7_000)
  }
  await time.runUntil(time.now + lifetime)
  counting = true
  await time.runUntil(time.now + HOUR)
  for (const manager of managers) manager.stop()
  return requests
}

/** The same with the usual hand-written refresher: every tab re-fetches on a `setInterval` at 80% of the lifetime. */
export function intervalRequestsPerHour(tabs: number, lifetime: number): number {
  return tabs * Math.floor(HOUR / (lifetime * 0.8))
}

/** Timer callbacks in an idle hour (a 1-hour token held, nothing failing), counted on the virtual clock. */
export async function idleWakeups(): Promise<number> {
  const time = virtualTime()
  let wakeups = 0
  const wake = (callback: () => void) => () => {
    wakeups++
    callback()
  }
  const clock = { ...time.clock, setTimeout: (callback: () => void, ms: number) => time.clock.setTimeout(wake(callback), ms) }
  const manager = createTokenManager({
    crossTab: false,
    clock,
    online: fakeOnline(),
    visibility: fakeVisibility(),
    fetchToken: async () => token(time.now, 3600),
  })
  await manager.start()
  await time.runUntil(time.now + 2 * MINUTE)
  wakeups = 0
  await time.runUntil(time.now + HOUR)
  manager.stop()
  return wakeups
}

/** `getToken()` with a token held: calls per second, and bytes allocated per call. */
export async function getTokenHotPath(calls = 1_000_000) {
  const manager = createTokenManager({
    crossTab: false,
    online: fakeOnline(),
    visibility: fakeVisibility(),
    fetchToken: async () => courierJwt(),
  })
  await manager.start()
  for (let i = 0; i < 10_000; i++) await manager.getToken() // warm up the JIT
  const started = performance.now()
  for (let i = 0; i < calls; i++) await manager.getToken()
  const elapsed = performance.now() - started
  // Allocation: heap growth over batches small enough to fit the young generation (no scavenge in
  // between), after a full gc; the median of several batches.
  const gc = (globalThis as { gc?: () => void }).gc
  const batch = 5_000
  const perCall: number[] = []
  for (let round = 0; gc && round < 9; round++) {
    gc()
    const before = process.memoryUsage().heapUsed
    for (let i = 0; i < batch; i++) await manager.getToken()
    perCall.push((process.memoryUsage().heapUsed - before) / batch)
  }
  manager.stop()
  perCall.sort((a, b) => a - b)
  return { perSecond: Math.round((calls / elapsed) * 1000), bytesPerCall: gc ? perCall[4]! : NaN }
}

/** Heap used after gc, sampled every tenth of `cycles` refresh cycles of a manager with the Courier adapter. */
export async function heapOverCycles(cycles = 100_000, samples = 10) {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) throw new Error('Run with node --expose-gc.')
  const heap = () => {
    gc()
    gc()
    return process.memoryUsage().heapUsed
  }
  const time = virtualTime()
  const manager = createTokenManager({
    crossTab: false,
    clock: time.clock,
    online: fakeOnline(),
    visibility: fakeVisibility(),
    // 6-second tokens: a refresh every 1.25 to 2.5 virtual seconds.
    fetchToken: async () => token(time.now, 6),
  })
  const { courier } = fakeCourier()
  const disconnect = connect(manager, courier, { mode: 'seamless' })
  let seen = 0
  manager.on('token', () => seen++)
  manager.start().catch(() => {})
  await time.runUntil(time.now + MINUTE)
  const started = seen
  const rows: Array<{ cycles: number; heap: number }> = [{ cycles: 0, heap: heap() }]
  while (seen - started < cycles) {
    const target = started + (rows.length * cycles) / samples
    while (seen < target) await time.runUntil(time.now + MINUTE)
    rows.push({ cycles: seen - started, heap: heap() })
  }
  manager.stop()
  disconnect()
  return rows
}

/** Heap change per cycle over the second half of heapOverCycles' samples (the first half warms up). */
export function heapPerCycle(rows: Array<{ cycles: number; heap: number }>): number {
  const middle = rows[Math.floor(rows.length / 2)]!
  const last = rows.at(-1)!
  return (last.heap - middle.heap) / (last.cycles - middle.cycles)
}

/** Backend requests per hour for 1, 2, 4 and 8 tabs, with 5- and 60-minute tokens, with cross-tab sharing and without. */
export async function requestsPerHourByTabs() {
  const rows: Array<{ lifetime: number; tabs: number; without: number; shared: number }> = []
  for (const lifetime of [5 * MINUTE, 60 * MINUTE]) {
    for (const tabs of [1, 2, 4, 8]) {
      rows.push({
        lifetime,
        tabs,
        without: await requestsPerHour(tabs, false, lifetime),
        shared: await requestsPerHour(tabs, true, lifetime),
      })
    }
  }
  return rows
}

/** Courier calls for `requests` token requests, `concurrency` at a time, from `users` users. */
export async function handlerCourierCalls({ requests = 1_000, concurrency = 100, users = 10, cache = true } = {}) {
  const issuer = createDevIssuer({ force: true })
  let calls = 0
  const fetch: typeof globalThis.fetch = async (input, init) => {
    calls++
    await new Promise((resolve) => setTimeout(resolve, 20)) // Courier takes a moment
    return issuer.fetch(input, init)
  }
  const handler = createTokenHandler({
    apiKey: 'bench',
    fetch,
    getUserId: (request) => request.headers.get('x-user'),
    ...(cache ? {} : { cache: false as const }),
  })
  for (let done = 0; done < requests; done += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, requests - done) }, (_, i) =>
      handler(new Request('https://app.test/api/courier-token', { headers: { 'x-user': `user-${(done + i) % users}` } })),
    )
    for (const response of await Promise.all(batch)) if (response.status !== 200) throw new Error(`status ${response.status}`)
  }
  return calls
}
