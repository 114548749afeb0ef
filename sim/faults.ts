/**
 * Fault injection shared by the simulators: latency, error statuses, hangs,
 * connection resets and truncated or malformed bodies.
 *
 * A spec string (for `--faults`) is a comma-separated list of
 * `latency=5ms`, `error=503:0.1` (status:rate, repeatable), `hang=0.01`,
 * `reset=0.01`, `truncate=0.01`, `malformed=0.01`, `match=/v1/instance` (only
 * requests whose path starts with it), `seed=42`.
 *
 * @module
 */

import { setTimeout as sleep } from "node:timers/promises";

/** Faults a simulator injects; every rate is a probability in [0, 1]. */
export interface Faults {
  /** Added to every matching request, in ms. */
  latencyMs?: number;
  /** Status code → probability of answering it instead of the real response. */
  errorRates?: Record<number, number>;
  /** Probability of never answering (until the client gives up). */
  hangRate?: number;
  /** Probability of dropping the connection without a response. */
  resetRate?: number;
  /** Probability of sending only half of the real body, then dropping. */
  truncateRate?: number;
  /** Probability of answering 200 with a body that is not valid JSON. */
  malformedRate?: number;
  /** Only requests whose path starts with this prefix are affected. */
  match?: string;
  /** Seed of the pseudo-random generator, for repeatable runs. */
  seed?: number;
}

/** Parses a `--faults` spec; throws a RangeError naming the bad term. */
export function parseFaults(spec: string): Faults {
  const faults: Faults = {};
  for (const term of spec.split(",").map((t) => t.trim()).filter(Boolean)) {
    const [key, value = ""] = term.split("=", 2) as [string, string?];
    const rate = (text: string): number => {
      const n = Number(text);
      if (!Number.isFinite(n) || n < 0 || n > 1) {
        throw new RangeError(
          `Cannot parse fault "${term}": rate must be a number from 0 to 1`,
        );
      }
      return n;
    };
    switch (key) {
      case "latency": {
        const match = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(value);
        if (!match) {
          throw new RangeError(
            `Cannot parse fault "${term}": latency must look like 5ms or 1s`,
          );
        }
        faults.latencyMs = Number(match[1]) * (match[2] === "s" ? 1000 : 1);
        break;
      }
      case "error": {
        const [status, probability = "1"] = value.split(":", 2) as [
          string,
          string?,
        ];
        const code = Number(status);
        if (!Number.isInteger(code) || code < 400 || code > 599) {
          throw new RangeError(
            `Cannot parse fault "${term}": status must be 400-599`,
          );
        }
        faults.errorRates = { ...faults.errorRates, [code]: rate(probability) };
        break;
      }
      case "hang":
        faults.hangRate = rate(value);
        break;
      case "reset":
        faults.resetRate = rate(value);
        break;
      case "truncate":
        faults.truncateRate = rate(value);
        break;
      case "malformed":
        faults.malformedRate = rate(value);
        break;
      case "match":
        faults.match = value;
        break;
      case "seed":
        faults.seed = Number(value);
        break;
      default:
        throw new RangeError(
          `Cannot parse fault "${term}": unknown fault, expected latency, error, hang, reset, truncate, malformed, match or seed`,
        );
    }
  }
  return faults;
}

/**
 * A small deterministic PRNG (mulberry32), so fault runs and generated
 * benchmark fleets can be repeated: numbers in `[0, 1)` from a 32-bit seed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mulberry32 } from "./faults.ts";
 * const a = mulberry32(7);
 * const b = mulberry32(7);
 * assert.equal(a(), b());
 * ```
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return function next(): number {
    state = (state + 0x6D2B79F5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A response body stream that errors, which makes Deno drop the connection. */
function brokenStream(prefix: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      if (prefix.length > 0) controller.enqueue(prefix);
      controller.error(new Error("injected connection reset"));
    },
  });
}

/**
 * The `onError` of a simulator's `Deno.serve`: a quiet 500 (or, for a body
 * that broke mid-stream, the dropped connection the fault asked for) instead
 * of Deno's default, which prints the error and its stack. Injected resets,
 * dropped watches and clients that hang up are expected in tests; `log`,
 * when given, still hears about each one.
 */
export function quietServerError(
  log?: (error: unknown) => void,
): (error: unknown) => Response {
  return function onError(error: unknown): Response {
    log?.(error);
    return new Response("Internal Server Error", { status: 500 });
  };
}

/** Latency a simulator actually injected, for checking it against the asked-for value. */
export interface InjectedLatency {
  /** Requests delayed. */
  requests: number;
  /** Sum of their delays, in ms (from the handler's start to the end of the wait). */
  totalMs: number;
}

/** Sets a simulator's injected-latency counters back to zero. */
export function resetInjectedLatency(injected: InjectedLatency): void {
  injected.requests = 0;
  injected.totalMs = 0;
}

/**
 * How much later than asked this process's timers fire, in ms: a moving
 * average of every injected wait. Deno runs timers on a 1 ms wheel and
 * rounds up, so `setTimeout(5)` resolves after about 6.3 ms on an idle loop
 * and closer to 5 ms on a busy one; one figure measured up front was wrong
 * either way (the bench's injected latency showed it).
 */
let timerLateness = 1;

/**
 * Waits until `ms` after `started`: the timer is set short by the current
 * lateness estimate, so a request waits the latency it was given rather than
 * that plus the timer's rounding (28 % more at 5 ms, measured by the bench).
 */
async function delay(ms: number, started: number): Promise<void> {
  const wait = started + ms - performance.now() -
    Math.min(timerLateness, ms / 2);
  if (wait <= 0) return;
  const due = performance.now() + wait;
  await sleep(wait);
  // Rounding makes a timer up to a tick or two late; a busy event loop can
  // make it much later, and that is load, not rounding: it stays in the
  // latency, and a sample never counts for more than MAX_ROUNDING_MS.
  const late = Math.min(Math.max(performance.now() - due, 0), MAX_ROUNDING_MS);
  timerLateness += 0.1 * (late - timerLateness);
}

/** The most a timer's rounding can add, in ms (two ticks of Deno's 1 ms wheel). */
const MAX_ROUNDING_MS = 2;

/**
 * Wraps a request handler with fault injection. `getFaults` is read on every
 * request so tests can change faults while a simulator runs; `injected`, when
 * given, adds up the latency actually injected.
 */
export function withFaults(
  handler: (request: Request) => Response | Promise<Response>,
  getFaults: () => Faults | undefined,
  injected?: InjectedLatency,
): (request: Request) => Promise<Response> {
  let random: (() => number) | undefined;
  let seededWith: number | undefined;
  return async function faultyHandler(request: Request): Promise<Response> {
    const faults = getFaults();
    if (!faults) return await handler(request);
    const path = new URL(request.url).pathname;
    if (faults.match && !path.startsWith(faults.match)) {
      return await handler(request);
    }
    if (!random || seededWith !== faults.seed) {
      seededWith = faults.seed;
      random = faults.seed === undefined
        ? Math.random
        : mulberry32(faults.seed);
    }
    const roll = random;
    if (faults.latencyMs) {
      const started = performance.now();
      await delay(faults.latencyMs, started);
      if (injected) {
        injected.requests++;
        injected.totalMs += performance.now() - started;
      }
    }
    if (faults.hangRate && roll() < faults.hangRate) {
      await new Promise<void>((resolve) => {
        if (request.signal.aborted) resolve();
        request.signal.addEventListener("abort", () => resolve(), {
          once: true,
        });
      });
      return new Response(brokenStream(new Uint8Array()));
    }
    if (faults.resetRate && roll() < faults.resetRate) {
      return new Response(brokenStream(new Uint8Array()), { status: 200 });
    }
    for (
      const [status, probability] of Object.entries(faults.errorRates ?? {})
    ) {
      if (roll() < probability) {
        return new Response(`injected fault: HTTP ${status}\n`, {
          status: Number(status),
          headers: { "content-type": "text/plain; charset=utf-8" },
        });
      }
    }
    if (faults.malformedRate && roll() < faults.malformedRate) {
      return new Response('{"injected": malformed', {
        status: 200,
        headers: { "content-type": "application/json" },
      });
    }
    const response = await handler(request);
    if (faults.truncateRate && roll() < faults.truncateRate) {
      const bytes = new Uint8Array(await response.arrayBuffer());
      return new Response(brokenStream(bytes.slice(0, bytes.length >> 1)), {
        status: response.status,
        headers: response.headers,
      });
    }
    return response;
  };
}
