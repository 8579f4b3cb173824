// A stand-in for your app's session: a signed cookie naming the signed-in user. In your app, use
// your auth library's session instead. What matters: the user id comes from here, never from the
// request's query or body, which anyone can write.
import { createHmac, timingSafeEqual } from 'node:crypto'

const SECRET = process.env.SESSION_SECRET ?? 'development-only-session-secret'
const sign = (userId) => createHmac('sha256', SECRET).update(userId).digest('base64url')

/** The cookie a sign-in would set: `session=<user>.<signature>`. */
export const sessionCookie = (userId) => `session=${encodeURIComponent(userId)}.${sign(userId)}`

/** The signed-in user from a Cookie header, or undefined. */
export function sessionUserId(cookieHeader) {
  const value = /(?:^|;\s*)session=([^;]+)/.exec(cookieHeader ?? '')?.[1]
  const [user, signature = ''] = decodeURIComponent(value ?? '').split(/\.(?=[^.]*$)/)
  if (!user) return undefined
  const expected = Buffer.from(sign(user))
  const given = Buffer.from(signature)
  return expected.length === given.length && timingSafeEqual(expected, given) ? user : undefined
}

/** Courier with COURIER_API_KEY; without it, the development issuer (tokens Courier refuses). */
export async function courierConnection() {
  if (process.env.COURIER_API_KEY) return { apiKey: process.env.COURIER_API_KEY }
  const { createDevIssuer } = await import('courier-token-manager/server')
  console.warn('COURIER_API_KEY is not set: issuing development tokens, which Courier refuses.')
  return { apiKey: 'development', fetch: createDevIssuer({ lifetime: '1h' }).fetch }
}
