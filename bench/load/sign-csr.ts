// Baseline: parse, verify and sign CSRs with the server's own CA code, nothing else.
import { performance } from 'node:perf_hooks';
import { createKeyAndRequest } from '../../packages/agent/src/crypto';
import {
  initCa,
  issueMachineCertificate,
  loadCa,
  readCertificateRequest,
} from '../../packages/server/src/ca';
import { readInput } from '../lib/input';
import { scratchDir } from '../lib/processes';

const { count } = await readInput<{ count: number }>();
const dir = scratchDir('bare-ca');
await initCa(dir);
const ca = await loadCa(dir);
const csrs: string[] = [];
for (let i = 0; i < count; i++) csrs.push((await createKeyAndRequest(`bare-${i}`)).csrPem);

const started = performance.now();
const cpuBefore = process.cpuUsage();
for (const [i, pem] of csrs.entries()) {
  const publicKey = await readCertificateRequest(pem);
  await issueMachineCertificate(
    ca,
    publicKey,
    {
      clientId: '01JBENCHCLIENT000000000000',
      machineId: `01JBENCHMACHINE${String(i).padStart(11, '0')}`,
    },
    { now: new Date(), lifetimeDays: 90 },
  );
}
const cpu = process.cpuUsage(cpuBefore);
process.send?.({ elapsedMs: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000 });
