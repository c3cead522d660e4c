export * from './authority';
export * from './csr';
export * from './issue';
export * from './rotation';
export { EC_P256, exportPrivateKeyPem, publicKeyFingerprint, subtle, x509 } from './x509';
