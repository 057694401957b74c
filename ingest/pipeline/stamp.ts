import type { TimeSeries } from '../../lib/remote-write/write-request';

export const TENANT_LABEL = 'tenant_id';

/**
 * Sets `tenant_id` on every series to the authenticated tenant, replacing whatever the
 * sender put there: the tenant comes from the credential, never from the data.
 * Expects labels sorted by name (validation guarantees it) and keeps them sorted.
 */
export function stampTenant(timeseries: TimeSeries[], tenant: string): void {
  for (const series of timeseries) {
    const labels = series.labels;
    let i = 0;
    while (i < labels.length && labels[i].name < TENANT_LABEL) i++;
    if (i < labels.length && labels[i].name === TENANT_LABEL) labels[i] = { name: TENANT_LABEL, value: tenant };
    else labels.splice(i, 0, { name: TENANT_LABEL, value: tenant });
  }
}
