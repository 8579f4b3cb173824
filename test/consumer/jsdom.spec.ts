// @vitest-environment jsdom
import { testStart } from './start'

testStart(/jsdom/)
