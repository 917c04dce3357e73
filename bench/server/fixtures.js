// The token every benchmark mints: an identity with chat and voice grants, as in the issue.
export const credentials = {
  accountSid: 'AC0123456789abcdef0123456789abcdef',
  apiKeySid: 'SKfedcba9876543210fedcba9876543210',
  apiKeySecret: 'bench-secret-bench-secret-bench-0',
};
export const identity = 'alice';
export const chat = { serviceSid: 'IS00000000000000000000000000000001' };
export const voice = {
  incomingAllow: true,
  outgoingApplicationSid: 'AP00000000000000000000000000000001',
};

/** Median of a list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Prints rows (objects with the same keys) as an aligned text table. */
export function printTable(title, rows) {
  const keys = Object.keys(rows[0]);
  const cells = [keys, ...rows.map((row) => keys.map((key) => String(row[key])))];
  const widths = keys.map((_, column) => Math.max(...cells.map((line) => line[column].length)));
  const format = (line) =>
    line
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]),
      )
      .join('  ');
  console.log(`\n${title}\n`);
  console.log(format(keys));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const line of cells.slice(1)) console.log(format(line));
}
