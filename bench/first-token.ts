// The first token in real Chromium: how long start() takes in a tab with no peers, with cross-tab
// sharing (the default) and without, on a secure origin (Web Locks) and a plain-http one (none); and
// how a tab opened beside one holding a token gets its first. The built package, a loopback server.
// Two token sources: `url` (a request to the loopback server: the whole first token) and `fetchToken`
// resolving at once with a token the page got beforehand (nothing but the manager and the tab protocol:
// the extra cross-tab costs, without the noise of a server sharing two cores with Chromium).
// Used by bench/index.ts (`npm run bench`) and test/e2e/first-token.test.ts.
import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { launchChromium } from '../test/e2e/chromium'
import { courierJwt } from '../test/helpers/jwt'

/** Resolves to 127.0.0.1 in the browser, but is not loopback by name: a plain-http origin, no secure context. */
const PLAIN_HOST = 'app.test'
const USER_ID = 'alice'
/** The longest a start() may take: past the library's 10-second request timeout. */
const START_TIMEOUT_MS = 15_000
/** How long a tab's requests are still counted after its start() resolved. */
const REQUEST_GRACE_MS = 100
/** The pause after a page loads before anything is timed: Chromium keeps busy a while after a page loads. */
const SETTLE_MS = 200

// The repository root: the nearest package.json (bench/ in source, node_modules/.cache/bench/ when bundled by `npm run bench`).
const root = (() => {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) {
    if (dirname(dir) === dir) throw new Error(`No package.json above ${fileURLToPath(import.meta.url)}`)
    dir = dirname(dir)
  }
  return dir
})()

// The library's dependencies, which dist imports by bare name, each bundled into one module: a page
// then loads 6 files rather than 26 (ky alone is 21): a shorter untimed setup for every load.
const DEPENDENCIES = Object.keys(
  (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies,
)

// The module is loaded before anything is timed; firstToken() times creating and starting a manager, in the page.
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>first token</title>
<script type="importmap">
  { "imports": { ${DEPENDENCIES.map((name) => `"${name}": "/deps/${name}.js"`).join(', ')} } }
</script>
<script type="module">
  import { createTokenManager } from '/dist/index.js'
  // For the fetchToken source: fetched once, untimed, not counted as a request of this tab.
  const ready = fetch('/token?untimed').then((response) => response.text())
  window.firstToken = async ({ source, ...options }) => {
    const inline = source === 'fetchToken' && (await ready)
    let calls = 0
    const from = inline ? { fetchToken: async () => (calls++, inline) } : { url: '/token' }
    const startedAt = performance.now()
    const manager = createTokenManager({ ...from, userId: '${USER_ID}', ...options })
    const { token } = await manager.start()
    const ms = performance.now() - startedAt
    window.manager = manager // kept, running: a tab opened beside this one may ask it for its token
    return { ms, token, calls }
  }
</script>`

export type OptionSet = 'default' | 'crossTabOff'
const OPTIONS: Record<OptionSet, Record<string, unknown>> = { default: {}, crossTabOff: { crossTab: false } }
export type Source = 'url' | 'fetchToken'

export interface Samples {
  /** Milliseconds from just before createTokenManager() to start() resolving, one per page load. */
  ms: number[]
  median: number
  /** Token requests from each of those pages (to the server for `url`, calls of fetchToken), counted until the end of the origin's run. */
  requests: number[]
}

/** Lone tabs of one token source. */
export interface LoneFigures {
  default: Samples
  crossTabOff: Samples
  /** default.median - crossTabOff.median: what a lone tab pays for cross-tab sharing. */
  extra: number
}

export interface OriginFigures {
  name: 'secure origin' | 'plain-http origin'
  /** The origin, without its (random) port. */
  origin: string
  /** What its pages saw: isSecureContext, and whether navigator.locks exists. */
  secureContext: boolean
  locks: boolean
  /** A lone tab, each in a fresh browser context, per token source measured. */
  lone: Partial<Record<Source, LoneFigures>>
  /** Page 2, default options, the first source, opened beside each lone default tab of that source (page 1) once it holds a token. */
  peer: Samples & { /** Pages 2 whose first token was page 1's. */ adopted: number }
}

export interface FirstTokenFigures {
  chromium: string
  /** Timed loads per option set and origin, and peer repetitions. */
  loads: number
  origins: OriginFigures[]
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

/**
 * Measures in Debian's Chromium, one origin after the other: `loads` lone tabs per token source and option
 * set, each in a fresh context (the sets alternating, after one dropped round), and a second tab beside
 * each lone default tab of the first source, in its context. One context at a time.
 */
export async function measureFirstToken({
  loads = 8,
  sources = ['url', 'fetchToken'],
  origins: names = ['secure origin', 'plain-http origin'],
}: {
  loads?: number
  sources?: Source[]
  origins?: Array<OriginFigures['name']>
} = {}): Promise<FirstTokenFigures> {
  if (!existsSync(join(root, 'dist/index.js'))) throw new Error('dist/index.js is missing: run `npm run build` first.')
  // Token requests per tab, told apart by the page URL (?tab=<id>) the request's Referer carries.
  const requests = new Map<string, number>()
  const strays: string[] = []
  const { outputFiles } = await build({
    entryPoints: Object.fromEntries(DEPENDENCIES.map((name) => [name, name])),
    absWorkingDir: root,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    outdir: '/deps',
    logLevel: 'silent',
  })
  const deps = new Map(outputFiles.map((file) => [file.path, file.contents]))
  const server = createServer((request, response) =>
    serve(request, response, { requests, strays, deps }).catch((error: Error) => {
      strays.push(`${request.url}: ${error.message}`)
      if (!response.headersSent) response.writeHead(500)
      response.end()
    }),
  )
  // Pages set up seconds before they fetch still find their connection open: no load pays for a new one.
  server.keepAliveTimeout = 60_000
  let browser: Browser | undefined
  const contexts: BrowserContext[] = []
  try {
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    const { port } = server.address() as AddressInfo
    browser = await launchChromium([`--host-resolver-rules=MAP ${PLAIN_HOST} 127.0.0.1`])
    const origins: OriginFigures[] = []
    for (const [name, host, secure] of [
      ['secure origin', '127.0.0.1', true],
      ['plain-http origin', PLAIN_HOST, false],
    ] as const) {
      if (!names.includes(name)) continue
      const base = `http://${host}:${port}`
      const open = (context: BrowserContext) => openTab(context, base, secure, requests)
      // A fresh context per lone tab: its own BroadcastChannel and Web Locks, so no peer exists.
      // Rounds of every source and option set, the sets' order alternating.
      const order = Array.from({ length: loads + 1 }, (_, i) =>
        sources.flatMap((source) =>
          (i % 2 ? (['default', 'crossTabOff'] as const) : (['crossTabOff', 'default'] as const)).map((set) => ({ source, set })),
        ),
      ).flat()
      const perRound = 2 * sources.length
      const solo = new Map<string, Row[]>()
      const peer: Array<Row & { adopted: boolean }> = []
      // One browser context at a time, closed once measured: a browser process busy with dozens of open
      // pages answers Web Locks calls later, which would be charged to cross-tab.
      for (const [i, { source, set }] of order.entries()) {
        const context = await browser.newContext()
        contexts.push(context)
        const tab = await open(context)
        await sleep(SETTLE_MS)
        const { ms, token, calls } = await tab.start({ source, ...OPTIONS[set] })
        // The first round warms the browser up, and is dropped.
        if (i >= perRound) solo.set(`${source} ${set}`, [...(solo.get(`${source} ${set}`) ?? []), { ms, tab, calls }])
        // Page 2 beside a lone default tab that now holds a token.
        if (i >= perRound && set === 'default' && source === sources[0]) {
          const second = await open(context)
          await sleep(SETTLE_MS)
          const beside = await second.start({ source, ...OPTIONS.default })
          peer.push({ ms: beside.ms, tab: second, calls: beside.calls, adopted: beside.token === token })
        }
        // A request a page sends after its start() resolved (a fetch still under way) counts too.
        await sleep(REQUEST_GRACE_MS)
        for (const row of [...solo.values()].flat().concat(peer)) row.requests ??= row.tab.requests()
        await context.close()
        contexts.splice(contexts.indexOf(context), 1)
      }
      if (strays.length) throw new Error(`Unexpected requests to the test server: ${strays.join('; ')}`)
      const samples = (rows: Row[]): Samples => ({
        ms: rows.map((row) => row.ms),
        median: median(rows.map((row) => row.ms)),
        requests: rows.map((row) => row.requests! + (row.calls ?? 0)),
      })
      const loneFigures = (source: Source): LoneFigures => {
        const [shared, off] = [samples(solo.get(`${source} default`)!), samples(solo.get(`${source} crossTabOff`)!)]
        return { default: shared, crossTabOff: off, extra: shared.median - off.median }
      }
      origins.push({
        name,
        origin: `http://${host}`,
        // What openTab checked every page saw.
        secureContext: secure,
        locks: secure,
        lone: Object.fromEntries(sources.map((source) => [source, loneFigures(source)])),
        peer: { ...samples(peer), adopted: peer.filter((row) => row.adopted).length },
      })
    }
    return { chromium: browser.version(), loads, origins }
  } finally {
    await Promise.all(contexts.map((context) => context.close().catch(() => {})))
    await browser?.close()
    server.closeAllConnections()
    await new Promise<void>((done) => server.close(() => done()))
  }
}

type Tab = Awaited<ReturnType<typeof openTab>>
type Row = { ms: number; tab: Tab; calls?: number; requests?: number }

/** A new tab on the page, checked to be the secure or plain-http context it should be, its module loaded. */
async function openTab(context: BrowserContext, base: string, secure: boolean, requests: Map<string, number>) {
  const id = randomUUID()
  requests.set(id, 0)
  const page: Page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  page.on('response', (response) => response.status() >= 400 && errors.push(`${response.status()} for ${response.url()}`))
  await page.goto(`${base}/?tab=${id}`)
  const seen = await page.evaluate(() => ({
    ready: typeof (window as any).firstToken === 'function',
    secure: isSecureContext,
    locks: navigator.locks !== undefined,
  }))
  if (!seen.ready) throw new Error(`${base}: the page's module did not load: ${errors.join('; ') || 'no error reported'}`)
  if (seen.secure !== secure || seen.locks !== secure) {
    throw new Error(
      `${base} should ${secure ? '' : 'not '}be a secure context with navigator.locks, but isSecureContext is ${seen.secure} and navigator.locks ${seen.locks ? 'exists' : 'is undefined'}`,
    )
  }
  return {
    page,
    seen,
    /** Creates and starts a manager in the page, timed there; it stays running. */
    async start(options: Record<string, unknown>) {
      // Bounded: a start() that never resolves fails the run rather than hang it.
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${base}: start() with ${JSON.stringify(options)} did not resolve within ${START_TIMEOUT_MS / 1000} s`)),
          START_TIMEOUT_MS,
        )
      })
      try {
        return await Promise.race([
          page.evaluate((options) => (window as any).firstToken(options) as Promise<{ ms: number; token: string; calls: number }>, options),
          timeout,
        ])
      } finally {
        clearTimeout(timer)
      }
    },
    requests: () => requests.get(id)!,
  }
}

async function serve(
  request: IncomingMessage,
  response: ServerResponse,
  { requests, strays, deps }: { requests: Map<string, number>; strays: string[]; deps: Map<string, Uint8Array> },
) {
  const { pathname } = new URL(request.url ?? '/', 'http://server')
  const send = (status: number, body: string | Uint8Array, type?: string) =>
    response.writeHead(status, { 'cache-control': 'no-store', ...(type && { 'content-type': type }) }).end(body)
  if (pathname === '/') return send(200, PAGE, 'text/html; charset=utf-8')
  if (pathname === '/favicon.ico') return send(204, '')
  if (pathname === '/token' && request.url?.endsWith('?untimed')) return send(200, courierJwt({ userId: USER_ID }), 'text/plain')
  if (pathname === '/token') {
    const tab = request.headers.referer && new URL(request.headers.referer).searchParams.get('tab')
    // A request no tab can be charged with would make a count of 0 meaningless: fail the run.
    if (!tab || !requests.has(tab)) strays.push(`a token request from ${request.headers.referer ?? 'no Referer'}`)
    else requests.set(tab, requests.get(tab)! + 1)
    // Answered at once: the latency measured is the manager's.
    return send(200, courierJwt({ userId: USER_ID }), 'text/plain')
  }
  const dependency = deps.get(pathname)
  if (dependency) return send(200, dependency, 'text/javascript')
  // The built library as it is: index.js and the chunks it imports.
  const file = /^\/dist\/[\w.-]+\.js$/.test(pathname) && join(root, pathname)
  if (file && existsSync(file)) return send(200, await readFile(file), 'text/javascript')
  strays.push(`${request.method} ${pathname}`)
  send(404, '')
}
