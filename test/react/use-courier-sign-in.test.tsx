import { StrictMode, useEffect, useMemo } from 'react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createTokenManager, type TokenManager } from '../../src/index'
import { useCourierSignIn, type UseCourierSignInOptions } from '../../src/react/index'
import { fakeCourier } from '../helpers/courier-fake'
import { fakeOnline, fakeVisibility } from '../helpers/environment'
import { courierJwt } from '../helpers/jwt'
import { acted, fakeTimersAndManager, render, stopLeavingNoTimer } from '../helpers/react'

let manager: TokenManager

function App({ manager, options, renders }: { manager: TokenManager; options: UseCourierSignInOptions; renders: { count: number } }) {
  renders.count++
  const { status, info } = useCourierSignIn(manager, options)
  return <p>{`${status}:${info?.userId ?? '-'}`}</p>
}

beforeEach(() => {
  ;({ manager } = fakeTimersAndManager())
})
afterEach(() => stopLeavingNoTimer(manager))

describe('useCourierSignIn', () => {
  it('signs in once per token, however often the app re-renders with new option objects', async () => {
    const { courier, signIns } = fakeCourier()
    const renders = { count: 0 }
    // Fresh objects on every render: what an inline `apiUrls={{ … }}` does.
    const options = () => ({ courier, apiUrls: { courier: { rest: 'r', graphql: 'g' }, inbox: { graphql: 'i', webSocket: 'w' } } })
    const view = render(<App manager={manager} options={options()} renders={renders} />)
    await acted(() => manager.start())
    for (let i = 0; i < 50; i++) view.rerender(<App manager={manager} options={options()} renders={renders} />)
    expect(signIns).toHaveLength(1)
    await acted(() => manager.refresh())
    expect(signIns.map((props) => props.jwt)).toEqual([signIns[0]!.jwt, manager.current!.token])
    expect(view.container.textContent).toBe('ready:alice')
    expect(renders.count).toBeLessThan(60)
    view.unmount()
  })

  it('signs in once under StrictMode, whose effects run twice', async () => {
    const { courier, signIns } = fakeCourier()
    await acted(() => manager.start())
    const view = render(
      <StrictMode>
        <App manager={manager} options={{ courier }} renders={{ count: 0 }} />
      </StrictMode>,
    )
    expect(signIns).toHaveLength(1)
    view.unmount()
  })

  it('stops signing in after unmount, and leaves Courier signed in', async () => {
    const { courier, calls } = fakeCourier()
    const view = render(<App manager={manager} options={{ courier }} renders={{ count: 0 }} />)
    await acted(() => manager.start())
    view.unmount()
    await acted(() => manager.refresh())
    expect(calls).toEqual(['signIn alice'])
  })

  it('signs the previous user out of Courier when userId changes before the manager has a token for the new one', async () => {
    const { courier, calls } = fakeCourier()
    const warnings: string[] = []
    const onWarning = (message: string) => warnings.push(message)
    const view = render(<App manager={manager} options={{ courier, userId: 'alice', onWarning }} renders={{ count: 0 }} />)
    await acted(() => manager.start())
    // Alice signs out of the app and Bob signs in; the manager still holds Alice's token.
    view.rerender(<App manager={manager} options={{ courier, userId: 'bob', onWarning }} renders={{ count: 0 }} />)
    expect(calls).toEqual(['signIn alice', 'signOut'])
    expect(courier.client).toBeUndefined()
    expect(warnings).toEqual(['Not signing in to Courier: the token is for user "alice", not "bob".'])
    view.unmount()
  })

  it('refuses a token for another user, with the warning passed in', async () => {
    const { courier, signIns } = fakeCourier()
    const warnings: string[] = []
    const view = render(
      <App manager={manager} options={{ courier, userId: 'bob', onWarning: (message) => warnings.push(message) }} renders={{ count: 0 }} />,
    )
    await acted(() => manager.start())
    expect(signIns).toEqual([])
    expect(warnings).toEqual(['Not signing in to Courier: the token is for user "alice", not "bob".'])
    view.unmount()
  })

  it('warns in the console with the same prefix as connectCourier when no onWarning is passed', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const { courier } = fakeCourier()
    const view = render(<App manager={manager} options={{ courier, userId: 'bob' }} renders={{ count: 0 }} />)
    await acted(() => manager.start())
    expect(warn).toHaveBeenCalledWith('[courier-token-manager] Not signing in to Courier: the token is for user "alice", not "bob".')
    view.unmount()
  })
})

describe('useCourierSignIn across a user switch that makes a new manager', () => {
  it('signs the previous user out of Courier before the new manager has a token', async () => {
    const { courier, calls } = fakeCourier()
    const warnings: string[] = []
    const managers: TokenManager[] = []
    let answer: ((token: string) => void) | undefined
    function Inbox({ manager, userId }: { manager: TokenManager; userId: string }) {
      useCourierSignIn(manager, { courier, userId, onWarning: (message) => warnings.push(message) })
      return null
    }
    // One manager per signed-in user, stopped when the user changes: the usual React shape.
    function App({ userId }: { userId: string }) {
      const tokens = useMemo(() => {
        const created = createTokenManager({
          crossTab: false,
          // Alice's token at once; Bob's when the test answers.
          fetchToken: () =>
            userId === 'alice' ? Promise.resolve(courierJwt({ userId })) : new Promise<string>((resolve) => (answer = resolve)),
          online: fakeOnline(),
          visibility: fakeVisibility(),
        })
        managers.push(created)
        return created
      }, [userId])
      useEffect(() => {
        void tokens.start().catch(() => {})
        return () => tokens.stop()
      }, [tokens])
      return <Inbox manager={tokens} userId={userId} />
    }
    const view = render(<App userId="alice" />)
    await acted(() => managers[0]!.start())
    expect(calls).toEqual(['signIn alice'])
    // Alice signs out of the app, Bob signs in: his token is on its way.
    view.rerender(<App userId="bob" />)
    await acted(() => vi.advanceTimersByTimeAsync(0))
    expect(courier.client?.options.userId).not.toBe('alice')
    expect(calls).toEqual(['signIn alice', 'signOut'])
    expect(warnings).toEqual(['Not signing in to Courier: the token is for user "alice", not "bob".'])
    answer!(courierJwt({ userId: 'bob' }))
    await acted(() => vi.advanceTimersByTimeAsync(0))
    expect(calls).toEqual(['signIn alice', 'signOut', 'signIn bob'])
    view.unmount()
    for (const each of managers) each.stop()
  })
})
