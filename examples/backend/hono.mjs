// Hono: the same handler on the Web-standard Request. On Bun, Deno or workers export `app`;
// here it runs on Node through toNodeHandler. Run: node examples/backend/hono.mjs
import { Hono } from 'hono'
import { createServer } from 'node:http'
import { pathToFileURL } from 'node:url'
import { createTokenHandler, toNodeHandler } from 'courier-token-manager/server'
import { courierConnection, sessionUserId } from './session.mjs'

export async function createApp() {
  const tokens = createTokenHandler({
    ...(await courierConnection()),
    getUserId: (request) => sessionUserId(request.headers.get('cookie')),
    features: ['inbox', 'preferences'],
    expiresIn: '1h',
  })
  const app = new Hono()
  app.get('/api/generate-courier-jwt', (context) => tokens(context.req.raw))
  return app
}

export async function start(port = Number(process.env.PORT ?? 3000)) {
  const app = await createApp()
  const server = createServer(toNodeHandler((request) => app.fetch(request)))
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)))
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const server = await start()
  console.log(`Hono token endpoint: http://127.0.0.1:${server.address().port}/api/generate-courier-jwt`)
}
