// courier-token: issue a Courier JWT for development, or inspect one locally.
import { parseArgs } from 'node:util'
import { diagnoseToken, SCOPES, type DiagnoseOptions, type Diagnosis, type Feature } from '../diagnose'
import { decodeToken } from '../token'
import { createDevIssuer } from './dev-issuer'
import { DEFAULT_EXPIRES_IN, issueCourierToken } from './issue-token'

const HELP = {
  main: `Usage: courier-token <command> [options]

Commands:
  issue     Issue a token for a user through Courier (COURIER_API_KEY), or the development issuer (--dev)
  inspect   Decode a token on this machine and say what is wrong with it

Run courier-token <command> --help for its options.`,
  issue: `Usage: courier-token issue --user <id> [options]

Issues a JWT through Courier's Issue Token endpoint with COURIER_API_KEY, the step Courier's
"Testing JWTs in development" guide does with cURL. Prints the token.

Options:
  --user <id>          The user the token is for (required)
  --features <list>    inbox, preferences, push, comma-separated (default: inbox)
  --scopes <list>      More of Courier's client scopes, comma- or space-separated
  --expires-in <time>  Lifetime, e.g. 20m, 1h, "2 days" (default: ${DEFAULT_EXPIRES_IN})
  --region <us|eu>     Courier's region (default: us; COURIER_BASE_URL overrides)
  --dev                Use the local development issuer instead: no API key, tokens Courier refuses
  --json               Print { token, expiresAt, scope } as JSON
  --help               Show this help`,
  inspect: `Usage: courier-token inspect [<jwt> | -] [options]

Decodes a token here (never paste tokens into a website) and prints its user, tenant, scopes and
expiry, then every problem with the fix. Reads the token from standard input with - or when piped.
The token is a JWT, or JSON holding one: what issue --json prints, { "token": "…" }, { "jwt": "…" }
or a JSON string.
Exits 0 when the token is fine for the features, 1 when it is not, 2 for a usage error such as no token.

Options:
  --features <list>    inbox, preferences, push, comma-separated (default: inbox)
  --user <id>          The user the token must belong to
  --json               Print the decoded token and diagnoses as JSON
  --help               Show this help`,
}

class UsageError extends Error {}

/** Input to inspect that holds no JWT to decode: reported as invalid-token, like any other bad token. */
class NotATokenError extends Error {}

// A usage error, not "Not a JWT": an unset "$TOKEN" or an empty pipe is a mistake in the command.
const NO_TOKEN = 'No token given: pass a JWT as an argument or on standard input.'
const TOKEN_JSON = 'pass the JWT, or the JSON that courier-token issue --json prints.'

const list = (value: string | undefined) => value?.split(/[\s,]+/).filter(Boolean)

const features = (value: string | undefined): Feature[] => {
  const names = list(value) ?? ['inbox']
  // Else `--features "$UNSET"` issues a token without scopes, and inspect calls any token fine.
  if (!names.length) throw new UsageError(`--features is empty: use ${Object.keys(SCOPES).join(', ')}, comma-separated.`)
  for (const name of names)
    if (!Object.hasOwn(SCOPES, name)) throw new UsageError(`Unknown feature "${name}": use ${Object.keys(SCOPES).join(', ')}.`)
  return names as Feature[]
}

/** "48 min", "2 h 5 min", "3 days": how far `ms` is, for people. */
function span(ms: number): string {
  const minutes = Math.round(Math.abs(ms) / 60_000)
  if (Math.abs(ms) < 60_000) return `${Math.round(Math.abs(ms) / 1000)} s`
  if (minutes < 60) return `${minutes} min`
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`
  return `${Math.round(minutes / 1440)} days`
}

function when(time: number | undefined, now: number): string {
  if (time === undefined) return 'never'
  const date = new Date(time)
  // Past year 275760 (an exp in µs, say) there is no Date: toISOString() would throw.
  if (Number.isNaN(date.getTime())) return `${Math.round(time / 1000)} s after 1970, beyond any date`
  return `${date.toISOString()} (${time > now ? `in ${span(time - now)}` : `${span(now - time)} ago`})`
}

async function readStdin(): Promise<string> {
  let text = ''
  for await (const chunk of process.stdin) text += chunk
  return text
}

/**
 * The JWT in what inspect was given: the token itself, or JSON holding it, as `issue --json` prints
 * it and token endpoints answer ({ "token" } or { "jwt" }), or a JSON string. No JWT starts with { or ".
 */
function tokenIn(input: string): string {
  const text = input.trim()
  if (!text) throw new UsageError(NO_TOKEN)
  if (!text.startsWith('{') && !text.startsWith('"')) return text
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    // Not JSON.parse's message: it quotes the input, which holds the token.
    throw new NotATokenError(`Starts like JSON but does not parse: ${TOKEN_JSON}`)
  }
  if (typeof value === 'string') return value.trim()
  // Text starting with { parses to an object only.
  const { token, jwt } = value as { token?: unknown; jwt?: unknown }
  const found = [token, jwt].find((value) => typeof value === 'string') as string | undefined
  if (found === undefined) throw new NotATokenError(`JSON without a "token" or "jwt" string: ${TOKEN_JSON}`)
  return found.trim()
}

/** The JWT found in `input` (empty when there is none) and what is wrong with it. */
function diagnoseInput(input: string, options: DiagnoseOptions): { jwt: string; diagnoses: Diagnosis[] } {
  try {
    const jwt = tokenIn(input)
    return { jwt, diagnoses: diagnoseToken(jwt, options) }
  } catch (error) {
    if (!(error instanceof NotATokenError)) throw error
    return { jwt: '', diagnoses: [{ code: 'invalid-token', message: error.message }] }
  }
}

// --dev signs locally; otherwise Courier, or COURIER_BASE_URL (a proxy, say).
function connectionFor(dev: boolean | undefined, baseUrl: string | undefined) {
  if (dev) return { fetch: createDevIssuer({ force: true }).fetch }
  return baseUrl ? { baseUrl } : {}
}

async function issue(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      user: { type: 'string' },
      features: { type: 'string' },
      scopes: { type: 'string' },
      'expires-in': { type: 'string' },
      region: { type: 'string' },
      dev: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  })
  if (values.help) return void console.log(HELP.issue)
  if (!values.user) throw new UsageError('--user <id> is required.')
  const apiKey = values.dev ? 'development' : process.env.COURIER_API_KEY
  if (!apiKey) throw new UsageError('COURIER_API_KEY is not set. Export your Courier API key, or pass --dev for a local development token.')
  const region = values.region ?? 'us'
  if (region !== 'us' && region !== 'eu') throw new UsageError('--region is us or eu.')
  const issued = await issueCourierToken({
    apiKey,
    userId: values.user,
    features: features(values.features),
    scopes: list(values.scopes) ?? [],
    expiresIn: values['expires-in'] ?? DEFAULT_EXPIRES_IN,
    region,
    ...connectionFor(values.dev, process.env.COURIER_BASE_URL),
  })
  if (!values.json) return void console.log(issued.token)
  const expiresAt = issued.expiresAt === undefined ? undefined : new Date(issued.expiresAt).toISOString()
  console.log(JSON.stringify({ token: issued.token, expiresAt, scope: issued.scope }, null, 2))
}

async function inspect(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { features: { type: 'string' }, user: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' } },
  })
  if (values.help) {
    console.log(HELP.inspect)
    return 0
  }
  const wanted = features(values.features)
  if (positionals.length > 1) throw new UsageError('Give one token.')
  const [argument] = positionals
  if (argument === undefined && process.stdin.isTTY) throw new UsageError(NO_TOKEN)
  const input = argument === undefined || argument === '-' ? await readStdin() : argument
  const now = Date.now()
  const { jwt, diagnoses } = diagnoseInput(input, { features: wanted, userId: values.user, now })
  const info = diagnoses[0]?.code === 'invalid-token' ? undefined : decodeToken(jwt)
  if (values.json) {
    const { token, claims, ...decoded } = info ?? ({} as Partial<ReturnType<typeof decodeToken>>)
    console.log(JSON.stringify({ ...decoded, claims, ok: diagnoses.length === 0, diagnoses }, null, 2))
  } else {
    if (info) {
      console.log(
        [
          `User      ${info.userId ?? '(none)'}`,
          `Tenant    ${info.tenantId ?? '(none)'}`,
          `Scopes    ${info.scopes.join(' ') || '(none)'}`,
          `Issued    ${when(info.issuedAt, now)}`,
          `Expires   ${when(info.expiresAt, now)}`,
          '',
        ].join('\n'),
      )
    }
    if (diagnoses.length === 0) console.log(`✔ Fine for ${wanted.join(', ')}.`)
    for (const diagnosis of diagnoses) console.log(`✖ ${diagnosis.code}: ${diagnosis.message}`)
  }
  return diagnoses.length ? 1 : 0
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv
  try {
    if (command === 'issue') {
      await issue(args)
      return 0
    }
    if (command === 'inspect') return await inspect(args)
    if (command === undefined) {
      // A failure, not help: a script that lost its command must not pass.
      console.error(HELP.main)
      return 2
    }
    if (!['--help', '-h', 'help'].includes(command)) throw new UsageError(`Unknown command "${command}".`)
    console.log(HELP.main)
    return 0
  } catch (error) {
    const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    console.error(`courier-token: ${(error as Error).message}`)
    if (usage) console.error(`Run courier-token ${command === 'issue' || command === 'inspect' ? `${command} ` : ''}--help for usage.`)
    return usage ? 2 : 1
  }
}

process.exitCode = await main(process.argv.slice(2))
