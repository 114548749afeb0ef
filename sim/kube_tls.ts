/**
 * Test certificates for the Kubernetes API simulator's HTTPS (openssl).
 *
 * Permissions: `--allow-run` (openssl), `--allow-write` and `--allow-read`
 * (a temporary folder).
 *
 * @module
 */

/** TLS material for the simulator (PEM). */
export interface KubeSimTls {
  /** Server certificate (PEM). */
  cert: string;
  /** Its private key (PEM). */
  key: string;
  /** The CA that signed `cert` (returned as `caCert` by {@linkcode startKube}). */
  caCert?: string;
}

// ---------------------------------------------------------------------------
// Certificates

/** Runs openssl in `dir`; throws naming the failed subcommand. */
async function openssl(dir: string, ...args: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command("openssl", {
    args,
    cwd: dir,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(
      `Cannot generate test certificates: openssl ${args[0]} failed: ${
        new TextDecoder().decode(stderr).trim()
      }`,
    );
  }
}

/**
 * Generates a throw-away CA and a server certificate for 127.0.0.1/localhost
 * with `openssl` (needs `--allow-run`, `--allow-read`, `--allow-write`); for
 * tests, the demo and the CLI only.
 */
export async function generateTestCertificates(): Promise<
  Required<KubeSimTls>
> {
  const dir = await Deno.makeTempDir({ prefix: "kube-sim-tls-" });
  try {
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
    await openssl(
      dir,
      "req",
      "-x509",
      ...ec,
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
      "-days",
      "2",
      "-subj",
      "/CN=kube-sim-ca",
    );
    await openssl(
      dir,
      "req",
      ...ec,
      "-nodes",
      "-keyout",
      "server.key",
      "-out",
      "server.csr",
      "-subj",
      "/CN=kube-sim",
    );
    await Deno.writeTextFile(
      `${dir}/ext.cnf`,
      "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n" +
        "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    );
    await openssl(
      dir,
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "server.crt",
      "-days",
      "2",
      "-extfile",
      "ext.cnf",
    );
    return {
      cert: await Deno.readTextFile(`${dir}/server.crt`),
      key: await Deno.readTextFile(`${dir}/server.key`),
      caCert: await Deno.readTextFile(`${dir}/ca.crt`),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
