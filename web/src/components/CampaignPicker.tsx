// Picks campaigns: managers choose from the list; analysts (who may not list campaigns) type ids.
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import Input from '@cloudscape-design/components/input';
import Multiselect from '@cloudscape-design/components/multiselect';
import Select from '@cloudscape-design/components/select';
import { describeError } from '../api/errors';
import { keys, listAllCampaigns } from '../api/queries';
import { useMe } from '../auth/me';

function useCampaignOptions(enabled: boolean) {
  const q = useQuery({ queryKey: keys.campaigns(), queryFn: () => listAllCampaigns(), enabled });
  const options = (q.data ?? []).map((c) => ({ value: c.id, label: c.name, description: `${c.status} · ${c.id}` }));
  return { q, options };
}

export function CampaignSelect({ value, onChange }: { value: string; onChange: (id: string) => void }) {
  const me = useMe();
  const canList = me.data?.can.manage_campaigns ?? false;
  const { q, options } = useCampaignOptions(canList);
  const [typed, setTyped] = useState(value);
  if (me.data && !canList) {
    return <Input value={typed} placeholder="Campaign id" ariaLabel="Campaign id" onChange={(e) => setTyped(e.detail.value)} onBlur={() => onChange(typed.trim())} onKeyDown={(e) => e.detail.key === 'Enter' && onChange(typed.trim())} />;
  }
  return (
    <Select
      selectedOption={options.find((o) => o.value === value) ?? (value ? { value, label: value } : null)}
      options={options}
      filteringType="auto"
      placeholder="Choose a campaign"
      ariaLabel="Campaign"
      statusType={q.isLoading ? 'loading' : q.isError ? 'error' : 'finished'}
      errorText={q.isError ? describeError(q.error) : undefined}
      onChange={(e) => onChange(e.detail.selectedOption.value ?? '')}
    />
  );
}

export function CampaignMultiSelect({ value, onChange }: { value: string[]; onChange: (ids: string[]) => void }) {
  const me = useMe();
  const canList = me.data?.can.manage_campaigns ?? false;
  const { q, options } = useCampaignOptions(canList);
  const [typed, setTyped] = useState(value.join(', '));
  const commit = () =>
    onChange(
      typed
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter(Boolean),
    );
  if (me.data && !canList) {
    return <Input value={typed} placeholder="Campaign ids, comma-separated" ariaLabel="Campaign ids" onChange={(e) => setTyped(e.detail.value)} onBlur={commit} onKeyDown={(e) => e.detail.key === 'Enter' && commit()} />;
  }
  return (
    <Multiselect
      selectedOptions={value.map((id) => options.find((o) => o.value === id) ?? { value: id, label: id })}
      options={options}
      filteringType="auto"
      placeholder="Choose two or more campaigns"
      ariaLabel="Campaigns to compare"
      tokenLimit={6}
      statusType={q.isLoading ? 'loading' : q.isError ? 'error' : 'finished'}
      errorText={q.isError ? describeError(q.error) : undefined}
      onChange={(e) => onChange(e.detail.selectedOptions.map((o) => o.value ?? '').filter(Boolean))}
    />
  );
}
