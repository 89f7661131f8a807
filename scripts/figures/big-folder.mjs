#!/usr/bin/env node
// Writes a generated ImageFolder for memory checks: DIR/<class>/<i>.jpg, CLASSES x PER_CLASS RGB JPEGs of mixed sizes
// (160..415 px a side, aspect 3:4 to 4:3) whose class is a colour and a stripe frequency, plus seeded noise.
//   node scripts/figures/big-folder.mjs OUT_DIR [PER_CLASS=1000] [CLASSES=10]
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

const [out, perArg, kArg] = process.argv.slice(2);
if (!out) { console.error('usage: big-folder.mjs OUT_DIR [PER_CLASS] [CLASSES]'); process.exit(2); }
const per = Number(perArg ?? 1000), k = Number(kArg ?? 10);
let s = 12345;
const rnd = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32; };
const t0 = Date.now();
for (let c = 0; c < k; c++) {
  const dir = join(out, `class${c}`);
  mkdirSync(dir, { recursive: true });
  const hue = [Math.round(127 + 120 * Math.cos(c)), Math.round(127 + 120 * Math.cos(c + 2.1)), Math.round(127 + 120 * Math.cos(c + 4.2))];
  for (let i = 0; i < per; i++) {
    const w = 160 + Math.floor(rnd() * 256), h = Math.round(w * (0.75 + rnd() * 0.583));
    const px = Buffer.alloc(w * h * 3);
    const f = 0.02 + 0.01 * c;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const stripe = Math.sin((x + y) * f * Math.PI) > 0 ? 1 : 0.6;
      for (let ch = 0; ch < 3; ch++) px[(y * w + x) * 3 + ch] = Math.max(0, Math.min(255, Math.round(hue[ch] * stripe + 40 * (rnd() - 0.5))));
    }
    await sharp(px, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 85 }).toFile(join(dir, `${String(i).padStart(5, '0')}.jpg`));
  }
  console.log(`class ${c}: ${per} images (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}
