export * from './agent-config';
export * from './api';
export * from './bootstrap';
export * from './errors';
export * from './heartbeat';
export * from './platform';
export * from './release-metadata';
export * from './text';
