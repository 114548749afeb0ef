import assert from "node:assert/strict";
import { startKube } from "../../sim/kube.ts";

const TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io";

/** GETs a path from the kube sim asking for kubectl's Table. */
async function table(
  url: string,
  path: string,
  query = "",
  // deno-lint-ignore no-explicit-any
): Promise<any> {
  const response = await fetch(`${url}${path}${query}`, {
    headers: { Accept: TABLE },
  });
  assert.equal(response.status, 200);
  return await response.json();
}

Deno.test("startKube() prints kubectl's Table for pods, deployments and services without kubectl", async () => {
  await using kube = await startKube({ step: 1 });
  const pods = await table(kube.url, "/api/v1/namespaces/testns2/pods");
  assert.equal(pods.kind, "Table");
  assert.deepEqual(
    pods.columnDefinitions.map((c: { name: string }) => c.name),
    ["Name", "Ready", "Status", "Restarts", "Age"],
  );
  const ui = pods.rows.find((r: { cells: string[] }) =>
    r.cells[0] === "edgex-ui-7f9d8b5c46-tz9wp"
  );
  assert.deepEqual(ui.cells.slice(0, 4), [
    "edgex-ui-7f9d8b5c46-tz9wp",
    "1/1",
    "Running",
    0,
  ]);
  assert.match(ui.cells[4], /^(\d+[smhd]|<unknown>)$/);
  assert.equal(ui.object.kind, "PartialObjectMetadata");

  const deployments = await table(
    kube.url,
    "/apis/apps/v1/deployments",
    "?includeObject=Object",
  );
  assert.deepEqual(
    deployments.columnDefinitions.map((c: { name: string }) => c.name),
    ["Name", "Ready", "Up-to-date", "Available", "Age"],
  );
  const row = deployments.rows.find((r: { cells: string[] }) =>
    r.cells[0] === "edgex-ui"
  );
  assert.deepEqual(row.cells.slice(0, 4), ["edgex-ui", "1/1", 1, 1]);
  assert.equal(row.object.kind, "Deployment");

  const one = await table(
    kube.url,
    "/api/v1/namespaces/testns2/services/edgex-core-data",
    "?includeObject=None",
  );
  assert.equal(one.rows.length, 1);
  assert.deepEqual(one.rows[0].cells.slice(0, 4), [
    "edgex-core-data",
    "ClusterIP",
    "10.233.12.34",
    "48080/TCP",
  ]);
  assert.equal(one.rows[0].object, undefined);
  const configMaps = await table(kube.url, "/api/v1/configmaps");
  assert.deepEqual(
    configMaps.columnDefinitions.map((c: { name: string }) => c.name),
    ["Name", "Age"],
  );
});
