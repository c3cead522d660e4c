export * from './agent-config';
export * from './bootstrap';
export * from './errors';
export * from './heartbeat';
export * from './platform';
export * from './tenants';
export * from './text';
export * from './tokens';
