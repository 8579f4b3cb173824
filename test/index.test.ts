import { describe, expect, expectTypeOf, it } from 'vitest'
import * as api from '../src/index'
import type { Diagnosis, Feature, TokenEvents, TokenInfo, TokenManager, TokenManagerOptions, TokenStatus } from '../src/index'

describe('the root entry', () => {
  it('exports the public API and nothing else', () => {
    expect(Object.keys(api).sort()).toEqual([
      'CLOCK_CHECK_INTERVAL_MS',
      'DEFAULT_REFRESH_MARGIN_MS',
      'DEFAULT_RETRY',
      'DEFAULT_TIMEOUT_MS',
      'MIN_REFRESH_INTERVAL_MS',
      'MIN_RETRY_DELAY_MS',
      'SCOPES',
      'TokenManagerError',
      'createTokenManager',
      'decodeToken',
      'diagnoseToken',
      'isTokenManagerError',
    ])
  })

  it('documents its defaults as constants', () => {
    expect(api.DEFAULT_REFRESH_MARGIN_MS).toBe(120_000)
    expect(api.MIN_REFRESH_INTERVAL_MS).toBe(1_000)
    expect(api.MIN_RETRY_DELAY_MS).toBe(5_000)
    expect(api.DEFAULT_TIMEOUT_MS).toBe(10_000)
    expect(api.DEFAULT_RETRY).toEqual({ limit: 3, baseDelay: 1_000, maxDelay: 120_000, maxRetryAfter: 3_600_000 })
    expect(api.CLOCK_CHECK_INTERVAL_MS).toBe(60_000)
  })
})

describe('types', () => {
  it('types the options: exactly one token source', () => {
    expectTypeOf<{ url: string }>().toMatchTypeOf<TokenManagerOptions>()
    expectTypeOf<{ fetchToken: () => Promise<string> }>().toMatchTypeOf<TokenManagerOptions>()
    expectTypeOf<{ url: string; fetchToken: () => Promise<string> }>().not.toMatchTypeOf<TokenManagerOptions>()
    expectTypeOf<{ refreshMargin: number }>().not.toMatchTypeOf<TokenManagerOptions>()
    // @ts-expect-error fetchToken takes no parseResponse: there is no response to parse
    api.createTokenManager({ fetchToken: async () => 'jwt', parseResponse: () => 'jwt' }).stop()
  })

  it('types events and their handlers', () => {
    // Compiled, never run: the compiler checks each handler's parameter type.
    const subscribe = (manager: TokenManager) => {
      manager.on('token', (info) => expectTypeOf(info).toEqualTypeOf<TokenInfo>())
      manager.on('status', (status) => expectTypeOf(status).toEqualTypeOf<TokenStatus>())
      manager.on('warning', (diagnoses) => expectTypeOf(diagnoses).toEqualTypeOf<Diagnosis[]>())
      manager.on('error', ({ error, retryInMs }) => {
        expectTypeOf(error).toEqualTypeOf<api.TokenManagerError>()
        expectTypeOf(retryInMs).toEqualTypeOf<number | undefined>()
      })
      // @ts-expect-error no such event
      manager.on('tokens', () => {})
    }
    expect(subscribe).toBeTypeOf('function')
    expectTypeOf<TokenManager['getToken']>().returns.resolves.toBeString()
    expectTypeOf<TokenManager['start']>().returns.resolves.toEqualTypeOf<TokenInfo>()
    expectTypeOf<TokenEvents['expired']>().toEqualTypeOf<TokenInfo>()
    expectTypeOf<Feature>().toEqualTypeOf<'inbox' | 'preferences' | 'push'>()
    expectTypeOf(api.SCOPES).toEqualTypeOf<Record<Feature, readonly string[]>>()
  })

  it('narrows with isTokenManagerError', () => {
    const error: unknown = new api.TokenManagerError('http', 'x', { status: 500 })
    if (api.isTokenManagerError(error)) expectTypeOf(error.code).toEqualTypeOf<api.TokenManagerErrorCode>()
    expect(api.isTokenManagerError(error)).toBe(true)
  })
})
