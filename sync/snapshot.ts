/**
 * The snapshot (DESIGN §6): what we last published to A&AI, per object and
 * per instance, plus cached A&AI lookups (tenants, vf-modules) so a run with
 * nothing to change sends A&AI nothing. The only module that touches the
 * state file.
 *
 * Written atomically through `atomicWrite()` (temp file in the same
 * folder, fsync, rename), mode 0600. A file that cannot be parsed is moved aside as
 * `snapshot.json.corrupt-<time>` and the run rebuilds from A&AI.
 *
 * @module
 */

import { sha256 } from "../adapters/sha256.ts";
import { z } from "zod";
import type { VfModuleRef } from "../adapters/aai.ts";
import type { Verdict } from "../rules/types.ts";
import { removeStaleTempFiles } from "./atomic_write.ts";
import { isK8sResourcePath } from "./guard.ts";
import { fingerprintOf, type OwnedFields } from "./mapping.ts";
import type { Settlement } from "./settled.ts";

/** The schema version this code writes (schema 1 files are migrated on read). */
export const SNAPSHOT_SCHEMA = 2;

/**
 * One A&AI object we own (or found owned by someone else), as last confirmed.
 * It keeps fingerprints of the owned fields rather than the fields: enough to
 * tell whether a write is needed and which fields a PATCH must carry, at a
 * fraction of the memory (DESIGN §6).
 */
export interface SnapshotObject {
  /** `group/version/kind/namespace/name`, for messages. */
  key: string;
  /** Fingerprint of the mutable owned fields other than `labels` ({@linkcode fingerprintOf}). */
  fieldsDigest: string;
  /** Fingerprint of the sorted `labels` (readiness labels included). */
  labelsDigest: string;
  /** Verdict last published. */
  verdict: Verdict;
  /** Reason last published. */
  reason: string;
  /** ISO time of the last confirmed write. */
  publishedAt: string;
  /** Whether the vf-module/generic-vnf relationships are in place. */
  edges: boolean;
  /** Set when A&AI holds it under another `data-owner`: we leave it alone. */
  foreign?: string;
  /**
   * Set on a `foreign` object whose owner's policy is `annotate` once our
   * readiness labels were merged in (or found there): `verdict`/`reason`
   * are what it carries.
   */
  annotated?: boolean;
  /** On an annotated object: the Kubernetes `resourceVersion` it had then. */
  sourceVersion?: string;
  /**
   * Set when A&AI holds another resource under this id (SO's formula is a
   * plain concatenation): the message, and we leave it alone (14.11).
   */
  collision?: string;
  /**
   * Since when (ISO time) the rules have seen it Pending with `reason`: the
   * stall clock of objects without status timestamps (issue 16). Not
   * published, so a change of it writes the file but not A&AI.
   */
  pendingSince?: { reason: string; since: string };
}

/** What we remember about one k8splugin instance and the objects it owns. */
export interface SnapshotInstance {
  /** Region of the instance. */
  cloudRegion: string;
  /** Consecutive successful lists that omitted it. */
  misses: number;
  /** Its vf-module, `null` when A&AI had none at `vfModuleCheckedAt`. */
  vfModule?: VfModuleRef | null;
  /** ISO time of the last vf-module lookup. */
  vfModuleCheckedAt?: string;
  /** Its A&AI objects, keyed by A&AI object path. */
  objects: Record<string, SnapshotObject>;
  /** Set while its last full read is published as read (see settled.ts). */
  settled?: Settlement;
  /**
   * The placement SO hashed into its ids: the generic-vnf's tenant and
   * cloud region (from the vf-module's generic-vnf), `null` when A&AI had
   * none; absent until looked up.
   */
  vnfPlacement?:
    | { cloudOwner: string; cloudRegion: string; tenantId: string }
    | null;
  /**
   * ISO time a change of this SO-managed instance was first seen whose
   * SO-owned objects are still to be read and annotated (see annotate.ts).
   */
  soSince?: string;
}

/** Placement cached per region (looked up in k8splugin/A&AI). */
export interface SnapshotRegion {
  /** A&AI cloud owner of the region. */
  cloudOwner: string;
  /** Tenant of the region. */
  tenantId: string;
  /** ISO time of the lookup. */
  checkedAt: string;
}

/** The whole state file. */
export interface Snapshot {
  /** Schema version (a newer file is refused). */
  schema: typeof SNAPSHOT_SCHEMA;
  /** ISO time of the last write. */
  updatedAt: string;
  /** Keyed by k8splugin instance id. */
  instances: Record<string, SnapshotInstance>;
  /** Keyed by cloud region id. */
  regions: Record<string, SnapshotRegion>;
  /**
   * The `data-owner` this snapshot's objects were written under (absent in
   * older files: the configured one is recorded at the next pass). A
   * different `owner` setting is refused until `sync --migrate-owner`.
   */
  owner?: string;
  /**
   * The A&AI this snapshot describes (URL without credentials, and the API
   * version): another one means it describes nothing there (14.13).
   * Absent in files written before the binding; such a file is bound as is.
   */
  aai?: AaiBinding;
  /**
   * Set while a rebuild (discovery of our objects in A&AI) has not finished
   * for every region in scope: the next pass resumes it (14.9).
   */
  rebuildPending?: boolean;
}

/** Which A&AI a snapshot describes. */
export interface AaiBinding {
  /** Base URL, normalised, without credentials. */
  url: string;
  /** Schema version in paths, e.g. `v24`. */
  apiVersion: string;
}

/**
 * The binding of an A&AI URL and API version: the URL without user,
 * password, query, fragment or trailing slash.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { aaiBinding } from "./snapshot.ts";
 * assert.deepEqual(aaiBinding("https://AAI:pw@aai.onap:8443/", "v24"), { url: "https://aai.onap:8443", apiVersion: "v24" });
 * ```
 */
export function aaiBinding(url: string, apiVersion: string): AaiBinding {
  const u = new URL(url);
  u.username = "";
  u.password = "";
  u.search = "";
  u.hash = "";
  return { url: u.href.replace(/\/+$/, ""), apiVersion };
}

/** A loaded snapshot bound to the A&AI a pass writes to. */
export interface BoundSnapshot {
  /** The snapshot to use: the loaded one, or an empty one to rebuild. */
  snapshot: Snapshot;
  /** Whether the file must be written even if the pass changes nothing. */
  changed: boolean;
  /** Why the loaded snapshot was set aside, when it was. */
  warning?: string;
}

/**
 * Binds a loaded snapshot to the A&AI it will describe (14.13): one that
 * describes another A&AI is replaced by an empty one to rebuild, and a lost,
 * corrupt or rebound one is marked `rebuildPending` (14.9), so our objects
 * are found in A&AI first.
 */
export function bindSnapshot(
  loaded: LoadedSnapshot,
  binding: AaiBinding,
  { path, now }: { path: string; now: Date },
): BoundSnapshot {
  let snapshot = loaded.snapshot;
  let warning: string | undefined;
  const held = snapshot.aai;
  if (
    held && (held.url !== binding.url || held.apiVersion !== binding.apiVersion)
  ) {
    warning =
      `Snapshot "${path}" describes A&AI ${held.url} (${held.apiVersion}), not ${binding.url} (${binding.apiVersion}): rebuilding it from this A&AI`;
    snapshot = emptySnapshot(now);
    snapshot.rebuildPending = true;
  }
  if (loaded.missing || loaded.movedAside) snapshot.rebuildPending = true;
  const bound = snapshot.aai?.url === binding.url &&
    snapshot.aai.apiVersion === binding.apiVersion;
  snapshot.aai = binding;
  return {
    snapshot,
    changed: !bound || snapshot !== loaded.snapshot,
    ...(warning ? { warning } : {}),
  };
}

/** A snapshot file that cannot be parsed or has an unknown schema. */
export class SnapshotSyntaxError extends SyntaxError {
  /** The file. */
  readonly path: string;
  /** Builds the error for `path`. */
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SnapshotSyntaxError";
    this.path = path;
  }
}

const verdictSchema = z.enum(["Ready", "Pending", "Failed"]);

const vfModuleSchema = z.object({ vnfId: z.string(), vfModuleId: z.string() })
  .nullable().optional();

const regionsSchema = z.record(
  z.string(),
  z.object({
    cloudOwner: z.string(),
    tenantId: z.string(),
    checkedAt: z.string(),
  }),
).default({});

const instanceSchema = z.object({
  cloudRegion: z.string(),
  misses: z.number().int().nonnegative(),
  vfModule: vfModuleSchema,
  vfModuleCheckedAt: z.string().optional(),
  // A hand-edited key that is no k8s-resource under a tenant is refused
  // (the file is moved aside and rebuilt): nothing else is ever deleted.
  objects: z.record(
    z.string().refine(
      isK8sResourcePath,
      "is not the path of a k8s-resource under a tenant",
    ),
    z.object({
      key: z.string(),
      fieldsDigest: z.string(),
      labelsDigest: z.string(),
      verdict: verdictSchema,
      reason: z.string(),
      publishedAt: z.string(),
      edges: z.boolean(),
      foreign: z.string().optional(),
      annotated: z.boolean().optional(),
      sourceVersion: z.string().optional(),
      collision: z.string().optional(),
      pendingSince: z.object({ reason: z.string(), since: z.string() })
        .optional(),
    }),
  ),
  vnfPlacement: z.object({
    cloudOwner: z.string(),
    cloudRegion: z.string(),
    tenantId: z.string(),
  }).nullable().optional(),
  soSince: z.string().optional(),
  settled: z.object({
    key: z.string(),
    at: z.string(),
    until: z.string(),
    verdicts: z.object({
      Ready: z.number().int().nonnegative(),
      Pending: z.number().int().nonnegative(),
      Failed: z.number().int().nonnegative(),
    }),
  }).optional(),
});

/**
 * The document around the instances, which {@linkcode parseSnapshot}
 * validates one by one: zod returns a validated copy, and copying 30,000
 * objects at once doubled a large run's peak memory (measured by the bench).
 */
const snapshotSchema = z.object({
  schema: z.literal(SNAPSHOT_SCHEMA),
  updatedAt: z.string(),
  instances: z.record(z.string(), z.unknown()),
  regions: regionsSchema,
  owner: z.string().optional(),
  aai: z.object({ url: z.string(), apiVersion: z.string() }).optional(),
  rebuildPending: z.boolean().optional(),
});

/** Schema 1 (k8s-aai-sync ≤ 0.1): objects in one map with their owned fields. */
const snapshotSchemaV1 = z.object({
  schema: z.literal(1),
  updatedAt: z.string(),
  objects: z.record(
    z.string(),
    z.object({
      instanceId: z.string(),
      cloudRegion: z.string(),
      key: z.string(),
      fields: z.object({
        id: z.string(),
        name: z.string(),
        group: z.string(),
        version: z.string(),
        kind: z.string(),
        namespace: z.string(),
        labels: z.array(z.string()),
        selflink: z.string(),
        "data-owner": z.string(),
        "data-source": z.string(),
      }),
      sourceVersion: z.string(),
      verdict: verdictSchema,
      reason: z.string(),
      publishedAt: z.string(),
      edges: z.boolean(),
      foreign: z.string().optional(),
    }),
  ),
  instances: z.record(
    z.string(),
    z.object({
      cloudRegion: z.string(),
      lastSeen: z.string(),
      misses: z.number().int().nonnegative(),
      vfModule: vfModuleSchema,
      vfModuleCheckedAt: z.string().optional(),
    }),
  ),
  regions: regionsSchema,
});

/** Converts a schema 1 snapshot: objects move under their instance, fields become fingerprints. */
function migrateV1(old: z.infer<typeof snapshotSchemaV1>): Snapshot {
  const instances: Record<string, SnapshotInstance> = {};
  for (
    const [id, { lastSeen: _, ...instance }] of Object.entries(old.instances)
  ) {
    instances[id] = { ...instance, objects: {} } as SnapshotInstance;
  }
  for (const [path, o] of Object.entries(old.objects)) {
    const instance = instances[o.instanceId] ??= {
      cloudRegion: o.cloudRegion,
      misses: 0,
      objects: {},
    };
    instance.objects[path] = {
      key: o.key,
      ...fingerprintOf(o.fields as OwnedFields),
      verdict: o.verdict,
      reason: o.reason,
      publishedAt: o.publishedAt,
      edges: o.edges,
      ...(o.foreign === undefined ? {} : { foreign: o.foreign }),
    };
  }
  return {
    schema: SNAPSHOT_SCHEMA,
    updatedAt: old.updatedAt,
    instances,
    regions: old.regions,
  };
}

/** An empty snapshot. */
export function emptySnapshot(now: Date = new Date(0)): Snapshot {
  return {
    schema: SNAPSHOT_SCHEMA,
    updatedAt: now.toISOString(),
    instances: {},
    regions: {},
  };
}

/**
 * How a file this code wrote ends: `,"digest":"<SHA-256 of every byte before
 * it, base64url>"}`. A file whose digest matches is exactly as written, and
 * everything written was valid, so its instances need no validation.
 */
const DIGEST_TAIL = /,"digest":"([A-Za-z0-9_-]{43})"\}$/;

/**
 * Parses snapshot text; throws {@linkcode SnapshotSyntaxError} naming the
 * problem. `intact` (the file's digest matched) skips validating instance by
 * instance, the bulk of the cost of a large snapshot.
 */
export function parseSnapshot(
  text: string,
  path: string,
  intact = false,
): Snapshot {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new SnapshotSyntaxError(
      path,
      `Cannot parse snapshot "${path}": ${(error as Error).message}`,
      { cause: error },
    );
  }
  const v1 = (data as { schema?: unknown } | null)?.schema === 1;
  const result = (v1 ? snapshotSchemaV1 : snapshotSchema).safeParse(data);
  if (!result.success) throw invalid(path, result.error.issues[0]!, []);
  if (v1) return migrateV1(result.data as z.infer<typeof snapshotSchemaV1>);
  const snapshot = result.data as z.infer<typeof snapshotSchema>;
  const instances = snapshot.instances;
  if (intact) return snapshot as Snapshot;
  for (const id of Object.keys(instances)) {
    const instance = instanceSchema.safeParse(instances[id]);
    if (!instance.success) {
      throw invalid(path, instance.error.issues[0]!, ["instances", id]);
    }
    instances[id] = instance.data;
  }
  return snapshot as Snapshot;
}

/** The error for a zod issue at `prefix` + its path. */
function invalid(
  path: string,
  issue: z.core.$ZodIssue,
  prefix: string[],
): SnapshotSyntaxError {
  // A record key's own message ("is not the path of …") says more than
  // zod's "Invalid key in record".
  const message = issue.code === "invalid_key"
    ? issue.issues[0]?.message ?? issue.message
    : issue.message;
  return new SnapshotSyntaxError(
    path,
    `Cannot read snapshot "${path}": "${
      [...prefix, ...issue.path.map(String)].join(".")
    }" ${message}`,
  );
}

/**
 * Reads the snapshot at `path`; an absent file gives an empty snapshot.
 * @throws {SnapshotSyntaxError} when the file is not a valid snapshot.
 */
export async function readSnapshot(path: string): Promise<Snapshot> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return emptySnapshot();
    throw error;
  }
  const text = new TextDecoder().decode(bytes);
  const tail = DIGEST_TAIL.exec(text.slice(-64));
  const intact = tail !== null &&
    sha256(bytes.subarray(0, bytes.length - tail[0].length), "base64url") ===
      tail[1];
  return parseSnapshot(text, path, intact);
}

/** The result of {@linkcode loadSnapshot}. */
export interface LoadedSnapshot {
  /** The snapshot (empty when the file was absent or corrupt). */
  snapshot: Snapshot;
  /** The file did not exist (first run, or lost): a rebuild is due. */
  missing?: boolean;
  /** Where a corrupt file was moved, when it was. */
  movedAside?: string;
  /** The error that made us move it. */
  error?: SnapshotSyntaxError;
}

/**
 * Reads the snapshot; a corrupt one is renamed to
 * `<path>.corrupt-<time>` and an empty snapshot is returned with
 * `movedAside` set (the caller then rebuilds from A&AI).
 */
export async function loadSnapshot(
  path: string,
  now: Date,
): Promise<LoadedSnapshot> {
  await removeStaleTempFiles(path);
  try {
    const exists = await Deno.lstat(path).then(() => true, (error) => {
      if (error instanceof Deno.errors.NotFound) return false;
      throw error;
    });
    if (!exists) return { snapshot: emptySnapshot(now), missing: true };
    return { snapshot: await readSnapshot(path) };
  } catch (error) {
    if (!(error instanceof SnapshotSyntaxError)) throw error;
    const movedAside = `${path}.corrupt-${
      now.toISOString().replace(/[:.]/g, "-")
    }`;
    await Deno.rename(path, movedAside);
    return { snapshot: emptySnapshot(now), movedAside, error };
  }
}
