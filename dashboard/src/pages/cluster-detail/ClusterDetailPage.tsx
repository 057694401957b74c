import { useMemo } from 'react';
import { ClusterPageDocument, type ClusterPageQuery, type CostStep } from '../../api/generated';
import { describeMissing } from '../../api/missing';
import { useQuery } from '../../api/use-query';
import { Link, updateSearch, useLocation } from '../../app/router';
import { Chart } from '../../charts/Chart';
import { CATEGORIES } from '../../charts/palette';
import { formatUtc } from '../../format/dates';
import { Money } from '../../format/money';
import { formatMoney, formatPercent } from '../../format/money-format';
import { apiRange } from '../../range/range';
import { RangePicker } from '../../range/RangePicker';
import { useRange } from '../../range/use-range';
import { Loading, MissingBanner, PageError, Panel } from '../../ui/Panel';
import { AdminOnly } from '../../auth/viewer';
import { IngestProblems, IngestStateBadge, type IngestStatusView } from '../clusters/IngestStatus';

type Cost = NonNullable<NonNullable<ClusterPageQuery['cloudAccount']>['kubernetesCost']>;

const SAVINGS_KINDS: Record<string, string> = {
  REQUEST_RIGHTSIZING: 'Right-size requests',
  UNCLAIMED_VOLUME: 'Unclaimed volume',
  IDLE_CAPACITY: 'Idle capacity',
};

/** One cluster: categories, daily or hourly series, namespaces with idle, efficiency, savings, ingest status. */
export default function ClusterDetailPage({ id }: { id: string }) {
  const range = useRange();
  const { search } = useLocation();
  const step: CostStep = search.get('step') === 'hour' ? 'HOUR' : 'DAY';
  const variables = useMemo(() => ({ id, range: apiRange(range), step }), [id, range.from, range.to, step]);
  const query = useQuery(ClusterPageDocument, variables);
  const account = query.status === 'done' ? query.data.cloudAccount : null;
  return (
    <>
      <p className="breadcrumb">
        <Link href={`/clusters${window.location.search}`}>Clusters</Link> /
      </p>
      <h1>{account ? account.name : 'Cluster'}</h1>
      <RangePicker key={`${range.from}/${range.to}`} range={range} />
      {query.status === 'loading' && <Loading what="the cluster" />}
      {query.status === 'failed' && <PageError message={query.message} />}
      {query.status === 'done' && !account && <p className="empty">No cluster with this id is visible to your token.</p>}
      {query.status === 'done' && account && (
        <>
          <MissingBanner lines={describeMissing(query.errors)} />
          {account.kubernetesCost === null ? (
            <Panel title="Costs" failed={account.type === 'KUBERNETES' ? 'Kubernetes costs' : 'this account is not a Kubernetes cluster'} />
          ) : (
            <ClusterBody
              cost={account.kubernetesCost}
              currency={account.organization.currency}
              step={step}
              status={account.ingestStatus}
            />
          )}
        </>
      )}
    </>
  );
}

function ClusterBody({ cost, currency, step, status }: { cost: Cost; currency: string; step: CostStep; status: IngestStatusView | null }) {
  const categories = CATEGORIES.map((c) => ({ ...c, value: cost.breakdown[c.key] }));
  const label = (iso: string) => (step === 'DAY' ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`);
  const seriesCategories = CATEGORIES.filter((c) => c.key !== 'network');
  return (
    <>
      <section className="figures" aria-label="Summary">
        <div className="figure" data-figure="cluster-total">
          <h2>Total cost</h2>
          <p className="figure-value">
            <Money value={cost.hasData ? cost.totalCost : null} currency={currency} />
          </p>
          <p className="figure-change">{cost.breakdown.network === null ? 'network unknown (no egress metrics)' : 'network included'}</p>
        </div>
        <div className="figure">
          <h2>Data</h2>
          <p className="figure-value small-value">{status ? <IngestStateBadge status={status} /> : <span className="no-data">status unavailable</span>}</p>
          <p className="figure-change" data-last-sample>
            {status?.lastSampleAt ? `Last sample ${formatUtc(status.lastSampleAt)}` : 'No sample yet'}
          </p>
          {status && <IngestProblems status={status} />}
        </div>
        <div className="figure">
          <h2>Efficiency (usage ÷ request)</h2>
          {cost.efficiency ? (
            <dl className="efficiency">
              {(
                [
                  ['CPU', cost.efficiency.cpu],
                  ['Memory', cost.efficiency.ram],
                  ['Cost-weighted', cost.efficiency.total],
                ] as const
              ).map(([name, value]) => (
                <div key={name}>
                  <dt>{name}</dt>
                  <dd>
                    {formatPercent(value)}
                    {value !== null && <meter min={0} max={1} low={0.5} high={0.8} optimum={1} value={Math.min(value, 1)} aria-hidden="true" />}
                  </dd>
                </div>
              ))}
            </dl>
          ) : (
            <p className="no-data">no usage metrics</p>
          )}
        </div>
      </section>
      {!cost.hasData && (
        <p className="empty">
          This cluster sent no cost metrics for the range.{' '}
          <AdminOnly>
            See <Link href="/connect">Connect a cluster</Link> for the remote-write setup.
          </AdminOnly>
        </p>
      )}
      <div className="grid">
        <Panel title="Cost by category">
          <Chart
            label="Cluster cost by category"
            tableOpen
            option={{
              tooltip: { trigger: 'item', valueFormatter: (v: unknown) => (typeof v === 'number' ? formatMoney(v, currency) : '') },
              series: [
                {
                  type: 'pie',
                  radius: ['40%', '70%'],
                  label: { show: false },
                  data: categories.filter((c) => (c.value ?? 0) > 0).map((c) => ({ name: c.label, value: c.value, itemStyle: { color: c.color } })),
                },
              ],
            }}
            table={
              <table>
                <thead>
                  <tr>
                    <th scope="col">Category</th>
                    <th scope="col" className="num">
                      Cost
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {categories.map((c) => (
                    <tr key={c.key} data-category={c.key}>
                      <th scope="row">
                        <span className={`swatch segment-${c.key}`} /> {c.label}
                      </th>
                      <td className="num">
                        <Money value={c.value} currency={currency} empty="unknown" />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            }
          />
        </Panel>
        <Panel title="Savings recommendations">
          {cost.savings.length === 0 ? (
            <p className="empty">No recommendation for this range.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Recommendation</th>
                  <th scope="col" className="num">
                    Saving per month
                  </th>
                </tr>
              </thead>
              <tbody>
                {cost.savings.map((s) => (
                  <tr key={`${s.kind}/${s.target}`}>
                    <td className="text-cell">
                      <strong>{SAVINGS_KINDS[s.kind] ?? s.kind}</strong>: <code>{s.target}</code>
                      <br />
                      <span className="muted small">{s.explanation}</span>
                    </td>
                    <td className="num">
                      <Money value={s.monthlySavings} currency={currency} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Panel>
        <Panel title={step === 'DAY' ? 'Cost per day' : 'Cost per hour'} className="wide">
          <div role="group" aria-label="Series resolution" className="presets">
            <button type="button" className="chip" aria-pressed={step === 'DAY'} onClick={() => updateSearch({ step: undefined }, { replace: true })}>
              Daily
            </button>
            <button type="button" className="chip" aria-pressed={step === 'HOUR'} onClick={() => updateSearch({ step: 'hour' }, { replace: true })}>
              Hourly
            </button>
          </div>
          <Chart
            label={`Cluster cost per ${step === 'DAY' ? 'day' : 'hour'} by category`}
            option={{
              tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => (typeof v === 'number' ? formatMoney(v, currency) : '') },
              legend: { top: 0 },
              grid: { left: 8, right: 8, bottom: 8, top: 40, containLabel: true },
              xAxis: { type: 'category', data: cost.series.map((p) => label(p.start)) },
              yAxis: { type: 'value' },
              series: seriesCategories.map((c) => ({ name: c.label, type: 'bar', stack: 'cost', color: c.color, data: cost.series.map((p) => p.breakdown[c.key as Exclude<typeof c.key, 'network'>]) })),
            }}
            table={
              <table>
                <caption>Cost per UTC {step === 'DAY' ? 'day' : 'hour'} (network is not split by time)</caption>
                <thead>
                  <tr>
                    <th scope="col">Start</th>
                    <th scope="col" className="num">
                      Total
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {cost.series.map((p) => (
                    <tr key={p.start}>
                      <th scope="row">{label(p.start)}</th>
                      <td className="num">
                        {/* A bucket at exactly 0 had no samples: a running cluster always costs something. */}
                        <Money value={p.totalCost || null} currency={currency} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            }
          />
        </Panel>
        <Panel title="Namespaces" className="wide">
          <div className="table-scroll">
            <table>
              <caption>Cost allocated to each namespace (the larger of request and usage); idle is capacity paid for but allocated to none</caption>
              <thead>
                <tr>
                  <th scope="col">Namespace</th>
                  {['Total', 'CPU', 'RAM', 'GPU', 'Volumes', 'Load balancers'].map((h) => (
                    <th key={h} scope="col" className="num">
                      {h}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {cost.namespaces.map((n) => (
                  <tr key={n.namespace} className={n.namespace === '__idle__' ? 'idle' : undefined}>
                    <th scope="row" className="text-cell">
                      {n.namespace === '__idle__' ? <em>Idle (unallocated)</em> : n.namespace}
                    </th>
                    {[n.totalCost, n.cpu, n.ram, n.gpu, n.persistentVolumes, n.loadBalancers].map((v, i) => (
                      <td key={i} className="num">
                        <Money value={v} currency={currency} />
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Panel>
      </div>
    </>
  );
}
