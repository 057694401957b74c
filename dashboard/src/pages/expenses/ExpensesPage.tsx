export default function ExpensesPage(_: { id?: string }) {
  return <h1>ExpensesPage</h1>;
}
