import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { TokenManager } from '../../src/index'
import { useCourierAuthorization } from '../../src/react/index'
import { type fakeBackend, jsonResponse, tokenResponse, type Reply } from '../helpers/backend'
import { courierJwt } from '../helpers/jwt'
import { acted, fakeTimersAndManager, render, stopLeavingNoTimer } from '../helpers/react'

let manager: TokenManager
let backend: ReturnType<typeof fakeBackend>

function Provider({ manager, seen }: { manager: TokenManager; seen: Array<string | undefined> }) {
  const authorization = useCourierAuthorization(manager)
  seen.push(authorization)
  return null
}

beforeEach(() => {
  ;({ manager, backend } = fakeTimersAndManager())
})
afterEach(() => stopLeavingNoTimer(manager))

describe('useCourierAuthorization', () => {
  it('is undefined until the first token, then follows refreshes', async () => {
    const seen: Array<string | undefined> = []
    const view = render(<Provider manager={manager} seen={seen} />)
    expect(seen).toEqual([undefined])
    await acted(() => manager.start())
    const first = manager.current!.token
    await acted(() => manager.refresh())
    const second = manager.current!.token
    expect([...new Set(seen)]).toEqual([undefined, first, second])
    view.unmount()
  })

  it('stays the same string while a refresh is on its way', async () => {
    const seen: Array<string | undefined> = []
    const view = render(<Provider manager={manager} seen={seen} />)
    await acted(() => manager.start())
    const first = manager.current!.token
    let answer!: (response: Response) => void
    backend.reply(() => new Promise<Response>((resolve) => (answer = resolve)))
    // The refresh turns the status to 'refreshing' at once: start it inside act(), as React sees it.
    let refreshing!: ReturnType<TokenManager['refresh']>
    await acted(() => {
      refreshing = manager.refresh()
      return vi.advanceTimersByTimeAsync(0)
    })
    expect(manager.status).toBe('refreshing')
    expect(seen.at(-1)).toBe(first)
    answer(tokenResponse(courierJwt()))
    await acted(() => refreshing)
    expect(seen.slice(seen.indexOf(first))).toEqual([...Array(seen.length - seen.indexOf(first) - 1).fill(first), manager.current!.token])
    view.unmount()
  })

  it('becomes undefined once the token expired without a replacement, rather than hand out an expired one', async () => {
    const seen: Array<string | undefined> = []
    const view = render(<Provider manager={manager} seen={seen} />)
    await acted(() => manager.start())
    const expiresAt = manager.current!.expiresAt!
    backend.reply(...Array<Reply>(200).fill(() => jsonResponse({}, { status: 503 })))
    await acted(() => vi.advanceTimersByTimeAsync(expiresAt - Date.now() - 1))
    expect(seen.at(-1)).toBe(manager.current!.token)
    await acted(() => vi.advanceTimersByTimeAsync(1))
    expect(seen.at(-1)).toBeUndefined()
    view.unmount()
  })

  it('becomes undefined when the user is signed out', async () => {
    const seen: Array<string | undefined> = []
    const view = render(<Provider manager={manager} seen={seen} />)
    await acted(() => manager.start())
    backend.reply(() => jsonResponse({}, { status: 401 }))
    await acted(() => manager.refresh().catch(() => {}))
    expect(seen.at(-1)).toBeUndefined()
    view.unmount()
  })
})
