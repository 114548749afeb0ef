/**
 * What the sync task prints and how: logtape on stderr (JSON lines, or text on
 * a terminal), secrets redacted, every record with the tool's version; the
 * summary and a dry run's plan on stdout, in the same format.
 *
 * @module
 */
import {
  configureSync,
  getJsonLinesFormatter,
  getLogger,
  getTextFormatter,
  type Logger,
  type LogRecord,
  type Sink,
} from "@logtape/logtape";
import { redactByField } from "@logtape/redaction";
import type { AaiExchange } from "../adapters/aai.ts";
import type { Exchange } from "../adapters/http.ts";
import type { SyncLogger } from "../sync/mod.ts";
import { VERSION } from "./_version.ts";

/** Field names whose values never reach the log. */
const SECRET_FIELDS = [
  /pass(word)?/i,
  /secret/i,
  /token/i,
  /authorization/i,
  /kubeconfig/i,
  /credential/i,
];

/** Where the task writes; tests pass their own to keep the output. */
export interface SyncIo {
  /** Summary and dry-run lines (default: the process's stdout). */
  stdout?: (text: string) => void;
  /** Logs (default: the process's stderr). */
  stderr?: (text: string) => void;
  /** Whether stderr is a terminal (picks the default log format). */
  isTerminal?: boolean;
}

/** Writes text to a Deno stream synchronously (logs must not interleave). */
export function writer(
  stream: { writeSync(p: Uint8Array): number },
): (text: string) => void {
  const encoder = new TextEncoder();
  return (text: string): void => {
    const bytes = encoder.encode(text);
    let written = 0;
    while (written < bytes.length) {
      written += stream.writeSync(bytes.subarray(written));
    }
  };
}

/** Sets up @logtape/logtape: JSON lines (or text) on stderr, secrets redacted. */
export function setupLogging(
  format: "json" | "text",
  verbose: boolean,
  write: (text: string) => void,
): void {
  const formatter = format === "json"
    ? getJsonLinesFormatter()
    : getTextFormatter({ timestamp: "date-time" });
  function stderrSink(record: LogRecord): void {
    write(formatter(record));
  }
  const sink = redactByField(stderrSink, SECRET_FIELDS) as Sink;
  configureSync({
    reset: true,
    sinks: { stderr: sink },
    loggers: [
      {
        category: ["k8s-aai-sync"],
        lowestLevel: verbose ? "debug" : "info",
        sinks: ["stderr"],
      },
      {
        category: ["logtape", "meta"],
        lowestLevel: "warning",
        sinks: ["stderr"],
      },
    ],
  });
}

/** Escapes braces so logtape prints messages literally (they are not templates). */
function escapeBraces(message: string): string {
  return message.replace(/[{}]/g, (c) => c + c);
}

/**
 * A message with an immediately repeated "what failed: " prefix said once
 * (`Cannot list instances from k8splugin: Cannot list instances from
 * k8splugin: GET …` → one prefix): a caller that prefixes an error whose own
 * message already says what failed.
 */
export function sayOnce(message: string): string {
  return message.replace(/^(.{8,}?: )\1+/, "$1");
}

/** A {@linkcode SyncLogger} over a logtape logger that logs messages literally. */
export function literalLogger(logger: Logger): SyncLogger {
  const withVersion = logger.with({ version: VERSION });
  return {
    debug: (m, p) => withVersion.debug(escapeBraces(sayOnce(m)), p ?? {}),
    info: (m, p) => withVersion.info(escapeBraces(sayOnce(m)), p ?? {}),
    warn: (m, p) => withVersion.warn(escapeBraces(sayOnce(m)), p ?? {}),
    error: (m, p) => withVersion.error(escapeBraces(sayOnce(m)), p ?? {}),
  };
}

/** Prints the summary and dry-run lines: plain text, or one JSON object a line. */
export interface Output {
  /** One planned operation of a dry run. */
  operation(
    op: { method: string; path: string; body?: unknown; why: string },
  ): void;
  /** The pass summary. */
  summary(text: string, properties: Record<string, unknown>): void;
}

/** The stdout of a pass in `format`. */
export function output(
  format: "json" | "text",
  write: (text: string) => void,
): Output {
  if (format === "text") {
    return {
      operation: (op) =>
        write(
          `${op.method} ${op.path}${
            op.body ? ` ${JSON.stringify(op.body)}` : ""
          }  # ${op.why}\n`,
        ),
      summary: (text) => write(`${text}\n`),
    };
  }
  // The same shape as logtape's JSON lines on stderr, so `jq` reads a log
  // that mixes both (cron appends stdout and stderr to one file).
  function line(
    message: string,
    logger: string,
    properties: Record<string, unknown>,
  ): void {
    write(
      JSON.stringify({
        "@timestamp": new Date().toISOString(),
        level: "INFO",
        message,
        logger,
        properties: { ...properties, version: VERSION },
      }) + "\n",
    );
  }
  return {
    operation: (op) =>
      line(`${op.method} ${op.path}  # ${op.why}`, "k8s-aai-sync.plan", op),
    summary: (text, properties) =>
      line(text, "k8s-aai-sync.summary", properties),
  };
}

/** Counts of a pass's A&AI exchanges (to tell "A&AI is down" from a partial failure). */
export interface AaiExchangeCounts {
  /** Every attempt. */
  total: number;
  /** Attempts with no answer, or 501–599. */
  unavailable: number;
  /** Writes A&AI accepted (2xx to anything but GET). */
  writes: number;
}

/**
 * The exchange callbacks of a pass's peers: each exchange at debug level (one
 * line per write comes from the pass itself: its outcome and transaction id),
 * a failed attempt as a warning; A&AI's exchanges counted.
 */
export function peerLogs(): {
  aai: AaiExchangeCounts;
  onAaiExchange: (exchange: AaiExchange) => void;
  onK8spluginExchange: (exchange: Exchange) => void;
} {
  const exchangeLog = literalLogger(getLogger(["k8s-aai-sync", "http"]));
  const aai: AaiExchangeCounts = { total: 0, unavailable: 0, writes: 0 };
  function onAaiExchange(exchange: AaiExchange): void {
    aai.total++;
    if (
      exchange.method !== "GET" && exchange.status !== undefined &&
      exchange.status >= 200 && exchange.status < 300
    ) aai.writes++;
    const failed = exchange.status === undefined || exchange.status >= 500;
    if (failed && exchange.status !== 500) aai.unavailable++;
    const summary = `A&AI ${exchange.method} ${exchange.url} → ${
      exchange.status ?? exchange.error ?? "no response"
    }`;
    const properties = {
      method: exchange.method,
      url: exchange.url,
      status: exchange.status,
      attempt: exchange.attempt,
      durationMs: Math.round(exchange.durationMs),
      transactionId: exchange.transactionId,
      ...(exchange.error ? { error: exchange.error } : {}),
    };
    if (failed) {
      exchangeLog.warn(
        `${summary} (attempt ${exchange.attempt}, X-TransactionId ${exchange.transactionId})`,
        properties,
      );
    } else exchangeLog.debug(summary, properties);
  }
  function onK8spluginExchange(e: Exchange): void {
    const summary = `k8splugin ${e.method} ${e.url} → ${
      e.status ?? e.error ?? "no response"
    }`;
    const properties = {
      status: e.status,
      attempt: e.attempt,
      durationMs: Math.round(e.durationMs),
    };
    if (e.status === undefined || e.status >= 502) {
      exchangeLog.warn(`${summary} (attempt ${e.attempt})`, properties);
    } else exchangeLog.debug(summary, properties);
  }
  return { aai, onAaiExchange, onK8spluginExchange };
}
