/** The installer's steps, in order; the GUI and install.ps1 show them as they come. */
export const INSTALL_STEPS = [
  { id: 'check', label: 'Vérification du système' },
  { id: 'identity', label: 'Inscription de la machine (certificat mTLS)' },
  { id: 'files', label: "Copie des fichiers de l'agent" },
  { id: 'config', label: 'Configuration et certificats' },
  { id: 'lhm', label: 'Driver de température (LHM)' },
  { id: 'service', label: 'Installation du service OptralisAgent' },
  { id: 'start', label: 'Démarrage du service' },
] as const;

export const UNINSTALL_STEPS = [
  { id: 'check', label: 'Vérification du système' },
  { id: 'service', label: 'Arrêt et suppression du service' },
  { id: 'files', label: "Suppression des fichiers de l'agent" },
  { id: 'config', label: 'Suppression de la configuration et des certificats' },
] as const;

export type InstallStepId = (typeof INSTALL_STEPS)[number]['id'];
export type UninstallStepId = (typeof UNINSTALL_STEPS)[number]['id'];

export interface StepInfo {
  index: number;
  total: number;
  id: string;
  label: string;
}

export function stepInfo(steps: readonly { id: string; label: string }[], id: string): StepInfo {
  const index = steps.findIndex((step) => step.id === id);
  const step = steps[index];
  if (!step) throw new Error(`unknown step ${id}`);
  return { index: index + 1, total: steps.length, id: step.id, label: step.label };
}
