// A setup file (vitest.config.ts): a green run prints nothing a test did not have to.
//
// In tests, console.info reports figures a test measured (requests per tab, milliseconds before expiry, a
// fast-check seed): worth reading when the test fails, noise when it passes. So a console.info inside a
// test prints only if that test fails (under the test's name, after its error), or always with VERBOSE=1.
// Outside a test it prints as usual. console.log, warn and error are left alone: they are never held back.
import { onTestFailed } from 'vitest'

if (!process.env.VERBOSE) {
  const info = console.info.bind(console)
  console.info = (...args: unknown[]) => {
    try {
      onTestFailed(() => info(...args))
    } catch {
      // Not inside a test (a hook, the module's top level): nothing to wait for.
      info(...args)
    }
  }
}
