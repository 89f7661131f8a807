/** @module `adaptune convert FILE.pth [--model NAME] [--out FILE.safetensors]`: flags, help and runner (models.convertWeights). */
import { CliError, convertFlags, formatHelp, readFlags } from '../core/options.js';
import { CONVERT_OPTIONS } from '../models/convert-options.js';

/** Options of `adaptune convert`. */
export interface ConvertArgs {
  input: string;
  out: string;
  model: string | null;
  numClasses: number | null;
  overwrite: boolean;
  json: boolean;
}

export const CONVERT_USAGE = formatHelp(`Usage: adaptune convert FILE [--model NAME] [--out FILE.safetensors] [flags]

Converts pre-trained weights to adaptune's form: OUT.safetensors (the state dict
under adaptune's names, which are torchvision's) and its sidecar OUT.json (model
name and config, sha256, ImageNet normalisation for torchvision-style ResNets,
where the weights came from). FILE is a PyTorch state dict (.pth/.pt/.bin, zip
or legacy format, read by adaptune's weights-only reader: any global beyond
torch.load(weights_only=True)'s allow-list is refused and nothing in the file
is run) or a plain safetensors file (PyTorch, timm, Hugging Face). Prefixes
such as module. and model., a wrapping 'state_dict' and Hugging Face ResNet
names are handled. Keys that are missing or unexpected and shapes that do not
fit are all named, and nothing is written.
`, [CONVERT_OPTIONS]);

/** Parses `adaptune convert` flags. */
export function parseConvert(args: string[]): ConvertArgs | 'help' {
  const raw = readFlags('convert', [CONVERT_OPTIONS], args);
  if (raw === 'help') return 'help';
  const positionals = raw.positionals;
  if (positionals.length !== 1) throw new CliError(`adaptune convert takes one weights file, got ${positionals.length} (see adaptune convert --help)`);
  const v = convertFlags(CONVERT_OPTIONS, raw.values);
  const input = positionals[0]!;
  const out = v.out ?? input.replace(/\.(pth|pt|bin|ckpt|safetensors)$/i, '') + '.safetensors';
  if (!/\.safetensors$/.test(out)) throw new CliError(`--out must end in .safetensors, got '${out}'`);
  if (out === input) throw new CliError(`--out ${out} would replace the input; give another path`);
  return { input, out, model: v.model ?? null, numClasses: v.numClasses ?? null, overwrite: v.overwrite ?? false, json: v.json ?? false };
}

/** Runs `adaptune convert`; a file that cannot be converted is exit 1 with the message naming it. */
export async function convertCommand(a: ConvertArgs): Promise<number> {
  const { convertWeights, listModels } = await import('../models/index.js');
  const { CheckpointError, SafetensorsError, ConfigError } = await import('../core/errors.js');
  const { collectVersions } = await import('../train/index.js');
  const { commandLine } = await import('./common.js');
  if (a.model !== null && !(listModels() as string[]).includes(a.model)) throw new CliError(`--model must be one of ${listModels().join(', ')}, got '${a.model}'`);
  try {
    const r = convertWeights(a.input, {
      out: a.out, overwrite: a.overwrite, command: commandLine(), versions: collectVersions(),
      ...(a.model !== null ? { model: a.model as never } : {}), ...(a.numClasses !== null ? { numClasses: a.numClasses } : {}),
    });
    const s = r.loaded.source;
    if (a.json) process.stdout.write(JSON.stringify({ weights: r.weights, sidecar: r.sidecar, model: r.meta.model, source: s, report: r.loaded.report, normalization: r.meta.preprocessing.normalization }) + '\n');
    else {
      const how = [s.format, s.wrapper ? `unwrapped '${s.wrapper}'` : '', s.prefix ? `stripped '${s.prefix}'` : '', s.style !== 'torchvision' ? `${s.style} names` : ''].filter(Boolean).join(', ');
      process.stdout.write(`${a.input}: ${how}\nmodel ${r.meta.model.name} ${JSON.stringify(r.meta.model.config)} (${s.architecture}: ${s.evidence})\n`);
      if (r.loaded.report.ignored.length) process.stdout.write(`ignored non-tensor entries: ${r.loaded.report.ignored.join(', ')}\n`);
      process.stdout.write(`wrote ${r.weights} and ${r.sidecar}\n`);
    }
    return 0;
  } catch (e) {
    if (!(e instanceof CheckpointError || e instanceof SafetensorsError || e instanceof ConfigError)) throw e;
    if (a.json) process.stdout.write(JSON.stringify({ error: e.message }) + '\n');
    process.stderr.write(`adaptune convert: ${e.message}\n`);
    return 1;
  }
}
