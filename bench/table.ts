/** A Markdown table with right-aligned columns after the first. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = rows.map((row) => row.map(String))
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((row) => row[column]!.length)))
  const line = (row: string[]) =>
    `| ${row.map((cell, column) => (column ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join(' | ')} |`
  return [
    line(header),
    `|${widths.map((width, column) => (column ? `${'-'.repeat(width + 1)}:` : `:${'-'.repeat(width + 1)}`)).join('|')}|`,
    ...cells.map(line),
  ].join('\n')
}

export const kB = (bytes: number) => `${(bytes / 1000).toFixed(2)} kB`

/** heapOverCycles' samples as a table: heap after gc, and its change since the first sample. */
export function heapTable(rows: Array<{ cycles: number; heap: number }>): string {
  const first = rows[0]!.heap
  return table(
    ['cycles', 'heap used after gc', 'since start'],
    rows.map(({ cycles, heap }) => [
      cycles.toLocaleString('en'),
      `${(heap / 1024 / 1024).toFixed(2)} MB`,
      `${((heap - first) / 1024).toFixed(0)} KB`,
    ]),
  )
}
