import { useEffect, useState, type FormEvent } from 'react';
import { ClusterStatusDocument, CreateKubernetesClusterDocument, OrganizationsDocument, type CreateKubernetesClusterMutation } from '../../api/generated';
import { execute, Unauthenticated } from '../../api/client';
import { useQuery } from '../../api/use-query';
import { Link } from '../../app/router';
import { formatUtc } from '../../format/dates';
import { Loading, PageError, Panel } from '../../ui/Panel';

type Connection = CreateKubernetesClusterMutation['createKubernetesCluster'];
/** How often the page asks whether the first samples arrived. */
const POLL_MS = 3000;

/** Name → create → the credential shown once with copy buttons → waits until the cluster's data arrives. */
export default function ConnectPage() {
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
      {connection && <WaitForSamples id={connection.cloudAccount.id} name={connection.cloudAccount.name} createdAt={connection.cloudAccount.createdAt} />}
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

function WaitForSamples({ id, name, createdAt }: { id: string; name: string; createdAt: string }) {
  const [lastSampleAt, setLastSampleAt] = useState<string | null>(null);
  const [problem, setProblem] = useState<string>();
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const poll = async () => {
      // A window that ends a little ahead of now and moves with each poll, so no cached "no data" answer repeats.
      const to = new Date(Math.ceil((Date.now() + 60_000) / 1000) * 1000).toISOString();
      const from = new Date(Date.parse(createdAt) - 60 * 60_000).toISOString();
      try {
        const answer = await execute(ClusterStatusDocument, { id, recent: { from, to } });
        const cost = answer.data?.cloudAccount?.kubernetesCost;
        setProblem(answer.errors.length > 0 ? answer.errors.map((e) => e.message).join('; ') : undefined);
        if (cost?.hasData && cost.lastSampleAt) {
          setLastSampleAt(cost.lastSampleAt);
          return;
        }
      } catch (error) {
        if (error instanceof Unauthenticated) return;
        setProblem(error instanceof Error ? error.message : String(error));
      }
      if (!stopped) timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [id, createdAt]);
  return (
    <Panel title="3. Wait for the first samples">
      {lastSampleAt ? (
        <p className="badge badge-receiving" role="status" data-connect-state="receiving">
          ● receiving: {name} sent its first samples (newest {formatUtc(lastSampleAt)}). <Link href={`/clusters/${id}`}>Open the cluster</Link>
        </p>
      ) : (
        <p role="status" data-connect-state="waiting">
          <span className="spinner" aria-hidden="true" /> Waiting for the first samples from {name}… This page checks every {POLL_MS / 1000} s.
        </p>
      )}
      {problem && <p className="muted">Last check failed: {problem}</p>}
    </Panel>
  );
}
