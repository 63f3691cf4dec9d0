import StatusIndicator, { type StatusIndicatorProps } from '@cloudscape-design/components/status-indicator';
import type { CampaignStatus } from '../api/client';

const TYPES: Record<CampaignStatus, StatusIndicatorProps.Type> = {
  draft: 'pending',
  scheduled: 'in-progress',
  active: 'success',
  paused: 'stopped',
  completed: 'success',
  cancelled: 'stopped',
  failed: 'error',
  archived: 'stopped',
};

export function StatusBadge({ status }: { status: CampaignStatus }) {
  return (
    <StatusIndicator type={TYPES[status]} colorOverride={status === 'active' ? 'green' : status === 'completed' ? 'blue' : undefined}>
      {status}
    </StatusIndicator>
  );
}
