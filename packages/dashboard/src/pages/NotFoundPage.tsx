import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { PageHeader } from '../components/PageHeader';

export function NotFoundPage() {
  const { t } = useTranslation();
  return (
    <section className="page">
      <PageHeader title={t('app.notFound')} />
      <Link to="/machines">{t('app.backHome')}</Link>
    </section>
  );
}
