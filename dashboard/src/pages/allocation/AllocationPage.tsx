import { useMemo, useState, type FormEvent } from 'react';
import { AllocationDocument, type AllocationQuery } from '../../api/generated';
import { describeMissing } from '../../api/missing';
import { useQuery } from '../../api/use-query';
import { updateSearch, useLocation } from '../../app/router';
import { Chart } from '../../charts/Chart';
import { Money } from '../../format/money';
import { formatPercent } from '../../format/money-format';
import { apiRange } from '../../range/range';
import { RangePicker } from '../../range/RangePicker';
import { useRange } from '../../range/use-range';
import { Loading, MissingBanner, PageError, Panel } from '../../ui/Panel';
import { csvField } from '../expenses/csv';
import { DIMENSIONS, IDLE_MODES, viewFromSearch, type AllocationView } from './allocation-view';

const TOP = 50;
type Allocation = NonNullable<NonNullable<AllocationQuery['organizations'][number]['kubernetesCosts']>['allocation']>;
type Row = Allocation['rows'][number];
type Change = (e: { target: { value: string } }) => void;

/** Every cluster's cost split by namespace, controller, pod, node or label: a treemap, a table and a CSV download. */
export default function AllocationPage() {
  const range = useRange();
  const { search } = useLocation();
  const view = viewFromSearch(search);
  const variables = useMemo(() => ({ range: apiRange(range), by: view.groups, idle: view.idle, shared: view.shared, top: TOP }), [range.from, range.to, search.toString()]);
  const query = useQuery(AllocationDocument, variables);
  const org = query.status === 'done' ? query.data.organizations[0] : undefined;
  const allocation = org?.kubernetesCosts?.allocation;
  return (
    <>
      <h1>Allocation</h1>
      <RangePicker key={`${range.from}/${range.to}`} range={range} />
      <Choices key={search.toString()} view={view} />
      {query.status === 'loading' && <Loading what="the allocation" />}
      {query.status === 'failed' && <PageError message={query.message} />}
      {query.status === 'done' && !org && <p className="empty">This token sees no organization.</p>}
      {query.status === 'done' && org && (
        <>
          <MissingBanner lines={describeMissing(query.errors)} />
          {allocation && allocation.rows.length === 0 && <p className="empty">No Kubernetes costs in this range.</p>}
          {allocation && allocation.rows.length > 0 && <Split allocation={allocation} currency={org.currency} view={view} />}
        </>
      )}
    </>
  );
}

function Choices({ view }: { view: AllocationView }) {
  const [first, second] = view.groups;
  const [values, setValues] = useState({
    by: first.dimension as string,
    key: first.labelKey ?? '',
    by2: (second?.dimension as string | undefined) ?? '',
    key2: second?.labelKey ?? '',
    idle: view.idle as string,
    shared: view.shared.join(', '),
  });
  const set = (key: keyof typeof values): Change => (e) => setValues((v) => ({ ...v, [key]: e.target.value }));
  const apply = (event: FormEvent) => {
    event.preventDefault();
    updateSearch({ ...values, key: values.by === 'LABEL' ? values.key : undefined, key2: values.by2 === 'LABEL' ? values.key2 : undefined });
  };
  return (
    <form className="filters panel" onSubmit={apply} aria-label="Allocation">
      <DimensionFields title="Group by" keyTitle="Label key" dimension={values.by} labelKey={values.key} onDimension={set('by')} onKey={set('key')} example="team" />
      <DimensionFields title="Then by" keyTitle="Second label key" dimension={values.by2} labelKey={values.key2} onDimension={set('by2')} onKey={set('key2')} example="app" optional />
      <label>
        Idle cost
        <select value={values.idle} onChange={set('idle')}>
          {IDLE_MODES.map(([mode, name]) => (
            <option key={mode} value={mode}>
              {name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Shared namespaces <input value={values.shared} onChange={set('shared')} placeholder="e.g. kube-system, monitoring" />
      </label>
      <div className="filter-buttons">
        <button type="submit">Show allocation</button>
      </div>
    </form>
  );
}

/** A dimension to group by, and the label key it needs when it is LABEL. */
function DimensionFields(props: { title: string; keyTitle: string; dimension: string; labelKey: string; onDimension: Change; onKey: Change; example: string; optional?: boolean }) {
  const isLabel = props.dimension === 'LABEL';
  return (
    <>
      <label>
        {props.title}
        <select value={props.dimension} onChange={props.onDimension}>
          {props.optional && <option value="">Nothing</option>}
          {DIMENSIONS.map(([d, name]) => (
            <option key={d} value={d}>
              {name}
            </option>
          ))}
        </select>
      </label>
      <label>
        {props.keyTitle} <input value={props.labelKey} onChange={props.onKey} placeholder={`e.g. ${props.example}`} disabled={!isLabel} required={isLabel} />
      </label>
    </>
  );
}

const label = (row: Row) => (row.cluster ? `${row.cluster.name}: ${row.name}` : row.name);

/** The rows as CSV, one column per dimension and category. */
function allocationCsv(allocation: Allocation): string {
  const dimensions = allocation.rows[0]?.keys.map((k) => (k.labelKey ? `label:${k.labelKey}` : k.dimension.toLowerCase())) ?? [];
  const header = ['cluster', ...dimensions, 'cpu', 'ram', 'gpu', 'persistent_volumes', 'network', 'load_balancers', 'shared', 'total_cost', 'efficiency'];
  const lines = allocation.rows.map((r) =>
    [r.cluster?.name ?? '', ...r.keys.map((k) => k.value), r.cpu, r.ram, r.gpu, r.persistentVolumes, r.network, r.loadBalancers, r.shared, r.totalCost, r.efficiency].map(csvField).join(','),
  );
  return `${[header.join(','), ...lines].join('\r\n')}\r\n`;
}

function Split({ allocation, currency, view }: { allocation: Allocation; currency: string; view: AllocationView }) {
  const treemap = useMemo(
    () => ({
      tooltip: {},
      series: [
        {
          type: 'treemap',
          roam: false,
          nodeClick: false,
          breadcrumb: { show: false },
          data: allocation.rows.filter((r) => r.totalCost > 0).map((r) => ({ name: label(r), value: Number(r.totalCost.toFixed(2)) })),
        },
      ],
    }),
    [allocation],
  );
  const download = () => {
    const url = URL.createObjectURL(new Blob([allocationCsv(allocation)], { type: 'text/csv' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `allocation-${view.groups.map((g) => g.labelKey ?? g.dimension.toLowerCase()).join('-')}.csv`;
    link.click();
    URL.revokeObjectURL(url);
  };
  return (
    <>
      <section className="figures" aria-label="Allocation totals">
        <div className="figure" data-figure="allocation-total">
          <h2>Allocated{view.idle === 'HIDE' ? ' (idle hidden)' : ''}</h2>
          <p className="figure-value">
            <Money value={allocation.totalCost} currency={currency} />
          </p>
        </div>
        <div className="figure" data-figure="allocation-idle">
          <h2>Idle</h2>
          <p className="figure-value">
            <Money value={allocation.idleCost} currency={currency} />
          </p>
        </div>
        <div className="figure">
          <button type="button" onClick={download}>
            Download CSV
          </button>
        </div>
      </section>
      {allocation.warnings.length > 0 && (
        <div className="banner banner-warning" role="status">
          <ul aria-label="Notes on the allocation">
            {allocation.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </div>
      )}
      <Panel title="Cost by group">
        <Chart
          option={treemap}
          label="Cost by group"
          tableOpen
          table={
            <table className="data allocation-table">
              <thead>
                <tr>
                  <th scope="col">Cluster</th>
                  <th scope="col">Group</th>
                  <th scope="col" className="num">CPU</th>
                  <th scope="col" className="num">RAM</th>
                  <th scope="col" className="num">GPU</th>
                  <th scope="col" className="num">Volumes</th>
                  <th scope="col" className="num">Network</th>
                  <th scope="col" className="num">Load balancers</th>
                  <th scope="col" className="num">Shared</th>
                  <th scope="col" className="num">Total</th>
                  <th scope="col" className="num">Efficiency</th>
                </tr>
              </thead>
              <tbody>
                {allocation.rows.map((r) => (
                  <tr key={`${r.cluster?.id ?? ''}/${r.name}`}>
                    <td>{r.cluster?.name ?? 'several'}</td>
                    <th scope="row">{r.name}</th>
                    {[r.cpu, r.ram, r.gpu, r.persistentVolumes, r.network, r.loadBalancers, r.shared, r.totalCost].map((v, i) => (
                      <td key={i} className="num">
                        <Money value={v} currency={currency} empty="n/a" />
                      </td>
                    ))}
                    <td className="num">{r.efficiency === null ? <span className="no-data">n/a</span> : formatPercent(r.efficiency)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          }
        />
      </Panel>
    </>
  );
}
