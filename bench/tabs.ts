// Backend requests per hour for 1, 2, 4 and 8 tabs of one user, with cross-tab sharing and without.
// Run: npm run bench:tabs
import { requestsPerHourByTabs } from './scenarios'
import { table } from './table'

const MINUTE = 60_000
const rows = (await requestsPerHourByTabs()).map(({ lifetime, tabs, without, shared }) => [
  `${lifetime / MINUTE} min`,
  tabs,
  without,
  shared,
  `${(without / shared).toFixed(1)}×`,
])
console.log('Backend requests per hour, one user, default refresh margin (2 min), 150 ms backend latency\n')
console.log(table(['token lifetime', 'tabs', 'crossTab: false', 'crossTab: true', 'fewer requests'], rows))
