// Heap over 100,000 refresh cycles: a manager with the Courier adapter, on a virtual clock.
// Run: npm run bench:memory (node --expose-gc)
import { heapOverCycles } from './scenarios'
import { table } from './table'

const CYCLES = Number(process.env.CYCLES ?? 100_000)
const rows = await heapOverCycles(CYCLES)
const first = rows[0]!.heap
console.log(`Heap used after gc, every ${CYCLES / 10} refresh cycles\n`)
console.log(table(['cycles', 'heap used', 'since start'], rows.map(({ cycles, heap }) => [cycles, `${(heap / 1024 / 1024).toFixed(2)} MB`, `${((heap - first) / 1024).toFixed(0)} KB`])))
const middle = rows[Math.floor(rows.length / 2)]!.heap
console.log(`\nSecond half: ${(((rows.at(-1)!.heap - middle) / (CYCLES / 2)) * 1).toFixed(2)} bytes a cycle.`)
