export { createDevIssuer } from './dev-issuer'
export { parseDuration } from './duration'

export type { DevIssuer, DevIssuerOptions, IssueTokenRequest } from './dev-issuer'
