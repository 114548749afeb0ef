import assert from "node:assert/strict";
import { Shutdown } from "../../sync/watch/mod.ts";
import { testClock } from "./_clock.ts";

Deno.test("Shutdown.begin() waits for tracked work, then runs cleanups last registered first", async () => {
  const order: string[] = [];
  const shutdown = new Shutdown({ graceMs: 1_000 });
  shutdown.defer("ops server", () => void order.push("ops server"));
  shutdown.defer("lease", async () => {
    await Promise.resolve();
    order.push("lease");
  });
  let finish!: () => void;
  shutdown.track(
    new Promise<void>((resolve) => finish = resolve).then(() =>
      void order.push("work")
    ),
  );
  const report = shutdown.begin("SIGTERM");
  assert.equal(shutdown.signal.aborted, true);
  finish();
  assert.deepEqual(await report, {
    reason: "SIGTERM",
    abandoned: 0,
    failed: [],
  });
  assert.deepEqual(order, ["work", "lease", "ops server"]);
  assert.equal(await shutdown.done, await report);
});

Deno.test("Shutdown abandons work still running after the grace period and still runs the cleanups", async () => {
  const clock = testClock(0);
  const shutdown = new Shutdown({ graceMs: 500, cleanupMs: 100, clock });
  const released: string[] = [];
  shutdown.defer("lease", () => void released.push("lease"));
  shutdown.defer("stuck", () => new Promise(() => {}));
  shutdown.track(new Promise(() => {}));
  const report = shutdown.begin();
  await clock.tick(499);
  assert.deepEqual(released, [], "work still has 1 ms");
  await clock.tick(1);
  assert.deepEqual(released, [], "the stuck cleanup runs first");
  await clock.tick(100);
  assert.deepEqual(released, ["lease"], "and does not starve the lease");
  const done = await report;
  assert.equal(done.abandoned, 1);
  assert.deepEqual(released, ["lease"]);
  assert.deepEqual(done.failed.map((f) => f.name), ["stuck"]);
  assert.equal(clock.timers, 0);
});

Deno.test("Shutdown starts when its signal aborts, once, and reports a cleanup that throws", async () => {
  const controller = new AbortController();
  const shutdown = new Shutdown({ signal: controller.signal, graceMs: 100 });
  let runs = 0;
  shutdown.defer("count", () => void runs++);
  shutdown.defer("broken", () => {
    throw new Error("lease already gone");
  });
  controller.abort("SIGTERM");
  const report = await shutdown.done;
  assert.equal(report.reason, "SIGTERM");
  assert.deepEqual(report.failed.map((f) => f.name), ["broken"]);
  await shutdown.begin("again");
  assert.equal(runs, 1);
});
