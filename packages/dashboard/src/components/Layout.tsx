import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { NavLink, Outlet, useLocation } from 'react-router';
import { useClients } from '../api/queries';
import { LANGUAGES } from '../i18n';
import { useRole, useSession } from '../session/session';

export function Layout() {
  const { t } = useTranslation();
  const { superAdmin } = useRole();
  const location = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const menuId = useId();

  // A followed link closes the phone menu.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs on navigation
  useEffect(() => setMenuOpen(false), [location.pathname]);

  const links = [
    { to: '/machines', label: t('nav.machines') },
    { to: '/installation', label: t('nav.installation') },
    { to: '/documentation', label: t('nav.documentation') },
    { to: '/admin/updates', label: t('nav.updates') },
    { to: '/admin/users', label: t('nav.users') },
    ...(superAdmin ? [{ to: '/admin/clients', label: t('nav.clients') }] : []),
  ];

  return (
    <>
      <a className="skip-link" href="#main">
        {t('app.skipToContent')}
      </a>
      <header className="topbar">
        <div className="topbar-row">
          <NavLink to="/machines" className="brand">
            <img src={`${import.meta.env.BASE_URL}favicon.svg`} alt="" width="28" height="28" />
            {t('app.name')}
          </NavLink>
          <button
            type="button"
            className="menu-button"
            aria-expanded={menuOpen}
            aria-controls={menuId}
            onClick={() => setMenuOpen((open) => !open)}
          >
            <span aria-hidden="true">☰</span> {t('app.openMenu')}
          </button>
        </div>
        <div id={menuId} className="topbar-menu" data-open={menuOpen}>
          <nav aria-label={t('app.mainNav')}>
            <ul className="nav-list">
              {links.map((link) => (
                <li key={link.to}>
                  <NavLink to={link.to}>{link.label}</NavLink>
                </li>
              ))}
            </ul>
          </nav>
          <div className="topbar-tools">
            {superAdmin && <ScopePicker />}
            <LanguagePicker />
            <UserMenu />
          </div>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}

export function LanguagePicker() {
  const { t, i18n } = useTranslation();
  const id = useId();
  const names: Record<string, string> = { fr: 'Français', en: 'English' };
  return (
    <div className="inline-field">
      <label htmlFor={id}>{t('app.language')}</label>
      <select
        id={id}
        value={i18n.resolvedLanguage}
        onChange={(event) => void i18n.changeLanguage(event.target.value)}
      >
        {LANGUAGES.map((language) => (
          <option key={language} value={language} lang={language}>
            {names[language]}
          </option>
        ))}
      </select>
    </div>
  );
}

/** Super-admins choose the client they act for; "all clients" reads everything. */
function ScopePicker() {
  const { t } = useTranslation();
  const { clientId, setClientId } = useSession();
  const clients = useClients();
  const id = useId();
  const list = clients.data?.clients;

  useEffect(() => {
    if (list && clientId !== null && !list.some((client) => client.id === clientId)) {
      setClientId(null);
    }
  }, [list, clientId, setClientId]);

  return (
    <div className="inline-field">
      <label htmlFor={id}>{t('scope.label')}</label>
      <select
        id={id}
        value={clientId ?? ''}
        onChange={(event) => setClientId(event.target.value || null)}
      >
        <option value="">{t('scope.all')}</option>
        {list?.map((client) => (
          <option key={client.id} value={client.id}>
            {client.name}
          </option>
        ))}
      </select>
    </div>
  );
}

function UserMenu() {
  const { t } = useTranslation();
  const { user, signOut } = useSession();
  if (!user) return null;
  return (
    <div className="user-menu">
      <span className="user-email" title={t('app.signedInAs', { email: user.email })}>
        {user.email} <span className="muted">({t(`roles.${user.role}`)})</span>
      </span>
      <button type="button" className="secondary" onClick={signOut}>
        {t('app.signOut')}
      </button>
    </div>
  );
}
