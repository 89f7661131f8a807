/** @module Flags and help of `adaptune pretrain`, `finetune` and `quickstart`: the option tables of src/methods/finetune and adafilter. No native code. */
import { CliError, convertFlags, flagOf, formatHelp, noPositionals, opt, parseFlags, readFlags, type OptionValues } from '../core/options.js';
import { ADAFILTER_OPTIONS, type AdafilterOptionValues } from '../methods/adafilter/options.js';
import { FINETUNE_OPTIONS, PRETRAIN_OPTIONS, QUICKSTART_OPTIONS, type FinetuneOptionValues, type PretrainOptionValues, type QuickstartOptionValues } from '../methods/finetune/options.js';
import { FINETUNE_INTRO, PRETRAIN_INTRO, QUICKSTART_INTRO } from './usage.js';

export { MODEL_NAMES } from '../models/names.js';

/** --method of `adaptune finetune`. */
const METHOD = { method: opt.enum(['finetune', 'adafilter'], { default: 'finetune', arg: 'M', doc: 'finetune or adafilter' }) } as const;
export type FinetuneMethod = NonNullable<OptionValues<typeof METHOD>['method']>;

export type PretrainArgs = PretrainOptionValues;
export type QuickstartArgs = QuickstartOptionValues;
/** Options of `adaptune finetune`: runFinetune's, or with --method adafilter runAdafilter's (method undefined: 'finetune', or the resumed run's). */
export type FinetuneArgs = (FinetuneOptionValues & { method?: 'finetune' }) | (AdafilterOptionValues & { method: 'adafilter' });

const onlyIn = (a: object, b: object): string[] => Object.keys(a).filter((k) => !(k in b));
/** The options each method of `adaptune finetune` takes and the other one refuses. */
const FINETUNE_ONLY = onlyIn(FINETUNE_OPTIONS, ADAFILTER_OPTIONS);
const ADAFILTER_ONLY = onlyIn(ADAFILTER_OPTIONS, FINETUNE_OPTIONS);

export const PRETRAIN_USAGE = formatHelp(PRETRAIN_INTRO, [PRETRAIN_OPTIONS]);
export const QUICKSTART_USAGE = formatHelp(QUICKSTART_INTRO, [QUICKSTART_OPTIONS]);
export const FINETUNE_USAGE = formatHelp(FINETUNE_INTRO, [METHOD, FINETUNE_OPTIONS, Object.fromEntries(ADAFILTER_ONLY.concat('lr').map((k) => [k, ADAFILTER_OPTIONS[k as keyof typeof ADAFILTER_OPTIONS]]))]);

/** Parses `adaptune pretrain` flags. */
export const parsePretrain = (args: string[]): PretrainArgs | 'help' => parseFlags('pretrain', PRETRAIN_OPTIONS, args);
/** Parses `adaptune quickstart` flags. */
export const parseQuickstart = (args: string[]): QuickstartArgs | 'help' => parseFlags('quickstart', QUICKSTART_OPTIONS, args);

/** Parses `adaptune finetune` flags: the method's own table, the other method's flags refused naming them. */
export function parseFinetune(args: string[]): FinetuneArgs | 'help' {
  const raw = readFlags('finetune', [METHOD, FINETUNE_OPTIONS, ADAFILTER_OPTIONS], args);
  if (raw === 'help') return 'help';
  noPositionals('finetune', raw.positionals);
  const v = raw.values;
  const { method } = convertFlags(METHOD, v);
  const ada = method === 'adafilter';
  for (const k of ada ? FINETUNE_ONLY : ADAFILTER_ONLY) {
    const f = flagOf(k, ada ? FINETUNE_OPTIONS[k as keyof typeof FINETUNE_OPTIONS] : ADAFILTER_OPTIONS[k as keyof typeof ADAFILTER_OPTIONS]);
    if (v[f] !== undefined) throw new CliError(ada ? `--${f} is an option of standard fine-tuning; --method adafilter does not take it` : `--${f} needs --method adafilter`);
  }
  if (v['resume'] !== undefined && method !== undefined) throw new CliError('--resume DIR continues a run with its recorded method; drop --method');
  if (v['elr'] !== undefined && v['lr'] !== undefined) throw new CliError('--elr and --lr are mutually exclusive (lr = elr * (1 - momentum))');
  if (ada) {
    if (v['head'] === 'imprint') throw new CliError("--head must be reinit or keep with --method adafilter, got 'imprint'");
    return { ...convertFlags(ADAFILTER_OPTIONS, v), method };
  }
  const o = convertFlags(FINETUNE_OPTIONS, v);
  if (o.freezeUpTo !== undefined && o.strategy !== 'partial') throw new CliError('--freeze-up-to needs --strategy partial');
  if (o.strategy === 'partial' && o.freezeUpTo === undefined) throw new CliError('--strategy partial needs --freeze-up-to STAGE (e.g. layer1)');
  if (o.resume !== undefined && (o.config !== undefined || o.weights !== undefined || o.out !== undefined)) throw new CliError('--resume DIR continues a run with its own config.json; it cannot be combined with --config, --weights or --out');
  return method === 'finetune' ? { ...o, method } : o;
}
