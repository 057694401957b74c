import crypto from 'node:crypto';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createOrganization, findOrganization } from '../../lib/accounts/repository';
import { openDatabase } from '../../lib/db/open';

/*
 * PGlite admits one process. The owner records itself in DATA_DIR/pglite/owner.json; `up`
 * serves the database over the wire protocol and records the port; other processes connect
 * there, wait for a short-lived owner, or take over from a dead one. Real processes play the
 * other owner, since the record is about process ids.
 */

const ROOT = path.join(__dirname, '..', '..');
const CHILD = path.join(__dirname, '..', 'helpers', 'embedded-owner-child.ts');
const childEnv = () => ({ ...process.env, NODE_OPTIONS: '' });

interface Owner {
  child: ChildProcess;
  pid: number;
  servedAt: string | null;
  stderr: () => string;
  /** SIGTERM, and the process gone. */
  stop(): Promise<void>;
}

/** Starts a process that owns the embedded database under `dataDir` until stopped. */
function startOwner(dataDir: string, mode: 'serve' | 'hold'): Promise<Owner> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, mode], { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!stdout.includes('\n')) return;
      const line = JSON.parse(stdout.split('\n')[0]) as { pid: number; servedAt: string | null };
      resolve({
        child,
        pid: line.pid,
        servedAt: line.servedAt,
        stderr: () => stderr,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
    child.once('exit', (code) => reject(new Error(`owner exited with ${code} before opening: ${stderr}`)));
  });
}

/** The id of a process that existed and is gone. */
function deadPid(): number {
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(gone.stdout.toString());
}

const ownerFile = (dataDir: string) => path.join(dataDir, 'pglite', 'owner.json');
const readOwnerFile = (dataDir: string) => JSON.parse(fs.readFileSync(ownerFile(dataDir), 'utf8')) as { pid: number; port: number | null };

describe('the embedded database changing hands between processes', () => {
  let root: string;
  const owners: Owner[] = [];
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'costgraph-owner-'));
  });
  afterEach(async () => {
    for (const owner of owners.splice(0)) await owner.stop();
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const freshDir = () => fs.mkdtempSync(path.join(root, 'data-'));

  it('takes over from a dead owner, serving or not, and releases the record on close', async () => {
    for (const port of [null, 1]) {
      const dataDir = freshDir();
      fs.mkdirSync(path.join(dataDir, 'pglite'), { recursive: true });
      // Port 1 answers nothing: connecting to a dead owner's port would fail the open.
      fs.writeFileSync(ownerFile(dataDir), JSON.stringify({ pid: deadPid(), port }));
      const { db, servedAt } = await openDatabase({ dataDir }, { waitMs: 0 });
      try {
        expect(db.engine).toBe('pglite');
        expect(servedAt).toBeUndefined();
        expect(readOwnerFile(dataDir)).toEqual({ pid: process.pid, port: null });
        await createOrganization(db, 'after takeover');
      } finally {
        await db.close();
      }
      expect(fs.existsSync(ownerFile(dataDir))).toBe(false);
    }
  });

  it('takes over from an owner record that cannot be read (left by a crash) instead of spinning', () => {
    for (const content of ['', '{}']) {
      const dataDir = freshDir();
      fs.mkdirSync(path.join(dataDir, 'pglite'), { recursive: true });
      fs.writeFileSync(ownerFile(dataDir), content);
      // In a child: a synchronous spin would freeze this process, jest's timeout included.
      const run = spawnSync(process.execPath, ['--import', 'tsx', CHILD, dataDir, 'once', '2000'], { cwd: ROOT, env: childEnv(), timeout: 60_000, encoding: 'utf8' });
      expect({ content, status: run.status, signal: run.signal, stderr: run.stderr }).toEqual({ content, status: 0, signal: null, stderr: '' });
      expect(JSON.parse(run.stdout)).toMatchObject({ engine: 'pglite', servedAt: null });
      expect(fs.existsSync(ownerFile(dataDir))).toBe(false);
    }
  }, 180_000);

  it('connects to a live owner that serves it, over the wire, and sees the same data afterwards', async () => {
    const dataDir = freshDir();
    const owner = await startOwner(dataDir, 'serve');
    owners.push(owner);
    expect(owner.servedAt).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    expect(readOwnerFile(dataDir)).toEqual({ pid: owner.pid, port: Number(new URL(owner.servedAt!).port) });

    const { db, servedAt } = await openDatabase({ dataDir }, { waitMs: 0 });
    let id: string;
    try {
      // A client of the owner, not a second PGlite on the same files.
      expect(db.engine).toBe('postgres');
      expect(servedAt).toBeUndefined();
      id = (await createOrganization(db, 'through the owner')).id;
      // COPY is not served over pglite-socket; bulk loads fall back to INSERTs.
      await db.transaction((tx) => tx.copyRows('organizations', ['id', 'name'], [[crypto.randomUUID(), 'bulk through the owner']]));
      expect((await db.query<{ n: number }>("SELECT count(*)::int AS n FROM organizations WHERE name = 'bulk through the owner'"))[0].n).toBe(1);
    } finally {
      await db.close();
    }
    // Closing a client leaves the owner's record alone.
    expect(readOwnerFile(dataDir).pid).toBe(owner.pid);

    await owner.stop();
    expect(fs.existsSync(ownerFile(dataDir))).toBe(false);
    const after = await openDatabase({ dataDir }, { waitMs: 0 });
    try {
      expect(after.db.engine).toBe('pglite');
      expect((await findOrganization(after.db, id))?.name).toBe('through the owner');
    } finally {
      await after.db.close();
    }
  }, 120_000);

  it('a second server does not take over from a live serving owner: it waits, then names the owner', async () => {
    const dataDir = freshDir();
    const owner = await startOwner(dataDir, 'serve');
    owners.push(owner);
    await expect(openDatabase({ dataDir }, { serve: true, waitMs: 300 })).rejects.toThrow(`in use by process ${owner.pid}`);
    expect(readOwnerFile(dataDir).pid).toBe(owner.pid);
  }, 120_000);

  it('waits for a live owner that does not serve (a CLI command) and opens the files once it is gone', async () => {
    const dataDir = freshDir();
    const owner = await startOwner(dataDir, 'hold');
    owners.push(owner);
    expect(owner.servedAt).toBeNull();
    expect(readOwnerFile(dataDir)).toEqual({ pid: owner.pid, port: null });
    await expect(openDatabase({ dataDir }, { waitMs: 300 })).rejects.toThrow(`the embedded database in ${path.join(dataDir, 'pglite')} is in use by process ${owner.pid}`);

    let settled = false;
    const opening = openDatabase({ dataDir }, { waitMs: 60_000 }).finally(() => (settled = true));
    // Still waiting while the owner lives: a poll of its liveness, not a timer, decides.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(settled).toBe(false);
    await owner.stop();
    const { db } = await opening;
    try {
      expect(db.engine).toBe('pglite');
      expect(readOwnerFile(dataDir)).toEqual({ pid: process.pid, port: null });
    } finally {
      await db.close();
    }
  }, 120_000);
});
