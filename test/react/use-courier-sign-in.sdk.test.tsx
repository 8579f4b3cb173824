// useCourierSignIn with the real @trycourier/courier-react 9.2.2 <CourierInbox>, against a loopback stub.
import '../helpers/happy-dom-conformance'
import { Courier } from '@trycourier/courier-js'
import { CourierInbox, useCourier } from '@trycourier/courier-react'
import { CourierInboxDatastore } from '@trycourier/courier-ui-inbox'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createTokenManager, type TokenManager } from '../../src/index'
import { useCourierSignIn } from '../../src/react/index'
import { startCourierStub, type CourierStub } from '../helpers/courier-stub'
import { courierJwt } from '../helpers/jwt'
import { acted, render, until } from '../helpers/react'

let stub: CourierStub
let manager: TokenManager

const inboxQueries = () => stub.graphql.filter((call) => call.operation === 'GetInboxMessages')

beforeEach(async () => {
  stub = await startCourierStub()
  stub.messages.push({ messageId: 'm1', title: 'Welcome aboard', created: new Date().toISOString() })
  manager = createTokenManager({ crossTab: false, fetchToken: async () => courierJwt() })
})

afterEach(async () => {
  manager.stop()
  Courier.shared.signOut()
  await stub.close()
})

describe.each(['sign-in', 'seamless'] as const)('useCourierSignIn with courier-react 9 (%s mode)', (mode) => {
  it('signs in once per token, keeps the Inbox showing messages across refreshes, and never loops', async () => {
    const signIn = vi.spyOn(Courier.shared, 'signIn')
    let renders = 0
    function App() {
      renders++
      // useCourier() returns a new object on every render: keying an effect on it loops forever.
      const courier = useCourier()
      const { status } = useCourierSignIn(manager, {
        courier: courier.shared,
        mode,
        // An inline object, new on every render.
        apiUrls: { ...stub.apiUrls },
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
    await acted(() => manager.start())
    const first = manager.current!.token
    await until(() => (view.container.textContent ?? '').includes('Welcome aboard'), 'the Inbox to show messages')
    await until(() => stub.subscribed().some((call) => call.token === first), 'the socket')

    // Idle for a while: no sign-in loop, a handful of renders.
    const rendersBefore = renders
    await acted(() => new Promise((resolve) => setTimeout(resolve, 300)))
    expect(signIn).toHaveBeenCalledTimes(1)
    expect(renders - rendersBefore).toBeLessThanOrEqual(2)

    const queries = inboxQueries().length
    await acted(() => manager.refresh())
    const second = manager.current!.token
    await until(() => stub.subscribed().some((call) => call.token === second), 'the socket to use the new token')
    if (mode === 'sign-in') {
      expect(signIn).toHaveBeenCalledTimes(2)
      await until(() => inboxQueries().length >= queries + 2, 'the refetch')
      expect(
        inboxQueries()
          .slice(queries)
          .every((call) => call.token === second),
      ).toBe(true)
    } else {
      expect(signIn).toHaveBeenCalledTimes(1)
      expect(inboxQueries()).toHaveLength(queries)
      expect(Courier.shared.client?.options.accessToken).toBe(second)
    }
    expect(view.container.textContent).toContain('Welcome aboard')
    expect(view.container.textContent).toContain('ready')
    expect(renders).toBeLessThan(40)
    view.unmount()
  })
})

describe.each(['sign-in', 'seamless'] as const)('useCourierSignIn options changes with courier-js 3 (%s mode)', (mode) => {
  it('signs in again when tenantId changes, though the token stays the same', async () => {
    function App({ tenantId }: { tenantId: string }) {
      useCourierSignIn(manager, { courier: Courier.shared, mode, tenantId, apiUrls: stub.apiUrls, inbox: CourierInboxDatastore.shared })
      return <CourierInbox />
    }
    const subscribedTo = (tenant: string) =>
      stub
        .subscribed()
        .some((call) =>
          call.received.some((message) => message.action === 'subscribe' && (message.data as { accountId?: string }).accountId === tenant),
        )
    const view = render(<App tenantId="acme" />)
    await acted(() => manager.start())
    await until(() => subscribedTo('acme'), 'the socket to subscribe for acme')
    // The user switches to another tenant of the app; the manager's token is for the same user.
    view.rerender(<App tenantId="globex" />)
    expect(Courier.shared.client?.options.tenantId).toBe('globex')
    await until(() => subscribedTo('globex'), 'the socket to subscribe for globex')
    // And a refresh keeps it.
    await acted(() => manager.refresh())
    expect(Courier.shared.client?.options.tenantId).toBe('globex')
    view.unmount()
  })
})
