import ContentLayout from '@cloudscape-design/components/content-layout';
import Header from '@cloudscape-design/components/header';

// Placeholder, routed already; filled in by the second web helper (console-pages).
export default function Compare() {
  return <ContentLayout header={<Header variant="h1" description="Side by side metrics.">Compare campaigns</Header>}>{null}</ContentLayout>;
}
