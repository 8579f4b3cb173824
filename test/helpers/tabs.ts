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
        // As the browser's: a closed channel throws.
        if (!open.has(channel)) throw new DOMException('BroadcastChannel is closed.', 'InvalidStateError')
        sent.push({ name, message })
        // A structured clone, as the browser's (JSON would drop undefined and turn NaN into null; tested
        // against Chromium by the notOurs scenario of tab-protocol-scenarios.ts). Delivered later, though in a
        // microtask where the browser queues a task.
        const data = structuredClone(message) as unknown
        for (const other of open)
          if (other !== channel && other.name === name) queueMicrotask(() => open.has(other) && other.onmessage?.({ data }))
      },
      close: () => void open.delete(channel),
    }
    open.add(channel)
    return channel
  }
  const inject = (name: string, data: unknown) => {
    for (const channel of open) if (channel.name === name) channel.onmessage?.({ data })
  }
  return { create, open, sent, inject }
}

/**
 * navigator.locks for exclusive requests: granted in turn, abandoned when their signal aborts, or only
 * when free (`ifAvailable`); `query()` lists the held ones. `granted` and `waited` record the fetch
 * locks only, not the lock each running tab holds to say it is there (`<stream> tab <id>`).
 */
export function fakeLocks() {
  const held = new Set<string>()
  const queues = new Map<string, Array<() => void>>()
  const granted: string[] = []
  /** Requests that had to wait because another tab held the lock. */
  const waited: string[] = []
  const queue = (name: string) => queues.get(name) ?? queues.set(name, []).get(name)!
  const release = (name: string) => {
    const next = queue(name).shift()
    if (next)
      next() // handed over: the lock stays held
    else held.delete(name)
  }
  const record = (list: string[], name: string) => name.includes(' tab ') || list.push(name)
  const locks: LocksLike & {
    held: Set<string>
    granted: string[]
    waited: string[]
    /** The tabs that hold a presence lock of `stream`. */
    present(stream: string): number
    orphan(name: string): void
    release(name: string): void
  } = {
    held,
    granted,
    waited,
    release,
    async request(name, { signal, ifAvailable }, callback) {
      // As the Web Locks spec: names starting with "-" are reserved, and a signal may not come with ifAvailable.
      if (name.startsWith('-')) throw new DOMException(`Lock name "${name}" is reserved.`, 'NotSupportedError')
      if (signal && ifAvailable) throw new DOMException('signal with ifAvailable', 'NotSupportedError')
      if (signal?.aborted) throw signal.reason
      if (held.has(name) && ifAvailable) return callback(null)
      if (held.has(name)) {
        record(waited, name)
        await new Promise<void>((resolve, reject) => {
          const grant = () => {
            signal?.removeEventListener('abort', abandon)
            resolve()
          }
          const abandon = () => {
            queue(name).splice(queue(name).indexOf(grant), 1)
            reject(signal!.reason)
          }
          queue(name).push(grant)
          signal?.addEventListener('abort', abandon, { once: true })
        })
      } else {
        held.add(name)
      }
      record(granted, name)
      try {
        return await callback({ name })
      } finally {
        release(name)
      }
    },
    query: async () => ({ held: [...held].map((name) => ({ name })) }),
    present: (stream) => [...held].filter((name) => name.startsWith(`${stream} tab `)).length,
    /** A lock some frozen tab never gives back. */
    orphan: (name) => void held.add(name),
  }
  return locks
}
