// Express: GET /api/generate-courier-jwt for the signed-in user. Run: node examples/backend/express.mjs
import express from 'express'
import { pathToFileURL } from 'node:url'
import { createTokenHandler, toNodeHandler } from 'courier-token-manager/server'
import { courierConnection, sessionUserId } from './session.mjs'

export async function start(port = Number(process.env.PORT ?? 3000)) {
  const tokens = createTokenHandler({
    ...(await courierConnection()),
    // Express gives the handler { req, res }: read your session there (req.session with express-session).
    getUserId: (_request, { req }) => sessionUserId(req.headers.cookie),
    features: ['inbox', 'preferences'],
    expiresIn: '1h',
  })
  const app = express()
  app.get('/api/generate-courier-jwt', toNodeHandler(tokens))
  return new Promise((resolve) => {
    const server = app.listen(port, '127.0.0.1', () => resolve(server))
  })
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const server = await start()
  console.log(`Express token endpoint: http://127.0.0.1:${server.address().port}/api/generate-courier-jwt`)
}
