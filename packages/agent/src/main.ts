import { main } from './cli';

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
