import crypto from 'node:crypto';
import { ClusterAuthenticator, readCredential } from '../../ingest/auth/cluster-auth';
import { loadIngestConfig } from '../../ingest/config';
import { InflightBytes, TenantRateLimiter } from '../../ingest/limits';
import type { StoredClusterCredential } from '../../lib/accounts/cluster-credentials';
import { hashSecret, verifySecret } from '../../lib/accounts/secret-hash';

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

  it('accepts a freshly rotated password at once, and re-reads the store at most once per password on mismatches', async () => {
    let stored: StoredClusterCredential = { cloudAccountId: ID, secretHash: await hashSecret('first') };
    let lookups = 0;
    const auth = new ClusterAuthenticator(async () => (lookups++, stored), { credentialTtlMs: 60_000 });
    await expect(auth.authenticate(basic(ID, 'first'))).resolves.toBe(ID);
    stored = { cloudAccountId: ID, secretHash: await hashSecret('second') };
    // Long before the cached credential expires, and for concurrent requests alike.
    await expect(Promise.all([auth.authenticate(basic(ID, 'second')), auth.authenticate(basic(ID, 'second'))])).resolves.toEqual([ID, ID]);
    expect(lookups).toBe(2);
    // A wrong password repeated costs one database read, not one per request.
    for (let i = 0; i < 5; i++) await expect(auth.authenticate(basic(ID, 'wrong'))).rejects.toMatchObject({ status: 401 });
    expect(lookups).toBe(3);
  });

  it('accepts a rotated password at once even right after a wrong password or an earlier rotation', async () => {
    let stored: StoredClusterCredential = { cloudAccountId: ID, secretHash: await hashSecret('first') };
    const auth = new ClusterAuthenticator(async () => stored, { credentialTtlMs: 60_000 });
    await expect(auth.authenticate(basic(ID, 'first'))).resolves.toBe(ID);
    // Someone presents a wrong password (the account is re-read) ...
    await expect(auth.authenticate(basic(ID, 'wrong'))).rejects.toMatchObject({ status: 401 });
    // ... and the operator rotates within the next seconds: the new password must not get a 401,
    // which a real Prometheus answers by dropping the batch.
    stored = { cloudAccountId: ID, secretHash: await hashSecret('second') };
    await expect(auth.authenticate(basic(ID, 'second'))).resolves.toBe(ID);
    // Rotated twice in quick succession: the third password works at once too.
    stored = { cloudAccountId: ID, secretHash: await hashSecret('third') };
    await expect(auth.authenticate(basic(ID, 'third'))).resolves.toBe(ID);
    // The earlier passwords stop working as soon as the new hash is known.
    await expect(auth.authenticate(basic(ID, 'first'))).rejects.toMatchObject({ status: 401 });
    await expect(auth.authenticate(basic(ID, 'second'))).rejects.toMatchObject({ status: 401 });
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

describe('cluster credential comparisons are timing-safe', () => {
  afterEach(() => jest.restoreAllMocks());

  it('checks every presented password with scrypt and crypto.timingSafeEqual: right, wrong, rotated and unknown account alike', async () => {
    // secret-hash binds crypto.scrypt when it loads: load a fresh copy after the spy is in place.
    const realTimingSafeEqual = crypto.timingSafeEqual;
    const scrypt = jest.spyOn(crypto, 'scrypt');
    const timingSafeEqual = jest.spyOn(crypto, 'timingSafeEqual');
    let Authenticator!: typeof ClusterAuthenticator;
    let hash!: (secret: string) => Promise<string>;
    jest.isolateModules(() => {
      ({ ClusterAuthenticator: Authenticator } = jest.requireActual<typeof import('../../ingest/auth/cluster-auth')>('../../ingest/auth/cluster-auth'));
      ({ hashSecret: hash } = jest.requireActual<typeof import('../../lib/accounts/secret-hash')>('../../lib/accounts/secret-hash'));
    });
    let stored: StoredClusterCredential | undefined = { cloudAccountId: ID, secretHash: await hash('right') };
    const auth = new Authenticator(async (id) => (id === ID ? stored : undefined), { credentialTtlMs: 60_000 });
    scrypt.mockClear();

    const compared: Array<[number, number]> = [];
    timingSafeEqual.mockImplementation(((a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      compared.push([a.byteLength, b.byteLength]);
      return realTimingSafeEqual(a, b);
    }) as typeof crypto.timingSafeEqual);
    const attempt = async (account: string, password: string) => {
      const before = compared.length;
      const scryptsBefore = scrypt.mock.calls.length;
      const outcome = await auth.authenticate(basic(account, password)).then(
        () => 'accepted',
        (error: { status: number }) => error.status,
      );
      return { outcome, comparisons: compared.length - before, scrypts: scrypt.mock.calls.length - scryptsBefore };
    };

    expect(await attempt(ID, 'right')).toEqual({ outcome: 'accepted', comparisons: 1, scrypts: 1 });
    expect(await attempt(ID, 'wrong')).toMatchObject({ outcome: 401, scrypts: 1 });
    // An unknown account costs a verification against a dummy hash, like a known one.
    expect(await attempt('33333333-3333-4333-8333-333333333333', 'anything')).toEqual({ outcome: 401, comparisons: 1, scrypts: 1 });
    // A rotated password is verified the same way against the new hash.
    stored = { cloudAccountId: ID, secretHash: await hash('rotated') };
    expect(await attempt(ID, 'rotated')).toMatchObject({ outcome: 'accepted' });
    // Every comparison was of two equal-length derived keys, never of the password itself.
    expect(compared.length).toBeGreaterThanOrEqual(4);
    for (const [x, y] of compared) expect([x, y]).toEqual([32, 32]);
    for (const call of scrypt.mock.calls) expect(['right', 'wrong', 'anything', 'rotated']).toContain(call[0]);
  });

  it('trusts a cached credential for at most a minute by default', () => {
    expect(loadIngestConfig({}).credentialTtlMs).toBeLessThanOrEqual(60_000);
    expect(loadIngestConfig({ INGEST_CREDENTIAL_TTL: '2s' }).credentialTtlMs).toBe(2000);
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
