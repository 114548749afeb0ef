/**
 * Peer data that is partly broken (issue 14 #6): real k8splugin lists a
 * zero-valued row (`id: ""`, empty request) for a record it cannot read; that
 * row is skipped with a warning and every other instance is kept.
 */
import assert from "node:assert/strict";
import { HttpK8spluginClient } from "../../adapters/mod.ts";
import { serve } from "./_net.ts";

const GOOD = {
  id: "edgex-1",
  request: {
    "rb-name": "edgex",
    "rb-version": "v1",
    "profile-name": "p",
    "cloud-region": "r1",
    labels: null,
    "override-values": null,
  },
  "release-name": "edgex",
  namespace: "ns",
};

/** What k8splugin's Go code marshals for a record it could not decode. */
const ZERO_ROW = {
  id: "",
  request: {
    "rb-name": "",
    "rb-version": "",
    "profile-name": "",
    "release-name": "",
    "cloud-region": "",
    labels: null,
    "override-values": null,
  },
  "release-name": "",
  namespace: "",
};

Deno.test("HttpK8spluginClient.listInstances() skips an unreadable row with a warning and keeps the rest (#6)", async () => {
  await using k8splugin = serve(() =>
    Response.json([ZERO_ROW, GOOD, { id: "broken-2", request: null }])
  );
  const warnings: string[] = [];
  using client = new HttpK8spluginClient({
    baseUrl: k8splugin.url,
    retries: 0,
    onSkippedEntry: (message) => warnings.push(message),
  });
  const listed = await client.listInstances();
  assert.deepEqual(listed.map((s) => s.id), ["edgex-1"]);
  assert.deepEqual(warnings, [
    "Skipping entry 0 of k8splugin's instance list: id is empty; the other entries are kept",
    'Skipping entry 2 (instance "broken-2") of k8splugin\'s instance list: request is not an object; the other entries are kept',
  ]);
});

Deno.test("HttpK8spluginClient.listInstances() still refuses a list that is not a list", async () => {
  await using k8splugin = serve(() => Response.json({ items: [GOOD] }));
  using client = new HttpK8spluginClient({
    baseUrl: k8splugin.url,
    retries: 0,
  });
  await assert.rejects(
    () => client.listInstances(),
    /Cannot list instances from k8splugin: invalid response at \(root\)/,
  );
});
