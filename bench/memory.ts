// Heap over 100,000 refresh cycles: a manager with the Courier adapter, on a virtual clock.
// Run: npm run bench:memory (node --expose-gc)
import { heapOverCycles, heapPerCycle } from './scenarios'
import { heapTable } from './table'

const CYCLES = Number(process.env.CYCLES ?? 100_000)
const rows = await heapOverCycles(CYCLES)
console.log(`Heap used after gc, every ${CYCLES / 10} refresh cycles\n`)
console.log(heapTable(rows))
console.log(`\nSecond half: ${heapPerCycle(rows).toFixed(2)} bytes a cycle.`)
