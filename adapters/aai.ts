/**
 * A&AI (aai-resources) adapter: reads and writes inventory objects.
 *
 * CONTRACT (written first so sync/, sim/ and tasks/ can build against it):
 * the HTTP implementation `HttpAaiClient` follows below.
 *
 * Paths are A&AI object paths *without* the `/aai/{version}` prefix, with every
 * segment already percent-encoded, e.g.
 * `/cloud-infrastructure/cloud-regions/cloud-region/CloudOwner/r1/tenants/tenant/t1/k8s-resources/k8s-resource/ab12…`.
 * Build them with `aaiPath()`.
 *
 * @module
 */

/** An A&AI object as JSON (`resource-version` and `relationship-list` included when present). */
export type AaiObject = Record<string, unknown>;

/** A relationship body for `…/relationship-list/relationship`. */
export interface AaiRelationship {
  "related-to"?: string;
  "relationship-label"?: string;
  /** Full link, e.g. `/aai/v24/network/generic-vnfs/generic-vnf/{id}`. */
  "related-link": string;
}

/** One operation of `POST /aai/{v}/bulk/single-transaction`. */
export interface BulkOperation {
  action: "put" | "patch" | "delete";
  /** Object path (as for the single calls); for delete include `?resource-version=`. */
  uri: string;
  /** Mandatory, `{}` for delete. */
  body: Record<string, unknown>;
}

/** A vf-module found by the nodes query, with its generic-vnf. */
export interface VfModuleRef {
  vnfId: string;
  vfModuleId: string;
}

/** The seam between sync/ and A&AI; the HTTP client and fakes implement it. */
export interface AaiClient {
  /** GET an object; `undefined` when A&AI answers 404 (ERR.5.4.6114). */
  get(path: string): Promise<AaiObject | undefined>;
  /** PUT (create without rv → 201, replace with rv → 200). Throws AaiError on 412 etc. */
  put(path: string, body: AaiObject): Promise<{ status: number }>;
  /** Merge-PATCH (`application/merge-patch+json`): only the given fields. */
  patch(path: string, body: AaiObject): Promise<void>;
  /** DELETE with `?resource-version=`; resolves `false` when already gone (404). */
  delete(path: string, resourceVersion: string): Promise<boolean>;
  /** PUT `{path}/relationship-list/relationship` (idempotent). */
  putRelationship(path: string, relationship: AaiRelationship): Promise<void>;
  /** DELETE `{path}/relationship-list/relationship` with the relationship as body (idempotent). */
  deleteRelationship(
    path: string,
    relationship: AaiRelationship,
  ): Promise<void>;
  /** `GET /nodes/vf-modules?heat-stack-id=…`; `[]` on 404. */
  findVfModules(heatStackId: string): Promise<VfModuleRef[]>;
  /** Tenant ids of a cloud region; `[]` when the region has none (404). */
  listTenants(cloudOwner: string, cloudRegionId: string): Promise<string[]>;
  /** `POST /bulk/single-transaction` (≤ 30 operations, all-or-nothing); returns each operation's status code. */
  bulk(operations: BulkOperation[]): Promise<number[]>;
}
