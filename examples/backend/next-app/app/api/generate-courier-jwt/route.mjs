// Next.js (App Router): app/api/generate-courier-jwt/route.ts in your app. The handler is a
// Web-standard (Request) => Response, which is what a route handler exports.
import { createTokenHandler } from 'courier-token-manager/server'
import { courierConnection, sessionUserId } from '../../../../session.mjs'

// Tokens are per user: never cache this route.
export const dynamic = 'force-dynamic'

export const GET = createTokenHandler({
  ...(await courierConnection()),
  // With next-auth: (await auth())?.user?.id. Here, the example's signed session cookie.
  getUserId: (request) => sessionUserId(request.headers.get('cookie')),
  features: ['inbox', 'preferences'],
})
