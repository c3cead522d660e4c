/** A failure the agent reports to the operator as one clear line, with an exit code. */
export class AgentError extends Error {
  readonly exitCode: number;
  readonly code: string;

  constructor(code: string, message: string, exitCode = 1) {
    super(message);
    this.name = 'AgentError';
    this.code = code;
    this.exitCode = exitCode;
  }
}
