/**
 * A helper process (a file of bench/load) gets its input over IPC rather than on its command
 * line: a fleet of identities is larger than one argument may be (128 KiB on Linux), and it
 * holds private keys, which do not belong in argv. The helper asks once its listener is in
 * place, because a message that arrives before any listener is lost.
 */
const REQUEST = 'optralis-bench-input?';

interface InputMessage {
  input: unknown;
}

/** In the helper: asks the parent for its input and waits for it. */
export function readInput<T>(): Promise<T> {
  return new Promise((resolve) => {
    process.once('message', (message) => resolve((message as InputMessage).input as T));
    process.send?.(REQUEST);
  });
}

/** In the parent: whether a message from the helper is its request for input. */
export function isInputRequest(message: unknown): boolean {
  return message === REQUEST;
}

export function inputMessage(input: unknown): InputMessage {
  return { input };
}
