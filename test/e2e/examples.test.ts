// The backend examples as a user runs them: each takes the user from its signed session cookie only.
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { decodeToken } from '../../src/index'

type Session = { sessionCookie(userId: string): string }
type Starter = { start(port: number): Promise<Server> }
type Route = { GET(request: Request): Promise<Response> }

const examples = '../../examples/backend'
let session: Session

beforeEach(async () => {
  delete process.env.COURIER_API_KEY // the development issuer, never Courier
  vi.spyOn(console, 'warn').mockImplementation(() => {})
  session = (await import(`${examples}/session.mjs`)) as Session
})

async function askServer(example: string, cookie?: string): Promise<Response> {
  const server = await ((await import(`${examples}/${example}`)) as Starter).start(0)
  try {
    const { port } = server.address() as AddressInfo
    return await fetch(`http://127.0.0.1:${port}/api/generate-courier-jwt?user=mallory`, {
      headers: cookie ? { cookie } : {},
    })
  } finally {
    server.closeAllConnections()
    await new Promise((done) => server.close(done))
  }
}

async function askRoute(cookie?: string): Promise<Response> {
  const route = (await import(`${examples}/next-app/app/api/generate-courier-jwt/route.mjs`)) as Route
  return route.GET(new Request('http://localhost/api/generate-courier-jwt?user=mallory', { headers: cookie ? { cookie } : {} }))
}

const ask: Record<string, (cookie?: string) => Promise<Response>> = {
  'express.mjs': (cookie) => askServer('express.mjs', cookie),
  'hono.mjs': (cookie) => askServer('hono.mjs', cookie),
  'next-app route.mjs': askRoute,
}

describe.each(Object.keys(ask))('examples/backend/%s', (example) => {
  it('issues a token for the user of the signed session, whatever the query says', async () => {
    const response = await ask[example]!(session.sessionCookie('alice'))
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const { token } = (await response.json()) as { token: string }
    const info = decodeToken(token)
    expect(info.userId).toBe('alice')
    expect(info.scopes).toEqual(expect.arrayContaining(['inbox:read:messages', 'inbox:write:events']))
    expect(info.expiresAt).toBeGreaterThan(Date.now())
  })

  it('answers 401 to a request without a session or with a forged one', async () => {
    expect((await ask[example]!()).status).toBe(401)
    const forged = session.sessionCookie('alice').replace('alice', 'mallory')
    expect((await ask[example]!(forged)).status).toBe(401)
  })
})
