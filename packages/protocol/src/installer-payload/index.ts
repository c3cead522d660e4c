// The personalized installer's payload: its format (README.md here), the PE facts it needs, and
// its contents. A subpath of the protocol package because it uses node:zlib, which the dashboard
// (a browser bundle) must not pull in.
export * from './contents';
export * from './format';
export * from './pe';
