/**
 * Loopback helpers of the fault tests: a server whose handler the test
 * controls (plain or TLS), a port nobody listens on, and `deno task sync`
 * run as a child process exactly as deno.json runs it.
 */

/** A loopback server; closed by `await using`. */
export function serve(
  handler: (request: Request) => Response | Promise<Response>,
  tls?: { cert: string; key: string },
): { url: string; [Symbol.asyncDispose](): Promise<void> } {
  const server = Deno.serve({
    port: 0,
    hostname: "127.0.0.1",
    onListen() {},
    // A body stream that errors is how these tests drop a connection; Deno
    // would print each one with its stack (the failure is asserted instead).
    onError: () => new Response(null, { status: 500 }),
    ...(tls ?? {}),
  }, handler);
  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${server.addr.port}`,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/** A loopback URL whose port refuses connections. */
export function closedPort(): string {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return `http://127.0.0.1:${port}`;
}

const ROOT = new URL("../../", import.meta.url);

/** `deno task sync ARGS` with only `env` (plus NO_COLOR), as a child process. */
export async function syncTask(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const deno = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", ROOT)),
  ) as { tasks: Record<string, string> };
  const [, ...taskArgs] = deno.tasks.sync!.split(/\s+/);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...taskArgs, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/** Runs `sh -c script` in `dir`; false when it fails or sh/openssl is missing. */
export async function shell(script: string, dir: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("sh", {
      args: ["-c", script],
      cwd: dir,
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}
