import { main } from './cli';
import { deferKeepAliveUntilConnected } from './windows/sockets';

if (process.platform === 'win32') deferKeepAliveUntilConnected();

// CommonJS-compatible on purpose: Node's single executable applications run one CommonJS file.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`optralis-agent: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
