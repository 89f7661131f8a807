#!/usr/bin/env node
// Writes scikit-learn's "digits" set (UCI optical handwritten digits: 1,797 images of 8x8 pixels, 16 gray levels,
// classes 0-9) as an ImageFolder DIR/<digit>/<index>.png (8-bit grayscale, value * 255 / 16, ink bright on black).
// The CSV comes from Debian's python3-sklearn package, which need not be installed:
//   apt-get download python3-sklearn && dpkg-deb -x python3-sklearn_*.deb x
//   node scripts/figures/digits-folder.mjs x/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz OUT_DIR
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';

const [csv, out] = process.argv.slice(2);
if (!csv || !out) { console.error('usage: digits-folder.mjs DIGITS.csv.gz OUT_DIR'); process.exit(2); }
const rows = gunzipSync(readFileSync(csv)).toString('utf8').trim().split('\n').map((l) => l.split(',').map(Number));
let n = 0;
for (const [i, r] of rows.entries()) {
  if (r.length !== 65 || r.some((v) => !Number.isInteger(v))) throw new Error(`${csv}: row ${i + 1} is not 64 pixels and a label`);
  const label = r[64];
  const px = Buffer.from(r.slice(0, 64).map((v) => Math.round((v * 255) / 16)));
  mkdirSync(join(out, String(label)), { recursive: true });
  await sharp(px, { raw: { width: 8, height: 8, channels: 1 } }).toColourspace('b-w').png().toFile(join(out, String(label), `${String(i).padStart(4, '0')}.png`));
  n++;
}
console.log(`wrote ${n} images of 10 classes to ${out}`);
