import ContentLayout from '@cloudscape-design/components/content-layout';
import Header from '@cloudscape-design/components/header';

// Placeholder, routed already; filled in by the second web helper (console-pages).
export default function Contacts() {
  return <ContentLayout header={<Header variant="h1" description="Upload, import and browse a campaign's contacts.">Contacts</Header>}>{null}</ContentLayout>;
}
