// The tab protocol (src/cross-tab.ts) against the real BroadcastChannel and Web Locks of Chromium: the
// scenarios of test/helpers/tab-protocol-scenarios.ts, bundled with esbuild and served from memory on
// 127.0.0.1 (a secure context: navigator.locks exists). The same scenarios run against the fakes in
// test/cross-tab.test.ts, with the same expected results.
//
// Every scenario runs with its tabs as joinTabs instances in one page (BroadcastChannel delivers between
// the channels of one page too, and Web Locks are per origin). Those with two tabs or more run a second
// time with their tabs spread over two pages of one browser profile, every second tab in the other page
// (through a tabHost there), so that messages and locks also cross documents.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectedResult, scenario, scenarioNames, type ScenarioName } from '../helpers/tab-protocol-scenarios'
import { launchChromium } from './chromium'

const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
const PAGE = '<!doctype html><meta charset="utf-8"><title>tab protocol</title><script type="module" src="/protocol.js"></script>'

let server: Server
let url: string
let browser: Browser
/** The page that runs every scenario with all its tabs in it. */
let page: Page
/** Two pages of another profile: `here` runs the scenarios, `there` holds every second tab. */
let here: Page
let there: Page
let runs = 0

// The page's `protocol` is the scenarios module; window globals are reached through this.
type Protocol = typeof import('../helpers/tab-protocol-scenarios')
declare const window: {
  protocol: Protocol
  host: ReturnType<Protocol['tabHost']>
  remoteTab(args: [string, ...unknown[]]): Promise<unknown>
}

const load = async (target: Page) => {
  await target.goto(url)
  await target.waitForFunction(() => window.protocol !== undefined)
}

beforeAll(async () => {
  const { outputFiles } = await build({
    stdin: {
      contents: "import * as protocol from './test/helpers/tab-protocol-scenarios'\nglobalThis.protocol = protocol",
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  })
  const script = outputFiles[0]!.contents
  server = createServer((request, response) => {
    const files: Record<string, [string, string | Uint8Array]> = { '/protocol.js': ['text/javascript', script], '/': ['text/html', PAGE] }
    const [type, body] = files[request.url ?? ''] ?? []
    response.writeHead(body ? 200 : 404, { 'content-type': type ?? 'text/plain' }).end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  browser = await launchChromium()
  page = await (await browser.newContext()).newPage()
  await load(page)
  // Another profile: the two-page runs share no locks with the one-page runs.
  const profile = await browser.newContext()
  ;[here, there] = [await profile.newPage(), await profile.newPage()]
  await Promise.all([load(here), load(there)])
  await there.evaluate(() => {
    window.host = window.protocol.tabHost(window.protocol.browserEnvironment({ id: 'host' }))
  })
  await here.exposeFunction('remoteTab', (args: [string, ...unknown[]]) => there.evaluate((args) => window.host.call(args), args))
  expect(await page.evaluate(() => isSecureContext && 'locks' in navigator)).toBe(true)
})

afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => server?.close(resolve))
})

/** In one page, or with every second tab in the other page. */
const runIn = (where: 'one page' | 'two pages', name: ScenarioName) =>
  where === 'one page'
    ? page.evaluate(([name, id]) => window.protocol.runScenario(name, window.protocol.browserEnvironment({ id })), [
        name,
        `${where} ${++runs}`,
      ] as const)
    : here.evaluate(
        ([name, id]) => window.protocol.runScenario(name, window.protocol.browserEnvironment({ id, remote: window.remoteTab })),
        [name, `${where} ${++runs}`] as const,
      )

describe('the tab protocol in Chromium', () => {
  for (const where of ['one page', 'two pages'] as const) {
    for (const name of scenarioNames) {
      const { title, tabs } = scenario(name)
      if (where === 'two pages' && tabs < 2) continue
      it(`${name}: ${title} (tabs in ${where})`, async () => {
        expect(await runIn(where, name)).toEqual(expectedResult(name))
      })
    }
  }
})
