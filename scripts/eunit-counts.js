// Parses EUnit's verbose output into { passed, failed, skipped } (shared by the OTP 25 and OTP 27 runs).
module.exports = function eunitCounts(out) {
  let passed = 0, failed = 0, skipped = 0;
  for (const m of out.matchAll(/All (\d+) tests passed/g)) passed += Number(m[1]);
  for (const m of out.matchAll(/Test passed\./g)) passed += 1;
  for (const m of out.matchAll(/Failed: (\d+)\.\s+Skipped: (\d+)\.\s+Passed: (\d+)\./g)) {
    failed += Number(m[1]); skipped += Number(m[2]); passed += Number(m[3]);
  }
  return { passed, failed, skipped };
};
