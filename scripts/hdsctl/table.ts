/** Plain aligned text tables for terminal output (no colour codes inside cells). */
export function table(headers: string[], rows: Array<Array<string | number>>, rightAlign: number[] = []): string[] {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  return cells.map((r) =>
    r
      .map((cell, c) => (rightAlign.includes(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd(),
  );
}
