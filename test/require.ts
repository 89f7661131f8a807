/**
 * @module What a test needs from the machine. Where something is missing (the bundled backbone, Fashion-MNIST,
 * Gloo, Chromium, the fixtures' libtorch), the test skips and says why; under ADAPTUNE_REQUIRE_ALL=1 (set by
 * .ci/run, whose `npm test` bootstraps all of these) the run FAILS instead, naming what is missing. Only the CUDA
 * tests may skip in CI (test/device/cuda.test.ts and the CPU-only check in test/native/errors.test.ts do not use this).
 */
import { test, type TestContext } from 'node:test';

/** True under ADAPTUNE_REQUIRE_ALL=1: nothing but CUDA may skip. */
export const REQUIRE_ALL = process.env['ADAPTUNE_REQUIRE_ALL'] === '1';
const reported = new Set<string>();
const failure = (what: string): Error => new Error(`${what} is missing, and ADAPTUNE_REQUIRE_ALL=1 forbids skipping (npm test runs scripts/bootstrap.sh --tests, which installs it)`);

/**
 * The `skip` option of a test that needs `what`: false when present; else the reason, and under
 * ADAPTUNE_REQUIRE_ALL a failing test "required: <what>" is registered (once per `what`) so the run fails.
 */
export function needs(what: string, present: boolean): string | false {
  if (present) return false;
  if (REQUIRE_ALL && !reported.has(what)) {
    reported.add(what);
    test(`required: ${what}`, () => { throw failure(what); });
  }
  return `${what} is missing`;
}

/** Inside a running test that found `what` missing: skip with the reason, or fail under ADAPTUNE_REQUIRE_ALL. */
export function skipOrFail(t: TestContext, what: string, reason: string): void {
  if (REQUIRE_ALL) throw failure(`${what} (${reason})`);
  t.skip(reason);
}
