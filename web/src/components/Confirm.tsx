import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Modal from '@cloudscape-design/components/modal';
import SpaceBetween from '@cloudscape-design/components/space-between';

export function Confirm(props: {
  visible: boolean;
  title: string;
  confirmText: string;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  children: React.ReactNode;
  disabled?: boolean;
  cancelText?: string;
}) {
  return (
    <Modal
      visible={props.visible}
      header={props.title}
      onDismiss={props.onCancel}
      footer={
        <Box float="right">
          <SpaceBetween direction="horizontal" size="xs">
            <Button variant="link" onClick={props.onCancel}>
              {props.cancelText ?? 'Back'}
            </Button>
            <Button variant="primary" loading={props.busy} disabled={props.disabled} onClick={props.onConfirm}>
              {props.confirmText}
            </Button>
          </SpaceBetween>
        </Box>
      }
    >
      {props.children}
    </Modal>
  );
}
