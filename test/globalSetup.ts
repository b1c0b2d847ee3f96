/**
 * The `rolewatch` command runs the built bundle (dist/rolewatch.js): tests that start it as a process run what
 * the sources say now, so every test run builds it first (under a second).
 */
export default async function buildCli(): Promise<void> {
  const { build } = require('../shared/cli/build') as { build: () => Promise<void> };
  await build();
}
