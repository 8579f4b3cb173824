// A loopback stand-in for Courier's REST Issue Token endpoint (`POST /auth/issue-token`): checks the
// Bearer API key, mints a real HS256 JWT from `{ scope, expires_in }`, records every request, and
// lets a test script, delay or hang the next answers.
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { makeJwt } from './jwt'

/** The only API key the stub accepts. */
export const STUB_API_KEY = 'sk_test_valid'

export interface StubRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  /** The parsed JSON body, or the raw text when it is not JSON. */
  body: unknown
  /** What the stub answered; undefined while the answer is pending or hung. */
  status?: number
  responseBody?: string
}

type Scripted = { kind: 'answer'; status: number; body: unknown; headers: Record<string, string> } | { kind: 'hang' }

export interface CourierApiStub {
  baseUrl: string
  /** Every request received, in order. */
  requests: StubRequest[]
  /** Answer the next request with this instead of minting; a string body is sent as is. */
  next(status: number, body?: unknown, headers?: Record<string, string>): void
  /** Never answer the next request (until close). */
  hang(): void
  /** Wait this many ms before each answer, so requests are in flight together. */
  setDelay(ms: number): void
  /** Forget the recorded requests, the scripted answers and the delay. */
  reset(): void
  close(): Promise<void>
}

const send = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  response.writeHead(status, { 'content-type': 'application/json', ...headers })
  response.end(text)
  return text
}

export async function startCourierApiStub(): Promise<CourierApiStub> {
  const requests: StubRequest[] = []
  const script: Scripted[] = []
  let delay = 0

  const server = createServer((request, response) => {
    let raw = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => (raw += chunk))
    request.on('end', () => {
      let body: unknown = raw
      try {
        body = JSON.parse(raw)
      } catch {
        // kept as text
      }
      const record: StubRequest = { method: request.method ?? '', path: request.url ?? '', headers: request.headers, body }
      requests.push(record)
      const scripted = script.shift()
      if (scripted?.kind === 'hang') return

      const reply = () => {
        const answer = (status: number, payload: unknown, headers?: Record<string, string>) => {
          record.status = status
          record.responseBody = send(response, status, payload, headers)
        }
        if (scripted) return answer(scripted.status, scripted.body, scripted.headers)
        if (request.method !== 'POST' || record.path !== '/auth/issue-token')
          return answer(404, { message: 'Not found', type: 'invalid_request_error' })
        const key = /^Bearer (.*)$/.exec(request.headers.authorization ?? '')?.[1]
        if (key !== STUB_API_KEY) {
          // Echoes the key it got, so tests can prove the client scrubs it from errors.
          return answer(401, { message: `Unauthorized. Invalid key ${key ?? '(none)'}`, type: 'authentication_error' })
        }
        const { scope, expires_in } = (typeof body === 'object' && body ? body : {}) as { scope?: unknown; expires_in?: unknown }
        const seconds = typeof expires_in === 'string' ? /^(\d+)s$/.exec(expires_in)?.[1] : undefined
        if (typeof scope !== 'string' || !scope || seconds === undefined) {
          return answer(400, { message: 'scope and expires_in ("<n>s") are required', type: 'invalid_request_error' })
        }
        const iat = Math.floor(Date.now() / 1000)
        answer(200, { token: makeJwt({ scope, tenant_id: 't', iat, exp: iat + Number(seconds), jti: randomUUID() }) })
      }
      if (delay > 0) setTimeout(reply, delay)
      else reply()
    })
  })

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    next(status, body = {}, headers = {}) {
      script.push({ kind: 'answer', status, body, headers })
    },
    hang() {
      script.push({ kind: 'hang' })
    },
    setDelay(ms) {
      delay = ms
    },
    reset() {
      requests.length = 0
      script.length = 0
      delay = 0
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}
