import ContentLayout from '@cloudscape-design/components/content-layout';
import Header from '@cloudscape-design/components/header';

// Placeholder, routed already; filled in by the second web helper (console-pages).
export default function Blacklist() {
  return <ContentLayout header={<Header variant="h1" description="Numbers never called.">Do-not-call list</Header>}>{null}</ContentLayout>;
}
