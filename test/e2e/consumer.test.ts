// The package as users get it: `npm pack`, installed with its real peers into a project of its own under the
// system temp folder (inside this repo, Node's resolution would walk up into our node_modules and hide a
// missing dependency). One project per run, shared by every check below, removed at the end.
import { execFile } from 'node:child_process'
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const fixtures = fileURLToPath(new URL('../consumer', import.meta.url))
const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { name: string; devDependencies: Record<string, string> }

// At the versions of our devDependencies, which `npm ci` left in the npm cache. The two UI packages are for the
// README snippets that import them: stand-ins would make their type check prove nothing.
const peers = ['@trycourier/courier-js', 'react', 'react-dom']
const tools = [
  'vitest',
  'happy-dom',
  'jsdom',
  'typescript',
  '@types/react',
  '@types/node',
  '@trycourier/courier-ui-inbox',
  '@trycourier/courier-react',
]

// The children are runs of their own, not part of this one: no vitest variables, no colours in their output.
const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }
for (const name of Object.keys(env)) if (/^(VITEST|TEST$|FORCE_COLOR$)/.test(name)) delete env[name]

type Result = { code: number; stdout: string; stderr: string; output: string }

/** Runs a command, in the consumer project unless told; never throws, so that a failure shows what it printed. */
function run(command: string, args: string[], cwd = project): Promise<Result> {
  return new Promise((done) => {
    execFile(command, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      let code = 0
      if (error) code = typeof error.code === 'number' ? error.code : 1
      done({ code, stdout, stderr, output: `$ ${command} ${args.join(' ')}\n${stdout}${stderr}`.trim() })
    })
  })
}

/** The command's standard output; fails with `what` and everything it printed unless it exited 0. */
function succeeded({ code, stdout, output }: Result, what: string): string {
  if (code !== 0) expect.fail(`${what} (exit code ${code}):\n${output}`)
  return stdout
}

function versions(names: string[]): Record<string, string> {
  return Object.fromEntries(
    names.map((name) => {
      if (!pkg.devDependencies[name])
        throw new Error(`${name} is not in package.json's devDependencies: the consumer project installs it at that version`)
      return [name, pkg.devDependencies[name]]
    }),
  )
}

let temp: string
let project: string

beforeAll(async () => {
  temp = await mkdtemp(join(tmpdir(), 'courier-token-manager-consumer-'))
  project = join(temp, 'consumer')
  // dist/ is what `npm test` just built; --ignore-scripts so that no prepack rebuilds it under the other e2e tests.
  const packed = succeeded(await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', temp], root), 'npm pack failed')
  const [{ filename }] = JSON.parse(packed) as [{ filename: string }]
  await cp(fixtures, project, { recursive: true })
  const consumer = {
    name: 'consumer',
    private: true,
    type: 'module', // node16 resolution then reads the README snippets as ESM
    dependencies: { [pkg.name]: `file:${join(temp, filename)}`, ...versions(peers) },
    devDependencies: versions(tools),
  }
  await writeFile(join(project, 'package.json'), JSON.stringify(consumer, null, 2))
  const install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock'])
  succeeded(install, `npm install of the packed package failed in ${project}`)
}, 180_000)

afterAll(async () => {
  if (temp) await rm(temp, { recursive: true, force: true })
})

const entries: Record<string, string[]> = {
  [pkg.name]: ['createTokenManager', 'decodeToken', 'diagnoseToken', 'isTokenManagerError', 'TokenManagerError'],
  [`${pkg.name}/courier`]: ['connectCourier'],
  [`${pkg.name}/react`]: ['useCourierAuthorization', 'useCourierSignIn', 'useTokenManager'],
  [`${pkg.name}/server`]: [
    'createTokenHandler',
    'toNodeHandler',
    'issueCourierToken',
    'isIssueTokenError',
    'IssueTokenError',
    'computeUserSignature',
    'createDevIssuer',
    'buildScope',
    'parseDuration',
  ],
}

describe.each(Object.keys(entries))('%s, installed', (entry) => {
  const specifier = JSON.stringify(entry)
  const print = 'console.log(JSON.stringify(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, typeof v]))))'
  // A child process each: a module that fails to load fails there, and Node, not vitest, resolves it.
  it.each([
    ['Node ESM', `import(${specifier})`, ['--input-type=module', '-e', `const m = await import(${specifier}); ${print}`]],
    ['CommonJS', `require(${specifier})`, ['--input-type=commonjs', '-e', `const m = require(${specifier}); ${print}`]],
  ])('loads in %s: %s', async (_, call, args) => {
    const types = JSON.parse(succeeded(await run(process.execPath, args), `${call} failed in the consumer project`)) as Record<
      string,
      string
    >
    expect(types).toMatchObject(Object.fromEntries(entries[entry]!.map((name) => [name, 'function'])))
  })
})

it('runs the courier-token command', async () => {
  // --no: never fetch a registry package of that name if ours is missing; --: the options are the command's.
  const stdout = succeeded(await run('npx', ['--no', '--', 'courier-token', '--help']), 'npx courier-token --help failed')
  expect(stdout).toMatch(/^Usage: courier-token <command>/)
})

it('inspects what issue --json prints, piped, as the README shows', async () => {
  const pipeline = 'npx --no -- courier-token issue --user alice --dev --json | npx --no -- courier-token inspect'
  const stdout = succeeded(await run('sh', ['-c', pipeline]), `${pipeline} failed`)
  expect(stdout).toContain('Fine for inbox.')
})

// expiresIn, end to end in the packed build: a token endpoint's answer read by a manager under Node's loaders.
it.each([
  ['Node ESM', '--input-type=module', "const { createTokenManager } = await import('courier-token-manager')"],
  ['CommonJS', '--input-type=commonjs', "const { createTokenManager } = require('courier-token-manager')"],
])('honours { token, expiresIn } from fetchToken in %s', async (_, type, load) => {
  const script = `${load}
    const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const iat = Math.floor(Date.now() / 1000)
    const token = [b64({ alg: 'HS256' }), b64({ scope: 'user_id:alice inbox:read:messages inbox:write:events', iat, exp: iat + 3600 }), 'sig'].join('.')
    const manager = createTokenManager({ fetchToken: async () => ({ token, expiresIn: 60 }) })
    const started = Date.now()
    manager.start().then((info) => { console.log(Math.round((info.expiresAt - started) / 1000)); manager.stop() })`
  const stdout = succeeded(await run(process.execPath, [type, '-e', script]), `the ${type} script failed`)
  expect(Number(stdout.trim())).toBe(60)
})

// test/consumer/start.ts in happy-dom (the consumer's vitest.config.ts) and in jsdom: packages loaded by Node.
it("passes the consumer's own vitest: a manager connected to Courier starts, with real and with fake timers", async () => {
  const report = join(project, 'vitest-report.json')
  const result = await run('npx', ['--no', '--', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`])
  succeeded(result, "the consumer's tests failed")
  // Every file ran every test: a file vitest skipped would pass quietly.
  const { testResults } = JSON.parse(await readFile(report, 'utf8')) as {
    testResults: { name: string; assertionResults: { status: string }[] }[]
  }
  const passed = Object.fromEntries(
    testResults.map(({ name, assertionResults }) => [basename(name), assertionResults.filter((test) => test.status === 'passed').length]),
  )
  expect(passed, result.output).toEqual({ 'happy-dom.spec.ts': 4, 'jsdom.spec.ts': 4 })
}, 120_000)

// The README's TypeScript, as a user pastes it into a strict project: each ```ts and ```tsx block a module of its
// own, the names it takes from the app around it (a session, an Express app, the user) declared here, as an app has them.
const PRELUDE = `
declare const tokens: import('courier-token-manager').TokenManager
declare const createTokenManager: typeof import('courier-token-manager').createTokenManager
declare const connectCourier: typeof import('courier-token-manager/courier').connectCourier
declare const createTokenHandler: typeof import('courier-token-manager/server').createTokenHandler
declare const issueCourierToken: typeof import('courier-token-manager/server').issueCourierToken
declare const Courier: typeof import('@trycourier/courier-js').Courier
declare const CourierInboxDatastore: typeof import('@trycourier/courier-ui-inbox').CourierInboxDatastore
declare const currentUser: { id: string }
declare const user: { id: string }
declare const apiKey: string
declare const userId: string
declare const messageId: string
declare const message: import('@trycourier/courier-js').InboxMessage
declare const env: { COURIER_API_KEY: string } // Hono's c.env, Cloudflare's bindings
declare function getSession(request: Request): Promise<{ userId: string } | null>
declare function sessionUserId(request: Request): string | undefined
declare function readCsrfCookie(): string
declare function log(...values: unknown[]): void
declare const myApi: { get(path: string, init: { signal: AbortSignal }): Promise<{ data: string | { token: string } }> } // axios-like
declare namespace express {
  type IncomingMessage = import('node:http').IncomingMessage
  interface Request extends IncomingMessage { session?: { userId?: string } } // with express-session
}
// Hono's app.get, then Express's.
declare const app: {
  get(path: string, handler: (c: { req: { raw: Request } }) => Response | Promise<Response>): void
  get(path: string, handler: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, next: (error?: unknown) => void) => void): void
}
`

// Blocks not compiled, each found by a piece of its code; an entry that matches no block fails (the docs changed).
const NOT_COMPILED: { code: string; why: string }[] = [
  {
    code: "{ inbox: ['inbox:read:messages', 'inbox:write:events'], preferences:",
    why: 'the value of SCOPES, shown as data: an object literal, not a module',
  },
  {
    code: '<CourierProvider userId={user.id} authorization={useCourierAuthorization(tokens)}>',
    why: "@trycourier/react-provider 7 (legacy, a dependency tree of its own) is not installed; and under exactOptionalPropertyTypes its `authorization?: string` refuses the hook's `string | undefined`, as the README says below the block",
  },
]

// What the snippets must show: if the README stopped showing one, or the extraction broke, this fails.
const COVERED = ['createTokenManager', 'connectCourier', 'createTokenHandler', 'toNodeHandler', 'useCourierSignIn']

// `document` is the page the block is on (README.md, or docs/*.md where the README's deep sections live), `fence`
// the line of its opening fence there: `file` is named after both, and errors are reported at that place.
type Snippet = { file: string; code: string; document: string; fence: number }

/** README.md, then every page of docs/ in name order (docs/api is TypeDoc's output, not a page). */
async function documents(): Promise<string[]> {
  const pages = (await readdir(join(root, 'docs'), { withFileTypes: true }))
    .filter((entry) => entry.isFile() && entry.name.endsWith('.md'))
    .map((entry) => `docs/${entry.name}`)
    .sort()
  return ['README.md', ...pages]
}

async function readmeSnippets(): Promise<Snippet[]> {
  const blocks: { document: string; extension: 'ts' | 'tsx'; code: string; fence: number }[] = []
  for (const document of await documents()) {
    const text = await readFile(join(root, document), 'utf8')
    for (const match of text.matchAll(/^```(tsx?|typescript)(?:[^\S\n][^\n]*)?\n([\s\S]*?)^```[^\S\n]*$/gm)) {
      blocks.push({
        document,
        extension: match[1] === 'tsx' ? 'tsx' : 'ts',
        code: match[2]!,
        fence: text.slice(0, match.index).split('\n').length, // the line of the opening fence
      })
    }
  }
  for (const { code } of NOT_COMPILED) {
    const matches = blocks.filter((block) => block.code.includes(code)).length
    if (matches !== 1)
      expect.fail(
        `NOT_COMPILED entry ${JSON.stringify(code)} matches ${matches} blocks of README.md and docs/*.md, not 1: update or remove it`,
      )
  }
  // readme/README-line-40.ts, readme/docs-troubleshooting-line-12.ts: the tsconfigs compile all of readme/.
  return blocks
    .filter((block) => !NOT_COMPILED.some(({ code }) => block.code.includes(code)))
    .map(({ document, extension, code, fence }) => ({
      file: `readme/${document.replace(/\.md$/, '').replace(/\W/g, '-')}-line-${fence}.${extension}`,
      code,
      document,
      fence,
    }))
}

describe('the README snippets, type-checked against the installed package', () => {
  let snippets: Snippet[]

  beforeAll(async () => {
    snippets = await readmeSnippets()
    await mkdir(join(project, 'readme'))
    await writeFile(join(project, 'readme', 'prelude.d.ts'), PRELUDE)
    // `export {}`: a block without imports is a module too, so that its `const tokens` stays its own.
    for (const { file, code } of snippets) await writeFile(join(project, file), `${code}export {}\n`)
  })

  it('show the main API', () => {
    const code = snippets.map((snippet) => snippet.code).join('\n')
    expect(
      COVERED.filter((name) => !code.includes(`${name}(`)),
      'API the README (and docs/) snippets no longer call',
    ).toEqual([])
  })

  // test/consumer/tsconfig.*.json; concurrent, as they share nothing.
  it.concurrent.each(['bundler', 'node16'])(
    'compile with moduleResolution %s, strict and exactOptionalPropertyTypes',
    async (resolution) => {
      const { code, stdout, stderr } = await run(process.execPath, [
        'node_modules/typescript/bin/tsc',
        '-p',
        `tsconfig.${resolution}.json`,
        '--pretty',
        'false',
      ])
      if (code === 0) return
      // Each error at its place in README.md or its docs/ page, in document order; a name nobody declared is said so, with what to do.
      const undeclared = new Set<string>()
      const order = snippets.map((snippet) => snippet.file)
      const errors = `${stdout}${stderr}`
        .trim()
        .split(/\n(?=\S)/)
        .map((error) => {
          const [, file, line, column, text] = /^(readme\/[^(]+)\((\d+),(\d+)\): error (.*)$/s.exec(error) ?? []
          const snippet = snippets.find((candidate) => candidate.file === file)
          if (!snippet || !text) return { block: Infinity, at: Infinity, error }
          const name = /^TS\d+: Cannot find (?:name|namespace) '([^']+)'/.exec(text)?.[1]
          if (name) undeclared.add(name)
          const at = snippet.fence + Number(line)
          return { block: order.indexOf(snippet.file), at, error: `${snippet.document}:${at}:${column} ${text}` }
        })
        .sort((a, b) => a.block - b.block || a.at - b.at)
        .map(({ error }) => error)
      const hint = undeclared.size
        ? `README snippets use ${[...undeclared].join(', ')}, declared nowhere: add to PRELUDE in test/e2e/consumer.test.ts (as an app has it), or to NOT_COMPILED with the reason.\n`
        : ''
      expect.fail(`${hint}tsc -p tsconfig.${resolution}.json failed on the README's TypeScript:\n${errors.join('\n')}`)
    },
    120_000,
  )
})
