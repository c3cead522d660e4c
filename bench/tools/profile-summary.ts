// Summarises V8 CPU profiles (`.cpuprofile`, as `--cpu-prof` writes them): where the self time
// went, by package and by function. `node --import tsx bench/tools/profile-summary.ts FILE… [--top N]`
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { type Profile, summarise } from '../lib/profile';

const { values, positionals: files } = parseArgs({
  options: { top: { type: 'string', default: '25' } },
  allowPositionals: true,
});
const top = Number(values.top);
if (files.length === 0) {
  process.stderr.write('usage: profile-summary.ts FILE.cpuprofile… [--top N]\n');
  process.exitCode = 64;
} else {
  const profiles = files.map((file) => JSON.parse(fs.readFileSync(file, 'utf8')) as Profile);
  process.stdout.write(`${summarise(profiles, top)}\n`);
}
