import { StrictMode } from 'react'
import { renderToString } from 'react-dom/server'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { TokenManager } from '../../src/index'
import { useTokenManager, type TokenManagerSnapshot } from '../../src/react/index'
import { type fakeBackend, jsonResponse, type Reply } from '../helpers/backend'
import { acted, fakeTimersAndManager, render, stopLeavingNoTimer } from '../helpers/react'

const HOUR = 3_600_000
let manager: TokenManager
let backend: ReturnType<typeof fakeBackend>

function Probe({ manager, seen }: { manager: TokenManager; seen: TokenManagerSnapshot[] }) {
  const snapshot = useTokenManager(manager)
  seen.push(snapshot)
  return <p>{`${snapshot.status}:${snapshot.info?.userId ?? '-'}`}</p>
}

beforeEach(() => {
  ;({ manager, backend } = fakeTimersAndManager())
})
afterEach(() => stopLeavingNoTimer(manager))

describe('useTokenManager', () => {
  it('renders the token, its info and the status as they change', async () => {
    const seen: TokenManagerSnapshot[] = []
    const view = render(<Probe manager={manager} seen={seen} />)
    expect(view.container.textContent).toBe('idle:-')
    await acted(() => manager.start())
    const info = manager.current!
    expect(view.container.textContent).toBe('ready:alice')
    expect(seen.at(-1)).toEqual({ token: info.token, info, status: 'ready', error: undefined })
    await acted(() => manager.refresh())
    expect(seen.at(-1)!.token).toBe(manager.current!.token)
    expect(seen.at(-1)!.token).not.toBe(info.token)
    view.unmount()
  })

  it('keeps the same snapshot object while nothing changes', async () => {
    const seen: TokenManagerSnapshot[] = []
    await acted(() => manager.start())
    const view = render(<Probe manager={manager} seen={seen} />)
    for (let i = 0; i < 5; i++) view.rerender(<Probe manager={manager} seen={seen} />)
    expect(new Set(seen).size).toBe(1)
    view.unmount()
  })

  it('renders a refresh in a bounded number of renders', async () => {
    const seen: TokenManagerSnapshot[] = []
    await acted(() => manager.start())
    const view = render(<Probe manager={manager} seen={seen} />)
    const before = seen.length
    await acted(() => manager.refresh())
    // refreshing, then the new token (ready): a few renders, not a loop.
    expect(seen.length - before).toBeGreaterThanOrEqual(1)
    expect(seen.length - before).toBeLessThanOrEqual(3)
    view.unmount()
  })

  it('shows the last error until a token arrives, and an expired token as gone', async () => {
    const seen: TokenManagerSnapshot[] = []
    const view = render(<Probe manager={manager} seen={seen} />)
    await acted(() => manager.start())
    backend.reply(...Array<Reply>(200).fill(() => jsonResponse({}, { status: 503 })))
    await acted(() => vi.advanceTimersByTimeAsync(HOUR))
    expect(seen.at(-1)).toMatchObject({ token: undefined, info: undefined, status: 'error', error: { code: 'http', status: 503 } })
    expect(view.container.textContent).toBe('error:-')
    view.unmount()
  })

  it('shows an error and a sign-out that happened before it mounted', async () => {
    backend.reply(jsonResponse({}, { status: 404 }))
    await acted(() => manager.start().catch(() => {}))
    const seen: TokenManagerSnapshot[] = []
    const failed = render(<Probe manager={manager} seen={seen} />)
    expect(seen.at(-1)).toMatchObject({ status: 'error', error: { code: 'http', status: 404 } })
    failed.unmount()
    backend.reply(jsonResponse({}, { status: 401 }))
    await acted(() => manager.refresh().catch(() => {}))
    const signedOut = render(<Probe manager={manager} seen={seen} />)
    expect(seen.at(-1)).toMatchObject({ status: 'unauthenticated', error: { code: 'unauthenticated', status: 401 } })
    signedOut.unmount()
  })

  it('renders an idle snapshot on the server', async () => {
    await manager.start()
    expect(renderToString(<Probe manager={manager} seen={[]} />)).toBe('<p>idle:-</p>')
  })

  it('works under StrictMode and stops listening on unmount', async () => {
    const seen: TokenManagerSnapshot[] = []
    const view = render(
      <StrictMode>
        <Probe manager={manager} seen={seen} />
      </StrictMode>,
    )
    await acted(() => manager.start())
    expect(view.container.textContent).toBe('ready:alice')
    view.unmount()
    const count = seen.length
    await acted(() => manager.refresh())
    expect(seen).toHaveLength(count)
  })
})
