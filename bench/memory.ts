// Heap over 100,000 refresh cycles: a manager, the Courier adapter and a React-style subscriber,
// on a virtual clock. Run: npm run bench:memory (node --expose-gc).
import { connect } from '../src/courier/connect'
import { createTokenManager } from '../src/index'
import { fakeCourier } from '../test/helpers/courier-fake'
import { fakeOnline, fakeVisibility } from '../test/helpers/environment'
import { makeJwt } from '../test/helpers/jwt'
import { virtualTime } from './virtual-time'

const CYCLES = Number(process.env.CYCLES ?? 100_000)
const SAMPLES = 10
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('Run with node --expose-gc (npm run bench:memory does).')

const time = virtualTime()
let minted = 0
const manager = createTokenManager({
  crossTab: false,
  clock: time.clock,
  online: fakeOnline(),
  visibility: fakeVisibility(),
  // 6-second tokens: a refresh every 1.25 to 2.5 virtual seconds.
  fetchToken: async () => {
    const iat = Math.floor(time.now / 1000)
    return makeJwt({ scope: 'user_id:alice inbox:read:messages inbox:write:events', iat, exp: iat + 6, jti: String(++minted) })
  },
})
const { courier } = fakeCourier()
const disconnect = connect(manager, courier, { mode: 'seamless' })
let seen = 0
manager.on('token', () => seen++)

const heap = () => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

manager.start().catch(() => {})
await time.runUntil(time.now + 60_000) // warm up
const rows: Array<[number, number]> = [[0, heap()]]
const started = seen
while (seen - started < CYCLES) {
  const target = started + (rows.length * CYCLES) / SAMPLES
  while (seen < target) await time.runUntil(time.now + 60_000)
  rows.push([seen - started, heap()])
}
manager.stop()
disconnect()

const first = rows[0]![1]
console.log(`Heap after each ${CYCLES / SAMPLES} refresh cycles (node --expose-gc, heapUsed after gc)\n`)
console.log('| cycles | heap used | change since start |')
console.log('|-------:|----------:|-------------------:|')
for (const [cycles, used] of rows) console.log(`| ${String(cycles).padStart(6)} | ${(used / 1024 / 1024).toFixed(2).padStart(6)} MB | ${((used - first) / 1024).toFixed(0).padStart(12)} KB |`)
const last = rows.at(-1)![1]
const middle = rows[Math.floor(rows.length / 2)]![1]
console.log(`\nSecond half grew ${((last - middle) / 1024).toFixed(0)} KB over ${CYCLES / 2} cycles (${(((last - middle) / (CYCLES / 2)) * 1).toFixed(2)} bytes a cycle).`)
