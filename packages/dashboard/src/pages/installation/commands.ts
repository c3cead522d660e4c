/**
 * The commands the dashboard shows, written once: the same text is displayed, copied and
 * checked by the tests. Tokens are `opt_` and base64url, so they need no quoting in a shell.
 */

export function linuxInstallCommand(publicUrl: string, token: string, beta: boolean): string {
  const channel = beta ? ' --channel beta' : '';
  return `curl -fsSL ${publicUrl}/install.sh | sudo bash -s -- --token ${token}${channel}`;
}

export function windowsInstallCommand(publicUrl: string, token: string, beta: boolean): string {
  const channel = beta ? ' -Beta' : '';
  return `irm ${publicUrl}/install.ps1 -OutFile install.ps1; .\\install.ps1 -Token "${token}"${channel}`;
}

export function linuxUninstallCommand(publicUrl: string): string {
  return `curl -fsSL ${publicUrl}/uninstall.sh | sudo bash`;
}

export const WINDOWS_UNINSTALL_COMMAND =
  '& "C:\\Program Files\\Optralis Agent\\optralis-agent.exe" uninstall';

export const LINUX_PERSONALIZED_RUN =
  'chmod +x install-optralis-agent.sh && sudo ./install-optralis-agent.sh';
