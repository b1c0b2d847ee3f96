/**
 * The exit codes of `rolewatch` (documented in shared/cli/README.md):
 * - 0 done;
 * - 1 a finding at or above `--fail-on` was reported;
 * - 2 bad usage, or an input path that does not exist;
 * - 3 input was skipped (a file, line, record or byte range that could not be read, or an event that could not be
 *   evaluated): the run is partial. `--allow-partial` turns it into 0, except with `--fail-on`: a gate never passes
 *   a run that did not read all of its input.
 */
export const EXIT = { ok: 0, findings: 1, usage: 2, partial: 3 } as const;

/** The exit code of a run that reported findings and maybe skipped input. */
export function exitCodeOf(options: { failed: boolean; skipped: number; allowPartial: boolean; gated: boolean }): number {
  if (options.failed) return EXIT.findings;
  if (options.skipped > 0 && (options.gated || !options.allowPartial)) return EXIT.partial;
  return EXIT.ok;
}
