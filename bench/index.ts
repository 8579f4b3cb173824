// Every benchmark in one run, printed as Markdown. `npm run bench` prints it;
// `npm run bench -- --write` also writes docs/benchmarks.md.
import { writeFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import {
  bundleSize,
  getTokenHotPath,
  handlerCourierCalls,
  heapOverCycles,
  heapPerCycle,
  idleWakeups,
  intervalRequestsPerHour,
  requestsPerHourByTabs,
} from './scenarios'
import { heapTable, kB, table } from './table'

const MINUTE = 60_000
const out: string[] = []
const say = (text = '') => {
  out.push(text)
  console.log(text)
}

say('# Benchmarks')
say()
say(
  `Produced by \`npm run bench -- --write\` on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${process.platform}/${process.arch}. Simulated scenarios run on a virtual clock and give the same counts on every run; timings (calls per second) and heap figures depend on the machine and the garbage collector.`,
)

// 1. Bundle size, measured the way ../shared/anchors.md measured the alternatives.
say()
say('## Bundle size')
say()
say(
  'esbuild, browser, ESM, minified, every dependency bundled (except where noted), gzip -9. "Everything" re-exports the whole entry; "typical" is the import an app usually writes.',
)
say()
const sizes: Array<[string, string, string, string[]?]> = [
  ['courier-token-manager (root)', `export * from './dist/index.js'`, `export { createTokenManager } from './dist/index.js'`],
  [
    'courier-token-manager/courier (without courier-js)',
    `export * from './dist/courier.js'`,
    `export { connectCourier } from './dist/courier.js'`,
    ['@trycourier/courier-js'],
  ],
  [
    'courier-token-manager/react (without React, courier-js)',
    `export * from './dist/react.js'`,
    `export { useCourierSignIn } from './dist/react.js'`,
    ['react', '@trycourier/courier-js'],
  ],
  ['@supabase/auth-js 2.119.1', `export * from '@supabase/auth-js'`, `export { AuthClient } from '@supabase/auth-js'`],
  ['@auth0/auth0-spa-js 2.27.0', `export * from '@auth0/auth0-spa-js'`, `export { createAuth0Client } from '@auth0/auth0-spa-js'`],
  [
    '@knocklabs/client 0.22.2',
    `export * from '@knocklabs/client'; export { default } from '@knocklabs/client'`,
    `export { default } from '@knocklabs/client'`,
  ],
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
say(
  'One user, tabs opened seconds apart, 150 ms backend latency, default refresh margin (2 min). "setInterval" is the usual hand-written refresher: every tab re-fetches at 80% of the lifetime (it also hands out expired tokens after a sleep and retries nothing). Counted over one simulated hour after a warm-up.',
)
say()
const requestRows = (await requestsPerHourByTabs()).map(({ lifetime, tabs, without, shared }) => [
  `${lifetime / MINUTE} min`,
  tabs,
  intervalRequestsPerHour(tabs, lifetime),
  without,
  shared,
])
say(table(['token lifetime', 'tabs', 'setInterval per tab', 'crossTab: false', 'crossTab: true (default)'], requestRows))

// 3. Timer wake-ups.
say()
say('## Timer wake-ups per idle hour')
say()
say(
  'A 1-hour token held, nothing failing. A polling ticker (auth-js checks every 30 s) wakes the page 120 times an hour; a single timer set for the refresh (Knock) wakes it once but misses a sleep that fires no event. The manager re-reads the clock at least every minute (`CLOCK_CHECK_INTERVAL_MS`) so such a sleep is noticed.',
)
say()
say(
  table(
    ['refresher', 'wake-ups per idle hour'],
    [
      ['30-second polling ticker (auth-js)', 120],
      ['courier-token-manager', await idleWakeups()],
    ],
  ),
)

// 4. getToken() hot path.
say()
say('## `getToken()` with a token held')
say()
const hot = await getTokenHotPath()
say(
  table(
    ['calls per second', 'bytes allocated per call'],
    [[hot.perSecond.toLocaleString('en'), Number.isNaN(hot.bytesPerCall) ? 'n/a (run with --expose-gc)' : hot.bytesPerCall.toFixed(0)]],
  ),
)
say()
say('Each call is an `await` of an already-valid token: no timer, no request, no clock armed; the bytes are the promise `await` needs.')

// 5. Heap.
say()
say('## Heap over 100,000 refresh cycles')
say()
const heapRows = await heapOverCycles(100_000, 4)
say(heapTable(heapRows))
say()
say(
  `A manager with the Courier adapter, 6-second tokens on a virtual clock. Over the second half the heap changes by ${heapPerCycle(heapRows).toFixed(2)} bytes a cycle: flat (collections move it by a few hundred KB either way).`,
)

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

// 7. The first token in real Chromium.
say()
say('## First token in Chromium')
say()
// Bundled and loaded only now: playwright-core, loaded with the rest, would add some 25 MB to the heap figures above.
const firstTokenBundle = 'node_modules/.cache/bench/first-token.mjs'
await build({
  entryPoints: ['bench/first-token.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  outfile: firstTokenBundle,
  logLevel: 'warning',
})
const { measureFirstToken } = (await import(pathToFileURL(firstTokenBundle).href)) as typeof import('./first-token')
const first = await measureFirstToken({ loads: 12, sources: ['url', 'fetchToken'] })
const ms = (value: number) => `${value.toFixed(1)} ms`
const signed = (value: number) => `${value < 0 ? '' : '+'}${ms(value)}`
say(
  `How long \`start()\` takes to resolve with the first token in Debian's Chromium ${first.chromium} (headless), with the built package (\`dist/index.js\`). ` +
    `Timed in the page with \`performance.now()\`, from just before \`createTokenManager()\` to \`start()\` resolving; the page and its modules load first, untimed. ` +
    `Two origins: \`http://127.0.0.1\`, secure (Web Locks), and \`http://app.test\` mapped to loopback, plain http: not a secure context, so no \`navigator.locks\`. ` +
    `Two token sources: \`url\`, a token endpoint on loopback that answers at once (the whole first token; the server shares the machine's two cores with Chromium, so single loads scatter), ` +
    `and \`fetchToken\` resolving at once with a token fetched beforehand (the manager and the tab protocol alone). ` +
    `A lone tab: ${first.loads} page loads per origin, source and option set, each in a fresh browser context (no other tab exists), the option sets alternating, after one dropped round; medians. ` +
    `"Extra" is the default's median minus \`crossTab: false\`'s: what sharing costs a tab that is alone. ` +
    `A second tab: opened beside each lone default \`url\` tab once that one holds its token, in its browser context, with the default options; the median of the ${first.loads} \`start()\` times, how many of those tabs took the first tab's token, and the token requests they sent (counted by the server until 100 ms after that tab's \`start()\` resolved).`,
)
say()
say(
  table(
    ['origin', 'source', 'lone tab, default', 'lone tab, crossTab: false', 'extra'],
    first.origins.flatMap(({ name, origin, locks, lone }) =>
      (['url', 'fetchToken'] as const).map((source) => [
        `${name} (${origin}, ${locks ? 'Web Locks' : 'no Web Locks'})`,
        `\`${source}\``,
        ms(lone[source]!.default.median),
        ms(lone[source]!.crossTabOff.median),
        signed(lone[source]!.extra),
      ]),
    ),
  ),
)
say()
say(
  table(
    ['origin', 'second tab, start()', "second tab took the first's token", 'second tab, backend requests'],
    first.origins.map(({ name, peer }) => [
      name,
      ms(peer.median),
      `${peer.adopted} of ${peer.ms.length}`,
      peer.requests.reduce((sum, count) => sum + count, 0),
    ]),
  ),
)

if (process.argv.includes('--write')) {
  writeFileSync('docs/benchmarks.md', `${out.join('\n')}\n`)
  console.log('\nWrote docs/benchmarks.md')
}
