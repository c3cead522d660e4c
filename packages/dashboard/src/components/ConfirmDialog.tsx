import { useTranslation } from 'react-i18next';
import { ErrorMessage } from './Feedback';
import { Modal } from './Modal';

interface ConfirmProps {
  open: boolean;
  title: string;
  text: string;
  confirmLabel: string;
  busy: boolean;
  error: unknown;
  onConfirm(): void;
  onClose(): void;
}

/** Asks before a destructive action; the action's button names what will happen. */
export function ConfirmDialog(props: ConfirmProps) {
  const { t } = useTranslation();
  return (
    <Modal
      open={props.open}
      title={props.title}
      onClose={props.onClose}
      actions={
        <>
          <button type="button" className="secondary" onClick={props.onClose}>
            {t('app.cancel')}
          </button>
          <button type="button" className="danger" onClick={props.onConfirm} disabled={props.busy}>
            {props.confirmLabel}
          </button>
        </>
      }
    >
      <p>{props.text}</p>
      <ErrorMessage error={props.error} />
    </Modal>
  );
}
