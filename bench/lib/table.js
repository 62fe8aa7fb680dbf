// Rows of the result table, their verdicts and the plain-text table printed at the end.

/** Returns a row of the table without its result. */
export function row(scenario, measure, target) {
  return { scenario, measure, target };
}

/** Returns a result that meets its target when `value <= limit`. */
export function atMost(value, limit, text) {
  return { text, verdict: value <= limit ? 'met' : 'missed' };
}

/** Returns a result that meets its target when `value < limit`. */
export function below(value, limit, text) {
  return { text, verdict: value < limit ? 'met' : 'missed' };
}

/** Returns a result that meets its target when `value === expected`. */
export function exactly(value, expected, text) {
  return { text, verdict: value === expected ? 'met' : 'missed' };
}

/** Returns a figure that has no target. */
export function reported(text) {
  return { text, verdict: 'report' };
}

/** Returns the result of a row that did not run, with the reason. */
export function skipped(reason) {
  return { text: `skipped: ${reason}`, verdict: 'skipped' };
}

export function formatRatio(value) {
  return value.toFixed(3);
}

export function formatUs(value) {
  return `${value.toFixed(2)} us`;
}

export function formatMs(value) {
  return `${value.toFixed(1)} ms`;
}

export function formatMb(bytes) {
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}

/** Describes per-round counts as "worst W (rounds: a, b, c)", in the order the rounds ran. */
export function formatCounts(values, worst) {
  return `${worst} (round${values.length === 1 ? '' : 's'}: ${values.join(', ')})`;
}

/** Returns the count furthest from `expected` among per-round counts. */
export function worstCount(values, expected) {
  return values.reduce((worst, value) => (Math.abs(value - expected) > Math.abs(worst - expected) ? value : worst));
}

/** Returns the rows as a Markdown table, which also reads well in a terminal. */
export function renderTable(rows) {
  const header = ['scenario', 'measure', 'target', 'result', 'verdict'];
  const cells = rows.map((entry) => [entry.scenario, entry.measure, entry.target, entry.result.text, entry.result.verdict]);
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((line) => line[column].length)));
  const line = (values) => `| ${values.map((value, column) => value.padEnd(widths[column])).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n');
}
