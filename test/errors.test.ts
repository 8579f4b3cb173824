import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { isTokenManagerError, TokenManagerError } from '../src/errors'

describe('TokenManagerError', () => {
  it('is an Error with its name, code and message', () => {
    const error = new TokenManagerError('network', 'Token request failed: offline')

    expect(error).toBeInstanceOf(Error)
    expect(error).toBeInstanceOf(TokenManagerError)
    expect(error.name).toBe('TokenManagerError')
    expect(error.code).toBe('network')
    expect(error.message).toBe('Token request failed: offline')
    expect(String(error)).toBe('TokenManagerError: Token request failed: offline')
  })

  it('keeps status, retryAfter and cause', () => {
    const cause = new Error('503 Service Unavailable')

    const error = new TokenManagerError('http', 'Token request failed', { cause, status: 503, retryAfter: 30_000 })

    expect(error.status).toBe(503)
    expect(error.retryAfter).toBe(30_000)
    expect(error.cause).toBe(cause)
    expect(error.code).toBe('http')
  })

  it('keeps a cause that is not an Error', () => {
    const error = new TokenManagerError('invalid-response', 'Not a JWT', { cause: { body: '<html>' } })

    expect(error.cause).toEqual({ body: '<html>' })
  })

  it('has no status, retryAfter or cause when none are given', () => {
    const error = new TokenManagerError('timeout', 'No answer within 10000 ms.')

    expect(error.status).toBeUndefined()
    expect(error.retryAfter).toBeUndefined()
    expect('cause' in error).toBe(false)
  })

  it('cannot have its name or code overridden through options', () => {
    const options = { name: 'Other', code: 'http', status: 401 } as unknown as ConstructorParameters<typeof TokenManagerError>[2]

    const error = new TokenManagerError('unauthenticated', 'Signed out', options)

    expect(error.name).toBe('TokenManagerError')
    expect(error.code).toBe('unauthenticated')
    expect(error.status).toBe(401)
  })

  it('has a stack trace', () => {
    expect(new TokenManagerError('stopped', 'Stopped').stack).toContain('Stopped')
  })
})

describe('isTokenManagerError', () => {
  it('is true for a TokenManagerError', () => {
    expect(isTokenManagerError(new TokenManagerError('stopped', 'Stopped'))).toBe(true)
  })

  it('is true for a TokenManagerError from another copy of the package', () => {
    class TokenManagerErrorCopy extends Error {
      override name = 'TokenManagerError'
      code = 'network'
    }

    expect(isTokenManagerError(new TokenManagerErrorCopy('offline'))).toBe(true)
  })

  it('is true for a TokenManagerError from another realm', () => {
    const foreign: unknown = runInNewContext(`
      class TokenManagerError extends Error { constructor(m) { super(m); this.name = 'TokenManagerError'; this.code = 'http' } }
      new TokenManagerError('from an iframe')
    `)

    expect(foreign instanceof Error).toBe(false) // a different realm's Error
    expect(isTokenManagerError(foreign)).toBe(true)
  })

  it('is true for a plain object named TokenManagerError', () => {
    expect(isTokenManagerError({ name: 'TokenManagerError', code: 'http', message: 'x' })).toBe(true)
  })

  it.each([
    ['an Error', new Error('TokenManagerError')],
    ['a TypeError', new TypeError('bad')],
    ['an error with another name', Object.assign(new Error('x'), { name: 'HTTPError' })],
    ['an object without a name', { code: 'http' }],
    ['null', null],
    ['undefined', undefined],
    ['the string "TokenManagerError"', 'TokenManagerError'],
    ['a number', 0],
  ])('is false for %s', (_, value) => {
    expect(isTokenManagerError(value)).toBe(false)
  })
})
