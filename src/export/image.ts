/**
 * @module Image files to a model's input in Node: decoded by sharp at their own size (alpha flattened onto
 * black, sRGB, 8 bits), then the shared pure-JS preprocess (preprocess.ts) that the web page also runs on
 * pixels decoded by the browser. `adaptune predict` uses imageInput for image files.
 */
import { DataError } from '../core/errors.js';
import { preprocess, type Pixels, type Preprocessing } from './preprocess.js';

/** Decodes an image file (PNG, JPEG, anything sharp reads) to RGB pixels at its own size; DataError naming the file. */
export async function decodePixels(file: string | Uint8Array): Promise<Pixels & { data: Uint8Array }> {
  const sharp = (await import('sharp')).default;
  try {
    const { data, info } = await sharp(file, { failOn: 'truncated' }).flatten({ background: { r: 0, g: 0, b: 0 } })
      .toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
  } catch (e) {
    throw new DataError(`${typeof file === 'string' ? file : 'image'}: cannot decode image (${(e as Error).message})`);
  }
}

/** The graph input (CHW float32, one image) for an image file under a model's Preprocessing. */
export async function imageInput(file: string | Uint8Array, spec: Preprocessing): Promise<Float32Array> {
  return preprocess(spec, await decodePixels(file));
}
