import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  aaiLabels,
  createBody,
  type EvaluatedResource,
  mapResource,
  relationshipsFor,
  resourceId,
  selfLink,
} from "../../sync/mod.ts";

const placement = {
  cloudOwner: "CloudOwner",
  cloudRegion: "k8sregionone",
  tenantId: "tenant 1/x",
};

function resource(): EvaluatedResource {
  return {
    instanceId: "edgex-1",
    gvk: { group: "apps", version: "v1", kind: "Deployment" },
    name: "edgex-core",
    namespace: "testns2",
    object: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: "edgex-core",
        namespace: "testns2",
        resourceVersion: "4711",
        labels: { "k8splugin.io/rb-instance-id": "edgex-1", app: "core" },
      },
    },
    readiness: {
      verdict: "Pending",
      reason: "LessReady",
      message: "1/2 ready",
      warnings: [],
    },
  };
}

Deno.test("resourceId() is SO's sha256 of the plain concatenation", () => {
  const expected = createHash("sha256").update(
    "edgex-1" + "edgex-core" + "testns2" + "Deployment" + "apps" + "v1" +
      "CloudOwner" + "k8sregionone" + "tenant 1/x",
  ).digest("hex");
  assert.equal(resourceId("edgex-1", resource(), placement), expected);
});

Deno.test("mapResource() builds the k8s-resource with encoded path, sorted labels and provenance", () => {
  const d = mapResource(resource(), placement, {
    k8spluginUrl: "http://k8s:9015/",
    owner: "k8s-aai-sync",
    labelPrefix: "k8s-aai-sync/",
  });
  const id = createHash("sha256").update(
    "edgex-1edgex-coretestns2Deploymentappsv1CloudOwnerk8sregiononetenant 1/x",
  ).digest("hex");
  assert.equal(
    d.path,
    `/cloud-infrastructure/cloud-regions/cloud-region/CloudOwner/k8sregionone/tenants/tenant/tenant%201%2Fx/k8s-resources/k8s-resource/${id}`,
  );
  assert.deepEqual(d.fields, {
    id,
    name: "edgex-core",
    group: "apps",
    version: "v1",
    kind: "Deployment",
    namespace: "testns2",
    labels: [
      "app=core",
      "k8s-aai-sync/readiness=Pending",
      "k8s-aai-sync/reason=LessReady",
      "k8splugin.io/rb-instance-id=edgex-1",
    ],
    selflink:
      "http://k8s:9015/v1/instance/edgex-1/query?ApiVersion=apps%2Fv1&Kind=Deployment&Name=edgex-core&Namespace=testns2",
    "data-owner": "k8s-aai-sync",
    "data-source": "K8sPlugin",
  });
  assert.equal(d.sourceVersion, "4711");
  const body = createBody(d, []);
  assert.equal(body["data-source-version"], "4711");
  assert.equal("relationship-list" in body, false);
});

Deno.test("aaiLabels() drops Kubernetes labels that collide with the readiness labels", () => {
  assert.deepEqual(
    aaiLabels({ "x/readiness": "fake", b: "2", a: "1" }, {
      verdict: "Ready",
      reason: "Available",
    }, "x/"),
    ["a=1", "b=2", "x/readiness=Ready", "x/reason=Available"],
  );
});

Deno.test("selfLink() uses the bare version for core resources", () => {
  assert.equal(
    selfLink("http://k", "i d", {
      gvk: { group: "", version: "v1", kind: "Pod" },
      name: "p",
      namespace: "",
    }),
    "http://k/v1/instance/i%20d/query?ApiVersion=v1&Kind=Pod&Name=p&Namespace=",
  );
});

Deno.test("relationshipsFor() links the vf-module (Uses) and generic-vnf (HostedOn)", () => {
  assert.deepEqual(
    relationshipsFor({ vnfId: "v 1", vfModuleId: "m1" }, "v24"),
    [
      {
        "related-to": "vf-module",
        "relationship-label": "org.onap.relationships.inventory.Uses",
        "related-link":
          "/aai/v24/network/generic-vnfs/generic-vnf/v%201/vf-modules/vf-module/m1",
      },
      {
        "related-to": "generic-vnf",
        "relationship-label": "tosca.relationships.HostedOn",
        "related-link": "/aai/v24/network/generic-vnfs/generic-vnf/v%201",
      },
    ],
  );
});
