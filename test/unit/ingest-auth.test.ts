import { ClusterAuthenticator, readCredential } from '../../ingest/auth/cluster-auth';
import { InflightBytes, TenantRateLimiter } from '../../ingest/limits';
import type { StoredClusterCredential } from '../../lib/accounts/cluster-credentials';
import { hashSecret, verifySecret } from '../../lib/security/secret-hash';

const ID = '11111111-1111-4111-8111-111111111111';
const basic = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });

describe('cluster authentication', () => {
  it('reads Basic and Bearer credentials and rejects disagreeing account headers', () => {
    expect(readCredential(basic(ID, 'p:w'))).toEqual({ cloudAccountId: ID, password: 'p:w' });
    expect(readCredential({ authorization: 'Bearer tok', 'cloud-account-id': ID })).toEqual({ cloudAccountId: ID, password: 'tok' });
    expect(() => readCredential({ ...basic(ID, 'p'), 'cloud-account-id': 'other' })).toThrow(/does not match/);
    expect(() => readCredential({ authorization: 'Digest x' })).toThrow(/unsupported/);
    expect(() => readCredential(basic(ID, ''))).toThrow(/empty/);
  });

  it('stops accepting a rotated or deleted credential once its cache entry expires', async () => {
    let stored: StoredClusterCredential | undefined = { cloudAccountId: ID, secretHash: await hashSecret('first') };
    const auth = new ClusterAuthenticator(async () => stored, { credentialTtlMs: 200 });
    await expect(auth.authenticate(basic(ID, 'first'))).resolves.toBe(ID);

    stored = { cloudAccountId: ID, secretHash: await hashSecret('second') };
    await new Promise((resolve) => setTimeout(resolve, 250));
    await expect(auth.authenticate(basic(ID, 'first'))).rejects.toMatchObject({ status: 401 });
    await expect(auth.authenticate(basic(ID, 'second'))).resolves.toBe(ID);

    stored = undefined;
    await new Promise((resolve) => setTimeout(resolve, 250));
    await expect(auth.authenticate(basic(ID, 'second'))).rejects.toMatchObject({ status: 401 });
  });

  it('accepts a freshly rotated password at once, and re-reads the store at most once per account on mismatches', async () => {
    let stored: StoredClusterCredential = { cloudAccountId: ID, secretHash: await hashSecret('first') };
    let lookups = 0;
    const auth = new ClusterAuthenticator(async () => (lookups++, stored), { credentialTtlMs: 60_000 });
    await expect(auth.authenticate(basic(ID, 'first'))).resolves.toBe(ID);
    stored = { cloudAccountId: ID, secretHash: await hashSecret('second') };
    // Long before the cached credential expires, and for concurrent requests alike.
    await expect(Promise.all([auth.authenticate(basic(ID, 'second')), auth.authenticate(basic(ID, 'second'))])).resolves.toEqual([ID, ID]);
    expect(lookups).toBe(2);
    // Wrong passwords right after do not cost a database read (the account was just re-read).
    for (let i = 0; i < 5; i++) await expect(auth.authenticate(basic(ID, `wrong-${i}`))).rejects.toMatchObject({ status: 401 });
    expect(lookups).toBe(2);
  });

  it('answers 503 (retry) rather than 401 (drop) when the credential store is down', async () => {
    const auth = new ClusterAuthenticator(async () => {
      throw new Error('connection refused');
    });
    await expect(auth.authenticate(basic(ID, 'x'))).rejects.toMatchObject({ status: 503 });
  });

  it('looks an account up once for concurrent requests', async () => {
    let calls = 0;
    const hash = await hashSecret('pw');
    const auth = new ClusterAuthenticator(async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { cloudAccountId: ID, secretHash: hash };
    });
    await Promise.all(Array.from({ length: 10 }, () => auth.authenticate(basic(ID, 'pw'))));
    expect(calls).toBe(1);
  });

  it('runs one scrypt verification for concurrent first requests with the same credential', async () => {
    const hash = await hashSecret('pw');
    const verified: string[] = [];
    const auth = new ClusterAuthenticator(async () => ({ cloudAccountId: ID, secretHash: hash }), {
      verify: (secret, stored) => {
        verified.push(secret);
        return verifySecret(secret, stored);
      },
    });
    const right = Array.from({ length: 20 }, () => auth.authenticate(basic(ID, 'pw')));
    const wrong = Array.from({ length: 5 }, () => auth.authenticate(basic(ID, 'guess')));
    const outcomes = await Promise.allSettled([...right, ...wrong]);
    expect(outcomes.slice(0, 20).every((o) => o.status === 'fulfilled' && o.value === ID)).toBe(true);
    expect(outcomes.slice(20).every((o) => o.status === 'rejected' && (o.reason as { status: number }).status === 401)).toBe(true);
    // One run per distinct password: a wrong guess shares nothing with the right one.
    expect(verified.sort()).toEqual(['guess', 'pw']);

    // Settled verdicts are cached; nothing runs scrypt again.
    await Promise.all(Array.from({ length: 5 }, () => auth.authenticate(basic(ID, 'pw'))));
    expect(verified).toHaveLength(2);
  });

  it('does not cache a failed verification: the next request tries again', async () => {
    const hash = await hashSecret('pw');
    let failNext = true;
    const auth = new ClusterAuthenticator(async () => ({ cloudAccountId: ID, secretHash: hash }), {
      verify: async (secret, stored) => {
        if (failNext) {
          failNext = false;
          throw new Error('out of memory');
        }
        return verifySecret(secret, stored);
      },
    });
    const first = await Promise.allSettled([auth.authenticate(basic(ID, 'pw')), auth.authenticate(basic(ID, 'pw'))]);
    expect(first.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    await expect(auth.authenticate(basic(ID, 'pw'))).resolves.toBe(ID);
  });
});

describe('ingest limits', () => {
  it('token bucket refuses after the burst and refills with time', () => {
    let now = 0;
    const limiter = new TenantRateLimiter(100, 2, () => now);
    limiter.take('a', 150);
    limiter.take('a', 60); // overdraws a non-empty bucket
    expect(() => limiter.take('a', 1)).toThrow(expect.objectContaining({ status: 429, headers: { 'Retry-After': '1' } }));
    limiter.take('b', 10); // other tenants unaffected
    now += 1000;
    expect(() => limiter.take('a', 1)).not.toThrow();
  });

  it('bounds in-flight bytes and releases exactly once', () => {
    const inflight = new InflightBytes(100);
    const first = inflight.acquire(80);
    expect(() => inflight.acquire(30)).toThrow(expect.objectContaining({ status: 503 }));
    first();
    first();
    expect(inflight.value).toBe(0);
    // A single request larger than the bound still goes through when nothing else is in flight.
    const big = inflight.acquire(500);
    big();
  });
});
