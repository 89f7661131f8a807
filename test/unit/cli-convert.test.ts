// `adaptune convert`: flag parsing (light), and the command end to end in a child process: a DataParallel .pth
// becomes safetensors + sidecar (exit 0, JSON summary), a malicious pickle and weights that do not fit the named
// model are exit 1 with the file named and nothing written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseConvert } from '../../src/cli/convert.js';
import { findCommand } from '../../src/cli/commands.js';
import { CliError } from '../../src/cli/flags.js';
import { ROOT, FIXTURES } from '../helpers.js';

test('parseConvert: default output next to the input, flags, errors', () => {
  assert.deepEqual(parseConvert(['w/r18.pth']), { input: 'w/r18.pth', out: 'w/r18.safetensors', model: null, numClasses: null, overwrite: false, json: false });
  assert.deepEqual(parseConvert(['a.bin', '--model', 'resnet50', '--out', 'b.safetensors', '--num-classes', '7', '--overwrite', '--json']),
    { input: 'a.bin', out: 'b.safetensors', model: 'resnet50', numClasses: 7, overwrite: true, json: true });
  assert.equal(parseConvert(['--help']), 'help');
  assert.throws(() => parseConvert([]), CliError);
  assert.throws(() => parseConvert(['a.pth', '--out', 'b.onnx']), /--out must end in \.safetensors/);
  assert.throws(() => parseConvert(['a.safetensors']), /would replace the input/);
  assert.ok(findCommand('convert'));
});

const cli = (args: string[]): { status: number | null; stdout: string; stderr: string } =>
  spawnSync(process.execPath, [join(ROOT, 'dist', 'src', 'cli', 'main.js'), 'convert', ...args], { encoding: 'utf8', env: { ...process.env, ADAPTUNE_NUM_THREADS: '1' } });

test('adaptune convert: .pth -> safetensors + sidecar; refusals are exit 1 naming the file, nothing written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-convert-'));
  const out = join(dir, 'r18.safetensors');
  const ok = cli([join(FIXTURES, 'pth_resnet18w4_ddp.pth'), '--out', out, '--json']);
  assert.equal(ok.status, 0, ok.stderr);
  const j = JSON.parse(ok.stdout);
  assert.deepEqual(j.model, { name: 'resnet18', config: { inChannels: 3, width: 4, numClasses: 10 } });
  assert.equal(JSON.parse(readFileSync(join(dir, 'r18.json'), 'utf8')).command.includes('convert'), true);
  const evil = cli([join(FIXTURES, 'evil_os_system.pth'), '--out', join(dir, 'evil.safetensors')]);
  assert.equal(evil.status, 1);
  assert.match(evil.stderr, /evil_os_system\.pth: forbidden global 'posix\.system'/);
  const bad = cli([join(FIXTURES, 'pth_resnet18w4.pth'), '--model', 'resnet34', '--out', join(dir, 'bad.safetensors')]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /do not fit resnet34.*missing: layer1\.2\.conv1\.weight/);
  assert.equal(existsSync(join(dir, 'evil.safetensors')) || existsSync(join(dir, 'bad.safetensors')), false);
  rmSync(dir, { recursive: true, force: true });
});
