import { useMemo } from 'react';
import { ClustersDocument, type ClustersQuery } from '../../api/generated';
import { describeMissing } from '../../api/missing';
import { useQuery } from '../../api/use-query';
import { AdminOnly } from '../../auth/viewer';
import { Link, updateSearch, useLocation } from '../../app/router';
import { Money } from '../../format/money';
import { formatPercent } from '../../format/money-format';
import { apiRange } from '../../range/range';
import { RangePicker } from '../../range/RangePicker';
import { useRange } from '../../range/use-range';
import { Loading, MissingBanner, PageError, Panel } from '../../ui/Panel';
import { CategoryBar, CategoryLegend } from './CategoryBar';
import { IngestProblems, IngestStateBadge, STATE_ORDER } from './IngestStatus';

type ClusterRow = NonNullable<ClustersQuery['organizations'][number]['kubernetesCosts']>['clusters'][number];

type SortKey = 'name' | 'total' | 'efficiency' | 'status';
const SORTS: Record<SortKey, string> = { name: 'Cluster', total: 'Total', efficiency: 'Efficiency', status: 'Status' };

/** Every cluster with its total, categories, efficiency and ingest status: one request whatever their number. */
export default function ClustersPage() {
  const range = useRange();
  const { search } = useLocation();
  const variables = useMemo(() => ({ range: apiRange(range) }), [range.from, range.to]);
  const query = useQuery(ClustersDocument, variables);
  const sort = (Object.keys(SORTS).includes(search.get('sort') ?? '') ? search.get('sort') : 'total') as SortKey;
  const descending = (search.get('dir') ?? (sort === 'name' ? 'asc' : 'desc')) === 'desc';
  return (
    <>
      <h1>Clusters</h1>
      <RangePicker key={`${range.from}/${range.to}`} range={range} />
      {query.status === 'loading' && <Loading what="the clusters" />}
      {query.status === 'failed' && <PageError message={query.message} />}
      {query.status === 'done' && (
        <>
          <MissingBanner lines={describeMissing(query.errors)} />
          <ClustersTable data={query.data} sort={sort} descending={descending} />
        </>
      )}
    </>
  );
}

/** What the cloud bill charged for the assets it covers, against the estimate for the same hours. */
function BilledVsEstimated({ reconciliation, currency }: { reconciliation: ClusterRow['reconciliation']; currency: string }) {
  if (reconciliation.estimatedCost === 0 && reconciliation.billedCost === 0) return <span className="no-data">not on the bill</span>;
  return (
    <>
      <Money value={reconciliation.billedCost} currency={currency} /> billed{' '}
      <span className="muted small bill-detail">
        vs <Money value={reconciliation.estimatedCost} currency={currency} /> estimated ({formatPercent(reconciliation.coverage)} covered)
      </span>
    </>
  );
}

function ClustersTable({ data, sort, descending }: { data: ClustersQuery; sort: SortKey; descending: boolean }) {
  const org = data.organizations[0];
  if (!org) return <p className="empty">This token sees no organization.</p>;
  if (org.kubernetesClusterIds.length === 0)
    return (
      <p className="empty">
        No clusters yet.{' '}
        <AdminOnly>
          <Link href="/connect">Connect a cluster</Link> or run <code>costgraph demo</code>.
        </AdminOnly>
      </p>
    );
  if (!org.kubernetesCosts) return <Panel title="Clusters" failed="Kubernetes costs" />;
  const rows = [...org.kubernetesCosts.clusters];
  // A status that failed to load sorts last, after "never".
  const key = (r: (typeof rows)[number]): string | number =>
    sort === 'name'
      ? r.cloudAccount.name.toLowerCase()
      : sort === 'total'
        ? r.hasData
          ? r.totalCost
          : -1
        : sort === 'efficiency'
          ? (r.efficiency?.total ?? -1)
          : r.cloudAccount.ingestStatus
            ? STATE_ORDER[r.cloudAccount.ingestStatus.state]
            : 3;
  rows.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    const order = x < y ? -1 : x > y ? 1 : 0;
    return descending ? -order : order;
  });
  const header = (k: SortKey, numeric = false) => {
    const active = sort === k;
    const next = active ? (descending ? 'asc' : 'desc') : k === 'name' ? 'asc' : 'desc';
    return (
      <th scope="col" className={numeric ? 'num' : undefined} aria-sort={active ? (descending ? 'descending' : 'ascending') : undefined}>
        <button type="button" className="sort" onClick={() => updateSearch({ sort: k, dir: next }, { replace: true })}>
          {SORTS[k]} {active ? (descending ? '▼' : '▲') : ''}
        </button>
      </th>
    );
  };
  return (
    <section className="panel" aria-labelledby="clusters-heading">
      <h2 id="clusters-heading">
        {rows.length} cluster{rows.length === 1 ? '' : 's'}, <Money value={org.kubernetesCosts.totalCost} currency={org.currency} /> in total
      </h2>
      <CategoryLegend />
      <div className="table-scroll">
        <table className="clusters">
          <thead>
            <tr>
              {header('name')}
              {header('total', true)}
              <th scope="col">Categories</th>
              <th scope="col" className="num">
                Network
              </th>
              <th scope="col" className="num">
                On the bill
              </th>
              {header('efficiency', true)}
              {header('status')}
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => (
              <tr key={c.cloudAccount.id} data-cluster={c.cloudAccount.id}>
                <th scope="row" className="text-cell">
                  <Link href={`/clusters/${c.cloudAccount.id}${window.location.search}`}>{c.cloudAccount.name}</Link>
                </th>
                <td className="num" data-column="total">
                  <Money value={c.hasData ? c.totalCost : null} currency={org.currency} />
                </td>
                <td className="bar-cell">{c.hasData ? <CategoryBar breakdown={c.breakdown} currency={org.currency} /> : <span className="no-data">no data</span>}</td>
                <td className="num">{c.hasData ? <Money value={c.breakdown.network} currency={org.currency} empty="unknown" /> : <span className="no-data">no data</span>}</td>
                <td className="num" data-column="bill">
                  <BilledVsEstimated reconciliation={c.reconciliation} currency={org.currency} />
                </td>
                <td className="num" title={c.efficiency ? `CPU ${formatPercent(c.efficiency.cpu)}, RAM ${formatPercent(c.efficiency.ram)}` : undefined}>
                  {c.efficiency ? (
                    <>
                      {c.efficiency.total !== null && (
                        <meter className="efficiency-meter" min={0} max={1} low={0.5} high={0.8} optimum={1} value={Math.min(c.efficiency.total, 1)} aria-hidden="true" />
                      )}{' '}
                      {formatPercent(c.efficiency.total)}
                      <span className="muted small">
                        {' '}
                        (CPU {formatPercent(c.efficiency.cpu)}, RAM {formatPercent(c.efficiency.ram)})
                      </span>
                    </>
                  ) : (
                    <span className="no-data">no data</span>
                  )}
                </td>
                <td data-column="status">
                  {c.cloudAccount.ingestStatus ? (
                    <>
                      <IngestStateBadge status={c.cloudAccount.ingestStatus} />
                      <IngestProblems status={c.cloudAccount.ingestStatus} />
                    </>
                  ) : (
                    <span className="no-data">unavailable</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
