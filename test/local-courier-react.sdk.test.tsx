// courier-react 9's <CourierInbox>, unmodified, against the local Courier of the demo and examples, kept
// signed in by useCourierSignIn; tokens come from createTokenHandler through the local Issue Token endpoint,
// as the demo's backend issues them, with the expiresIn it answers.
import './helpers/happy-dom-conformance'
import browserConsole from 'node:console'
import { Courier } from '@trycourier/courier-js'
import { CourierInbox } from '@trycourier/courier-react'
import { CourierInboxDatastore } from '@trycourier/courier-ui-inbox'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import { type LocalCourier, startLocalCourier } from '../examples/local-courier/local-courier.mjs'
import { createTokenManager, type TokenManager } from '../src/index'
import { useCourierSignIn } from '../src/react/index'
import { createTokenHandler } from '../src/server'
import { acted, render, until } from './helpers/react'

const USER = 'alice'
let local: LocalCourier
let manager: TokenManager
let browserErrors: string[]

beforeEach(async () => {
  browserErrors = []
  // happy-dom logs failed requests to Node's console, which vitest does not capture: none may happen.
  vi.spyOn(browserConsole, 'error').mockImplementation((...args: unknown[]) => void browserErrors.push(args.map(String).join(' ')))
  local = await startLocalCourier()
  // The app's token endpoint: the user from its session (here, always alice), tokens from the local Courier.
  const endpoint = createTokenHandler({
    apiKey: local.apiKey,
    baseUrl: local.baseUrl,
    getUserId: () => USER,
    expiresIn: '1h',
    cache: false,
  })
  manager = createTokenManager({
    crossTab: false,
    fetchToken: async () => (await endpoint(new Request('http://app.test/api/generate-courier-jwt'))).json(),
  })
})

afterEach(async () => {
  manager.stop()
  Courier.shared.signOut()
  await until(() => local.connections().length === 0, 'the sockets to close')
  await local.close()
  expect(browserErrors).toEqual([])
})

it('shows messages and receives new ones in real time before and after a refresh (seamless mode)', async () => {
  local.send(USER, { title: 'Welcome aboard' })
  function App() {
    const { status } = useCourierSignIn(manager, {
      courier: Courier.shared,
      mode: 'seamless',
      apiUrls: local.apiUrls,
      inbox: CourierInboxDatastore.shared,
    })
    return (
      <div>
        <p>{status}</p>
        <CourierInbox />
      </div>
    )
  }
  const view = render(<App />)
  const text = () => view.container.textContent ?? ''
  await acted(() => manager.start())
  const first = manager.current!.token
  await until(() => text().includes('Welcome aboard'), 'the Inbox to show the stored message')
  await until(() => local.connections().some((connection) => connection.token === first), 'the socket')

  local.send(USER, { title: 'Sent while the first token was in use' })
  await until(() => text().includes('Sent while the first token was in use'), 'the first message in real time')

  await acted(() => manager.refresh())
  const second = manager.current!.token
  expect(second).not.toBe(first)
  await until(
    () =>
      local
        .connections()
        .map((connection) => connection.token)
        .join() === second,
    'the socket to carry the new token alone',
  )

  local.send(USER, { title: 'Sent after the refresh' })
  await until(() => text().includes('Sent after the refresh'), 'the second message in real time')
  view.unmount()
})
