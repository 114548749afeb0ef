/**
 * Discovery of the Kubernetes API simulator: `/version`, `/healthz`,
 * `/api`, `/api/v1`, `/apis`, `/apis/<group>`, `/apis/<group>/<version>`.
 *
 * @module
 */
import { statusResponse } from "./_kube_status.ts";
import type { Snapshot } from "./_kube_store.ts";

/** 404 for a path the API server does not serve. */
function pageNotFound(): Response {
  return statusResponse(
    404,
    "NotFound",
    "the server could not find the requested resource",
    {},
  );
}

/** The discovery document (or `/version`, `/healthz`) at a URL, or undefined when it is not one. */
export function discovery(
  url: URL,
  snapshot: Snapshot,
  gitVersion: string,
): Response | undefined {
  const path = url.pathname.replace(/\/+$/, "");
  const host = url.host;
  if (path === "/version") {
    const [, major = "1", minor = "31"] = /^v(\d+)\.(\d+)/.exec(gitVersion) ??
      [];
    return Response.json({
      major,
      minor,
      gitVersion,
      gitCommit: "0000000000000000000000000000000000000000",
      gitTreeState: "clean",
      buildDate: "2026-01-01T00:00:00Z",
      goVersion: "go1.23.0",
      compiler: "gc",
      platform: "linux/amd64",
    });
  }
  if (path === "/healthz" || path === "/livez" || path === "/readyz") {
    return new Response("ok", { headers: { "content-type": "text/plain" } });
  }
  if (path === "/api") {
    return Response.json({
      kind: "APIVersions",
      versions: ["v1"],
      serverAddressByClientCIDRs: [{
        clientCIDR: "0.0.0.0/0",
        serverAddress: host,
      }],
    });
  }
  const groups = new Map<string, string[]>();
  for (const r of snapshot.resources) {
    if (!r.group) continue;
    const versions = groups.get(r.group) ?? [];
    if (!versions.includes(r.version)) versions.push(r.version);
    groups.set(r.group, versions);
  }
  function groupDocument(name: string, versions: string[]) {
    const list = versions.map((version) => ({
      groupVersion: `${name}/${version}`,
      version,
    }));
    return { name, versions: list, preferredVersion: list[0] };
  }
  if (path === "/apis") {
    return Response.json({
      kind: "APIGroupList",
      apiVersion: "v1",
      groups: [...groups].map(([name, versions]) =>
        groupDocument(name, versions)
      ),
    });
  }
  const groupMatch = /^\/apis\/([^/]+)$/.exec(path);
  if (groupMatch) {
    const versions = groups.get(groupMatch[1]!);
    if (!versions) return pageNotFound();
    return Response.json({
      kind: "APIGroup",
      apiVersion: "v1",
      ...groupDocument(groupMatch[1]!, versions),
    });
  }
  const versionMatch = /^\/api\/(v1)$|^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
  if (versionMatch) {
    const group = versionMatch[2] ?? "";
    const version = versionMatch[1] ?? versionMatch[3]!;
    const resources = snapshot.resources.filter((r) =>
      r.group === group && r.version === version
    );
    if (resources.length === 0) return pageNotFound();
    return Response.json({
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion: group ? `${group}/${version}` : version,
      resources: resources.map((r) => ({
        name: r.name,
        singularName: r.singularName,
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: r.verbs,
        ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      })),
    });
  }
  return undefined;
}
