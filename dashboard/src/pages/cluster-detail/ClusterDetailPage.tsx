export default function ClusterDetailPage(_: { id?: string }) {
  return <h1>ClusterDetailPage</h1>;
}
