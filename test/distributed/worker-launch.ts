/**
 * @module A stand-in command for launch.test.ts (no libtorch): 'env' prints
 * the launcher's variables and argv as JSON; 'die' makes rank 1 exit with
 * code 3 at once while the others wait forever (the launcher must stop them).
 */
const mode = process.argv[2];
const rank = Number(process.env['RANK']);
if (mode === 'env') {
  const keys = ['RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'LOCAL_WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT', 'ADAPTUNE_DIST_WORKER'];
  process.stdout.write(JSON.stringify({ env: Object.fromEntries(keys.map((k) => [k, process.env[k]])), argv: process.argv.slice(3) }) + '\n');
} else if (mode === 'die') {
  if (rank === 1) process.exit(3);
  setInterval(() => undefined, 60_000);
}
