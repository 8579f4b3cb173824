// Backend requests per hour for 1, 2, 4 and 8 tabs of one user, with cross-tab sharing and without.
// Simulated: managers on a virtual clock, fake BroadcastChannel and Web Locks (same semantics as the
// browser's, as the Chromium tests check), a backend answering in 150 ms. Run: npm run bench:tabs
import { createTokenManager, type TokenManager } from '../src/index'
import { fakeOnline, fakeVisibility } from '../test/helpers/environment'
import { courierJwt } from '../test/helpers/jwt'
import { fakeChannels, fakeLocks } from '../test/helpers/tabs'
import { virtualTime } from './virtual-time'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const TAB_COUNTS = [1, 2, 4, 8]
const LIFETIMES = [5 * MINUTE, HOUR]

async function requestsPerHour(tabs: number, crossTab: boolean, lifetime: number) {
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
        return courierJwt({ issuedAt: time.now, lifetime: lifetime / 1000 })
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
  // Warm up for one token lifetime, then count a full hour.
  await time.runUntil(time.now + lifetime)
  counting = true
  await time.runUntil(time.now + HOUR)
  for (const manager of managers) manager.stop()
  return requests
}

const rows: string[][] = []
for (const lifetime of LIFETIMES) {
  for (const tabs of TAB_COUNTS) {
    const without = await requestsPerHour(tabs, false, lifetime)
    const withSharing = await requestsPerHour(tabs, true, lifetime)
    rows.push([`${lifetime / MINUTE} min`, String(tabs), String(without), String(withSharing), `${(without / withSharing).toFixed(1)}×`])
  }
}

const header = ['token lifetime', 'tabs', 'crossTab: false', 'crossTab: true', 'fewer requests']
const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)))
const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padStart(widths[column]!)).join(' | ')} |`
console.log('Backend requests per hour, one user, default refresh margin (2 min), 150 ms backend latency\n')
console.log(line(header))
console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`)
for (const row of rows) console.log(line(row))
