/** One column of a CSV export: its header and how to read its cell from an item. */
export interface CsvColumn<T> {
  header: string;
  value: (item: T) => string | number | boolean | null | undefined;
}

/**
 * CSV as RFC 4180 describes it: a header row, CRLF line ends, fields with a comma, quote or line break
 * quoted, quotes doubled. Text cells that a spreadsheet would run as a formula (starting with = + - @, tab
 * or carriage return, as OWASP lists them) are prefixed with a quote: role names, policy names and event
 * fields are chosen by whoever changed IAM, not by RoleWatch.
 */
export function toCsv<T>(columns: readonly CsvColumn<T>[], items: readonly T[]): string {
  const rows = [
    columns.map((column) => csvCell(column.header)),
    ...items.map((item) => columns.map((c) => csvCell(c.value(item)))),
  ];
  return `${rows.map((row) => row.join(',')).join('\r\n')}\r\n`;
}

/** One CSV field. Numbers and booleans are written as they are; only text can carry a formula. */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
