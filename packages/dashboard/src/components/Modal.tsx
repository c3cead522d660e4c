import { type ReactNode, useEffect, useId, useRef } from 'react';
import { useTranslation } from 'react-i18next';

interface ModalProps {
  open: boolean;
  title: string;
  onClose(): void;
  children: ReactNode;
  /** Buttons at the bottom; a Close button is added when absent. */
  actions?: ReactNode;
  wide?: boolean;
}

/**
 * A modal dialog on the browser's own `<dialog>`: focus moves into it and stays there, Escape
 * closes it, and the page behind is inert for assistive technologies.
 */
export function Modal({ open, title, onClose, children, actions, wide }: ModalProps) {
  const { t } = useTranslation();
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);

  return (
    <dialog
      ref={ref}
      className={wide ? 'modal modal-wide' : 'modal'}
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      {open && (
        <>
          <header className="modal-header">
            <h2 id={titleId}>{title}</h2>
            <button
              type="button"
              className="icon-button"
              onClick={onClose}
              aria-label={t('app.close')}
            >
              ×
            </button>
          </header>
          <div className="modal-body">{children}</div>
          <footer className="modal-actions">
            {actions ?? (
              <button type="button" onClick={onClose}>
                {t('app.close')}
              </button>
            )}
          </footer>
        </>
      )}
    </dialog>
  );
}
