// The README's size figures, generated from one place: size-limit's measurement of .size-limit.js and
// its budgets. `node scripts/readme-sizes.mjs` writes them between <!-- size:KEY --> (or budget:KEY)
// markers; `--check` fails when the README says anything else (part of `npm run size`, so of `npm test`).
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'

const README = new URL('../README.md', import.meta.url)
// Marker key → the .size-limit.js row it shows.
const ROWS = {
  root: 'root entry, with ky + jwt-decode + mitt',
  own: 'root entry, our own code alone',
  courier: 'courier-token-manager/courier (connectCourier)',
  react: 'courier-token-manager/react (all three hooks)',
}

const measured = JSON.parse(execFileSync('npx', ['size-limit', '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }))
const figure = (kind, key) => {
  const row = measured.find(({ name }) => name === ROWS[key])
  if (!row) throw new Error(`.size-limit.js has no row named "${ROWS[key]}" (marker ${kind}:${key})`)
  return `${((kind === 'size' ? row.size : row.sizeLimit) / 1000).toFixed(2)} kB`
}

const readme = readFileSync(README, 'utf8')
const keys = new Set()
const written = readme.replace(/<!-- (size|budget):(\w+) -->[^<]*<!-- \/\1 -->/g, (_, kind, key) => {
  if (!(key in ROWS)) throw new Error(`README.md: unknown marker ${kind}:${key}`)
  if (kind === 'size') keys.add(key)
  return `<!-- ${kind}:${key} -->${figure(kind, key)}<!-- /${kind} -->`
})
const missing = Object.keys(ROWS).filter((key) => !keys.has(key))
if (missing.length) throw new Error(`README.md: no marker for ${missing.map((key) => `size:${key}`).join(', ')}`)

if (process.argv.includes('--check')) {
  if (written !== readme) {
    console.error('README.md states other sizes than size-limit measures: run `node scripts/readme-sizes.mjs` and commit the result.')
    process.exit(1)
  }
} else if (written !== readme) {
  writeFileSync(README, written)
  console.log('README.md: sizes updated')
}
