import ContentLayout from '@cloudscape-design/components/content-layout';
import Header from '@cloudscape-design/components/header';

// Placeholder, routed already; filled in by the second web helper (console-pages). Routes: /dashboard and /campaigns/:id/dashboard.
export default function Dashboard() {
  return <ContentLayout header={<Header variant="h1" description="Live metrics, per campaign or across campaigns.">Live dashboard</Header>}>{null}</ContentLayout>;
}
