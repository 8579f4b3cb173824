// The tab protocol of src/cross-tab.ts, scenario by scenario, written once and run twice: in real Chromium
// (test/e2e/cross-tab.test.ts: the real BroadcastChannel and navigator.locks) and against the fakes of
// test/helpers/tabs.ts under vitest fake timers (the last describe of test/cross-tab.test.ts). Each scenario
// returns what its tabs observed, as plain JSON, and both runs must equal its `expected`: a fake that behaves
// unlike the browser fails one of the two.
//
// A tab here is one joinTabs() instance driven the way createTokenManager drives it (adopting a peer's token
// aborts its fetch; stop() aborts, then closes). Scenarios never await a timer themselves: time passes only
// through `env.wait` (real time in the browser, fake timers under vitest), in steps of a few ms until what
// they wait for was observed. Bundled for the browser: no Node imports.
import { systemClock, type Clock } from '../../src/clock'
import {
  joinTabs,
  openChannel,
  PEER_REPLY_MS,
  PROTOCOL_VERSION,
  readMessage,
  type ChannelLike,
  type CrossTabMessage,
  type LocksLike,
  type Tabs,
} from '../../src/cross-tab'
import { decodeToken, type TokenInfo } from '../../src/token'
import type { TokenManagerOptions } from '../../src/token-manager'

/** What the tabs of a scenario share: one origin's channels and locks, a clock, and a way to let time pass. */
export interface TabEnvironment {
  /** Opens a BroadcastChannel of that name (openChannel in the browser, fakeChannels().create under vitest). */
  channel: (name: string) => ChannelLike | undefined
  locks: LocksLike
  clock: Clock
  /** Lets `ms` pass: real time in the browser, `vi.advanceTimersByTimeAsync` under vitest. */
  wait(ms: number): Promise<void>
  /** Opens a tab sharing this environment. Default: a tab in this document (localTab); the browser test also places some in another page. */
  tab?: (spec: TabSpec) => Promise<TabHandle>
  /** Makes this run's channel and lock names unique: Web Locks are per origin, shared by every scenario a browser profile runs. */
  id?: string
}

// Tokens -------------------------------------------------------------------------------------------------

const SCOPE = 'user_id:alice inbox:read:messages inbox:write:events'
const IAT = 1_700_000_000 // in the past: a peer's token cannot have been issued after now
const base64url = (value: unknown) => btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
/** A JWT shaped like Courier's (the signature is never checked: any base64url will do). */
const jwt = (claims: Record<string, unknown>) => `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url(claims)}.c2lnbmF0dXJl`

/** Fixed tokens, so that a run's results do not depend on when it ran. */
export const TOKENS = {
  T1: jwt({ scope: SCOPE, tenant_id: 'tenant-1', iat: IAT, exp: IAT + 3600, jti: 't1' }),
  T2: jwt({ scope: SCOPE, tenant_id: 'tenant-1', iat: IAT + 60, exp: IAT + 60 + 7200, jti: 't2' }),
}
export type TokenName = keyof typeof TOKENS

/** The sender's times differ from the claims (its skew correction): adopt() must get these, not the decoded claims. */
const SKEW_MS = 5_000
const heldInfo = (name: TokenName): TokenInfo => {
  const info = decodeToken(TOKENS[name])
  return { ...info, expiresAt: info.expiresAt! - SKEW_MS, issuedAt: info.issuedAt! - SKEW_MS }
}
const tokenName = (token: string) => (Object.keys(TOKENS) as TokenName[]).find((name) => TOKENS[name] === token)

export interface Adopted {
  token: string
  userId: string | null
  scopes: string[]
  tenantId: string | null
  expiresAt: number | null
  issuedAt: number | null
  /** The claim, in seconds: decoded from the token, not taken from the message. */
  exp: number | null
}
const adopted = (info: TokenInfo): Adopted => ({
  token: tokenName(info.token) ?? 'another token',
  userId: info.userId ?? null,
  scopes: info.scopes,
  tenantId: info.tenantId ?? null,
  expiresAt: info.expiresAt ?? null,
  issuedAt: info.issuedAt ?? null,
  exp: info.claims.exp ?? null,
})

/** A value as received, undefined, NaN and key order kept (JSON would lose them), tokens by name. */
export function show(value: unknown): string {
  if (typeof value === 'string') return tokenName(value) ? `<${tokenName(value)}>` : JSON.stringify(value)
  if (value === null || typeof value !== 'object') return String(value)
  if (Array.isArray(value)) return `[${value.map(show).join(',')}]`
  return `{${Object.entries(value)
    .map(([key, item]) => `${key}:${show(item)}`)
    .join(',')}}`
}

// Tabs -------------------------------------------------------------------------------------------------

export interface TabSpec {
  label: string
  /** The crossTab name every tab of the scenario shares. */
  stream: string
  /** The valid token this tab holds: its answer to a peer's `ask`. */
  holds?: TokenName
  /** One request timeout, in ms: a fetch waits at most twice that for the lock. @default 1000 */
  timeout?: number
}

export interface FetchSpec {
  ask?: boolean
  urgent?: boolean
  /** The request lasts until finish(index) or until its signal aborts; otherwise it returns at once. */
  hold?: boolean
  /** The token this request brings: shared before the request returns, as the manager does. */
  shares?: TokenName
  /** Aborts this fetch's signal this long after the fetch lock is granted to it (what adopting a token does). */
  abortAfterGrant?: number
  /** Right after calling fetch(), synchronously: 'stop' aborts the signal then closes (the manager's stop()), 'close' only closes. */
  leave?: 'stop' | 'close'
}

export interface FetchLog {
  startedAt: number
  /** When `request` was called, null if it never was. */
  requestAt: number | null
  requestEndedAt: number | null
  grantedAt: number | null
  endedAt: number | null
  /** 'pending', 'done', or 'rejected <error name>'. */
  outcome: string
  /** What happened to the fetch lock: 'request ifAvailable', 'unavailable', 'request waits', 'granted', 'released', 'rejected <name>'. */
  lock: string[]
}

export interface TabLog {
  label: string
  /** How often a peer's `ask` made it call held(). */
  asked: number
  adopted: Adopted[]
  signedOut: number
  fetches: FetchLog[]
  /** What happened to its presence lock. */
  presence: string[]
}

/** A tab, every method async and JSON in and out, so that it can live in another page. */
export interface TabHandle {
  /** Starts a fetch (it runs on; see log().fetches[index]) and resolves with its index. */
  fetch(spec: FetchSpec): Promise<number>
  /** Ends a held request. */
  finish(index: number): Promise<void>
  share(token: TokenName): Promise<void>
  /** Tells the peers the user signed out; 'stop' then stops, as the manager does after a 401. */
  signOut(then?: 'stop'): Promise<void>
  /** The manager's stop(): aborts every fetch, then close(). */
  stop(): Promise<void>
  close(): Promise<void>
  /** Freezes, holding the fetch lock: a lock request whose callback does not resolve until thaw(). */
  freeze(): Promise<void>
  thaw(): Promise<void>
  log(): Promise<TabLog>
}

export const DEFAULT_TAB_TIMEOUT = 1_000
export const streamName = (stream: string) => `courier-token-manager v${PROTOCOL_VERSION} ${stream}`

/** A tab in this document. */
export function localTab(env: TabEnvironment, spec: TabSpec): TabHandle {
  const name = streamName(spec.stream)
  const log: TabLog = { label: spec.label, asked: 0, adopted: [], signedOut: 0, fetches: [], presence: [] }
  const runs: Array<{ spec: FetchSpec; controller: AbortController; log: FetchLog; finish?: () => void; timer?: unknown }> = []
  let holds = spec.holds && heldInfo(spec.holds)
  let active: (typeof runs)[number] | undefined
  let thaw: (() => void) | undefined
  const now = () => env.clock.now()

  // navigator.locks as this tab sees it, recording what happens to its locks.
  const locks: LocksLike = {
    query: () => env.locks.query(),
    request<T>(
      lockName: string,
      options: { signal?: AbortSignal; ifAvailable?: boolean },
      callback: (lock: unknown) => Promise<T>,
    ): Promise<T> {
      const run = lockName === name ? active : undefined
      const events = run ? run.log.lock : log.presence
      let kind = options.signal ? 'request waits' : 'request'
      if (options.ifAvailable) kind = 'request ifAvailable'
      events.push(kind)
      return env.locks
        .request(lockName, options, async (lock) => {
          if (!lock) {
            events.push('unavailable')
            return callback(lock)
          }
          events.push('granted')
          if (run) {
            run.log.grantedAt = now()
            const ms = run.spec.abortAfterGrant
            if (ms !== undefined) run.timer = env.clock.setTimeout(() => run.controller.abort(), ms)
          }
          try {
            return await callback(lock)
          } finally {
            events.push('released')
          }
        })
        .catch((error: unknown) => {
          events.push(`rejected ${(error as Error | undefined)?.name}`)
          throw error
        })
    },
  }
  const tabs: Tabs | undefined = joinTabs(
    { crossTab: spec.stream, channel: env.channel, locks, clock: env.clock } as TokenManagerOptions,
    spec.timeout ?? DEFAULT_TAB_TIMEOUT,
    () => {
      log.asked++
      return holds
    },
    (info) => {
      log.adopted.push(adopted(info))
      holds = info
      // As the manager: a peer's token ends the fetch in flight.
      for (const run of runs) run.controller.abort()
    },
    () => void log.signedOut++,
  )
  if (!tabs) throw new Error(`No channel opened for ${name}`)

  const stop = () => {
    for (const run of runs) run.controller.abort()
    tabs.close()
  }

  return {
    async fetch(fetchSpec) {
      const controller = new AbortController()
      const fetchLog: FetchLog = {
        startedAt: now(),
        requestAt: null,
        requestEndedAt: null,
        grantedAt: null,
        endedAt: null,
        outcome: 'pending',
        lock: [],
      }
      const run: (typeof runs)[number] = { spec: fetchSpec, controller, log: fetchLog }
      runs.push(run)
      log.fetches.push(fetchLog)
      active = run
      const request = async () => {
        fetchLog.requestAt = now()
        if (fetchSpec.hold) {
          await new Promise<void>((resolve) => {
            run.finish = resolve
            controller.signal.addEventListener('abort', () => resolve())
          })
        }
        if (fetchSpec.shares && !controller.signal.aborted) tabs.share(heldInfo(fetchSpec.shares))
        fetchLog.requestEndedAt = now()
      }
      tabs
        .fetch(controller.signal, fetchSpec.ask ?? false, fetchSpec.urgent ?? false, request)
        .then(
          () => {
            fetchLog.outcome = 'done'
          },
          (error: unknown) => {
            fetchLog.outcome = `rejected ${(error as Error | undefined)?.name}`
          },
        )
        .finally(() => {
          fetchLog.endedAt = now()
          env.clock.clearTimeout(run.timer)
        })
      if (fetchSpec.leave === 'stop') stop()
      else if (fetchSpec.leave === 'close') tabs.close()
      return runs.length - 1
    },
    async finish(index) {
      runs[index]?.finish?.()
    },
    async share(token) {
      tabs.share(heldInfo(token))
    },
    async signOut(then) {
      tabs.signOut()
      if (then === 'stop') stop()
    },
    async stop() {
      stop()
    },
    async close() {
      tabs.close()
    },
    async freeze() {
      // Not through joinTabs: a frozen tab's fetch, whose callback cannot return.
      env.locks.request(name, {}, () => new Promise<void>((resolve) => (thaw = resolve))).catch(() => {})
    },
    async thaw() {
      thaw?.()
    },
    async log() {
      return JSON.parse(JSON.stringify(log)) as TabLog
    },
  }
}

/** Serves the tabs of this document to another one: `call` takes ['open', spec] or [method, id, ...args]. */
export function tabHost(env: TabEnvironment) {
  const tabs: TabHandle[] = []
  return {
    async call([method, ...args]: [string, ...unknown[]]): Promise<unknown> {
      if (method === 'open') return tabs.push(localTab(env, args[0] as TabSpec)) - 1
      const [id, ...rest] = args as [number, ...unknown[]]
      return (tabs[id]![method as keyof TabHandle] as (...args: unknown[]) => Promise<unknown>)(...rest)
    },
  }
}

/** A tab in another document, through its tabHost. */
export async function remoteTab(call: (args: [string, ...unknown[]]) => Promise<unknown>, spec: TabSpec): Promise<TabHandle> {
  const id = await call(['open', spec])
  const method =
    (name: keyof TabHandle) =>
    (...args: unknown[]) =>
      call([name, id, ...args]) as Promise<never>
  return {
    fetch: method('fetch'),
    finish: method('finish'),
    share: method('share'),
    signOut: method('signOut'),
    stop: method('stop'),
    close: method('close'),
    freeze: method('freeze'),
    thaw: method('thaw'),
    log: method('log'),
  }
}

/**
 * The page's own BroadcastChannel (through openChannel), navigator.locks and clock. With `remote`, every
 * second tab a scenario opens lives in the other page (its tabHost): tabs 0, 2… here, 1, 3… there.
 */
export function browserEnvironment({
  id,
  remote,
}: {
  id: string
  remote?: (args: [string, ...unknown[]]) => Promise<unknown>
}): TabEnvironment {
  let opened = 0
  const env: TabEnvironment = {
    channel: openChannel,
    locks: navigator.locks as unknown as LocksLike,
    clock: systemClock,
    wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    id,
  }
  if (remote) env.tab = async (spec) => (opened++ % 2 ? remoteTab(remote, spec) : localTab(env, spec))
  return env
}

// The scenarios ------------------------------------------------------------------------------------------

interface Context {
  env: TabEnvironment
  /** The channel's and fetch lock's name. */
  name: string
  tab(label: string, options?: Omit<TabSpec, 'label' | 'stream'>): Promise<TabHandle>
  /** A bare channel of the stream (no presence lock: not a tab), recording what arrives. */
  observe(): { seen: string[]; data: unknown[]; post(message: unknown): void }
  /** The locks of this stream held now, per query(), sorted, named `<stream>` and `<stream> tab <random>`. */
  held(): Promise<string[]>
  /** Lets time pass, a few ms at a time, until `condition` holds or `ms` (default 2 s) passed; says whether it held. */
  until(condition: () => boolean | Promise<boolean>, ms?: number): Promise<boolean>
  wait(ms: number): Promise<void>
  /** How many presence locks of the stream query() shows. */
  present(): Promise<number>
}

const STEP_MS = 5

function setUp(env: TabEnvironment, scenario: string) {
  const stream = `protocol ${scenario} ${env.id ?? 'run'}`
  const name = streamName(stream)
  const tabs: TabHandle[] = []
  const channels: ChannelLike[] = []
  const open = env.tab ?? (async (spec: TabSpec) => localTab(env, spec))
  const normalize = (lock: string) => {
    const suffix = lock.slice(`${name} tab `.length)
    if (!lock.startsWith(`${name} tab `)) return `<stream>${lock.slice(name.length)}`
    return `<stream> tab ${Number(suffix) >= 0 && Number(suffix) < 1 && String(Number(suffix)) === suffix ? '<random>' : suffix}`
  }
  const held = async () => {
    const { held = [] } = await env.locks.query()
    return held
      .map((lock) => lock.name ?? '')
      .filter((lock) => lock === name || lock.startsWith(`${name} `))
      .map(normalize)
      .sort()
  }
  const until = async (condition: () => boolean | Promise<boolean>, ms = 2_000) => {
    const deadline = env.clock.now() + ms
    for (;;) {
      if (await condition()) return true
      if (env.clock.now() >= deadline) return false
      await env.wait(STEP_MS)
    }
  }
  const context: Context = {
    env,
    name,
    async tab(label, options = {}) {
      const tab = await open({ label, stream, ...options })
      tabs.push(tab)
      return tab
    },
    observe() {
      const channel = env.channel(name)!
      channels.push(channel)
      const seen: string[] = []
      const data: unknown[] = []
      channel.onmessage = (event) => {
        data.push(event.data)
        seen.push(show(event.data))
      }
      return { seen, data, post: (message) => channel.postMessage(message as CrossTabMessage) }
    },
    held,
    until,
    wait: (ms) => env.wait(ms),
    present: async () => (await held()).filter((lock) => lock.startsWith('<stream> tab ')).length,
  }
  // Every tab stopped, every frozen lock given back, every channel closed: what query() shows after that.
  const cleanUp = async () => {
    for (const tab of tabs) {
      await tab.thaw()
      await tab.stop()
    }
    for (const channel of channels) channel.close()
    await until(async () => (await held()).length === 0)
    return held()
  }
  return { context, cleanUp }
}

const fetchOf = async (tab: TabHandle, index: number) => (await tab.log()).fetches[index]
const requested = (tab: TabHandle, index: number) => async () => (await fetchOf(tab, index))?.requestAt != null
/** The fetch asked for the lock and waits for it. */
const queued = (tab: TabHandle, index: number) => async () => !!(await fetchOf(tab, index))?.lock.includes('request waits')
const ended = (tab: TabHandle, index: number) => async () => (await fetchOf(tab, index))?.outcome !== 'pending'
/** A fetch as compared: whether its request ran, how it ended, and what happened to its lock. */
const summary = ({ requestAt, outcome, lock }: FetchLog) => ({ requestRan: requestAt !== null, outcome, lock })

/** The messages a peer posts, as `show` writes them. */
const ASK = '{type:"ask"}'
const SIGNED_OUT = '{type:"signed-out"}'
const T1_SHARED = `{type:"token",token:<T1>,expiresAt:${heldInfo('T1').expiresAt},issuedAt:${heldInfo('T1').issuedAt}}`
const T1_ADOPTED: Adopted = {
  token: 'T1',
  userId: 'alice',
  scopes: SCOPE.split(' '),
  tenantId: 'tenant-1',
  expiresAt: heldInfo('T1').expiresAt!,
  issuedAt: heldInfo('T1').issuedAt!,
  exp: IAT + 3600,
}
const T2_ADOPTED: Adopted = {
  ...T1_ADOPTED,
  token: 'T2',
  expiresAt: heldInfo('T2').expiresAt!,
  issuedAt: heldInfo('T2').issuedAt!,
  exp: IAT + 60 + 7200,
}
const PRESENCE = '<stream> tab <random>'
/** The fetch lock of a tab that found it free, and of one that waited for it. */
const FREE = ['request ifAvailable', 'granted', 'released']
const WAITED = ['request ifAvailable', 'unavailable', 'request waits', 'granted', 'released']
const GAVE_UP = ['request ifAvailable', 'unavailable', 'request waits', 'rejected AbortError']

export interface Scenario {
  /** The property of the contract it shows. */
  title: string
  /** Tabs it opens: with two or more, the browser test also runs it with tabs in two pages. */
  tabs: number
  run(context: Context): Promise<Record<string, unknown>>
  expected: Record<string, unknown>
}

const TINY_TIMEOUT = 50

export const scenarios = {
  // (a)
  alone: {
    title: 'a tab alone fetches at once, asking no one; query() shows its presence lock, and the fetch lock while it fetches',
    tabs: 1,
    async run({ tab, observe, held, until }) {
      const observer = observe()
      const a = await tab('A', { holds: 'T1' })
      await until(async () => (await held()).length === 1)
      const joined = await held()
      await a.fetch({ ask: true, urgent: true, hold: true })
      await until(requested(a, 0))
      const fetching = await held()
      await a.finish(0)
      await until(ended(a, 0))
      const fetched = await held()
      await a.close()
      await until(async () => (await held()).length === 0)
      const closed = await held()
      const { fetches, presence, asked } = await a.log()
      const fetch = fetches[0]!
      return {
        joined,
        fetching,
        fetched,
        closed,
        posted: observer.seen,
        asked,
        fetch: { ...summary(fetch), atOnce: fetch.requestAt! - fetch.startedAt < PEER_REPLY_MS },
        presence,
      }
    },
    expected: {
      joined: [PRESENCE],
      fetching: ['<stream>', PRESENCE],
      fetched: [PRESENCE],
      closed: [],
      posted: [],
      asked: 0,
      fetch: { requestRan: true, outcome: 'done', lock: FREE, atOnce: true },
      presence: ['request', 'granted', 'released'],
    },
  },

  // (b)
  peerAnswers: {
    title:
      'a second tab asks; the first, holding a token, answers; the second adopts it decoded, with the sender’s times, and does not fetch',
    tabs: 2,
    async run({ tab, observe, present, until, wait }) {
      const observer = observe()
      const a = await tab('A', { holds: 'T1' })
      const b = await tab('B')
      await until(async () => (await present()) === 2)
      await b.fetch({ ask: true, urgent: true })
      await until(ended(b, 0))
      await wait(20) // anything late
      const [first, second] = [await a.log(), await b.log()]
      const fetch = second.fetches[0]!
      return {
        posted: observer.seen,
        answered: first.asked,
        firstAdopted: first.adopted,
        secondAdopted: second.adopted,
        fetch: { ...summary(fetch), beforePeerReplyMs: fetch.endedAt! - fetch.startedAt < PEER_REPLY_MS },
      }
    },
    expected: {
      posted: [ASK, T1_SHARED],
      answered: 1,
      firstAdopted: [],
      secondAdopted: [T1_ADOPTED],
      // It took the free fetch lock while asking (one round trip for both), and gave it back on adopting.
      fetch: { requestRan: false, outcome: 'done', lock: FREE, beforePeerReplyMs: true },
    },
  },

  // (c)
  takeTurns: {
    title:
      'while a tab fetches (holding the lock), another waits; it fetches only after that request ended and a grace of PEER_REPLY_MS, unless aborted during the grace',
    tabs: 2,
    async run({ tab, present, until, wait }) {
      const a = await tab('A')
      const b = await tab('B')
      await until(async () => (await present()) === 2)
      const turn = async (index: number, aSpec: FetchSpec, bSpec: FetchSpec) => {
        await a.fetch({ hold: true, ...aSpec })
        await until(requested(a, index))
        await b.fetch(bSpec)
        await until(queued(b, index))
        await wait(20)
        const waiting = summary((await fetchOf(b, index))!)
        await a.finish(index)
        await until(ended(b, index))
        const [first, second] = [(await fetchOf(a, index))!, (await fetchOf(b, index))!]
        return { first, second, waiting }
      }
      // 1. b waits for a's lock, and fetches a grace after a's request ended.
      const plain = await turn(0, {}, {})
      // 2. b is granted the lock, then aborted during the grace (the manager adopting a's token does that): no request.
      const aborted = await turn(1, {}, { abortAfterGrant: PEER_REPLY_MS / 2 })
      // 3. As the manager: a shares its token before its request returns; b adopts it (the message and the lock
      // travel separately: before or during the grace), and does not fetch.
      const shared = await turn(2, { shares: 'T2' }, {})
      await wait(20)
      return {
        plain: {
          first: summary(plain.first),
          waiting: plain.waiting,
          second: summary(plain.second),
          order: plain.first.requestEndedAt! <= plain.second.grantedAt! ? 'a, then b' : 'b before a ended',
          graceAfterFirst: plain.second.requestAt! - plain.first.requestEndedAt! >= PEER_REPLY_MS - 1,
        },
        aborted: { first: summary(aborted.first), waiting: aborted.waiting, second: summary(aborted.second) },
        shared: {
          first: summary(shared.first),
          second: { requestRan: shared.second.requestAt !== null, outcome: shared.second.outcome },
          adopted: (await b.log()).adopted,
        },
      }
    },
    expected: {
      plain: {
        first: { requestRan: true, outcome: 'done', lock: FREE },
        waiting: { requestRan: false, outcome: 'pending', lock: ['request ifAvailable', 'unavailable', 'request waits'] },
        second: { requestRan: true, outcome: 'done', lock: WAITED },
        order: 'a, then b',
        graceAfterFirst: true,
      },
      aborted: {
        first: { requestRan: true, outcome: 'done', lock: FREE },
        waiting: { requestRan: false, outcome: 'pending', lock: ['request ifAvailable', 'unavailable', 'request waits'] },
        second: { requestRan: false, outcome: 'done', lock: WAITED },
      },
      shared: {
        first: { requestRan: true, outcome: 'done', lock: FREE },
        second: { requestRan: false, outcome: 'done' },
        adopted: [T2_ADOPTED],
      },
    },
  },

  // (d)
  stopLeaves: {
    title:
      'stop() (abort, then close()): the channel hears nothing more, every lock is given back, and a stop during the peers query posts nothing',
    tabs: 4,
    async run({ tab, observe, held, present, until, wait }) {
      const observer = observe()
      const a = await tab('A')
      const b = await tab('B', { holds: 'T1' })
      await until(async () => (await present()) === 2)
      observer.post({ type: 'signed-out' })
      await until(async () => (await a.log()).signedOut + (await b.log()).signedOut === 2)
      // a fetches, holding the lock; b waits for it.
      await a.fetch({ hold: true })
      await until(requested(a, 0))
      await b.fetch({})
      await until(queued(b, 0))
      const before = await held()
      await b.stop()
      await a.stop()
      await until(async () => (await held()).length === 0)
      const after = await held()
      // Closed: neither hears a sign-out or a question (b holds a token it would answer with).
      observer.post({ type: 'signed-out' })
      observer.post({ type: 'ask' })
      await wait(30)
      const [first, second] = [await a.log(), await b.log()]
      // c asks while d is there, and is stopped at once, while its query() is pending: no ask goes out.
      const c = await tab('C')
      const d = await tab('D', { holds: 'T1' })
      await until(async () => (await present()) === 2)
      await c.fetch({ ask: true, urgent: true, leave: 'stop' })
      await until(ended(c, 0))
      await wait(30)
      return {
        before,
        after,
        first: { signedOut: first.signedOut, asked: first.asked, fetch: summary(first.fetches[0]!), presence: first.presence },
        second: { signedOut: second.signedOut, asked: second.asked, fetch: summary(second.fetches[0]!), presence: second.presence },
        stoppedDuringQuery: { fetch: summary((await fetchOf(c, 0))!), peerAsked: (await d.log()).asked },
        posted: observer.seen,
      }
    },
    expected: {
      before: ['<stream>', PRESENCE, PRESENCE],
      after: [],
      first: {
        signedOut: 1,
        asked: 0,
        fetch: { requestRan: true, outcome: 'done', lock: FREE },
        presence: ['request', 'granted', 'released'],
      },
      second: {
        signedOut: 1,
        asked: 0,
        fetch: { requestRan: false, outcome: 'done', lock: GAVE_UP },
        presence: ['request', 'granted', 'released'],
      },
      // Its fetch lock was asked for with the query, in the same call: granted, then given back without a request.
      stoppedDuringQuery: { fetch: { requestRan: false, outcome: 'done', lock: FREE }, peerAsked: 0 },
      posted: [],
    },
  },

  // (e)
  signOut: {
    title: 'signOut() reaches the other tab’s signedOut, even when the tab stops right after (as after a 401), and not its own',
    tabs: 2,
    async run({ tab, observe, present, until, wait }) {
      const observer = observe()
      const a = await tab('A')
      const b = await tab('B')
      await until(async () => (await present()) === 2)
      await a.signOut('stop')
      await until(async () => (await b.log()).signedOut > 0)
      await wait(30)
      return { posted: observer.seen, first: (await a.log()).signedOut, second: (await b.log()).signedOut }
    },
    expected: { posted: [SIGNED_OUT], first: 0, second: 1 },
  },

  // (f)
  notOurs: {
    title:
      'messages that are not ours are ignored (readMessage), a malformed token or one whose times disagree with its claims is not adopted, and messages arrive as the browser clones them',
    tabs: 1,
    async run({ tab, observe, until, wait }) {
      const watcher = observe()
      const sender = observe()
      const b = await tab('B')
      const { expiresAt, issuedAt } = heldInfo('T2')
      for (const message of [
        { type: 'other' },
        'ask',
        { type: 'token', token: 5, expiresAt, issuedAt },
        { type: 'token', token: 'eyJ.nope.x', expiresAt, issuedAt },
        { type: 'token', token: TOKENS.T2, expiresAt: '2099', issuedAt },
        { type: 'token', token: TOKENS.T2, expiresAt: Number.NaN, issuedAt },
        null,
        // Read, but its times cannot be its claims moved by one offset: not adopted.
        { type: 'token', token: TOKENS.T2, expiresAt, issuedAt: undefined },
        { type: 'token', token: TOKENS.T2, expiresAt, issuedAt },
      ]) {
        sender.post(message)
      }
      await until(async () => (await b.log()).adopted.length > 0)
      await wait(30)
      const { adopted, asked, signedOut } = await b.log()
      return { received: watcher.seen, read: watcher.data.map((data) => show(readMessage(data))), adopted, asked, signedOut }
    },
    expected: {
      // As sent: a structured clone keeps undefined and NaN.
      received: [
        '{type:"other"}',
        '"ask"',
        `{type:"token",token:5,expiresAt:${heldInfo('T2').expiresAt},issuedAt:${heldInfo('T2').issuedAt}}`,
        `{type:"token",token:"eyJ.nope.x",expiresAt:${heldInfo('T2').expiresAt},issuedAt:${heldInfo('T2').issuedAt}}`,
        `{type:"token",token:<T2>,expiresAt:"2099",issuedAt:${heldInfo('T2').issuedAt}}`,
        `{type:"token",token:<T2>,expiresAt:NaN,issuedAt:${heldInfo('T2').issuedAt}}`,
        'null',
        `{type:"token",token:<T2>,expiresAt:${heldInfo('T2').expiresAt},issuedAt:undefined}`,
        `{type:"token",token:<T2>,expiresAt:${heldInfo('T2').expiresAt},issuedAt:${heldInfo('T2').issuedAt}}`,
      ],
      read: [
        'undefined',
        'undefined',
        'undefined',
        `{type:"token",token:"eyJ.nope.x",expiresAt:${heldInfo('T2').expiresAt},issuedAt:${heldInfo('T2').issuedAt}}`,
        'undefined',
        'undefined',
        'undefined',
        `{type:"token",token:<T2>,expiresAt:${heldInfo('T2').expiresAt},issuedAt:undefined}`,
        `{type:"token",token:<T2>,expiresAt:${heldInfo('T2').expiresAt},issuedAt:${heldInfo('T2').issuedAt}}`,
      ],
      adopted: [T2_ADOPTED],
      asked: 0,
      signedOut: 0,
    },
  },

  // (g)
  frozenTab: {
    title:
      'a lock a frozen tab never gives back: the waiting tab gives up after 2 × timeout, twice, then fetches without it; the fetch after waits once more',
    tabs: 2,
    async run({ tab, held, present, until }) {
      const frozen = await tab('F')
      const b = await tab('B', { timeout: TINY_TIMEOUT })
      await until(async () => (await present()) === 2)
      await frozen.freeze()
      await until(async () => (await held()).includes('<stream>'))
      const fetches = []
      for (let index = 0; index < 4; index++) {
        await b.fetch({})
        await until(ended(b, index))
        const fetch = (await fetchOf(b, index))!
        fetches.push({ ...summary(fetch), waitedTwoTimeouts: fetch.endedAt! - fetch.startedAt >= 2 * TINY_TIMEOUT - 1 })
      }
      // Thawed, the lock is free; the count of misses goes on: without the lock once more, then with it.
      await frozen.thaw()
      await until(async () => !(await held()).includes('<stream>'))
      for (let index = 4; index < 6; index++) {
        await b.fetch({})
        await until(ended(b, index))
        fetches.push(summary((await fetchOf(b, index))!))
      }
      return { fetches }
    },
    expected: {
      fetches: [
        { requestRan: false, outcome: 'done', lock: GAVE_UP, waitedTwoTimeouts: true },
        { requestRan: false, outcome: 'done', lock: GAVE_UP, waitedTwoTimeouts: true },
        { requestRan: true, outcome: 'done', lock: [], waitedTwoTimeouts: false },
        { requestRan: false, outcome: 'done', lock: GAVE_UP, waitedTwoTimeouts: true },
        { requestRan: true, outcome: 'done', lock: [] },
        { requestRan: true, outcome: 'done', lock: FREE },
      ],
    },
  },

  // Not a rule of the protocol, but what a test of it must allow for.
  later: {
    title: 'a message and a lock grant arrive in a later task: nothing arrives within the microtasks of the call that posted or asked',
    tabs: 0,
    async run({ env, name, observe, until }) {
      const [sender, receiver] = [observe(), observe()]
      let granted = false
      sender.post({ type: 'ask' })
      const lock = env.locks.request(`${name} later`, {}, async () => {
        granted = true
      })
      for (let i = 0; i < 100; i++) await Promise.resolve()
      const withinMicrotasks = { received: receiver.seen.length, granted }
      await until(() => receiver.seen.length > 0 && granted)
      await lock
      return { withinMicrotasks, later: { received: receiver.seen.length, granted } }
    },
    expected: { withinMicrotasks: { received: 0, granted: false }, later: { received: 1, granted: true } },
  },
} satisfies Record<string, Scenario>

export type ScenarioName = keyof typeof scenarios
export const scenarioNames = Object.keys(scenarios) as ScenarioName[]
export const scenario = (name: ScenarioName): Scenario => scenarios[name]

/** Runs one scenario in `env`, then stops its tabs; `leftover` is what query() still shows of its locks after that. */
export async function runScenario(name: ScenarioName, env: TabEnvironment): Promise<Record<string, unknown>> {
  const { context, cleanUp } = setUp(env, name)
  let result: Record<string, unknown>
  try {
    result = await scenario(name).run(context)
  } catch (error) {
    await cleanUp()
    throw error
  }
  return { ...result, leftover: await cleanUp() }
}

export const expectedResult = (name: ScenarioName) => ({ ...scenario(name).expected, leftover: [] })
