export default function ConnectPage(_: { id?: string }) {
  return <h1>ConnectPage</h1>;
}
