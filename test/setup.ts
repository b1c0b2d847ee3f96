import fc from 'fast-check';

// Tests run on Node 20; the AWS SDK's notice that future releases need Node 22 is known and only noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/**
 * Property tests draw from one fixed seed in `npm test`, so a run is reproducible and a pass means the same
 * cases passed. `FUZZ_SEED=random` (what `npm run fuzz` uses) explores new cases; a failure prints the seed,
 * and `FUZZ_SEED=<that seed>` replays it.
 */
const seedText = process.env.FUZZ_SEED ?? '20261122';
if (seedText !== 'random') {
  const seed = Number(seedText);
  if (!Number.isSafeInteger(seed)) throw new Error(`FUZZ_SEED must be an integer or "random", got ${seedText}`);
  fc.configureGlobal({ seed });
}
