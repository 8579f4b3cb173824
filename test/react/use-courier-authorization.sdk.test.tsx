// useCourierAuthorization with the real legacy @trycourier/react-provider 7.4.8, against a loopback stub.
import { CourierProvider, useCourier } from '@trycourier/react-provider'
import { useEffect } from 'react'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import { createTokenManager, type TokenManager } from '../../src/index'
import { useCourierAuthorization } from '../../src/react/index'
import { startCourierStub, type CourierStub } from '../helpers/courier-stub'
import { courierJwt } from '../helpers/jwt'
import { acted, render, until } from '../helpers/react'

let stub: CourierStub
let manager: TokenManager
let warnings: string[]

beforeEach(async () => {
  stub = await startCourierStub()
  // Same scope on every token: what lets the provider renew its session instead of rebuilding.
  manager = createTokenManager({ crossTab: false, fetchToken: async () => courierJwt({ userId: 'alice' }) })
  // The provider warns while it has no token yet and while its socket reconnects: expected, so kept
  // here and checked after the test rather than printed.
  warnings = []
  vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args.map(String).join(' ')))
})

afterEach(async () => {
  manager.stop()
  await stub.close()
  expect(
    warnings.filter((warning) => warning !== 'Missing ClientKey or Authorization Token' && warning !== 'WS Not Connected'),
    'what the provider warned of',
  ).toEqual([])
})

it('gives the legacy provider a stable authorization: refreshes renew its socket session, nothing remounts', async () => {
  const transports = new Set<unknown>()
  let mounts = 0
  const mounted: boolean[] = []
  function Inbox() {
    // Before the first token the provider renders its children without a context.
    const transport = (useCourier() as { transport?: unknown } | undefined)?.transport
    if (transport) transports.add(transport)
    useEffect(() => void mounts++, [])
    mounted.push(transport !== undefined)
    return <span>inbox</span>
  }
  function App() {
    const authorization = useCourierAuthorization(manager)
    return (
      // The provider's props are typed without `| undefined`; undefined is what it expects before sign-in.
      <CourierProvider
        userId="alice"
        authorization={authorization as string}
        wsOptions={{ url: stub.apiUrls.inbox.webSocket }}
        apiUrl={stub.apiUrls.courier.graphql}
      >
        <Inbox />
      </CourierProvider>
    )
  }
  const view = render(<App />)
  await acted(() => manager.start())
  const first = manager.current!.token
  await until(() => stub.subscribed().some((call) => call.token === first), 'the provider to subscribe')
  // From here on: the refresh. (Going from no token to the first one mounts the provider, as it should.)
  transports.clear()
  mounts = 0
  mounted.length = 0

  await acted(() => manager.refresh())
  const second = manager.current!.token
  const socket = stub.sockets.find((call) => call.token === first)!
  await until(() => socket.received.some((message) => message.action === 'renewSession'), 'renewSession')

  expect(socket.received.find((message) => message.action === 'renewSession')?.data).toEqual({ auth: second, version: 5 })
  // One transport throughout, nothing remounted, and the context never lost.
  expect(transports.size).toBe(1)
  expect(mounts).toBe(0)
  expect(mounted.length).toBeGreaterThan(0)
  expect(mounted).not.toContain(false)
  expect(view.container.textContent).toBe('inbox')
  expect(stub.sockets.every((call) => call.token === first || call.token === second)).toBe(true)
  // What the README's Legacy section warns of, react-provider 7.4.8's own doing: right after renewing the
  // session, its subscribe effect unsubscribes and closes the socket. If this stops failing, update the README.
  await until(
    () => socket.received.some((message) => message.action === 'unsubscribe') && socket.socket.readyState === 3,
    'the provider to close its socket',
  )
  view.unmount()
})
