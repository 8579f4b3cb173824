// Runs the built courier-token binary (dist/cli.js): `npm run build` first (`npm test` does).
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { decodeToken } from '../../src/token'
import { startCourierApiStub, STUB_API_KEY, type CourierApiStub } from '../helpers/courier-api-stub'
import { courierJwt } from '../helpers/jwt'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CLI = 'dist/cli.js'
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/
const INBOX = ['inbox:read:messages', 'inbox:write:events']

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** Runs the CLI with only PATH and `env` in its environment, writing `input` (or nothing) to its stdin. */
const run = (args: string[], { env = {}, input = '' }: { env?: Record<string, string>; input?: string } = {}) =>
  new Promise<Run>((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 15_000 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error)
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr })
      },
    )
    child.stdin?.end(input)
  })

let stub: CourierApiStub

beforeAll(async () => {
  if (!existsSync(`${ROOT}${CLI}`)) throw new Error(`${CLI} is missing: run npm run build first.`)
  stub = await startCourierApiStub()
})

afterAll(async () => {
  await stub.close()
})

beforeEach(() => {
  stub.reset()
})

describe('courier-token help', () => {
  it.each<[string, string[]]>([
    ['--help', ['--help']],
    ['help', ['help']],
    ['-h', ['-h']],
  ])('prints the commands for %s and exits 0', async (_, args) => {
    const { code, stdout, stderr } = await run(args)
    expect(code).toBe(0)
    expect(stderr).toBe('')
    expect(stdout).toContain('Usage: courier-token <command> [options]')
    expect(stdout).toMatch(/^ {2}issue {5}Issue a token/m)
    expect(stdout).toMatch(/^ {2}inspect {3}Decode a token/m)
  })

  it('prints the commands to stderr and exits 2 without a command, so that a script missing it fails', async () => {
    const { code, stdout, stderr } = await run([])
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toMatch(/^Usage: courier-token <command> \[options\]\n/)
    expect(stderr).toMatch(/^ {2}inspect {3}Decode a token/m)
  })

  it.each([
    ['issue', ['--user <id>', '--features <list>', '--scopes <list>', '--expires-in <time>', '--region <us|eu>', '--dev', '--json']],
    ['inspect', ['[<jwt> | -]', '--features <list>', '--user <id>', '--json']],
  ])('prints the options of %s --help and exits 0', async (command, options) => {
    const { code, stdout, stderr } = await run([command, '--help'])
    expect(code).toBe(0)
    expect(stderr).toBe('')
    expect(stdout).toContain(`Usage: courier-token ${command}`)
    for (const option of options) expect(stdout).toContain(option)
  })
})

describe('courier-token issue --dev', () => {
  it('prints one line: a JWT for the user with the inbox scopes and a one-hour expiry', async () => {
    const { code, stdout, stderr } = await run(['issue', '--user', 'alice', '--dev'])
    expect(code).toBe(0)
    expect(stderr).toBe('')
    const lines = stdout.split('\n').filter(Boolean)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(JWT)
    const info = decodeToken(lines[0]!)
    expect(info.userId).toBe('alice')
    expect(info.scopes).toEqual(['user_id:alice', ...INBOX])
    expect(info.expiresAt! - info.issuedAt!).toBe(3_600_000)
    expect(Math.abs(info.issuedAt! - Date.now())).toBeLessThan(10_000)
  })

  it('prints { token, expiresAt, scope } with --json', async () => {
    const { code, stdout } = await run(['issue', '--user', 'alice', '--dev', '--json'])
    expect(code).toBe(0)
    const printed = JSON.parse(stdout) as { token: string; expiresAt: string; scope: string }
    expect(Object.keys(printed)).toEqual(['token', 'expiresAt', 'scope'])
    expect(printed.scope).toBe(`user_id:alice ${INBOX.join(' ')}`)
    expect(printed.expiresAt).toBe(new Date(decodeToken(printed.token).expiresAt!).toISOString())
    expect(printed.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/)
  })

  it('issues with --features, --scopes and --expires-in', async () => {
    const { code, stdout } = await run([
      'issue',
      '--user',
      'alice',
      '--dev',
      '--features',
      'inbox,push',
      '--scopes',
      'read:brands',
      '--expires-in',
      '20m',
    ])
    expect(code).toBe(0)
    const info = decodeToken(stdout.trim())
    expect(info.scopes).toEqual(['user_id:alice', ...INBOX, 'write:user-tokens', 'read:brands'])
    expect(info.expiresAt! - info.issuedAt!).toBe(1_200_000)
  })
})

describe('courier-token issue through Courier', () => {
  const courier = () => ({ COURIER_API_KEY: STUB_API_KEY, COURIER_BASE_URL: stub.baseUrl })

  it('posts one request with the key from COURIER_API_KEY and prints Courier’s token', async () => {
    const { code, stdout, stderr } = await run(['issue', '--user', 'alice'], { env: courier() })
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stub.requests).toHaveLength(1)
    const [request] = stub.requests
    expect(request?.headers.authorization).toBe('Bearer sk_test_valid')
    expect(request?.body).toEqual({ scope: `user_id:alice ${INBOX.join(' ')}`, expires_in: '3600s' })
    expect(stdout).toBe(`${(JSON.parse(request?.responseBody ?? '{}') as { token: string }).token}\n`)
  })

  it('exits 1 for a wrong key, without printing the key', async () => {
    const { code, stdout, stderr } = await run(['issue', '--user', 'alice'], { env: { ...courier(), COURIER_API_KEY: 'sk_test_wrong' } })
    expect(code).toBe(1)
    expect(stdout).toBe('')
    expect(stub.requests).toHaveLength(1)
    expect(stderr).toContain('courier-token: Courier refused the API key (401')
    expect(stderr).toContain('[redacted]')
    expect(stderr).not.toContain('sk_test_wrong')
    expect(stderr).not.toContain('--help for usage')
  })

  it('exits 1 for a user id with a smuggled scope, before any request', async () => {
    const { code, stdout, stderr } = await run(['issue', '--user', 'alice inbox:write:messages'], { env: courier() })
    expect(code).toBe(1)
    expect(stdout).toBe('')
    expect(stderr).toContain('courier-token: Refusing user id "alice inbox:write:messages"')
    expect(stub.requests).toHaveLength(0)
  })

  it('exits 1 for an unreachable Courier and names its URL', async () => {
    const { code, stderr } = await run(['issue', '--user', 'alice'], { env: { ...courier(), COURIER_BASE_URL: 'http://127.0.0.1:1' } })
    expect(code).toBe(1)
    expect(stderr).toContain('Could not reach Courier at http://127.0.0.1:1')
  })
})

describe('courier-token usage errors', () => {
  it.each<[string, string[], Record<string, string>, string, string]>([
    ['no COURIER_API_KEY and no --dev', ['issue', '--user', 'alice'], {}, 'COURIER_API_KEY is not set', 'issue '],
    ['a missing --user', ['issue', '--dev'], {}, '--user <id> is required.', 'issue '],
    ['an unknown command', ['frobnicate'], {}, 'Unknown command "frobnicate".', ''],
    ['an unknown flag', ['issue', '--user', 'alice', '--dev', '--bogus'], {}, "'--bogus'", 'issue '],
    ['an unknown feature', ['issue', '--user', 'alice', '--dev', '--features', 'chat'], {}, 'Unknown feature "chat"', 'issue '],
    [
      'an empty --features to issue (an unset shell variable)',
      ['issue', '--user', 'alice', '--dev', '--features', ''],
      {},
      '--features is empty: use inbox, preferences, push, comma-separated.',
      'issue ',
    ],
    [
      'an empty --features to inspect, which would call any token fine',
      ['inspect', 'a.b.c', '--features', ' , '],
      {},
      '--features is empty: use inbox, preferences, push, comma-separated.',
      'inspect ',
    ],
    [
      'an unknown region',
      ['issue', '--user', 'alice', '--region', 'mars'],
      { COURIER_API_KEY: STUB_API_KEY },
      '--region is us or eu.',
      'issue ',
    ],
    ['two tokens to inspect', ['inspect', 'a.b.c', 'd.e.f'], {}, 'Give one token.', 'inspect '],
  ])('exits 2 for %s', async (_, args, env, message, command) => {
    const { code, stdout, stderr } = await run(args, { env: { ...env, COURIER_BASE_URL: stub.baseUrl } })
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toContain(message)
    expect(stderr).toContain(`Run courier-token ${command}--help for usage.`)
    expect(stub.requests).toHaveLength(0)
  })
})

describe('courier-token inspect', () => {
  const good = courierJwt({ userId: 'alice' })
  /** What `issue --json` prints for `token`. */
  const issued = (token: string) => {
    const { expiresAt, scopes } = decodeToken(token)
    return JSON.stringify({ token, expiresAt: new Date(expiresAt!).toISOString(), scope: scopes.join(' ') }, null, 2)
  }

  it.each<[string, string[], string]>([
    ['an argument', [good], ''],
    ['standard input with -', ['-'], `${good}\n`],
    ['a pipe with no argument', [], `  ${good}\n`],
    ['the JSON issue --json prints, piped', [], `${issued(good)}\n`],
    ['the JSON issue --json prints, as an argument', [issued(good)], ''],
    ['a { "jwt" } body with -', ['-'], `{"jwt":"${good}"}`],
    ['a { "token" } body with whitespace around it', [], `\n\t {"token": "${good}"}  \n\n`],
    ['a JSON string', [JSON.stringify(good)], ''],
  ])('reads a good token from %s and exits 0', async (_, args, input) => {
    const { code, stdout, stderr } = await run(['inspect', ...args], { input })
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const { expiresAt } = decodeToken(good)
    expect(stdout).toContain('User      alice\n')
    expect(stdout).toContain('Tenant    tenant-1\n')
    expect(stdout).toContain(`Scopes    user_id:alice ${INBOX.join(' ')}\n`)
    expect(stdout).toContain(`Expires   ${new Date(expiresAt!).toISOString()} (in 1 h)\n`)
    expect(stdout).toContain('✔ Fine for inbox.')
    expect(stdout).not.toContain('✖')
    expect(stdout).not.toContain(good)
  })

  it.each<[string, string, string[], string]>([
    [
      'a token without the inbox scopes',
      courierJwt({ scopes: 'read:preferences' }),
      ['--features', 'inbox'],
      '✖ missing-scope: inbox needs inbox:read:messages inbox:write:events',
    ],
    ['another user’s token', good, ['--user', 'bob'], '✖ user-mismatch: For user alice, not bob'],
    ['an expired token', courierJwt({ issuedAt: Date.now() - 2 * 3_600_000 }), [], '✖ expired: Expired'],
    [
      'a token without preferences scopes',
      good,
      ['--features', 'inbox,preferences'],
      '✖ missing-scope: preferences needs read:preferences write:preferences',
    ],
  ])('exits 1 for %s', async (_, token, args, line) => {
    const { code, stdout } = await run(['inspect', token, ...args])
    expect(code).toBe(1)
    expect(stdout).toContain('User      alice')
    expect(stdout).toContain(line)
    expect(stdout).not.toContain('✔')
  })

  it('inspects what issue --dev --json prints, as `courier-token issue --json | courier-token inspect`', async () => {
    const issuedJson = await run(['issue', '--user', 'alice', '--dev', '--json'])
    expect(issuedJson.code).toBe(0)
    const { token } = JSON.parse(issuedJson.stdout) as { token: string }
    const { code, stdout, stderr } = await run(['inspect', '--user', 'alice'], { input: issuedJson.stdout })
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toContain('User      alice\n')
    expect(stdout).toContain('✔ Fine for inbox.')
    expect(stdout).not.toContain(token)
  })

  it.each<[string, string[], string]>([
    ['nothing on a pipe', [], ''],
    ['only whitespace with -', ['-'], ' \n\t\n'],
    ['an empty argument (an unset "$TOKEN")', [''], ''],
    ['a blank argument', ['  '], ''],
  ])('exits 2 saying no token was given, not "Not a JWT", for %s', async (_, args, input) => {
    const { code, stdout, stderr } = await run(['inspect', ...args], { input })
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toBe(
      'courier-token: No token given: pass a JWT as an argument or on standard input.\nRun courier-token inspect --help for usage.\n',
    )
  })

  it.each<[string, string, string]>([
    ['JSON without a token', `{"access_token":"${good}"}`, 'JSON without a "token" or "jwt" string'],
    ['JSON whose token is not a string', `{"token":{"jwt":"${good}"}}`, 'JSON without a "token" or "jwt" string'],
    ['broken JSON, without quoting it', `{"token": ${good}}`, 'Starts like JSON but does not parse'],
  ])('exits 1 with invalid-token for %s', async (_, input, message) => {
    const { code, stdout, stderr } = await run(['inspect'], { input })
    expect(stderr).toBe('')
    expect(code).toBe(1)
    expect(stdout).toBe(`✖ invalid-token: ${message}: pass the JWT, or the JSON that courier-token issue --json prints.\n`)
    expect(stdout).not.toContain(good)
  })

  it('prints a time beyond any date (an exp in microseconds) instead of failing with "Invalid time value"', async () => {
    const exp = Math.floor(Date.now() * 1000)
    const { stdout, stderr } = await run(['inspect', courierJwt({ exp })])
    expect(stderr).toBe('')
    expect(stdout).toContain('User      alice\n')
    expect(stdout).toContain(`Expires   ${exp} s after 1970, beyond any date\n`)
  })

  it('exits 1 for garbage with invalid-token and no decoded fields', async () => {
    const { code, stdout } = await run(['inspect', 'not-a-jwt'])
    expect(code).toBe(1)
    expect(stdout).toBe('✖ invalid-token: Not a JWT, or its exp or iat is not a number.\n')
  })

  it('prints the decoded token and diagnoses as JSON, without the token', async () => {
    const { code, stdout } = await run(['inspect', good, '--json'])
    expect(code).toBe(0)
    const printed = JSON.parse(stdout) as Record<string, unknown>
    const info = decodeToken(good)
    expect(printed).toMatchObject({
      ok: true,
      diagnoses: [],
      userId: 'alice',
      scopes: ['user_id:alice', ...INBOX],
      expiresAt: info.expiresAt,
      issuedAt: info.issuedAt,
      tenantId: 'tenant-1',
      claims: info.claims,
    })
    expect(printed).not.toHaveProperty('token')
    expect(stdout).not.toContain(good)
  })

  it('prints ok: false and the diagnoses as JSON for a bad token', async () => {
    const { code, stdout } = await run(['inspect', courierJwt({ issuedAt: Date.now() - 2 * 3_600_000 }), '--user', 'bob', '--json'])
    expect(code).toBe(1)
    const printed = JSON.parse(stdout) as { ok: boolean; diagnoses: Array<{ code: string }> }
    expect(printed.ok).toBe(false)
    expect(printed.diagnoses.map((diagnosis) => diagnosis.code)).toEqual(['expired', 'user-mismatch'])
    expect(printed).not.toHaveProperty('token')
  })
})
