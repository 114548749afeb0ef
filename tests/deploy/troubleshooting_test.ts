/**
 * Every message the README's Troubleshooting table quotes is what the tool
 * prints, word for word (`…` stands for what varies): each is produced here by
 * running `sync` (in process, its output captured) in the situation the row
 * describes. A message printed by a module tested elsewhere word for word
 * names that test in SEEN_IN.
 */
import assert from "node:assert/strict";
import { parseScenario } from "../../sim/scenario.ts";
import { acquireStateLock } from "../../sync/mod.ts";
import { main } from "../../tasks/sync.ts";
import {
  expectedPath,
  healthy,
  NS,
  OWNER,
  REGION,
  scenario,
  type World,
  world,
} from "../sync/_scenario.ts";
import { closedPort, serve, shell } from "../faults/_net.ts";

const ROOT = new URL("../../", import.meta.url);
const README = await Deno.readTextFile(new URL("README.md", ROOT));

/** Messages proven word for word by another test file (path → why). */
const SEEN_IN: Record<string, string> = {
  "`HTTP 403 Forbidden: grant verb …`": "tests/adapters/kube_test.ts",
};

/** The quoted messages of the Troubleshooting table (rows that start with one). */
function quotedMessages(): string[] {
  const start = README.indexOf("## Troubleshooting");
  const table = README.slice(start, README.indexOf("\n## ", start + 5));
  return table.split("\n").filter((l) => l.startsWith("| `"))
    .map((l) => /^\| (`[^`]+`)/.exec(l)![1]!);
}

/** A quoted message as a pattern: `…` matches anything on one line. */
function pattern(quoted: string): RegExp {
  const text = quoted.slice(1, -1);
  return new RegExp(
    text.split("…").map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*?"),
  );
}

/** Runs `sync ARGS` in process; returns everything it printed. */
async function sync(
  args: string[],
  env: Record<string, string>,
): Promise<string> {
  let out = "";
  const write = (text: string) => {
    out += text;
  };
  await main([...args, "--log-format", "text"], env, {
    stdout: write,
    stderr: write,
    isTerminal: false,
  });
  return out;
}

function envOf(w: World): Record<string, string> {
  return {
    K8SPLUGIN_URL: w.k8s.url,
    AAI_URL: w.aai.url,
    K8S_AAI_SYNC_SNAPSHOT: w.config.snapshot,
  };
}

const VF = { vnfId: "vnf-1", vfModuleId: "vfm-1", heatStackId: "app-1" };

Deno.test("README Troubleshooting: every quoted message is printed word for word", async () => {
  const dir = await Deno.makeTempDir();
  const printed: string[] = [];
  const base = {
    K8SPLUGIN_URL: closedPort(),
    AAI_URL: closedPort(),
    K8S_AAI_SYNC_SNAPSHOT: `${dir}/state/snapshot.json`,
  };
  try {
    // Configuration and local problems.
    printed.push(await sync(["--once"], {}));
    printed.push(
      await sync(["--once"], {
        ...base,
        AAI_URL: "https://aai.onap:8443/aai/v24",
      }),
    );
    printed.push(
      await sync(["--once"], { ...base, K8SPLUGIN_URL: "http://u:p@k8s:9015" }),
    );
    printed.push(
      await sync(["--once"], {
        ...base,
        K8S_AAI_SYNC_DELETE_AFTER_MISSES: "abc",
      }),
    );
    printed.push(
      await sync(["--once"], { ...base, AAI_CA_FILE: `${dir}/none.pem` }),
    );
    await Deno.writeTextFile(`${dir}/file`, "");
    printed.push(
      await sync(["--once"], {
        ...base,
        K8S_AAI_SYNC_SNAPSHOT: `${dir}/file/state/snapshot.json`,
      }),
    );
    printed.push(
      await sync(["--once", "--metrics-file", `${dir}/no/m.prom`], base),
    );
    // Peers.
    printed.push(await sync(["--once"], base));
    if (
      await shell(
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout k.pem -out c.pem -days 2 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1",
        dir,
      )
    ) {
      await using tls = serve(() => Response.json([]), {
        cert: await Deno.readTextFile(`${dir}/c.pem`),
        key: await Deno.readTextFile(`${dir}/k.pem`),
      });
      printed.push(await sync(["--once"], { ...base, K8SPLUGIN_URL: tls.url }));
    }
    {
      await using k8splugin = serve(() =>
        Response.json([{ id: "", request: {}, namespace: "" }])
      );
      printed.push(
        await sync(["--once"], { ...base, K8SPLUGIN_URL: k8splugin.url }),
      );
    }
    // The lock.
    {
      const lock = await acquireStateLock(base.K8S_AAI_SYNC_SNAPSHOT);
      try {
        printed.push(await sync(["--once"], base));
        printed.push(
          await sync(["--once", "--verify", "--wait-lock", "1s"], base),
        );
      } finally {
        await lock.release();
      }
    }
    // Passes against the simulators.
    {
      await using w = await world(
        scenario([[healthy("app-1"), healthy("app-2")], []], [VF]),
      );
      printed.push(await sync(["--once"], envOf(w)));
      w.setStep(1);
      printed.push(await sync(["--once"], envOf(w)));
    }
    {
      const instances = Array.from(
        { length: 8 },
        (_, i) => healthy(`app-${i}`),
      );
      await using w = await world(
        scenario([instances, instances.slice(0, 1)], [VF]),
      );
      const env = { ...envOf(w), K8S_AAI_SYNC_DELETE_AFTER_MISSES: "1" };
      printed.push(await sync(["--once"], env));
      w.setStep(1);
      printed.push(await sync(["--once"], env));
    }
    {
      await using w = await world(scenario([[healthy("app-1")]], [VF]));
      const dep = expectedPath(
        "app-1",
        "Deployment",
        "apps",
        "v1",
        "app-1-web",
      );
      w.aai.state.put(dep.path, {
        id: dep.id,
        name: "app-1-web",
        group: "apps",
        version: "v1",
        kind: "Deployment",
        namespace: NS,
        labels: [],
        selflink: "http://so-cnf-adapter:8090/",
        "data-owner": "CnfAdapter",
        "data-source": "K8sPlugin",
        "data-source-version": "1",
      });
      printed.push(await sync(["--once"], envOf(w)));
      await Deno.writeTextFile(w.config.snapshot, "{ not json");
      printed.push(await sync(["--once"], envOf(w)));
    }
    {
      const noTenant = parseScenario({
        regions: [{ cloudRegion: REGION, cloudOwner: OWNER }],
        aai: {
          cloudRegions: [{
            cloudOwner: OWNER,
            cloudRegionId: REGION,
            tenants: [],
          }],
        },
        steps: [{
          name: "s",
          now: "2026-11-25T10:00:00Z",
          instances: [healthy("app-1")],
        }],
      }, "no tenant");
      await using w = await world(noTenant);
      printed.push(await sync(["--once"], envOf(w)));
    }
    {
      await using w = await world(
        scenario([[healthy("app-1")], [healthy("app-1", "bbbbb", "101")]], [
          VF,
        ]),
      );
      printed.push(await sync(["--once"], envOf(w)));
      const state = w.config.snapshot.replace(/\/[^/]*$/, "");
      const undo = await readOnly(state);
      if (undo) {
        try {
          w.setStep(1);
          printed.push(await sync(["--once"], envOf(w)));
        } finally {
          await undo();
        }
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const all = printed.join("\n");
  const missing: string[] = [];
  for (const quoted of quotedMessages()) {
    if (SEEN_IN[quoted]) {
      const test = await Deno.readTextFile(new URL(SEEN_IN[quoted]!, ROOT));
      if (!pattern(quoted).test(test)) {
        missing.push(`${quoted} (in ${SEEN_IN[quoted]})`);
      }
      continue;
    }
    if (!pattern(quoted).test(all)) missing.push(quoted);
  }
  assert.deepEqual(missing, [], `not printed as quoted:\n${all}`);
});

/** Makes a folder read-only even for root (`chattr +i`); the undo, or undefined. */
async function readOnly(
  dir: string,
): Promise<(() => Promise<void>) | undefined> {
  const ok = Deno.uid() === 0
    ? await shell(`chattr +i ${dir}`, "/")
    : await shell(`chmod 0500 ${dir}`, "/");
  if (!ok) return undefined;
  return async () =>
    void await shell(
      Deno.uid() === 0 ? `chattr -i ${dir}` : `chmod 0700 ${dir}`,
      "/",
    );
}
