/**
 * @module Names and options of the transfer-benchmark tasks: the spec strings
 * (`fmnist:source`, `fmnist:target-mid`, `fmnist:target-shift`,
 * `textures:target-far`, and `fmnist:target-near`, `fmnist:target-noisy`, `fmnist:target-source-shift`, `shapes:target-far`), their one-line descriptions, and validation of the
 * options { labelsPerClass, seed, root?, valFraction? } with ConfigErrors that
 * name the field and the allowed values.
 */
import { ConfigError } from '../../core/errors.js';

/**
 * The tasks of the benchmark: the source, the three targets of decreasing intended similarity (mid, shift, far),
 * then three targets made from the source's own classes under shifts of increasing strength, which widen the
 * range of measured similarity for the hyperparameter study (near: dimmed; noisy: Gaussian noise; source-shift:
 * T_shift's rotation and inversion), and a second procedural generator (shapes: black silhouettes on white), the
 * farthest target from the source in the bundled backbone's features.
 */
export const TASK_NAMES = ['fmnist:source', 'fmnist:target-mid', 'fmnist:target-shift', 'textures:target-far', 'fmnist:target-near', 'fmnist:target-noisy', 'fmnist:target-source-shift', 'shapes:target-far'] as const;

/** A task's spec string. */
export type TaskName = (typeof TASK_NAMES)[number];

/** Labelled examples per class: a budget, or every training example. */
export type LabelsPerClass = number | 'all';

/** The label budgets of the benchmark's tables (any integer >= 1 is accepted). */
export const LABEL_BUDGETS: readonly LabelsPerClass[] = [10, 50, 100, 'all'];

/** A parsed spec string. */
export interface TaskSpec {
  /** The canonical name, e.g. 'fmnist:target-mid'. */
  name: TaskName;
  /** The data family: Fashion-MNIST, the procedural textures or the procedural shapes. */
  family: 'fmnist' | 'textures' | 'shapes';
  /** Its role in the benchmark. */
  role: 'source' | 'target-mid' | 'target-shift' | 'target-far' | 'target-near' | 'target-noisy' | 'target-source-shift';
}

/** Options of loadTask. */
export interface TaskOptions {
  /** Labelled examples per class in `train` (any integer >= 1, or 'all'); the rest of the training split goes to `unlabelled`. */
  labelsPerClass: LabelsPerClass;
  /** Seed of the label budget and of the optional val split (any safe integer). */
  seed: number;
  /** Folder with the Fashion-MNIST IDX files (default FASHION_MNIST_ROOT); unused by textures. */
  root?: string;
  /** When given, this fraction of each class of the labelled set is held out as `val` (stratified, seeded); in (0, 1). */
  valFraction?: number;
}

/** One-line descriptions, keyed by task name. */
export const TASK_DESCRIPTIONS: Readonly<Record<TaskName, string>> = {
  'fmnist:source': 'Source S: Fashion-MNIST classes 0-4 (T-shirt/top, Trouser, Pullover, Dress, Coat); 30,000 train / 5,000 test.',
  'fmnist:target-mid': 'T_mid: Fashion-MNIST classes 5-9 (Sandal, Shirt, Sneaker, Bag, Ankle boot) relabelled 0-4; never seen in pre-training; 30,000 / 5,000.',
  'fmnist:target-shift': 'T_shift: the T_mid images rotated 90 degrees counter-clockwise and intensity-inverted (255 - x); 30,000 / 5,000.',
  'textures:target-far': 'T_far: procedural 28x28 textures (grating, checkerboard, blobs, Gabor noise, rings); seeded; 30,000 / 5,000.',
  'fmnist:target-near': "T_near: the source's classes and images (Fashion-MNIST 0-4) dimmed to 70 % brightness (round(0.7 x)); 30,000 / 5,000.",
  'fmnist:target-noisy': "T_noisy: the source's classes and images plus Gaussian pixel noise (std 32 of 255, fixed seed, clamped); 30,000 / 5,000.",
  'fmnist:target-source-shift': "T_sshift: the source's classes and images rotated 90 degrees and inverted (T_shift's transform); 30,000 / 5,000.",
  'shapes:target-far': 'T_shapes: procedural 28x28 black silhouettes on white (triangle, square, pentagon, hexagon, disk of equal area), random place, size and rotation, no noise; seeded; 30,000 / 5,000.',
};

const ROLES: Record<TaskSpec['family'], readonly string[]> = { fmnist: ['source', 'target-mid', 'target-shift', 'target-near', 'target-noisy', 'target-source-shift'], textures: ['target-far'], shapes: ['target-far'] };

/** The families of the built-in tasks (the part of a spec string before the colon). */
export const TASK_FAMILIES = Object.keys(ROLES) as readonly TaskSpec['family'][];

/** Parses a spec string ('family:role', surrounding whitespace and case ignored); ConfigError naming the allowed values otherwise. */
export function parseTaskSpec(spec: string): TaskSpec {
  if (typeof spec !== 'string') throw new ConfigError(`task spec must be a string, one of ${TASK_NAMES.join(', ')}; got ${JSON.stringify(spec)}`);
  const s = spec.trim().toLowerCase();
  const colon = s.indexOf(':');
  if (colon < 0) throw new ConfigError(`task spec ${JSON.stringify(spec)} must be 'family:task', one of ${TASK_NAMES.join(', ')}`);
  const family = s.slice(0, colon);
  const role = s.slice(colon + 1);
  const roles = (ROLES as Record<string, readonly string[] | undefined>)[family];
  if (!roles) throw new ConfigError(`task spec ${JSON.stringify(spec)}: unknown family ${JSON.stringify(family)}; allowed: ${Object.keys(ROLES).join(', ')} (tasks: ${TASK_NAMES.join(', ')})`);
  if (!roles.includes(role)) throw new ConfigError(`task spec ${JSON.stringify(spec)}: unknown task ${JSON.stringify(role)} of family ${family}; allowed: ${roles.join(', ')}`);
  return { name: s as TaskName, family: family as TaskSpec['family'], role: role as TaskSpec['role'] };
}

/** Parses a label budget: any integer >= 1 or 'all', also given as a string (CLI flags); ConfigError otherwise. */
export function parseLabelsPerClass(v: unknown): LabelsPerClass {
  const x = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : typeof v === 'string' ? v.trim().toLowerCase() : v;
  if (x === 'all' || (Number.isSafeInteger(x) && (x as number) >= 1)) return x as LabelsPerClass;
  throw new ConfigError(`task options.labelsPerClass must be an integer >= 1 or 'all'; got ${JSON.stringify(v)}`);
}

/** Validates loadTask's options and returns a normalised copy; ConfigError naming the field otherwise. */
export function checkTaskOptions(o: unknown): TaskOptions {
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new ConfigError(`task options must be an object { labelsPerClass, seed, root?, valFraction? }, got ${JSON.stringify(o)}`);
  const r = o as Record<string, unknown>;
  const known = ['labelsPerClass', 'seed', 'root', 'valFraction'];
  for (const k of Object.keys(r)) if (!known.includes(k)) throw new ConfigError(`task options.${k} is not an option; allowed: ${known.join(', ')}`);
  if (r.labelsPerClass === undefined) throw new ConfigError("task options.labelsPerClass is required: an integer >= 1 or 'all'");
  const labelsPerClass = parseLabelsPerClass(r.labelsPerClass);
  if (typeof r.seed !== 'number' || !Number.isSafeInteger(r.seed)) throw new ConfigError(`task options.seed must be a safe integer, got ${JSON.stringify(r.seed)}`);
  if (r.root !== undefined && (typeof r.root !== 'string' || r.root === '')) throw new ConfigError(`task options.root must be a non-empty path string, got ${JSON.stringify(r.root)}`);
  if (r.valFraction !== undefined && (typeof r.valFraction !== 'number' || !(r.valFraction > 0 && r.valFraction < 1))) {
    throw new ConfigError(`task options.valFraction must be a number in (0, 1), got ${JSON.stringify(r.valFraction)}`);
  }
  const out: TaskOptions = { labelsPerClass, seed: r.seed };
  if (r.root !== undefined) out.root = r.root as string;
  if (r.valFraction !== undefined) out.valFraction = r.valFraction as number;
  return out;
}

/** The tasks with their one-line descriptions, source first. */
export function listTasks(): { name: TaskName; description: string }[] {
  return TASK_NAMES.map((name) => ({ name, description: TASK_DESCRIPTIONS[name] }));
}
