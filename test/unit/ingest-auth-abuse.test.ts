import { ClusterAuthenticator, type AuthRefusal } from '../../ingest/auth/cluster-auth';
import { clientAddress } from '../../ingest/auth/client-address';
import { FailureThrottle } from '../../ingest/auth/failure-throttle';
import type { StoredClusterCredential } from '../../lib/accounts/cluster-credentials';
import { hashSecret, verifySecret } from '../../lib/accounts/secret-hash';
import { VerificationBusyError, VerificationQueue } from '../../lib/accounts/verification-queue';
import type http from 'node:http';

const KNOWN = '11111111-1111-4111-8111-111111111111';
const UNKNOWN = '33333333-3333-4333-8333-333333333333';
const basic = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });
const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    (error: { status: number; headers?: Record<string, string> }) => ({ status: error.status, retryAfter: error.headers?.['Retry-After'] }),
  );

/** A verify function whose calls wait until the test releases them, or all of them once opened. */
function gatedVerify() {
  const calls: Array<{ secret: string; release: () => void }> = [];
  let running = 0;
  let peak = 0;
  let open = false;
  const verify = async (secret: string, stored: string) => {
    running++;
    peak = Math.max(peak, running);
    if (!open) await new Promise<void>((resolve) => calls.push({ secret, release: resolve }));
    running--;
    return verifySecret(secret, stored);
  };
  const releaseAll = () => {
    open = true;
    calls.splice(0).forEach((call) => call.release());
  };
  const close = () => {
    open = false;
  };
  return { verify, calls, releaseAll, close, peak: () => peak };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('verification queue', () => {
  it('never runs more than its concurrency, refuses beyond its queue, and hands slots over without overshoot', async () => {
    const queue = new VerificationQueue({ concurrency: 2, maxQueued: 3 });
    const gate = gatedVerify();
    const results = Array.from({ length: 7 }, (_, i) => queue.run(() => gate.verify(`s${i}`, 'not-a-hash')).then(String, (error: Error) => error));
    await flush();
    expect(gate.calls).toHaveLength(2);
    expect(queue.queued).toBe(3);
    // The two beyond the queue were refused at once, with a time to come back.
    const refused = await Promise.all(results.slice(5));
    for (const error of refused) expect(error).toBeInstanceOf(VerificationBusyError);
    expect((refused[0] as VerificationBusyError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    // A finished verification hands its slot to the first in the queue; a newcomer queues behind.
    gate.calls.shift()!.release();
    await results[0];
    await flush();
    expect(gate.calls).toHaveLength(2);
    expect(queue.queued).toBe(2);
    const late = queue.run(() => gate.verify('late', 'not-a-hash'));
    expect(queue.queued).toBe(3);
    gate.releaseAll();
    await expect(late).resolves.toBe(false);
    expect(await Promise.all(results.slice(0, 5))).toEqual(['false', 'false', 'false', 'false', 'false']);
    expect(gate.peak()).toBe(2);
    expect(queue.peakRunning).toBe(2);
    expect(queue.started).toBe(6);
  });
});

describe('cluster authentication under a flood of guesses', () => {
  let hash: string;
  beforeAll(async () => {
    hash = await hashSecret('right');
  });
  const lookup = async (id: string): Promise<StoredClusterCredential | undefined> => (id === KNOWN ? { cloudAccountId: KNOWN, secretHash: hash } : undefined);

  it('costs an unknown account exactly what a known one costs: one verification, through the same queue, the same answers', async () => {
    const verified: string[] = [];
    const queue = new VerificationQueue({ concurrency: 1, maxQueued: 1 });
    const auth = new ClusterAuthenticator(lookup, {
      queue,
      verify: (secret, stored) => (verified.push(secret), verifySecret(secret, stored)),
    });
    expect(await outcome(auth.authenticate(basic(KNOWN, 'wrong-1')))).toEqual({ status: 401, retryAfter: undefined });
    expect(verified).toEqual(['wrong-1']);
    expect(queue.started).toBe(1);
    expect(await outcome(auth.authenticate(basic(UNKNOWN, 'wrong-2')))).toEqual({ status: 401, retryAfter: undefined });
    expect(verified).toEqual(['wrong-1', 'wrong-2']);
    expect(queue.started).toBe(2);
    // Repeating either costs nothing more.
    await outcome(auth.authenticate(basic(KNOWN, 'wrong-1')));
    await outcome(auth.authenticate(basic(UNKNOWN, 'wrong-2')));
    expect(queue.started).toBe(2);

    // With the queue full, both are refused alike (429), so a full queue reveals nothing either.
    const gate = gatedVerify();
    const blocked = new ClusterAuthenticator(lookup, { queue: new VerificationQueue({ concurrency: 1, maxQueued: 1 }), verify: gate.verify });
    const occupying = [outcome(blocked.authenticate(basic(KNOWN, 'a'))), outcome(blocked.authenticate(basic(UNKNOWN, 'b')))];
    await flush();
    const [known, unknown] = await Promise.all([outcome(blocked.authenticate(basic(KNOWN, 'c'))), outcome(blocked.authenticate(basic(UNKNOWN, 'd')))]);
    expect(known).toEqual({ status: 429, retryAfter: '1' });
    expect(unknown).toEqual(known);
    gate.releaseAll();
    expect(await Promise.all(occupying)).toEqual([
      { status: 401, retryAfter: undefined },
      { status: 401, retryAfter: undefined },
    ]);
  });

  it('answers a verified credential at once while the queue is full of guesses', async () => {
    const gate = gatedVerify();
    const refusals: AuthRefusal[] = [];
    const queue = new VerificationQueue({ concurrency: 1, maxQueued: 2 });
    const auth = new ClusterAuthenticator(lookup, { queue, verify: gate.verify, onRefused: (reason) => refusals.push(reason) });
    const first = auth.authenticate(basic(KNOWN, 'right'));
    await flush();
    gate.releaseAll();
    await expect(first).resolves.toBe(KNOWN);

    gate.close();
    const guesses = Array.from({ length: 10 }, (_, i) => outcome(auth.authenticate(basic(UNKNOWN, `guess-${i}`))));
    await flush();
    expect(gate.calls).toHaveLength(1);
    expect(queue.queued).toBe(2);
    // Nothing was released: the cached verdict did not wait for any guess.
    await expect(auth.authenticate(basic(KNOWN, 'right'))).resolves.toBe(KNOWN);
    expect(gate.calls).toHaveLength(1);
    gate.releaseAll();
    const answers = await Promise.all(guesses);
    expect(answers.filter((a) => typeof a === 'object' && a.status === 429)).toHaveLength(7);
    expect(refusals.filter((r) => r === 'queue_full')).toHaveLength(7);
    expect(refusals.filter((r) => r === 'invalid')).toHaveLength(3);
  });

  it('throttles repeated failures per address and per user name, never a verified credential, and forgives with time', async () => {
    let now = 0;
    const throttle = () => new FailureThrottle({ burst: 3, perMinute: 6, now: () => now });
    const refusals: AuthRefusal[] = [];
    const verified: string[] = [];
    const auth = new ClusterAuthenticator(lookup, {
      sourceThrottle: throttle(),
      userThrottle: throttle(),
      verify: (secret, stored) => (verified.push(secret), verifySecret(secret, stored)),
      onRefused: (reason) => refusals.push(reason),
    });
    await expect(auth.authenticate(basic(KNOWN, 'right'), '10.0.0.1')).resolves.toBe(KNOWN);

    // One address guessing many accounts: three failures, then 429 before any verification.
    for (let i = 0; i < 3; i++) expect(await outcome(auth.authenticate(basic(`${UNKNOWN.slice(0, -1)}${i}`, 'x'), '10.0.0.66'))).toMatchObject({ status: 401 });
    const verifiedBefore = verified.length;
    expect(await outcome(auth.authenticate(basic(UNKNOWN, 'y'), '10.0.0.66'))).toEqual({ status: 429, retryAfter: '10' });
    expect(verified).toHaveLength(verifiedBefore);
    // The same address still gets a verified credential through (the cluster behind a shared NAT).
    await expect(auth.authenticate(basic(KNOWN, 'right'), '10.0.0.66')).resolves.toBe(KNOWN);

    // Many addresses guessing one account's password: the account's own bucket runs dry.
    for (let i = 0; i < 3; i++) expect(await outcome(auth.authenticate(basic(KNOWN, `guess-${i}`), `10.1.0.${i}`))).toMatchObject({ status: 401 });
    expect(await outcome(auth.authenticate(basic(KNOWN, 'guess-9'), '10.1.0.9'))).toEqual({ status: 429, retryAfter: '10' });
    // ... while its cluster, already verified, keeps writing from anywhere.
    await expect(auth.authenticate(basic(KNOWN, 'right'), '10.2.0.1')).resolves.toBe(KNOWN);
    expect(refusals.filter((r) => r === 'source_throttled')).toHaveLength(1);
    expect(refusals.filter((r) => r === 'user_throttled')).toHaveLength(1);

    // Ten seconds give one failure back (6 a minute).
    now += 10_000;
    expect(await outcome(auth.authenticate(basic(UNKNOWN, 'z'), '10.0.0.66'))).toMatchObject({ status: 401 });
    expect(await outcome(auth.authenticate(basic(UNKNOWN, 'z2'), '10.0.0.66'))).toMatchObject({ status: 429 });
  });

  it('forgets an account on notice, and a lookup that was in flight then does not refill the cache', async () => {
    let stored: StoredClusterCredential | undefined = { cloudAccountId: KNOWN, secretHash: hash };
    let lookups = 0;
    let hold: Promise<void> | undefined;
    const auth = new ClusterAuthenticator(
      async () => {
        lookups++;
        const read = stored;
        await hold;
        return read;
      },
      { credentialTtlMs: 60_000 },
    );
    await expect(auth.authenticate(basic(KNOWN, 'right'))).resolves.toBe(KNOWN);
    auth.forget(KNOWN);
    let release!: () => void;
    hold = new Promise((resolve) => (release = resolve));
    const racing = auth.authenticate(basic(KNOWN, 'right'));
    await flush();
    // The account is deleted while that read is on its way back with the old credential.
    stored = undefined;
    auth.forget(KNOWN);
    release();
    await expect(racing).resolves.toBe(KNOWN);
    hold = undefined;
    expect(await outcome(auth.authenticate(basic(KNOWN, 'right')))).toMatchObject({ status: 401 });
    expect(lookups).toBe(4);
  });
});

describe('client address', () => {
  const request = (remoteAddress: string, forwarded?: string) =>
    ({ socket: { remoteAddress }, headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded } }) as unknown as http.IncomingMessage;

  it('trusts only as many X-Forwarded-For entries as there are proxies', () => {
    expect(clientAddress(request('10.0.0.9', '1.2.3.4'), 0)).toBe('10.0.0.9');
    // The client wrote "6.6.6.6"; the Ingress appended the address it saw.
    expect(clientAddress(request('10.0.0.9', '6.6.6.6, 1.2.3.4'), 1)).toBe('1.2.3.4');
    expect(clientAddress(request('10.0.0.9', '6.6.6.6, 1.2.3.4, 10.0.0.7'), 2)).toBe('1.2.3.4');
    expect(clientAddress(request('10.0.0.9'), 1)).toBe('10.0.0.9');
  });
});
