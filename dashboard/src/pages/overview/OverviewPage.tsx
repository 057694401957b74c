import { useMemo } from 'react';
import { OverviewDocument } from '../../api/generated';
import { describeMissing, failedUnder } from '../../api/missing';
import { useQuery } from '../../api/use-query';
import { AdminOnly } from '../../auth/viewer';
import { Link } from '../../app/router';
import { Chart } from '../../charts/Chart';
import { CATEGORIES, CLOUD_COLOR, KUBERNETES_COLOR } from '../../charts/palette';
import { Money } from '../../format/money';
import { formatChange, formatMoney } from '../../format/money-format';
import { apiRange, previousRange } from '../../range/range';
import { RangePicker } from '../../range/RangePicker';
import { useRange } from '../../range/use-range';
import { Loading, MissingBanner, PageError, Panel } from '../../ui/Panel';
import { categoriesAcrossClusters, costPerDay, topServices } from './overview-data';

/** Total, cloud and Kubernetes cost with their change, cost per day, top services, categories: one request. */
export function OverviewPage() {
  const range = useRange();
  const variables = useMemo(() => ({ range: apiRange(range), previous: apiRange(previousRange(range)) }), [range.from, range.to]);
  const query = useQuery(OverviewDocument, variables);
  return (
    <>
      <h1>Overview</h1>
      <RangePicker key={`${range.from}/${range.to}`} range={range} />
      {query.status === 'loading' && <Loading what="the overview" />}
      {query.status === 'failed' && <PageError message={query.message} />}
      {query.status === 'done' && <OverviewBody data={query.data} errors={query.errors} range={range} />}
    </>
  );
}

function OverviewBody({ data, errors, range }: { data: import('../../api/generated').OverviewQuery; errors: Parameters<typeof describeMissing>[0]; range: ReturnType<typeof useRange> }) {
  const org = data.organizations[0];
  if (!org) return <p className="empty">This token sees no organization.</p>;
  const { currency } = org;
  const kubeFailed = org.kubernetesCosts === null || failedUnder(errors, 'kubernetesCosts');
  const clusters = org.kubernetesCosts?.clusters ?? [];
  const hasClusters = clusters.some((c) => c.hasData);
  const hasCloud = org.expenses.count > 0;
  const previousHadData = org.previousExpenses.count > 0 || (org.previousKubernetes?.clusters ?? []).some((c) => c.hasData);
  const summary = org.costSummary;
  const previous = org.previousSummary;
  const days = costPerDay(org, range);
  const services = topServices(org.expenses.services);
  const categories = categoriesAcrossClusters(clusters);

  const figures = [
    { id: 'total', label: 'Total cost', value: hasCloud || hasClusters ? summary.totalCost : null, before: previous.totalCost, empty: kubeFailed ? 'incomplete' : 'no data' },
    { id: 'cloud', label: 'Cloud cost', value: hasCloud ? summary.cloudCost : null, before: previous.cloudCost, empty: 'no data' },
    {
      id: 'kubernetes',
      label: 'Kubernetes cost',
      value: hasClusters ? summary.kubernetesCost : null,
      before: previous.kubernetesCost,
      empty: kubeFailed || summary.kubernetesCost === null ? 'unavailable' : 'no data',
    },
    {
      id: 'overlap',
      label: 'On the bill and in Kubernetes',
      value: hasCloud && hasClusters ? summary.overlap : null,
      before: previous.overlap,
      empty: kubeFailed ? 'unavailable' : 'nothing counted twice',
      note: 'Kubernetes estimate of nodes, disks and fees the cloud bill also charges: counted once in the total',
    },
  ];

  return (
    <>
      <MissingBanner lines={describeMissing(errors)} />
      <section aria-label="Totals" className="figures">
        {figures.map((f) => {
          const change = f.value !== null && f.before !== null && previousHadData ? formatChange(f.value, f.before) : undefined;
          return (
            <div key={f.id} className="figure" data-figure={f.id}>
              <h2>{f.label}</h2>
              <p className="figure-value">
                <Money value={f.value} currency={currency} empty={f.empty} />
              </p>
              {'note' in f && <p className="figure-note">{f.note}</p>}
              <p className="figure-change">
                {change ? (
                  <>
                    {change} vs the previous {days.length} days (<Money value={f.before} currency={currency} />)
                  </>
                ) : (
                  'no earlier data to compare'
                )}
              </p>
            </div>
          );
        })}
      </section>
      {!hasCloud && !hasClusters && !kubeFailed && (
        <p className="empty">
          No costs in this range yet.{' '}
          <AdminOnly>
            <Link href="/connect">Connect a cluster</Link>, import a FOCUS export (<code>costgraph import focus FILE</code>), or run <code>costgraph demo</code>.
          </AdminOnly>
        </p>
      )}
      <div className="grid">
        <Panel title="Cost per day" className="wide">
          <Chart
            label="Cost per day, cloud and Kubernetes stacked"
            option={{
              tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => (typeof v === 'number' ? formatMoney(v, currency) : 'no data') },
              legend: { top: 0 },
              grid: { left: 8, right: 8, bottom: 8, top: 32, containLabel: true },
              xAxis: { type: 'category', data: days.map((d) => d.day.slice(5)) },
              yAxis: { type: 'value' },
              series: [
                { name: 'Cloud', type: 'bar', stack: 'cost', color: CLOUD_COLOR, data: days.map((d) => d.cloud) },
                { name: 'Kubernetes', type: 'bar', stack: 'cost', color: KUBERNETES_COLOR, data: days.map((d) => d.kubernetes) },
              ],
            }}
            table={
              <table>
                <caption>Cost per UTC day (Kubernetes without network, which is not split by day)</caption>
                <thead>
                  <tr>
                    <th scope="col">Day</th>
                    <th scope="col">Cloud</th>
                    <th scope="col">Kubernetes</th>
                  </tr>
                </thead>
                <tbody>
                  {days.map((d) => (
                    <tr key={d.day}>
                      <th scope="row">{d.day}</th>
                      <td>
                        <Money value={d.cloud} currency={currency} />
                      </td>
                      <td>
                        <Money value={d.kubernetes} currency={currency} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            }
          />
        </Panel>
        <Panel title="Top services" failed={failedUnder(errors, 'services') ? 'cloud expenses' : undefined}>
          {services.length === 0 ? (
            <p className="empty">No cloud expenses in this range. Import a FOCUS export with <code>costgraph import focus FILE</code>.</p>
          ) : (
            <table className="bars">
              <thead>
                <tr>
                  <th scope="col">Service</th>
                  <th scope="col" className="num">
                    Cost
                  </th>
                </tr>
              </thead>
              <tbody>
                {services.map((s) => (
                  <tr key={s.name}>
                    <th scope="row">
                      <span className="bar-label">{s.name}</span>
                      <meter min={0} max={services[0].cost || 1} value={s.cost} aria-hidden="true" />
                    </th>
                    <td className="num">
                      <Money value={s.cost} currency={currency} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Panel>
        <Panel title="Kubernetes cost by category" failed={kubeFailed ? 'Kubernetes costs' : undefined}>
          {!hasClusters ? (
            <p className="empty">
              No cluster sent data for this range.{' '}
              <AdminOnly>
                <Link href="/connect">Connect a cluster</Link> or run <code>costgraph demo</code>.
              </AdminOnly>
            </p>
          ) : (
            <Chart
              label="Kubernetes cost by category across all clusters"
              option={{
                tooltip: { trigger: 'item', valueFormatter: (v: unknown) => (typeof v === 'number' ? formatMoney(v, currency) : '') },
                legend: { bottom: 0 },
                series: [
                  {
                    type: 'pie',
                    radius: ['38%', '62%'],
                    center: ['50%', '42%'],
                    label: { show: false },
                    data: categories.filter((c) => c.cost > 0).map((c) => ({ name: c.label, value: c.cost, itemStyle: { color: CATEGORIES.find((x) => x.key === c.key)!.color } })),
                  },
                ],
              }}
              table={
                <table>
                  <caption>Kubernetes cost by category, all clusters</caption>
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
                        <th scope="row">{c.label}</th>
                        <td className="num">
                          <Money value={c.cost} currency={currency} />
                          {c.unknownIn > 0 && <span className="note"> (unknown for {c.unknownIn} cluster{c.unknownIn > 1 ? 's' : ''})</span>}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              }
            />
          )}
        </Panel>
      </div>
    </>
  );
}
