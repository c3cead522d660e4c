import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** One scratch directory per test run, removed at the end. */
export default function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'optralis-test-'));
  process.env.OPTRALIS_TEST_TMP = dir;
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
