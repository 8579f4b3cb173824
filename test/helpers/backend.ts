// A fake token endpoint for the manager's `fetch` option: scripted replies, counted requests.

export type Reply =
  | Response
  | Error
  /** Never answers; rejects when the request is aborted. */
  | 'hang'
  | (() => Response | Promise<Response>)

export const jsonResponse = (body: unknown, init: ResponseInit = {}) =>
  new Response(JSON.stringify(body), { status: 200, ...init, headers: { 'content-type': 'application/json', ...init.headers } })

export const tokenResponse = (token: string, init?: ResponseInit) => jsonResponse({ token }, init)

export interface FakeBackend {
  fetch: typeof fetch
  /** Every request the manager made, in order. */
  requests: Request[]
  /** Their bodies as text, read when they arrived (ky cancels unread bodies afterwards). */
  bodies: string[]
  /** Requests started and not yet answered or aborted. */
  readonly inFlight: number
  /** The most requests ever in flight at once. */
  readonly maxInFlight: number
  /** Queues replies; once the queue is empty, `fallback` answers. */
  reply(...replies: Reply[]): void
}

export function fakeBackend(fallback: () => Reply): FakeBackend {
  const queue: Reply[] = []
  const requests: Request[] = []
  const bodies: string[] = []
  let inFlight = 0
  let maxInFlight = 0

  const answer = async (request: Request, reply: Reply): Promise<Response> => {
    if (reply === 'hang') {
      return new Promise((_, reject) => {
        const abort = () => reject(request.signal.reason ?? new DOMException('Aborted', 'AbortError'))
        if (request.signal.aborted) abort()
        request.signal.addEventListener('abort', abort)
      })
    }
    if (reply instanceof Error) throw reply
    return typeof reply === 'function' ? reply() : reply
  }

  return {
    requests,
    bodies,
    get inFlight() {
      return inFlight
    },
    get maxInFlight() {
      return maxInFlight
    },
    reply: (...replies) => void queue.push(...replies),
    fetch: async (input, init) => {
      const request = input instanceof Request ? input : new Request(input, init)
      requests.push(request)
      maxInFlight = Math.max(maxInFlight, ++inFlight)
      try {
        bodies.push(request.body ? await request.clone().text() : '')
        return await answer(request, queue.shift() ?? fallback())
      } finally {
        inFlight--
      }
    },
  }
}
