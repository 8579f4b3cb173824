// Fakes of BroadcastChannel and navigator.locks for tabs simulated in one test.
import type { ChannelLike, CrossTabMessage, LocksLike } from '../../src/cross-tab'

/** BroadcastChannels of one origin: a message reaches every other open channel of that name, later. */
export function fakeChannels() {
  const open = new Set<ChannelLike & { name: string }>()
  const sent: Array<{ name: string; message: CrossTabMessage }> = []
  const create = (name: string): ChannelLike => {
    const channel: ChannelLike & { name: string } = {
      name,
      onmessage: null,
      postMessage(message) {
        sent.push({ name, message })
        // Structured clone, delivered as a separate task like the browser's.
        const data = JSON.parse(JSON.stringify(message)) as unknown
        for (const other of open) if (other !== channel && other.name === name) queueMicrotask(() => open.has(other) && other.onmessage?.({ data }))
      },
      close: () => void open.delete(channel),
    }
    open.add(channel)
    return channel
  }
  return { create, open, sent, inject: (name: string, data: unknown) => [...open].filter((c) => c.name === name).forEach((c) => c.onmessage?.({ data })) }
}

/** navigator.locks for exclusive requests: granted in turn, abandoned when their signal aborts. */
export function fakeLocks() {
  const held = new Set<string>()
  const queues = new Map<string, Array<() => void>>()
  const granted: string[] = []
  /** Requests that had to wait because another tab held the lock. */
  const waited: string[] = []
  const queue = (name: string) => queues.get(name) ?? queues.set(name, []).get(name)!
  const release = (name: string) => {
    const next = queue(name).shift()
    if (next) next() // handed over: the lock stays held
    else held.delete(name)
  }
  const locks: LocksLike & { held: Set<string>; granted: string[]; waited: string[]; orphan(name: string): void; release(name: string): void } = {
    held,
    granted,
    waited,
    release,
    async request(name, { signal }, callback) {
      // As the Web Locks spec: names starting with "-" are reserved.
      if (name.startsWith('-')) throw new DOMException(`Lock name "${name}" is reserved.`, 'NotSupportedError')
      if (held.has(name)) {
        waited.push(name)
        await new Promise<void>((resolve, reject) => {
          const grant = () => {
            signal.removeEventListener('abort', abandon)
            resolve()
          }
          const abandon = () => {
            queue(name).splice(queue(name).indexOf(grant), 1)
            reject(signal.reason)
          }
          queue(name).push(grant)
          signal.addEventListener('abort', abandon, { once: true })
        })
      } else {
        held.add(name)
      }
      granted.push(name)
      try {
        return await callback({ name })
      } finally {
        release(name)
      }
    },
    /** A lock some frozen tab never gives back. */
    orphan: (name) => void held.add(name),
  }
  return locks
}
