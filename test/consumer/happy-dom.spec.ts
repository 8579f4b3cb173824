// The environment of the consumer's vitest.config.ts.
import { testStart } from './start'

testStart(/HappyDOM/)
