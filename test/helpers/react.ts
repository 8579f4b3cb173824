import { act, type ReactNode } from 'react'
import { createRoot } from 'react-dom/client'

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
