import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { createClient, findClient, listClients } from '../clients/store';
import { loadConfig } from '../config';
import type { AppContext } from '../context';
import { type RunningServer, startServer } from '../server';
import { createInstallToken } from '../tokens/service';

export function registerServe(program: Command, json: () => boolean): void {
  program
    .command('serve')
    .description('start the dashboard/public API and the agent API')
    .option('--demo', 'also create a token and print the command that enrolls this machine')
    .action(async (options: { demo?: boolean }) => {
      const config = loadConfig();
      const server = await startServer(config);
      printBanner(server, json());
      if (options.demo) await printEnrollCommand(server.ctx, json());
      stopOnSignals(server);
    });
}

function printBanner(server: RunningServer, json: boolean): void {
  const admin = server.initialAdmin;
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ public_url: server.publicUrl, dashboard_url: `${server.publicUrl}/dashboard/`, agent_api_url: server.agentApiUrl, ...(admin ? { admin_email: admin.email, admin_password: admin.password } : {}) })}\n`,
    );
    return;
  }
  const lines = [
    '',
    `Optralis is running.`,
    `  Dashboard:               ${server.publicUrl}/dashboard/`,
    `  Public API:              ${server.publicUrl}`,
    `  Agent API (mutual TLS):  ${server.agentApiUrl}`,
  ];
  if (admin?.password) {
    lines.push(
      '',
      `First super-admin: ${admin.email}`,
      `Password (shown only this once): ${admin.password}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Where the demo keeps its token: a file only its owner reads, never a command line or URL. */
export const DEMO_TOKEN_FILE = 'demo-install.token';

/**
 * Demo mode: a client and a one-hour token kept in a 0600 file of the data directory, and the
 * lines that enroll this very machine: the curl one-liner that installs the agent as a service,
 * and the development command that runs it from this checkout.
 */
async function printEnrollCommand(ctx: AppContext, json: boolean): Promise<void> {
  const now = ctx.clock();
  const clients = await listClients(ctx.db);
  const client = clients[0] ?? (await createClient(ctx.db, 'Demo', now));
  if (!(await findClient(ctx.db, client.id))) throw new Error('demo client vanished');
  const made = await createInstallToken(ctx, {
    clientId: client.id,
    createdBy: 'demo',
    kind: 'command',
    ttlMinutes: 60,
    maxUsage: 0,
    platform: 'any',
  });
  const tokenFile = path.join(ctx.config.dataDir, DEMO_TOKEN_FILE);
  fs.writeFileSync(tokenFile, `${made.value}\n`, { mode: 0o600 });
  fs.chmodSync(tokenFile, 0o600);

  const url = ctx.urls.publicUrl;
  // The command is for this very machine: run by root (a minimal Debian has no sudo), no sudo.
  const sudo = process.getuid?.() === 0 ? '' : 'sudo ';
  const install = `curl -fsSL ${url}/install.sh | ${sudo}bash -s -- --token-file ${tokenFile}`;
  const agent = 'node packages/agent/bin/optralis-agent.cjs';
  const develop = [
    `${agent} enroll --url ${url} --token-file ${tokenFile} --config-dir ./data/agent`,
    `&& ${agent} run --config-dir ./data/agent`,
  ].join(' ');
  if (json) {
    process.stdout.write(
      `${JSON.stringify({
        client_id: client.id,
        token_id: made.row.id,
        token_file: tokenFile,
        install_command: install,
        enroll_command: develop,
      })}\n`,
    );
    return;
  }
  process.stdout.write(
    [
      '',
      `To install the agent on this machine as a service, enrolled into client "${client.name}"`,
      `(the token, valid one hour, is in ${tokenFile}):`,
      '',
      `  ${install}`,
      '',
      'Or run it from this checkout without installing anything, from this directory:',
      '',
      `  ${develop}`,
      '',
    ].join('\n'),
  );
}

/**
 * How long requests in flight may take to finish after SIGTERM (deploy/docker-compose.yml gives
 * the container longer before it kills it).
 */
export const SHUTDOWN_GRACE_MS = 30_000;

function stopOnSignals(server: RunningServer): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.ctx.log.info({ signal }, 'shutting down');
    // Requests in flight are finished first; one that hangs must not keep the process alive.
    setTimeout(() => {
      server.ctx.log.error({ afterMs: SHUTDOWN_GRACE_MS }, 'shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
