/**
 * @module PyTorch checkpoints (.pth/.pt/.bin from torch.save) read without running any code: the pickle is
 * interpreted by pickle.ts and only the globals that torch.load(weights_only=True) allows are accepted
 * (ALLOWED_GLOBALS: collections.OrderedDict, torch._utils._rebuild_tensor_v2 and the other tensor/parameter
 * rebuild functions, the typed storages FloatStorage/HalfStorage/BFloat16Storage/LongStorage/..., torch.Size,
 * torch.device, dtypes, _codecs.encode, builtins.set/frozenset/bytearray). Any other global (os.system,
 * builtins.eval, a user class) is refused with a PickleError naming it and the file, before anything else
 * happens; nothing from the file is ever called.
 *
 * Formats: the zip format of torch >= 1.6 (`<name>/data.pkl`, storages in `<name>/data/<key>`, optional
 * `<name>/byteorder` 'little' | 'big'), and the legacy format (magic-number pickle, protocol, sys_info with
 * little_endian, the object pickle, the storage-key list, then per key an int64 element count and the bytes).
 * Tensors may be views (offset/stride) of shared storages; each is copied out contiguous.
 *
 * What comes back: the state dict's tensors in file order, on CPU, dtypes kept (float16/bfloat16 stay so;
 * `dtype: 'float32'` converts every floating tensor to float32). A checkpoint that wraps its state dict
 * (`{'state_dict': ..., 'epoch': ...}`, also 'model_state_dict', 'model', 'net', 'module') is unwrapped and
 * the wrapper reported; non-tensor entries of the state dict are listed in `ignored`. The whole file is read
 * into memory once (its size); tensors are materialised one at a time.
 */
import { readFileSync } from 'node:fs';
import { CheckpointError } from '../errors.js';
import { fromBuffer } from '../tensor/creation.js';
import { DTYPE_SIZE, isFloating, type DType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { unpickle, PickleError, PyDict, PyGlobal, PySet, PyTuple, type Hooks } from './pickle.js';
import { isZip, zipEntries, zipRead } from './zip.js';

const STORAGES: Record<string, DType> = {
  FloatStorage: 'float32', DoubleStorage: 'float64', HalfStorage: 'float16', BFloat16Storage: 'bfloat16',
  LongStorage: 'int64', IntStorage: 'int32', ShortStorage: 'int16', CharStorage: 'int8', ByteStorage: 'uint8',
  BoolStorage: 'bool', ComplexFloatStorage: 'complex64', ComplexDoubleStorage: 'complex128', UntypedStorage: 'uint8',
};
const DTYPES: Record<string, DType> = {
  float32: 'float32', float: 'float32', float64: 'float64', double: 'float64', float16: 'float16', half: 'float16',
  bfloat16: 'bfloat16', int64: 'int64', long: 'int64', int32: 'int32', int: 'int32', int16: 'int16', short: 'int16',
  int8: 'int8', uint8: 'uint8', bool: 'bool', complex64: 'complex64', complex128: 'complex128',
};
const REBUILD = ['_rebuild_tensor', '_rebuild_tensor_v2', '_rebuild_tensor_v3', '_rebuild_parameter', '_rebuild_parameter_with_state'];
/** In torch's weights-only allow-list but describing tensors adaptune cannot hold (quantized, sparse, nested, meta...). */
const UNSUPPORTED = ['_rebuild_qtensor', '_rebuild_sparse_tensor', '_rebuild_sparse_csr_tensor', '_rebuild_meta_tensor_no_storage',
  '_rebuild_nested_tensor', '_rebuild_wrapper_subclass', '_rebuild_device_tensor_from_numpy', '_rebuild_xla_tensor', '_rebuild_mps_tensor'];

/** Every global a checkpoint may name (torch.load(weights_only=True)'s allow-list); anything else is refused. */
export const ALLOWED_GLOBALS: readonly string[] = [
  'collections.OrderedDict', 'collections.Counter', 'torch.Size', 'torch.device', 'torch.Tensor', 'torch.nn.parameter.Parameter',
  'torch.serialization._get_layout', 'torch._tensor._rebuild_from_type_v2', '_codecs.encode', 'builtins.set', 'builtins.frozenset',
  'builtins.bytearray', ...REBUILD.map((f) => `torch._utils.${f}`), ...UNSUPPORTED.map((f) => `torch._utils.${f}`),
  ...Object.keys(STORAGES).map((s) => `torch.${s}`), ...Object.keys(DTYPES).map((d) => `torch.${d}`),
];
const ALLOWED = new Set(ALLOWED_GLOBALS);

/** A storage named by a persistent id (bytes read only when a tensor needs them). */
class StorageRef { constructor(readonly key: string, readonly dtype: DType, readonly numel: number, readonly base = 0) {} }
/** A tensor as the pickle describes it: a strided view of a storage. */
class TensorRef { constructor(readonly storage: StorageRef, readonly offset: number, readonly size: number[], readonly stride: number[], readonly dtype: DType) {} }

/** Options of loadTorchCheckpoint. */
export interface TorchLoadOptions {
  /** 'keep' (default): dtypes as stored; 'float32': every floating tensor converted to float32. */
  dtype?: 'keep' | 'float32';
}

/** A checkpoint's state dict and how it was found. */
export interface TorchCheckpoint {
  /** The state dict, file order; the caller owns the tensors. */
  tensors: Map<string, Tensor>;
  format: 'zip' | 'legacy';
  /** The key the state dict was wrapped in ('state_dict', ...), or null. */
  wrapper: string | null;
  /** Entries of the state dict that are not tensors (skipped). */
  ignored: string[];
  byteorder: 'little' | 'big';
}

const WRAPPERS = ['state_dict', 'model_state_dict', 'model', 'net', 'module'];

function hooks(file: string, storageOf: (pid: PyTuple) => StorageRef): Hooks {
  const refuse = (what: string): never => { throw new PickleError(`${file}: ${what}; refused (adaptune reads weights only and never runs code from a checkpoint)`); };
  const ints = (v: unknown, what: string): number[] => {
    const a = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : refuse(`${what} is not a tuple`);
    if (!(a as unknown[]).every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0)) refuse(`${what} holds a value that is not a non-negative integer`);
    return a as number[];
  };
  const tensor = (args: unknown[], dtype?: DType): TensorRef => {
    const [st, off, size, stride] = args;
    if (!(st instanceof StorageRef)) return refuse('a tensor rebuild without a storage');
    if (typeof off !== 'number' || !Number.isSafeInteger(off) || off < 0) refuse(`a tensor storage offset ${String(off)}`);
    const sz = ints(size, 'a tensor size');
    const sd = ints(stride, 'a tensor stride');
    if (sz.length !== sd.length) refuse(`a tensor with size [${sz}] but stride [${sd}]`);
    return new TensorRef(st as StorageRef, (off as number) + (st as StorageRef).base, sz, sd, dtype ?? (st as StorageRef).dtype);
  };
  const call = (fn: unknown, args: unknown[]): unknown => {
    if (!(fn instanceof PyGlobal)) return refuse('a call of something that is not an allowed global');
    const g = (fn as PyGlobal).qualname;
    switch (g) {
      case 'collections.OrderedDict': case 'collections.Counter': {
        const d = new PyDict(fn.name);
        const src = args[0];
        if (Array.isArray(src)) for (const p of src) if (p instanceof PyTuple && p.items.length === 2) d.map.set(p.items[0], p.items[1]);
        return d;
      }
      case 'torch.Size': return new PyTuple(ints(args[0], 'torch.Size'));
      case 'torch.device': return String(args[0]) + (args[1] === undefined ? '' : `:${String(args[1])}`);
      case '_codecs.encode': return new TextEncoder().encode(String(args[0]));
      case 'builtins.set': case 'builtins.frozenset': return new PySet(Array.isArray(args[0]) ? [...args[0]] : []);
      case 'builtins.bytearray': return args[0] instanceof Uint8Array ? args[0] : new Uint8Array();
      case 'torch._utils._rebuild_tensor': case 'torch._utils._rebuild_tensor_v2': return tensor(args);
      case 'torch._utils._rebuild_tensor_v3': {
        const d = args[6] instanceof PyGlobal ? DTYPES[args[6].name] : undefined;
        if (!d) refuse('_rebuild_tensor_v3 without a known dtype');
        return tensor(args, d);
      }
      case 'torch._utils._rebuild_parameter': case 'torch._utils._rebuild_parameter_with_state':
        if (!(args[0] instanceof TensorRef)) refuse(`${fn.name} of something that is not a tensor`);
        return args[0];
      case 'torch._tensor._rebuild_from_type_v2': {
        const [f, , a] = args;
        if (!(a instanceof PyTuple)) return refuse('_rebuild_from_type_v2 without an argument tuple');
        return call(f, (a as PyTuple).items);
      }
      default:
        if (UNSUPPORTED.some((u) => g === `torch._utils.${u}`)) refuse(`${g} (a quantized, sparse, nested or meta tensor) is allowed by torch.load(weights_only=True) but adaptune cannot hold such tensors`);
        return refuse(`calling ${g} is not supported in a weights-only load`);
    }
  };
  return {
    global(mod, name) {
      const module = mod === '__builtin__' ? 'builtins' : mod; // protocol-2 pickles use Python 2's module name
      const q = `${module}.${name}`;
      if (!ALLOWED.has(q)) refuse(`forbidden global '${q}' (a weights-only load allows only tensors, storages and plain containers)`);
      return new PyGlobal(module, name);
    },
    reduce: call,
    newobj(cls, args) {
      if (cls instanceof PyGlobal && ['collections.OrderedDict', 'collections.Counter', 'builtins.set'].includes(cls.qualname)) return call(cls, args);
      return refuse(`creating an instance of ${cls instanceof PyGlobal ? cls.qualname : 'a non-class'}`);
    },
    build(obj, state) {
      if (obj instanceof PyDict) return obj; // OrderedDict state: the state dict's _metadata (versions), not needed
      const empty = state === null || (state instanceof PyDict && state.map.size === 0) || (state instanceof PyTuple && state.items.every((s) => s === null || (s instanceof PyDict && s.map.size === 0)));
      if (obj instanceof TensorRef && empty) return obj;
      return refuse(`setting the state of ${obj instanceof TensorRef ? 'a tensor (non-empty state)' : 'an object that is not a dict'}`);
    },
    persistentLoad(pid) {
      if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage') return refuse(`persistent id ${JSON.stringify(String(pid))} is not a storage`);
      return storageOf(pid as PyTuple);
    },
  };
}

function storageFromPid(file: string, pid: PyTuple): { key: string; dtype: DType; numel: number; view: [string, number, number] | null } {
  const [, type, key, , numel, view] = pid.items;
  const name = type instanceof PyGlobal ? type.name : '';
  const dtype = STORAGES[name];
  if (!dtype) throw new PickleError(`${file}: storage type ${name || String(type)} is not supported`);
  if (typeof key !== 'string' || typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) throw new PickleError(`${file}: malformed storage id for key ${String(key)}`);
  let v: [string, number, number] | null = null;
  if (view instanceof PyTuple) v = view.items as [string, number, number];
  return { key, dtype, numel, view: v };
}

/** The strided elements of `t` copied out contiguous (byte-swapped from big-endian when asked). */
function materialise(t: TensorRef, data: Uint8Array, file: string, name: string, bigEndian: boolean, convert: boolean): Tensor {
  const es = DTYPE_SIZE[t.dtype];
  const numel = t.size.reduce((a, b) => a * b, 1);
  if (numel * es > 2 ** 34) throw new CheckpointError(`${file}: tensor '${name}' ${t.dtype}[${t.size}] would take ${numel * es} bytes (over 16 GiB); refused`);
  let maxIdx = t.offset;
  for (let i = 0; i < t.size.length; i++) if (t.size[i]! > 0) maxIdx += (t.size[i]! - 1) * t.stride[i]!;
  if (numel > 0 && (maxIdx + 1) * es > data.length) {
    throw new CheckpointError(`${file}: tensor '${name}' ${t.dtype}[${t.size}] (offset ${t.offset}, stride [${t.stride}]) reads past its storage '${t.storage.key}' (${data.length} bytes)`);
  }
  let contiguous = true;
  for (let i = t.size.length - 1, s = 1; i >= 0; s *= t.size[i]!, i--) if (t.size[i] !== 1 && t.stride[i] !== s) contiguous = false;
  let out: Uint8Array;
  if (contiguous) out = data.slice(t.offset * es, (t.offset + numel) * es);
  else {
    out = new Uint8Array(numel * es);
    const idx = new Array<number>(t.size.length).fill(0);
    for (let k = 0; k < numel; k++) {
      let src = t.offset;
      for (let d = 0; d < idx.length; d++) src += idx[d]! * t.stride[d]!;
      out.set(data.subarray(src * es, src * es + es), k * es);
      for (let d = idx.length - 1; d >= 0; d--) { if (++idx[d]! < t.size[d]!) break; idx[d] = 0; }
    }
  }
  if (bigEndian && es > 1) {
    const w = t.dtype.startsWith('complex') ? es / 2 : es;
    for (let i = 0; i < out.length; i += w) out.subarray(i, i + w).reverse();
  }
  const tensor = fromBuffer(out, t.size, t.dtype);
  if (!convert || !isFloating(t.dtype) || t.dtype === 'float32') return tensor;
  const f = tensor.to('float32');
  tensor.dispose();
  return f;
}

/** Finds the state dict in the unpickled root (see the module doc). */
function findStateDict(root: unknown, file: string): { dict: PyDict; wrapper: string | null } {
  const hasTensors = (v: unknown): boolean => v instanceof PyDict && [...v.map.values()].some((x) => x instanceof TensorRef);
  if (root instanceof PyDict) {
    for (const w of WRAPPERS) if (hasTensors(root.map.get(w))) return { dict: root.map.get(w) as PyDict, wrapper: w };
    if (hasTensors(root)) return { dict: root as PyDict, wrapper: null };
    const keys = [...(root as PyDict).map.keys()].map(String).slice(0, 20);
    throw new CheckpointError(`${file}: no state dict of tensors found (top-level keys: ${keys.join(', ') || 'none'}; looked in ${WRAPPERS.join(', ')})`);
  }
  throw new CheckpointError(`${file}: the checkpoint holds ${root instanceof PyTuple ? 'a tuple' : Array.isArray(root) ? 'a list' : typeof root}, not a state dict`);
}

function collect(root: unknown, file: string, read: (s: StorageRef) => Uint8Array, bigEndian: boolean, o: TorchLoadOptions, format: 'zip' | 'legacy'): TorchCheckpoint {
  const { dict, wrapper } = findStateDict(root, file);
  const tensors = new Map<string, Tensor>();
  const ignored: string[] = [];
  try {
    for (const [k, v] of dict.map) {
      if (typeof k !== 'string') throw new CheckpointError(`${file}: state-dict key ${String(k)} is not a string`);
      if (!(v instanceof TensorRef)) { ignored.push(k); continue; }
      tensors.set(k, materialise(v, read(v.storage), file, k, bigEndian, o.dtype === 'float32'));
    }
  } catch (e) {
    for (const t of tensors.values()) t.dispose();
    throw e;
  }
  return { tensors, format, wrapper, ignored, byteorder: bigEndian ? 'big' : 'little' };
}

function loadZip(buf: Uint8Array, file: string, o: TorchLoadOptions): TorchCheckpoint {
  const entries = zipEntries(buf, file);
  const pkl = [...entries.keys()].find((n) => /^[^/]+\/data\.pkl$/.test(n) || n === 'data.pkl');
  if (!pkl) throw new CheckpointError(`${file}: a ZIP archive without data.pkl (not a torch.save checkpoint)`);
  const prefix = pkl.slice(0, pkl.length - 'data.pkl'.length);
  const bo = entries.get(`${prefix}byteorder`);
  const order = bo ? new TextDecoder().decode(zipRead(buf, bo, file)).trim() : 'little';
  if (order !== 'little' && order !== 'big') throw new CheckpointError(`${file}: byteorder entry says ${JSON.stringify(order)} (expected little or big)`);
  const storages = new Map<string, StorageRef>();
  const h = hooks(file, (pid) => {
    const s = storageFromPid(file, pid);
    let ref = storages.get(s.key);
    if (!ref) { ref = new StorageRef(s.key, s.dtype, s.numel); storages.set(s.key, ref); }
    return ref;
  });
  const { value } = unpickle(zipRead(buf, entries.get(pkl)!, file), h, file);
  const read = (s: StorageRef): Uint8Array => {
    const e = entries.get(`${prefix}data/${s.key}`);
    if (!e) throw new CheckpointError(`${file}: storage '${s.key}' (entry ${prefix}data/${s.key}) is missing from the archive`);
    const b = zipRead(buf, e, file);
    if (b.length < s.numel * DTYPE_SIZE[s.dtype]) throw new CheckpointError(`${file}: storage '${s.key}' has ${b.length} bytes, needs ${s.numel * DTYPE_SIZE[s.dtype]} (truncated?)`);
    return b;
  };
  return collect(value, file, read, order === 'big', o, 'zip');
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

function loadLegacy(buf: Uint8Array, file: string, o: TorchLoadOptions): TorchCheckpoint {
  const plain = hooks(file, () => { throw new PickleError(`${file}: a storage outside the object pickle`); });
  const magic = unpickle(buf, plain, file);
  if (magic.value !== LEGACY_MAGIC && magic.value !== Number(LEGACY_MAGIC)) {
    throw new CheckpointError(`${file}: not a PyTorch checkpoint (neither the zip format nor the legacy format's magic number)`);
  }
  const proto = unpickle(buf, plain, file, magic.end);
  if (proto.value !== 1001) throw new CheckpointError(`${file}: legacy checkpoint protocol ${String(proto.value)} is not supported (1001 only)`);
  const sys = unpickle(buf, plain, file, proto.end);
  const little = !(sys.value instanceof PyDict) || (sys.value as PyDict).map.get('little_endian') !== false;
  const roots = new Map<string, { dtype: DType; numel: number }>();
  const h = hooks(file, (pid) => {
    const s = storageFromPid(file, pid);
    const prev = roots.get(s.key);
    if (!prev || prev.numel < s.numel) roots.set(s.key, { dtype: s.dtype, numel: s.numel });
    if (s.view) { const [, off, n] = s.view; return new StorageRef(s.key, s.dtype, n, off); } // an old view: a slice of the root storage
    return new StorageRef(s.key, s.dtype, s.numel);
  });
  const obj = unpickle(buf, h, file, sys.end);
  const keysP = unpickle(buf, plain, file, obj.end);
  if (!Array.isArray(keysP.value) || !keysP.value.every((k) => typeof k === 'string')) throw new CheckpointError(`${file}: legacy storage-key list is malformed`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const data = new Map<string, Uint8Array>();
  let pos = keysP.end;
  for (const k of keysP.value as string[]) {
    const r = roots.get(k);
    if (!r) throw new CheckpointError(`${file}: storage '${k}' is listed but no tensor uses it`);
    if (pos + 8 > buf.length) throw new CheckpointError(`${file}: truncated before storage '${k}'`);
    const n = Number(dv.getBigInt64(pos, little));
    const bytes = n * DTYPE_SIZE[r.dtype];
    if (n < r.numel || pos + 8 + bytes > buf.length) throw new CheckpointError(`${file}: storage '${k}' holds ${n} elements (${buf.length - pos - 8} bytes left), needs ${r.numel}`);
    data.set(k, buf.subarray(pos + 8, pos + 8 + bytes));
    pos += 8 + bytes;
  }
  const read = (s: StorageRef): Uint8Array => {
    const d = data.get(s.key);
    if (!d) throw new CheckpointError(`${file}: storage '${s.key}' has no data in the file`);
    return d;
  };
  return collect(obj.value, file, read, !little, o, 'legacy');
}

/** Reads a torch.save checkpoint (zip or legacy format) without running code; see the module doc. */
export function loadTorchCheckpoint(file: string, o: TorchLoadOptions = {}): TorchCheckpoint {
  if (o.dtype !== undefined && o.dtype !== 'keep' && o.dtype !== 'float32') throw new CheckpointError(`loadTorchCheckpoint: dtype must be 'keep' or 'float32', got ${JSON.stringify(o.dtype)}`);
  let buf: Uint8Array;
  try { buf = readFileSync(file); } catch (e) { throw new CheckpointError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`); }
  if (buf.length === 0) throw new CheckpointError(`${file}: empty file`);
  return isZip(buf) ? loadZip(buf, file, o) : loadLegacy(buf, file, o);
}
