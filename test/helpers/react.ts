import { act, type ReactNode } from 'react'
import { createRoot } from 'react-dom/client'
import { expect, vi } from 'vitest'
import { createTokenManager, type TokenManager } from '../../src/index'
import { fakeBackend, tokenResponse } from './backend'
import { fakeOnline, fakeVisibility } from './environment'
import { courierJwt } from './jwt'

// Tells React its updates are driven through act(), as in a test renderer.
;(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true

/** Renders into a detached-from-nothing container; `unmount()` cleans up. */
export function render(node: ReactNode) {
  const container = document.createElement('div')
  document.body.append(container)
  const root = createRoot(container)
  act(() => root.render(node))
  return {
    container,
    rerender: (next: ReactNode) => act(() => root.render(next)),
    unmount() {
      act(() => root.unmount())
      container.remove()
    },
  }
}

/** Runs `work` inside act() and lets React flush what it caused. */
export const acted = (work: () => unknown) => act(async () => void (await work()))

/** What every hook test starts with: fake timers, and a manager against a fake backend handing out alice's tokens. */
export function fakeTimersAndManager() {
  vi.useFakeTimers()
  const backend = fakeBackend(() => tokenResponse(courierJwt()))
  const manager = createTokenManager({
    crossTab: false,
    url: 'https://app.test/token',
    fetch: backend.fetch,
    online: fakeOnline(),
    visibility: fakeVisibility(),
  })
  return { manager, backend }
}

/** Stops the manager and checks it left no timer behind. */
export function stopLeavingNoTimer(manager: TokenManager) {
  manager.stop()
  expect(vi.getTimerCount()).toBe(0)
  vi.useRealTimers()
}

/** Lets React and timers run, 10 ms at a time, until `condition()` holds; fails after `timeout` ms. */
export const until = async (condition: () => boolean, what: string, timeout = 5_000) => {
  const deadline = Date.now() + timeout
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await acted(() => new Promise((resolve) => setTimeout(resolve, 10)))
  }
}
