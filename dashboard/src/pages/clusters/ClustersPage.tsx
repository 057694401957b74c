export default function ClustersPage(_: { id?: string }) {
  return <h1>ClustersPage</h1>;
}
