// The installer's page: shows the state the installer keeps (GET /api/state, every half
// second) and sends the buttons' actions. No secret is ever shown again once sent.
const SCREENS = [
  'checking',
  'unsupported',
  'error',
  'form',
  'confirm-uninstall',
  'progress',
  'done',
];
let state;
let polling;

const $ = (id) => document.getElementById(id);

function show(id, visible) {
  $(id).classList.toggle('hidden', !visible);
}

async function post(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  const answer = await response.json().catch(() => ({}));
  return { ok: response.ok, answer };
}

function renderSteps(list, steps) {
  list.replaceChildren(
    ...steps.map((step) => {
      const item = document.createElement('li');
      item.textContent = step.label;
      item.className = step.status;
      item.dataset.step = step.id;
      return item;
    }),
  );
}

function renderNotices(list, notices) {
  list.replaceChildren(
    ...notices.map((notice) => {
      const item = document.createElement('li');
      item.textContent = notice.message;
      item.className = notice.level;
      return item;
    }),
  );
}

function renderForm() {
  const certificate = state.variant === 'certificate';
  const payload = state.variant === 'payload';
  show('mtls-notice', certificate);
  show('payload-notice', payload);
  $('payload-server').textContent = state.server_url ?? '';
  show('auth-fields', state.variant === 'form');
  // A certificate machine keeps the channel the server has for it (see -beta in the README).
  show('beta-field', !certificate);
  show('repair-notice', state.installed);
  $('token-hint').textContent = state.installed
    ? "Laissez vide pour garder l'identité actuelle de la machine."
    : 'Tableau de bord → Installation → « Générer token ».';
  if (!$('url').value && state.server_url) $('url').value = state.server_url;
  if (state.channel === 'beta') $('beta').checked = true;
  show('form-error', Boolean(state.form_error));
  $('form-error').textContent = state.form_error ?? '';
}

function renderProgress() {
  const total = state.steps.length || 1;
  const done = state.steps.filter((step) => step.status === 'done').length;
  const active = state.steps.find((step) => step.status === 'active');
  const percent = Math.round(((done + (active ? 0.5 : 0)) / total) * 100);
  $('progress-fill').style.width = `${percent}%`;
  $('progress-bar').setAttribute('aria-valuenow', String(percent));
  $('progress-title').textContent =
    state.mode === 'uninstall' ? 'Désinstallation en cours…' : 'Installation en cours…';
  $('progress-label').textContent = active
    ? `Étape ${state.steps.indexOf(active) + 1} sur ${total} : ${active.label}`
    : '';
  renderSteps($('steps'), state.steps);
  renderNotices($('notices'), state.notices);
}

function renderDone() {
  const result = state.result;
  const uninstall = state.mode === 'uninstall';
  $('result').className = `card ${result.ok ? 'success' : 'error'}`;
  $('result-title').textContent = result.ok
    ? uninstall
      ? 'Désinstallation terminée'
      : 'Installation terminée'
    : uninstall
      ? 'La désinstallation a échoué'
      : "L'installation a échoué";
  $('result-message').textContent = result.ok
    ? result.message
    : `${result.message}\n(code ${result.code}, statut ${result.exitCode})`;
  $('log-file').textContent = result.log_file ?? '';
  renderSteps($('final-steps'), state.steps);
  renderNotices($('final-notices'), state.notices);
}

function render() {
  for (const screen of SCREENS) show(`screen-${screen}`, state.screen === screen);
  $('version').textContent = `Version ${state.version}`;
  document.body.dataset.screen = state.screen;
  if (state.screen === 'unsupported') {
    $('unsupported-message').textContent = state.unsupported_message;
  }
  if (state.screen === 'error') $('error-message').textContent = state.unsupported_message;
  if (state.screen === 'form') renderForm();
  if (state.screen === 'progress') renderProgress();
  if (state.screen === 'done') renderDone();
}

async function refresh() {
  try {
    const response = await fetch('/api/state', { cache: 'no-store' });
    if (!response.ok) throw new Error(String(response.status));
    state = await response.json();
    render();
  } catch {
    // The installer has ended: nothing more to show.
    clearInterval(polling);
  }
}

async function install(event) {
  event.preventDefault();
  $('install').disabled = true;
  const body = { with_lhm: $('lhm').checked, beta: $('beta').checked };
  if (state.variant === 'form') {
    body.url = $('url').value;
    body.token = $('token').value;
  }
  const { ok, answer } = await post('/api/install', body);
  $('token').value = '';
  $('install').disabled = false;
  if (!ok) {
    show('form-error', true);
    $('form-error').textContent = answer.error ?? 'Erreur';
  }
  await refresh();
}

async function close() {
  await post('/api/close');
  window.close();
}

document.addEventListener('DOMContentLoaded', () => {
  $('install-form').addEventListener('submit', install);
  $('lhm').addEventListener('change', () => show('lhm-warning', $('lhm').checked));
  $('uninstall').addEventListener('click', async () => {
    $('uninstall').disabled = true;
    await post('/api/uninstall');
    await refresh();
  });
  for (const button of document.querySelectorAll('button.close')) {
    button.addEventListener('click', close);
  }
  void refresh();
  polling = setInterval(refresh, 500);
});
