import assert from "node:assert/strict";
import {
  acquireStateLock,
  emptySnapshot,
  fingerprintOf,
  loadSnapshot,
  LockHeldError,
  parseSnapshot,
  readSnapshot,
  type SnapshotObject,
  SnapshotSyntaxError,
  SnapshotWriter,
  writeSnapshot,
} from "../../sync/mod.ts";

Deno.test("writeSnapshot() writes atomically with mode 0600 and reads back", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/state/snapshot.json`;
    const s = emptySnapshot(new Date("2026-01-01T00:00:00Z"));
    s.instances.a = { cloudRegion: "r", misses: 1, objects: {} };
    await writeSnapshot(path, s);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.deepEqual(await readSnapshot(path), s);
    const leftovers: string[] = [];
    for await (const e of Deno.readDir(`${dir}/state`)) leftovers.push(e.name);
    assert.deepEqual(leftovers, ["snapshot.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadSnapshot() moves a corrupt file aside and starts empty", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/snapshot.json`;
    await Deno.writeTextFile(path, '{"schema": 1, "objects": [trunc');
    await assert.rejects(() => readSnapshot(path), SnapshotSyntaxError);
    const loaded = await loadSnapshot(path, new Date("2026-01-02T03:04:05Z"));
    assert.equal(loaded.movedAside, `${path}.corrupt-2026-01-02T03-04-05-000Z`);
    assert.deepEqual(loaded.snapshot.instances, {});
    assert.equal(
      await Deno.readTextFile(loaded.movedAside!),
      '{"schema": 1, "objects": [trunc',
    );
    await assert.rejects(() => Deno.stat(path), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readSnapshot() rejects an unknown schema version", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/s.json`,
      JSON.stringify({ ...emptySnapshot(), schema: 99 }),
    );
    await assert.rejects(() => readSnapshot(`${dir}/s.json`), /"schema"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("acquireStateLock() refuses a second holder until released", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const lock = await acquireStateLock(`${dir}/snapshot.json`);
    await assert.rejects(
      () => acquireStateLock(`${dir}/snapshot.json`),
      LockHeldError,
    );
    await lock.release();
    await (await acquireStateLock(`${dir}/snapshot.json`)).release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadSnapshot() removes temp files a killed run left behind", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/snapshot.json.tmp-123-abcd`, "{");
    await Deno.writeTextFile(`${dir}/other.txt`, "keep");
    await loadSnapshot(`${dir}/snapshot.json`, new Date());
    const names: string[] = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names, ["other.txt"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SnapshotWriter writes at once, then at most every interval, and flush() lands the last state", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/snapshot.json`;
    const s = emptySnapshot(new Date("2026-01-01T00:00:00Z"));
    const writer = new SnapshotWriter(
      path,
      s,
      () => new Date("2026-01-01T00:00:00Z"),
      60_000,
    );
    s.instances.a = { cloudRegion: "r", misses: 0, objects: {} };
    writer.schedule();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(Object.keys((await readSnapshot(path)).instances), ["a"]);
    s.instances.b = { cloudRegion: "r", misses: 0, objects: {} };
    writer.schedule();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(
      Object.keys((await readSnapshot(path)).instances),
      ["a"],
      "the second write waits for the interval",
    );
    await writer.flush();
    assert.deepEqual(Object.keys((await readSnapshot(path)).instances), [
      "a",
      "b",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseSnapshot() names the entry and field that are wrong", () => {
  const path =
    "/cloud-infrastructure/cloud-regions/cloud-region/o/r/tenants/tenant/t/k8s-resources/k8s-resource/1";
  const object = {
    key: "apps/v1/Deployment/ns/web",
    fieldsDigest: "f",
    labelsDigest: "l",
    verdict: "Ready",
    reason: "Available",
    publishedAt: "t",
    edges: true,
  };
  const instance = {
    cloudRegion: "r",
    misses: 0,
    objects: { [path]: object },
  };
  const good = { schema: 2, updatedAt: "t", instances: { i: instance } };
  assert.deepEqual(
    parseSnapshot(JSON.stringify(good), "s.json").instances.i?.objects[path],
    object,
  );
  const badObject = {
    ...good,
    instances: {
      i: { ...instance, objects: { [path]: { ...object, verdict: "Green" } } },
    },
  };
  assert.throws(
    () => parseSnapshot(JSON.stringify(badObject), "s.json"),
    (error: unknown) =>
      error instanceof SnapshotSyntaxError &&
      error.message.includes(`"instances.i.objects.${path}.verdict"`),
  );
  // A hand-edited entry that is no k8s-resource under a tenant (14.12).
  const vfModule = "/network/generic-vnfs/generic-vnf/v/vf-modules/vf-module/m";
  assert.throws(
    () =>
      parseSnapshot(
        JSON.stringify({
          ...good,
          instances: { i: { ...instance, objects: { [vfModule]: object } } },
        }),
        "s.json",
      ),
    /not the path of a k8s-resource under a tenant/,
  );
  const badInstance = {
    ...good,
    instances: { i: { ...instance, misses: -1 } },
  };
  assert.throws(
    () => parseSnapshot(JSON.stringify(badInstance), "s.json"),
    /"instances\.i\.misses"/,
  );
  assert.throws(
    () => parseSnapshot(JSON.stringify({ ...good, schema: 3 }), "s.json"),
    /"schema"/,
  );
  const settled = {
    key: "k",
    at: "2026-11-25T10:00:00.000Z",
    until: "2026-11-25T11:00:00.000Z",
    verdicts: { Ready: 1, Pending: 0, Failed: 0 },
  };
  assert.deepEqual(
    parseSnapshot(
      JSON.stringify({ ...good, instances: { i: { ...instance, settled } } }),
      "s.json",
    ).instances.i?.settled,
    settled,
  );
  const badSettled = {
    ...good,
    instances: {
      i: {
        ...instance,
        settled: { ...settled, verdicts: { ...settled.verdicts, Ready: "1" } },
      },
    },
  };
  assert.throws(
    () => parseSnapshot(JSON.stringify(badSettled), "s.json"),
    /"instances\.i\.settled\.verdicts\.Ready"/,
  );
});

Deno.test("parseSnapshot() migrates a schema 1 file: objects under their instance, fields as fingerprints", () => {
  const fields = {
    id: "x",
    name: "web",
    group: "apps",
    version: "v1",
    kind: "Deployment",
    namespace: "ns",
    labels: ["b=2", "a=1"],
    selflink: "http://k/q",
    "data-owner": "k8s-aai-sync",
    "data-source": "k8splugin",
  };
  const v1 = {
    schema: 1,
    updatedAt: "t",
    objects: {
      "/p/1": {
        instanceId: "i",
        cloudRegion: "r",
        key: "apps/v1/Deployment/ns/web",
        fields,
        sourceVersion: "7",
        verdict: "Failed",
        reason: "ProgressDeadlineExceeded",
        publishedAt: "t1",
        edges: true,
      },
      "/p/2": {
        instanceId: "orphan",
        cloudRegion: "r2",
        key: "/v1/ConfigMap/ns/c",
        fields: { ...fields, kind: "ConfigMap", labels: [] },
        sourceVersion: "8",
        verdict: "Ready",
        reason: "Exists",
        publishedAt: "t2",
        edges: false,
        foreign: "CnfAdapter",
      },
    },
    instances: { i: { cloudRegion: "r", lastSeen: "t0", misses: 1 } },
  };
  const migrated = parseSnapshot(JSON.stringify(v1), "s.json");
  assert.equal(migrated.schema, 2);
  assert.deepEqual(migrated.instances.i, {
    cloudRegion: "r",
    misses: 1,
    objects: {
      "/p/1": {
        key: "apps/v1/Deployment/ns/web",
        ...fingerprintOf({ ...fields, labels: ["a=1", "b=2"] }),
        verdict: "Failed",
        reason: "ProgressDeadlineExceeded",
        publishedAt: "t1",
        edges: true,
      },
    },
  });
  assert.equal(migrated.instances.orphan?.cloudRegion, "r2");
  assert.equal(
    migrated.instances.orphan?.objects["/p/2"]?.foreign,
    "CnfAdapter",
  );
});

Deno.test("writeSnapshot() streams a large snapshot in chunks that read back whole", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/snapshot.json`;
    const s = emptySnapshot(new Date("2026-01-01T00:00:00Z"));
    s.regions.r = { cloudOwner: "O", tenantId: "t", checkedAt: "c" };
    for (let i = 0; i < 300; i++) {
      const objects: Record<string, SnapshotObject> = {};
      for (let j = 0; j < 15; j++) {
        objects[`/p/${i}/${j}`] = {
          key: `apps/v1/Deployment/ns-${i}/name-"${j}"-é`,
          fieldsDigest: "f",
          labelsDigest: `l${j}`,
          verdict: j % 2 ? "Ready" : "Pending",
          reason: "Available",
          publishedAt: "t",
          edges: j % 3 === 0,
          ...(j === 7 ? { foreign: "CnfAdapter" } : {}),
        };
      }
      s.instances[`inst-${i}`] = {
        cloudRegion: "r",
        misses: i % 3,
        vfModule: i % 2 ? { vnfId: "v", vfModuleId: "m" } : null,
        objects,
      };
    }
    await writeSnapshot(path, s);
    assert.ok((await Deno.stat(path)).size > 4 * 65536, "several chunks");
    assert.deepEqual(await readSnapshot(path), s);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readSnapshot() ends a written file with its digest, and validates a file edited by hand", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/snapshot.json`;
    const s = emptySnapshot(new Date("2026-01-01T00:00:00Z"));
    s.instances.a = { cloudRegion: "r", misses: 1, objects: {} };
    await writeSnapshot(path, s);
    const text = await Deno.readTextFile(path);
    const tail = text.match(/,"digest":"([A-Za-z0-9_-]{43})"\}$/);
    assert.ok(tail, `the file ends with its digest: ${text.slice(-80)}`);
    const body = new TextEncoder().encode(text.slice(0, -tail[0].length));
    const expected = await crypto.subtle.digest("SHA-256", body);
    assert.equal(
      tail[1],
      btoa(String.fromCharCode(...new Uint8Array(expected)))
        .replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, ""),
    );
    assert.deepEqual(await readSnapshot(path), s);
    // Edited by hand: still valid, still read.
    await Deno.writeTextFile(path, text.replace('"misses":1', '"misses":2'));
    assert.equal((await readSnapshot(path)).instances.a?.misses, 2);
    // Edited by hand into something invalid: named like any other error.
    await Deno.writeTextFile(path, text.replace('"misses":1', '"misses":-1'));
    await assert.rejects(
      () => readSnapshot(path),
      /"instances\.a\.misses"/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
