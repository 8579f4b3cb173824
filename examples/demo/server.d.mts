import type { LocalCourier } from '../local-courier/local-courier.mjs'

export declare const MODES: readonly string[]

export interface DemoSession {
  userId: string
  mode: string
  requests: number
  /** Test messages sent from the page. */
  sent: number
}

export interface Demo {
  url: string
  sessions: Map<string, DemoSession>
  /** The local Courier the demo started (no `courier` option given). */
  local: LocalCourier | undefined
  close(): Promise<void>
}

export interface DemoCourier {
  apiKey: string
  /** Courier's REST base URL, for the Issue Token call. */
  baseUrl?: string
  /** courier-js apiUrls for the mounted Inbox. */
  apiUrls?: unknown
}

export declare function startDemo(options?: {
  port?: number
  host?: string
  lifetime?: string
  courier?: DemoCourier | false
  dist?: string
}): Promise<Demo>
