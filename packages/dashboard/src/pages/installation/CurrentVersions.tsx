import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { useLatestVersion } from '../../api/queries';
import type { Architecture, Channel, Platform } from '../../api/types';

const TARGETS: { platform: Platform; architecture: Architecture; label: string }[] = [
  { platform: 'windows', architecture: 'amd64', label: 'installation.windowsAmd64' },
  { platform: 'linux', architecture: 'amd64', label: 'installation.linuxAmd64' },
  { platform: 'linux', architecture: 'arm64', label: 'installation.linuxArm64' },
];

export function CurrentVersions() {
  const { t } = useTranslation();
  const headingId = useId();
  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>{t('installation.currentVersions')}</h2>
      <p>{t('installation.currentVersionsDesc')}</p>
      <div className="table-scroll">
        <table>
          <caption className="visually-hidden">{t('installation.versionsTableLabel')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('installation.platform')}</th>
              <th scope="col">{t('channels.stable')}</th>
              <th scope="col">{t('channels.beta')}</th>
            </tr>
          </thead>
          <tbody>
            {TARGETS.map((target) => (
              <tr key={`${target.platform}-${target.architecture}`}>
                <th scope="row">{t(target.label as 'installation.windowsAmd64')}</th>
                <VersionCell channel="stable" {...target} />
                <VersionCell channel="beta" {...target} />
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function VersionCell(props: { channel: Channel; platform: Platform; architecture: Architecture }) {
  const { t } = useTranslation();
  const latest = useLatestVersion(props.channel, props.platform, props.architecture);
  if (latest.isPending) return <td aria-busy="true">…</td>;
  if (latest.error) return <td>{t('app.none')}</td>;
  if (!latest.data) return <td className="muted">{t('installation.noRelease')}</td>;
  return (
    <td>
      <strong>{latest.data.version}</strong>
    </td>
  );
}
