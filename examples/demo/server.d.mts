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

export declare function startDemo(options?: { port?: number; host?: string; lifetime?: string }): Promise<Demo>
