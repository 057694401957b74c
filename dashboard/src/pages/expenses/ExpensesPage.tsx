import { useMemo, useRef, useState, type FormEvent } from 'react';
import { ExpensesPageDocument, type ExpenseDimension, type ExpensesPageQuery } from '../../api/generated';
import { describeMissing } from '../../api/missing';
import { useQuery } from '../../api/use-query';
import { updateSearch, useLocation } from '../../app/router';
import { formatUtc } from '../../format/dates';
import { Money } from '../../format/money';
import { apiRange } from '../../range/range';
import { RangePicker } from '../../range/RangePicker';
import { useRange } from '../../range/use-range';
import { Loading, MissingBanner, PageError, Panel } from '../../ui/Panel';
import { CSV_ROW_CAP, downloadCsv } from './csv';
import { DIMENSIONS, ORDERS, viewFromSearch, type ExpensesView } from './filters';

const PAGE_SIZE = 50;
type Org = ExpensesPageQuery['organizations'][number];

/** The expense rows with server-side paging, filters, a breakdown and a CSV download. */
export default function ExpensesPage() {
  const range = useRange();
  const { search } = useLocation();
  const view = viewFromSearch(search);
  const variables = useMemo(
    () => ({ range: apiRange(range), filter: view.filter, first: PAGE_SIZE, after: view.after ?? null, orderBy: view.order, by: view.by, tagKey: view.tagKey ?? null }),
    [range.from, range.to, search.toString()],
  );
  const query = useQuery(ExpensesPageDocument, variables);
  const org = query.status === 'done' ? query.data.organizations[0] : undefined;
  return (
    <>
      <h1>Expenses</h1>
      <RangePicker key={`${range.from}/${range.to}`} range={range} />
      <Filters key={search.toString()} search={search} accounts={org?.cloudAccounts ?? []} />
      {query.status === 'loading' && <Loading what="the expenses" />}
      {query.status === 'failed' && <PageError message={query.message} />}
      {query.status === 'done' && !org && <p className="empty">This token sees no organization.</p>}
      {query.status === 'done' && org && (
        <>
          <MissingBanner lines={describeMissing(query.errors)} />
          <section className="figures" aria-label="Totals of the filtered expenses">
            <div className="figure" data-figure="expenses-total">
              <h2>Total (billed)</h2>
              <p className="figure-value">
                <Money value={org.expenses.count > 0 ? org.expenses.totalCost : null} currency={org.currency} />
              </p>
            </div>
            <div className="figure" data-figure="expenses-count">
              <h2>Rows</h2>
              <p className="figure-value">{org.expenses.count.toLocaleString('en-US')}</p>
            </div>
            <CsvDownload range={range} view={view} count={org.expenses.count} />
          </section>
          {org.expenses.count === 0 ? (
            <p className="empty">
              No expenses match. Widen the range or the filters, or import a FOCUS export with <code>costgraph import focus FILE</code>.
            </p>
          ) : (
            <div className="grid">
              <Breakdown org={org} view={view} />
              <Items org={org} view={view} />
            </div>
          )}
        </>
      )}
    </>
  );
}

function Filters({ search, accounts }: { search: URLSearchParams; accounts: Org['cloudAccounts'] }) {
  const [values, setValues] = useState(() => Object.fromEntries(['account', 'service', 'region', 'type', 'tag', 'tagValue'].map((k) => [k, search.get(k) ?? ''])));
  const set = (key: string) => (e: { target: { value: string } }) => setValues((v) => ({ ...v, [key]: e.target.value }));
  const apply = (event: FormEvent) => {
    event.preventDefault();
    updateSearch({ ...values, after: undefined });
  };
  const clear = () => updateSearch({ account: undefined, service: undefined, region: undefined, type: undefined, tag: undefined, tagValue: undefined, after: undefined });
  return (
    <form className="filters panel" onSubmit={apply} aria-label="Filters">
      <label>
        Account
        <select value={values.account} onChange={set('account')}>
          <option value="">All accounts</option>
          {accounts.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name} ({a.type})
            </option>
          ))}
        </select>
      </label>
      <label>
        Service <input value={values.service} onChange={set('service')} placeholder="e.g. Amazon Elastic Compute Cloud" />
      </label>
      <label>
        Region <input value={values.region} onChange={set('region')} placeholder="e.g. us-west-2" />
      </label>
      <label>
        Resource type <input value={values.type} onChange={set('type')} />
      </label>
      <label>
        Tag key <input value={values.tag} onChange={set('tag')} />
      </label>
      <label>
        Tag value <input value={values.tagValue} onChange={set('tagValue')} placeholder="any" disabled={!values.tag} />
      </label>
      <div className="filter-buttons">
        <button type="submit">Apply filters</button>
        <button type="button" className="secondary" onClick={clear}>
          Clear
        </button>
      </div>
    </form>
  );
}

function Breakdown({ org, view }: { org: Org; view: ExpensesView }) {
  const [tagKey, setTagKey] = useState(view.tagKey ?? '');
  const groups = org.expenses.breakdown;
  const accountName = new Map(org.cloudAccounts.map((a) => [a.id, a.name]));
  const byAccount = view.by === 'CLOUD_ACCOUNT' || view.by === 'KUBERNETES_CLUSTER';
  const name = (key: string) => (key === '' ? (view.by === 'KUBERNETES_CLUSTER' ? '(no cluster)' : '(none)') : byAccount ? (accountName.get(key) ?? key) : key);
  const max = Math.max(...groups.map((g) => Math.abs(g.cost)), 0) || 1;
  return (
    <Panel title={`Breakdown by ${DIMENSIONS[view.by].toLowerCase()}`}>
      <div className="breakdown-controls">
        <label htmlFor="breakdown-by">Break down by</label>
        <select
            id="breakdown-by"
            value={view.by} onChange={(e) => updateSearch({ by: e.target.value, byTag: e.target.value === 'TAG' ? tagKey || undefined : undefined })}>
            {(Object.keys(DIMENSIONS) as ExpenseDimension[]).map((d) => (
              <option key={d} value={d}>
                {DIMENSIONS[d]}
              </option>
            ))}
          </select>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (tagKey) updateSearch({ by: 'TAG', byTag: tagKey });
          }}
        >
          <label>
            Breakdown tag key <input value={tagKey} onChange={(e) => setTagKey(e.target.value)} />
          </label>{' '}
          <button type="submit" className="secondary">
            Break down by tag
          </button>
        </form>
      </div>
      <table className="bars">
        <thead>
          <tr>
            <th scope="col">{DIMENSIONS[view.by]}</th>
            <th scope="col" className="num">
              Rows
            </th>
            <th scope="col" className="num">
              Cost
            </th>
          </tr>
        </thead>
        <tbody>
          {groups.slice(0, 50).map((g) => (
            <tr key={g.key}>
              <th scope="row" className="text-cell">
                <span className="bar-label">{name(g.key)}</span>
                <meter min={0} max={max} value={Math.abs(g.cost)} aria-hidden="true" />
              </th>
              <td className="num">{g.count.toLocaleString('en-US')}</td>
              <td className="num">
                <Money value={g.cost} currency={org.currency} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {groups.length > 50 && <p className="muted">The 50 largest of {groups.length} groups.</p>}
    </Panel>
  );
}

function Items({ org, view }: { org: Org; view: ExpensesView }) {
  const { nodes, pageInfo } = org.expenses.items;
  return (
    <Panel title="Expense rows" className="wide">
      <div className="items-controls">
        <label htmlFor="items-order">Order</label>
        <select
            id="items-order"
            value={view.order} onChange={(e) => updateSearch({ order: e.target.value, after: undefined })}>
            {Object.entries(ORDERS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
      </div>
      <div className="table-scroll">
        <table className="items">
          <thead>
            <tr>
              <th scope="col">Charge period start</th>
              <th scope="col">Account</th>
              <th scope="col">Service</th>
              <th scope="col">Region</th>
              <th scope="col">Resource</th>
              <th scope="col">Tags</th>
              <th scope="col" className="num">
                Cost
              </th>
            </tr>
          </thead>
          <tbody>
            {nodes.map((e) => (
              <tr key={e.id}>
                <td>{formatUtc(e.chargePeriodStart)}</td>
                <td className="text-cell">{e.cloudAccount.name}</td>
                <td className="text-cell">{e.serviceName ?? <span className="no-data">none</span>}</td>
                <td className="text-cell">{e.region ?? <span className="no-data">none</span>}</td>
                <td className="text-cell">
                  {e.resourceId ?? <span className="no-data">none</span>}
                  {e.resourceType && <span className="muted small"> ({e.resourceType})</span>}
                </td>
                <td className="text-cell">
                  {e.tags.length === 0 ? (
                    <span className="no-data">none</span>
                  ) : (
                    <ul className="tags">
                      {e.tags.map((t) => (
                        <li key={t.key}>
                          {t.key}={t.value}
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
                <td className="num">
                  <Money value={e.cost} currency={e.currency} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <nav className="paging" aria-label="Pages of expense rows">
        <button type="button" className="secondary" disabled={!view.after} onClick={() => updateSearch({ after: undefined })}>
          First page
        </button>
        <button type="button" className="secondary" disabled={!view.after} onClick={() => history.back()}>
          Previous page
        </button>
        <button type="button" disabled={!pageInfo.hasNextPage} onClick={() => pageInfo.endCursor && updateSearch({ after: pageInfo.endCursor })}>
          Next page
        </button>
        <span className="muted">
          {nodes.length} rows on this page of {org.expenses.count.toLocaleString('en-US')}
        </span>
      </nav>
    </Panel>
  );
}

function CsvDownload({ range, view, count }: { range: ReturnType<typeof useRange>; view: ExpensesView; count: number }) {
  const [state, setState] = useState<{ status: 'idle' } | { status: 'running'; rows: number; total: number } | { status: 'done'; rows: number } | { status: 'failed'; message: string }>({
    status: 'idle',
  });
  const abort = useRef<AbortController>();
  const start = async () => {
    abort.current = new AbortController();
    setState({ status: 'running', rows: 0, total: Math.min(count, CSV_ROW_CAP) });
    try {
      const result = await downloadCsv({ range: apiRange(range), filter: view.filter }, (rows, total) => setState({ status: 'running', rows, total }), abort.current.signal);
      const url = URL.createObjectURL(new Blob([result.csv], { type: 'text/csv;charset=utf-8' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `costgraph-expenses-${range.from}-${range.to}.csv`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setState({ status: 'done', rows: result.rows });
    } catch (error) {
      if (abort.current.signal.aborted) setState({ status: 'idle' });
      else setState({ status: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
  };
  return (
    <div className="figure">
      <h2>CSV of the filtered rows</h2>
      {count > CSV_ROW_CAP && (
        <p className="note">
          {count.toLocaleString('en-US')} rows match; a download holds the first {CSV_ROW_CAP.toLocaleString('en-US')}. For more, page through the GraphQL API (<code>expenses.items</code>).
        </p>
      )}
      {state.status === 'running' ? (
        <>
          <progress max={state.total || 1} value={state.rows} aria-label="CSV download progress" />
          <span role="status">
            {' '}
            {state.rows.toLocaleString('en-US')} of {state.total.toLocaleString('en-US')} rows
          </span>{' '}
          <button type="button" className="secondary" onClick={() => abort.current?.abort()}>
            Cancel
          </button>
        </>
      ) : (
        <button type="button" disabled={count === 0} onClick={() => void start()}>
          Download CSV ({Math.min(count, CSV_ROW_CAP).toLocaleString('en-US')} rows)
        </button>
      )}
      {state.status === 'done' && <p role="status">Downloaded {state.rows.toLocaleString('en-US')} rows.</p>}
      {state.status === 'failed' && <p role="alert">The download failed: {state.message}</p>}
    </div>
  );
}
