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

/** Demo mode: a client and a one-hour token, and the line that enrolls this very machine. */
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
  const command = [
    `OPTRALIS_TOKEN='${made.value}' node packages/agent/bin/optralis-agent.cjs enroll`,
    `--url ${ctx.urls.publicUrl} --config-dir ./data/agent`,
    '&& node packages/agent/bin/optralis-agent.cjs run --config-dir ./data/agent',
  ].join(' ');
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ client_id: client.id, token_id: made.row.id, enroll_command: command })}\n`,
    );
    return;
  }
  process.stdout.write(
    [
      '',
      `To enroll this machine into client "${client.name}" (token valid one hour), run in another`,
      'terminal from this directory:',
      '',
      `  ${command}`,
      '',
    ].join('\n'),
  );
}

/** How long requests in flight may take to finish after SIGTERM. */
const SHUTDOWN_GRACE_MS = 30_000;

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
