import Header from '@cloudscape-design/components/header';
import ContentLayout from '@cloudscape-design/components/content-layout';
import Link from '@cloudscape-design/components/link';

export default function NotFound() {
  return (
    <ContentLayout header={<Header variant="h1">Page not found</Header>}>
      <Link href="/campaigns">Back to campaigns</Link>
    </ContentLayout>
  );
}
