/** Gaussian AD statistics: chi-square CDF/quantiles against known values, empirical thresholds, AUROC incl. ties. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auroc, chi2Cdf, chi2Ppf, chi2Sf, chi2Threshold, empiricalThreshold, gammaP, lnGamma } from '../../../src/methods/anomaly/index.js';
import { ConfigError } from '../../../src/core/errors.js';

const near = (a: number, b: number, rel: number, what: string) =>
  assert.ok(Math.abs(a - b) <= rel * Math.abs(b), `${what}: ${a} vs ${b}`);

test('lnGamma matches factorials and Gamma(1/2) = sqrt(pi)', () => {
  assert.ok(Math.abs(lnGamma(1)) < 1e-14, 'lnGamma(1) = 0');
  near(lnGamma(10), Math.log(362880), 1e-13, 'lnGamma(10)');
  near(lnGamma(0.5), 0.5 * Math.log(Math.PI), 1e-13, 'lnGamma(0.5)');
  near(lnGamma(101), 363.73937555556347, 1e-13, 'lnGamma(101)');
});

test('chi-square CDF: closed forms for 2 dof (1 - exp(-x/2)) and 1 dof (erf), and P(a, x) for integer a', () => {
  for (const x of [0.01, 0.5, 2, 9.21, 40]) near(chi2Cdf(x, 2), 1 - Math.exp(-x / 2), 1e-13, `cdf(${x}, 2)`);
  for (const x of [3, 50, 200]) near(chi2Sf(x, 2), Math.exp(-x / 2), 1e-12, `sf(${x}, 2)`);
  // P(3, x) = 1 - exp(-x)(1 + x + x^2/2)
  for (const x of [0.3, 4, 12]) near(gammaP(3, x), 1 - Math.exp(-x) * (1 + x + x * x / 2), 1e-12, `P(3, ${x})`);
  assert.equal(chi2Cdf(0, 5), 0);
  assert.equal(chi2Cdf(-1, 5), 0);
});

test('chi-square quantiles match scipy.stats.chi2.ppf', () => {
  near(chi2Ppf(0.95, 10), 18.307038053275146, 1e-9, 'ppf(0.95, 10)');
  near(chi2Ppf(0.99, 2), 9.210340371976182, 1e-9, 'ppf(0.99, 2)');
  near(chi2Ppf(0.5, 1), 0.454936423119572, 1e-8, 'ppf(0.5, 1)');
  near(chi2Ppf(0.9, 1), 2.705543454095404, 1e-8, 'ppf(0.9, 1)');
  near(chi2Ppf(0.05, 3), 0.35184631774927144, 1e-8, 'ppf(0.05, 3)');
  near(chi2Ppf(0.999, 100), 149.44925277903877, 1e-6, 'ppf(0.999, 100)');
  for (const [p, k] of [[0.3, 7], [0.999999, 1000], [1e-6, 4]] as const) near(chi2Cdf(chi2Ppf(p, k), k), p, 1e-9, `round trip ${p}, ${k}`);
  near(chi2Threshold(0.05, 10), 18.307038053275146, 1e-9, 'threshold');
  assert.throws(() => chi2Threshold(0, 10), ConfigError);
  assert.throws(() => chi2Ppf(1, 3), RangeError);
  assert.throws(() => chi2Ppf(0.5, 0), RangeError);
});

test('empirical threshold: at most fpr of the validation scores lie above it', () => {
  const s = Array.from({ length: 100 }, (_, i) => 99 - i); // 0..99 shuffled order
  assert.equal(empiricalThreshold(s, 0.05), 94);
  assert.equal(s.filter((v) => v > 94).length, 5);
  assert.equal(empiricalThreshold(s, 0.001), 99);
  assert.equal(empiricalThreshold([3, 1, 2], 0.5), 2);
  assert.throws(() => empiricalThreshold(s, 1), ConfigError);
});

test('AUROC on known rankings, with ties counted 1/2', () => {
  assert.equal(auroc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]), 1);
  assert.equal(auroc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]), 0);
  assert.equal(auroc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]), 0.5);
  assert.equal(auroc([1, 1], [0, 1]), 0.5);
  // sklearn.metrics.roc_auc_score([0,0,1,1], [0.1,0.4,0.35,0.8]) = 0.75
  assert.equal(auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  // one tie between a positive and a negative: pairs (p>n)=3, tie=1 of 4 -> 3.5/4
  assert.equal(auroc([0.1, 0.5, 0.5, 0.9], [0, 0, 1, 1]), 0.875);
  assert.equal(auroc(Float64Array.from([2, 1, 3]), [true, false, true]), 1);
  assert.throws(() => auroc([1, 2], [1, 1]), /both classes/);
  assert.throws(() => auroc([1, 2], [1]), RangeError);
});
