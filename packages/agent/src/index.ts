export { main } from './cli';
export { enroll } from './enroll';
export { runAgent } from './run';
export { AGENT_VERSION } from './version';
