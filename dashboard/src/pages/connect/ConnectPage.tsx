import { useEffect, useState, type FormEvent } from 'react';
import { ClusterStatusDocument, CreateKubernetesClusterDocument, OrganizationsDocument, type ClusterStatusQuery, type CreateKubernetesClusterMutation } from '../../api/generated';
import { execute, Unauthenticated } from '../../api/client';
import { useQuery } from '../../api/use-query';
import { Link } from '../../app/router';
import { useRole } from '../../auth/viewer';
import { formatUtc } from '../../format/dates';
import { Loading, PageError, Panel } from '../../ui/Panel';

type Connection = CreateKubernetesClusterMutation['createKubernetesCluster'];
type Status = NonNullable<NonNullable<ClusterStatusQuery['cloudAccount']>['ingestStatus']>;
/** How often the page asks whether the first samples arrived: often at first, while someone is pasting the configuration... */
const POLL_MS = 3000;
/** ...then less often, once it is clear the cluster takes a while. */
const SLOW_POLL_MS = 15_000;
const SLOW_AFTER_MS = 2 * 60_000;

/** Name → create → the credential shown once with copy buttons → waits until the cluster's data arrives. */
export default function ConnectPage() {
  const role = useRole();
  if (role === undefined) return <Loading what="what your token may do" />;
  if (role === 'READ_ONLY')
    return (
      <>
        <h1>Connect a cluster</h1>
        <p className="empty">
          Your API token is read-only: it can see costs but not connect clusters. Connecting a cluster needs an admin token (<code>costgraph token create --role admin</code>).
        </p>
      </>
    );
  return <ConnectFlow />;
}

function ConnectFlow() {
  const organizations = useQuery(OrganizationsDocument, {});
  const [connection, setConnection] = useState<Connection>();
  const org = organizations.status === 'done' ? organizations.data.organizations[0] : undefined;
  return (
    <>
      <h1>Connect a cluster</h1>
      <p>
        Each Kubernetes cluster remote-writes its Kubecost or OpenCost metrics to costgraph with its own credential. Create the cluster here, paste the
        configuration into its Prometheus or Kubecost Helm values, and this page shows when the first samples arrive.
      </p>
      {organizations.status === 'loading' && <Loading what="your organization" />}
      {organizations.status === 'failed' && <PageError message={organizations.message} />}
      {org && !connection && <CreateForm organizationId={org.id} onCreated={setConnection} />}
      {connection && <Credential connection={connection} />}
      {connection && <WaitForSamples id={connection.cloudAccount.id} name={connection.cloudAccount.name} />}
    </>
  );
}

function CreateForm({ organizationId, onCreated }: { organizationId: string; onCreated: (c: Connection) => void }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const answer = await execute(CreateKubernetesClusterDocument, { organizationId, name });
      if (answer.data) onCreated(answer.data.createKubernetesCluster);
      else setError(answer.errors.map((e) => e.message).join('; ') || 'the cluster was not created');
    } catch (failure) {
      if (!(failure instanceof Unauthenticated)) setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Panel title="1. Name the cluster">
      <form className="connect-form" onSubmit={submit}>
        <label htmlFor="cluster-name">Cluster name</label>
        <input id="cluster-name" value={name} onChange={(e) => setName(e.target.value)} required aria-describedby={error ? 'cluster-name-error' : undefined} aria-invalid={!!error} />
        {error && (
          <p id="cluster-name-error" className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create cluster'}
        </button>
      </form>
    </Panel>
  );
}

function CopyBlock({ label, text, multiline = false }: { label: string; text: string; multiline?: boolean }) {
  const [copied, setCopied] = useState<string>();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied('Copied');
    } catch {
      setCopied('Copying was refused; select the text and copy it');
    }
  };
  return (
    <div className="copy-block">
      <div className="copy-head">
        <span className="copy-label">{label}</span>
        <button type="button" className="secondary" onClick={() => void copy()} aria-label={`Copy ${label}`}>
          Copy
        </button>
        <span role="status" className="muted small">
          {copied}
        </span>
      </div>
      {multiline ? <pre tabIndex={0}>{text}</pre> : <code className="copy-value">{text}</code>}
    </div>
  );
}

function Credential({ connection }: { connection: Connection }) {
  return (
    <Panel title="2. Configure the cluster">
      <p className="banner banner-warning" role="note">
        The password is shown <strong>once</strong>. Copy the configuration now; a new password needs <code>costgraph cluster create</code> again or a credential
        rotation.
      </p>
      <CopyBlock label="Remote-write URL" text={connection.remoteWriteUrl} />
      <CopyBlock label="User name (cluster id)" text={connection.username} />
      <CopyBlock label="Password" text={connection.password} />
      <CopyBlock label="Prometheus remote_write block" text={connection.prometheusRemoteWrite} multiline />
      <CopyBlock label="Kubecost Helm values" text={connection.kubecostHelmValues} multiline />
    </Panel>
  );
}

/**
 * Polls the cluster's ingest status until ingest has accepted a write: every 3 s for the first
 * two minutes, every 15 s after, and not at all while the tab is hidden.
 */
function WaitForSamples({ id, name }: { id: string; name: string }) {
  const [status, setStatus] = useState<Status>();
  const [problem, setProblem] = useState<string>();
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const started = Date.now();
    const schedule = () => {
      if (stopped) return;
      if (document.hidden) document.addEventListener('visibilitychange', schedule, { once: true });
      else timer = setTimeout(() => void poll(), Date.now() - started < SLOW_AFTER_MS ? POLL_MS : SLOW_POLL_MS);
    };
    const poll = async () => {
      try {
        const answer = await execute(ClusterStatusDocument, { id });
        const current = answer.data?.cloudAccount?.ingestStatus ?? undefined;
        setProblem(answer.errors.length > 0 ? answer.errors.map((e) => e.message).join('; ') : undefined);
        if (current) setStatus(current);
        if (current?.state === 'RECEIVING') return;
      } catch (error) {
        if (error instanceof Unauthenticated) return;
        setProblem(error instanceof Error ? error.message : String(error));
      }
      schedule();
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', schedule);
    };
  }, [id]);
  const receiving = status?.state === 'RECEIVING';
  return (
    <Panel title="3. Wait for the first samples">
      {receiving ? (
        <p className="badge badge-receiving" role="status" data-connect-state="receiving">
          ● receiving: {name} sent its first samples{status.lastSampleAt ? ` (newest ${formatUtc(status.lastSampleAt)})` : ''}. <Link href={`/clusters/${id}`}>Open the cluster</Link>
        </p>
      ) : (
        <p role="status" data-connect-state="waiting">
          <span className="spinner" aria-hidden="true" /> Waiting for first samples from {name}… This page checks every few seconds.
        </p>
      )}
      {!receiving && status?.lastError && (
        <p className="form-error" data-last-error>
          Ingest refused the cluster&apos;s last write ({formatUtc(status.lastError.at)}): {status.lastError.message}
        </p>
      )}
      {problem && <p className="muted">Last check failed: {problem}</p>}
    </Panel>
  );
}
