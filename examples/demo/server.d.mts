export declare const MODES: readonly string[]

export interface DemoSession {
  userId: string
  mode: string
  requests: number
}

export interface Demo {
  url: string
  sessions: Map<string, DemoSession>
  close(): Promise<void>
}

export interface DemoCourier {
  apiKey: string
  /** Courier's REST base URL, for the Issue Token call. */
  baseUrl?: string
  /** courier-js apiUrls for the mounted Inbox. */
  apiUrls?: unknown
}

export declare function startDemo(options?: { port?: number; host?: string; lifetime?: string; courier?: DemoCourier }): Promise<Demo>
