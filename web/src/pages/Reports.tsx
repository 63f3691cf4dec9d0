import ContentLayout from '@cloudscape-design/components/content-layout';
import Header from '@cloudscape-design/components/header';

// Placeholder, routed already; filled in by the second web helper (console-pages).
export default function Reports() {
  return <ContentLayout header={<Header variant="h1" description="Campaign reports (CSV, JSON).">Reports</Header>}>{null}</ContentLayout>;
}
