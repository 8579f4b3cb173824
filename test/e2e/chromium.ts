import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const assertChromium = () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run \`apt-get install -y chromium\` (.ci/run does).`)
}

/** Debian's Chromium, headless, with the flags this machine's closed network needs, and `extraArgs` after them. Never downloads a browser. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  assertChromium()
  return chromium.launch({ executablePath: CHROMIUM, args: [...ARGS, ...extraArgs] })
}

export interface FreezableChromium {
  /** One browser profile: its pages are tabs of one user, each in its own (visible) window. */
  context: BrowserContext
  newPage(url: string): Promise<Page>
  close(): Promise<void>
}

/**
 * Debian's Chromium whose pages `Page.setWebLifecycleState` can really freeze. Playwright's own pages
 * cannot be frozen: its focus emulation holds a visible capturer on every page, so the freeze (which
 * hides the page first) leaves timers running. Connected over CDP with `noDefaults`, the default
 * context's pages get no focus emulation.
 */
export async function launchFreezableChromium(): Promise<FreezableChromium> {
  assertChromium()
  const profile = mkdtempSync(join(tmpdir(), 'courier-token-manager-e2e-'))
  // A process group of its own: Chromium's helpers (renderers, the network service) outlive the
  // browser process by a moment, still writing to the profile; all of them must be gone before it is removed.
  const child = spawn(CHROMIUM, [...ARGS, '--no-first-run', '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  })
  const group = child.pid!
  const signal = (name: NodeJS.Signals | 0) => {
    try {
      process.kill(-group, name)
      return true
    } catch {
      return false // ESRCH: no process left in the group
    }
  }
  const kill = () => signal('SIGKILL')
  process.once('exit', kill)
  const cleanup = async () => {
    process.off('exit', kill)
    signal('SIGTERM')
    for (const deadline = Date.now() + 10_000; signal(0) && Date.now() < deadline; ) await sleep(50)
    kill()
    for (let attempt = 1; ; attempt++) {
      try {
        rmSync(profile, { recursive: true, force: true })
        return
      } catch (error) {
        if (attempt === 20) throw error
        await sleep(100)
      }
    }
  }
  try {
    const endpoint = await new Promise<string>((resolve, reject) => {
      let output = ''
      child.stderr.on('data', (chunk: Buffer) => {
        output += chunk
        const found = /DevTools listening on (ws:\S+)/.exec(output)
        if (found) resolve(found[1]!)
      })
      child.once('exit', (code) => reject(new Error(`${CHROMIUM} exited (${code}): ${output}`)))
      setTimeout(() => reject(new Error(`${CHROMIUM} printed no DevTools endpoint in 20 s: ${output}`)), 20_000).unref()
    })
    const browser = await chromium.connectOverCDP(endpoint, { noDefaults: true, isLocal: true })
    const context = browser.contexts()[0]!
    const session = await browser.newBrowserCDPSession()
    return {
      context,
      async newPage(url) {
        // A window of its own: a background tab would be hidden, its timers throttled to one wake-up a second.
        const [page] = await Promise.all([
          context.waitForEvent('page'),
          session.send('Target.createTarget', { url: 'about:blank', newWindow: true }),
        ])
        await page.goto(url)
        return page
      },
      async close() {
        await browser.close().catch(() => {})
        await cleanup()
      },
    }
  } catch (error) {
    await cleanup()
    throw error
  }
}
