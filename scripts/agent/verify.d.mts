export class StaleOutputError extends Error {}
export function refuseForeignBundle(file: string, marker: string): void;
export function checkReportedVersion(target: string, file: string, version: string): boolean;
