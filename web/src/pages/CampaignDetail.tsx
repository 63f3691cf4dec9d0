import ContentLayout from '@cloudscape-design/components/content-layout';
import Header from '@cloudscape-design/components/header';

// Placeholder, routed already; built by console-web (step 2).
export default function CampaignDetail() {
  return <ContentLayout header={<Header variant="h1" description="Settings and lifecycle.">Campaign</Header>}>{null}</ContentLayout>;
}
