// Every benchmark in one run, printed as Markdown. `npm run bench` prints it;
// `npm run bench -- --write` also writes docs/benchmarks.md.
import { writeFileSync } from 'node:fs'
import { bundleSize, getTokenHotPath, handlerCourierCalls, heapOverCycles, heapPerCycle, idleWakeups, intervalRequestsPerHour, requestsPerHourByTabs } from './scenarios'
import { heapTable, kB, table } from './table'

const MINUTE = 60_000
const out: string[] = []
const say = (text = '') => {
  out.push(text)
  console.log(text)
}

say('# Benchmarks')
say()
say(`Produced by \`npm run bench -- --write\` on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${process.platform}/${process.arch}. Simulated scenarios run on a virtual clock and give the same counts on every run; timings (calls per second) and heap figures depend on the machine and the garbage collector.`)

// 1. Bundle size, measured the way ../shared/anchors.md measured the alternatives.
say()
say('## Bundle size')
say()
say('esbuild, browser, ESM, minified, every dependency bundled (except where noted), gzip -9. "Everything" re-exports the whole entry; "typical" is the import an app usually writes.')
say()
const sizes: Array<[string, string, string, string[]?]> = [
  ['courier-token-manager (root)', `export * from './dist/index.js'`, `export { createTokenManager } from './dist/index.js'`],
  ['courier-token-manager/courier (without courier-js)', `export * from './dist/courier.js'`, `export { connectCourier } from './dist/courier.js'`, ['@trycourier/courier-js']],
  ['courier-token-manager/react (without React, courier-js)', `export * from './dist/react.js'`, `export { useCourierSignIn } from './dist/react.js'`, ['react', '@trycourier/courier-js']],
  ['@supabase/auth-js 2.119.1', `export * from '@supabase/auth-js'`, `export { AuthClient } from '@supabase/auth-js'`],
  ['@auth0/auth0-spa-js 2.27.0', `export * from '@auth0/auth0-spa-js'`, `export { createAuth0Client } from '@auth0/auth0-spa-js'`],
  ['@knocklabs/client 0.22.2', `export * from '@knocklabs/client'; export { default } from '@knocklabs/client'`, `export { default } from '@knocklabs/client'`],
  ['oidc-client-ts 3.5.0', `export * from 'oidc-client-ts'`, `export { UserManager } from 'oidc-client-ts'`],
]
const sizeRows: Array<Array<string | number>> = []
for (const [name, everything, typical, external] of sizes) {
  const [all, usual] = await Promise.all([bundleSize(everything, external), bundleSize(typical, external)])
  sizeRows.push([name, kB(all.min), kB(all.gzip), kB(usual.gzip)])
}
say(table(['package', 'everything, min', 'everything, min+gzip', 'typical, min+gzip'], sizeRows))

// 2. Backend requests per hour.
say()
say('## Backend requests per hour')
say()
say('One user, tabs opened seconds apart, 150 ms backend latency, default refresh margin (2 min). "setInterval" is the usual hand-written refresher: every tab re-fetches at 80% of the lifetime (it also hands out expired tokens after a sleep and retries nothing). Counted over one simulated hour after a warm-up.')
say()
const requestRows = (await requestsPerHourByTabs()).map(({ lifetime, tabs, without, shared }) => [`${lifetime / MINUTE} min`, tabs, intervalRequestsPerHour(tabs, lifetime), without, shared])
say(table(['token lifetime', 'tabs', 'setInterval per tab', 'crossTab: false', 'crossTab: true (default)'], requestRows))

// 3. Timer wake-ups.
say()
say('## Timer wake-ups per idle hour')
say()
say('A 1-hour token held, nothing failing. A polling ticker (auth-js checks every 30 s) wakes the page 120 times an hour; a single timer set for the refresh (Knock) wakes it once but misses a sleep that fires no event. The manager re-reads the clock at least every minute (`CLOCK_CHECK_INTERVAL_MS`) so such a sleep is noticed.')
say()
say(table(['refresher', 'wake-ups per idle hour'], [['30-second polling ticker (auth-js)', 120], ['courier-token-manager', await idleWakeups()]]))

// 4. getToken() hot path.
say()
say('## `getToken()` with a token held')
say()
const hot = await getTokenHotPath()
say(table(['calls per second', 'bytes allocated per call'], [[hot.perSecond.toLocaleString('en'), Number.isNaN(hot.bytesPerCall) ? 'n/a (run with --expose-gc)' : hot.bytesPerCall.toFixed(0)]]))
say()
say('Each call is an `await` of an already-valid token: no timer, no request, no clock armed; the bytes are the promise `await` needs.')

// 5. Heap.
say()
say('## Heap over 100,000 refresh cycles')
say()
const heapRows = await heapOverCycles(100_000, 4)
say(heapTable(heapRows))
say()
say(`A manager with the Courier adapter, 6-second tokens on a virtual clock. Over the second half the heap changes by ${heapPerCycle(heapRows).toFixed(2)} bytes a cycle: flat (collections move it by a few hundred KB either way).`)

// 6. The server handler.
say()
say('## Courier calls from the token endpoint')
say()
say('`createTokenHandler` answering 1,000 token requests, 100 at a time, from 10 users; Courier answers in 20 ms.')
say()
say(
  table(
    ['handler', 'Courier calls'],
    [
      ['default (one call per user and scope set in flight, tokens reused early in their life)', await handlerCourierCalls()],
      ['cache: false (concurrent requests still share a call)', await handlerCourierCalls({ cache: false })],
      ['one Courier call per request (no handler)', 1_000],
    ],
  ),
)

if (process.argv.includes('--write')) {
  writeFileSync('docs/benchmarks.md', `${out.join('\n')}\n`)
  console.log('\nWrote docs/benchmarks.md')
}
