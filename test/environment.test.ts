import { afterEach, describe, expect, it, vi } from 'vitest'
import { networkStatus, pageVisibility } from '../src/environment'

const PAGE_EVENTS = ['visibilitychange', 'focus', 'pageshow']
const NETWORK_EVENTS = ['online', 'offline']

/** Fires an event the way the browser does: `visibilitychange` at the document, bubbling to the window. */
function fire(type: string) {
  if (type === 'visibilitychange') document.dispatchEvent(new Event(type, { bubbles: true }))
  else window.dispatchEvent(new Event(type))
}

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('importing the module', () => {
  it('adds no listeners to window or document', async () => {
    vi.resetModules()
    const onWindow = vi.spyOn(window, 'addEventListener')
    const onDocument = vi.spyOn(document, 'addEventListener')

    const fresh = await import('../src/environment')

    expect(fresh.pageVisibility).not.toBe(pageVisibility) // really evaluated again
    expect(onWindow).not.toHaveBeenCalled()
    expect(onDocument).not.toHaveBeenCalled()
  })
})

describe.each([
  { name: 'pageVisibility', source: pageVisibility, types: PAGE_EVENTS },
  { name: 'networkStatus', source: networkStatus, types: NETWORK_EVENTS },
])('$name.subscribe', ({ source, types }) => {
  it(`listens on window for ${types.join(', ')} only once subscribed`, () => {
    const add = vi.spyOn(window, 'addEventListener')
    const listener = vi.fn()

    const unsubscribe = source.subscribe(listener)

    expect(add.mock.calls).toEqual(types.map((type) => [type, listener]))
    unsubscribe()
  })

  it('removes the same listeners on unsubscribe', () => {
    const remove = vi.spyOn(window, 'removeEventListener')
    const listener = vi.fn()
    const unsubscribe = source.subscribe(listener)
    expect(remove).not.toHaveBeenCalled()

    unsubscribe()

    expect(remove.mock.calls).toEqual(types.map((type) => [type, listener]))
  })

  it.each(types)('calls the listener once for a %s event', (type) => {
    const listener = vi.fn()
    const unsubscribe = source.subscribe(listener)

    fire(type)

    expect(listener).toHaveBeenCalledTimes(1)
    unsubscribe()
  })

  it('does not call the listener after unsubscribe', () => {
    const listener = vi.fn()
    source.subscribe(listener)()

    for (const type of types) fire(type)

    expect(listener).not.toHaveBeenCalled()
  })

  it('ignores events it does not subscribe to', () => {
    const listener = vi.fn()
    const unsubscribe = source.subscribe(listener)

    for (const type of [...PAGE_EVENTS, ...NETWORK_EVENTS].filter((t) => !types.includes(t))) fire(type)
    fire('resize')

    expect(listener).not.toHaveBeenCalled()
    unsubscribe()
  })

  it('keeps other subscribers when one unsubscribes', () => {
    const leaving = vi.fn()
    const staying = vi.fn()
    const unsubscribeLeaving = source.subscribe(leaving)
    const unsubscribeStaying = source.subscribe(staying)

    unsubscribeLeaving()
    fire(types[0]!)

    expect(leaving).not.toHaveBeenCalled()
    expect(staying).toHaveBeenCalledTimes(1)
    unsubscribeStaying()
  })

  it('does nothing without a window, as during server-side rendering', () => {
    vi.stubGlobal('window', undefined)
    const listener = vi.fn()

    const unsubscribe = source.subscribe(listener)

    expect(() => unsubscribe()).not.toThrow()
    vi.unstubAllGlobals()
    for (const type of types) fire(type)
    expect(listener).not.toHaveBeenCalled()
  })
})

describe('networkStatus.isOnline', () => {
  it.each([
    { onLine: true, online: true },
    { onLine: false, online: false },
    { onLine: undefined, online: true },
  ])('is $online when navigator.onLine is $onLine', ({ onLine, online }) => {
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(onLine as boolean)

    expect(networkStatus.isOnline()).toBe(online)
  })

  it('reads navigator.onLine at call time', () => {
    const onLine = vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false)
    expect(networkStatus.isOnline()).toBe(false)

    onLine.mockReturnValue(true)

    expect(networkStatus.isOnline()).toBe(true)
  })

  it('is true when there is no navigator', () => {
    vi.stubGlobal('navigator', undefined)

    expect(networkStatus.isOnline()).toBe(true)
  })
})
