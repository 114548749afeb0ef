/**
 * Label and field selectors of the Kubernetes API simulator
 * (k8s.io/apimachinery/pkg/labels grammar).
 *
 * @module
 */
import type { KubeSimObject } from "./kube.ts";

/** One parsed label-selector requirement. */
export interface Requirement {
  key: string;
  op: "=" | "!=" | "in" | "notin" | "exists" | "!" | "gt" | "lt";
  values: string[];
}

/** A selector the simulator cannot parse: answered as 400 BadRequest. */
export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SelectorError";
  }
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of text) {
    if (char === "(") depth++;
    if (char === ")") depth--;
    if (char === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += char;
  }
  parts.push(current);
  return parts;
}

const LABEL_KEY =
  /^([a-z0-9A-Z]([-a-z0-9A-Z.]*[a-z0-9A-Z])?\/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Parses a label selector; throws SelectorError with apimachinery-like wording. */
export function parseLabelSelector(text: string): Requirement[] {
  const requirements: Requirement[] = [];
  if (text.trim() === "") return requirements;
  for (const raw of splitTopLevel(text)) {
    const part = raw.trim();
    let match: RegExpExecArray | null;
    let requirement: Requirement;
    if ((match = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part))) {
      const values = match[3]!.split(",").map((v) => v.trim());
      requirement = {
        key: match[1]!,
        op: match[2] as "in" | "notin",
        values: values.length === 1 && values[0] === "" ? [] : values,
      };
      if (requirement.values.length === 0) {
        throw new SelectorError(
          `unable to parse requirement: for 'in', 'notin' operators, values set can't be empty`,
        );
      }
    } else if (
      (match = /^([^\s=!<>]+)\s*(==|!=|=)\s*([^\s=!<>]*)$/.exec(part))
    ) {
      requirement = {
        key: match[1]!,
        op: match[2] === "!=" ? "!=" : "=",
        values: [match[3]!],
      };
    } else if ((match = /^([^\s=!<>]+)\s*([<>])\s*(\S+)$/.exec(part))) {
      if (!/^-?\d+$/.test(match[3]!)) {
        throw new SelectorError(
          `unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`,
        );
      }
      requirement = {
        key: match[1]!,
        op: match[2] === ">" ? "gt" : "lt",
        values: [match[3]!],
      };
    } else if ((match = /^!\s*([^\s=!<>(),]+)$/.exec(part))) {
      requirement = { key: match[1]!, op: "!", values: [] };
    } else if ((match = /^([^\s=!<>(),]+)$/.exec(part))) {
      requirement = { key: match[1]!, op: "exists", values: [] };
    } else {
      throw new SelectorError(
        `unable to parse requirement: found '${part}', expected: key, !key, key=value, key!=value, key in (...), key notin (...)`,
      );
    }
    if (!LABEL_KEY.test(requirement.key) || requirement.key.length > 317) {
      throw new SelectorError(
        `unable to parse requirement: invalid label key "${requirement.key}": name part must consist of alphanumeric characters, '-', '_' or '.'`,
      );
    }
    for (const value of requirement.values) {
      if (
        requirement.op !== "gt" && requirement.op !== "lt" &&
        (!LABEL_VALUE.test(value) || value.length > 63)
      ) {
        throw new SelectorError(
          `unable to parse requirement: invalid label value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'`,
        );
      }
    }
    requirements.push(requirement);
  }
  return requirements;
}

/** True when `labels` satisfy every requirement. */
export function matchesLabels(
  requirements: Requirement[],
  labels: Record<string, string>,
): boolean {
  return requirements.every(({ key, op, values }) => {
    const has = Object.hasOwn(labels, key);
    const value = labels[key];
    switch (op) {
      case "=":
        return has && value === values[0];
      case "!=":
        return !has || value !== values[0];
      case "in":
        return has && values.includes(value!);
      case "notin":
        return !has || !values.includes(value!);
      case "exists":
        return has;
      case "!":
        return !has;
      case "gt":
      case "lt": {
        if (!has || !/^-?\d+$/.test(value!)) return false;
        const n = Number(value);
        const bound = Number(values[0]);
        return op === "gt" ? n > bound : n < bound;
      }
    }
  });
}

/** Field-selector fields supported for every kind, plus a few per kind (like the real server). */
const FIELDS: Record<string, (object: KubeSimObject) => string> = {
  "metadata.name": (o) => o.metadata.name,
  "metadata.namespace": (o) => o.metadata.namespace ?? "",
};
const POD_FIELDS: Record<string, (object: KubeSimObject) => string> = {
  "spec.nodeName": (o) => String(dig(o, "spec", "nodeName") ?? ""),
  "status.phase": (o) => String(dig(o, "status", "phase") ?? ""),
  "spec.restartPolicy": (o) => String(dig(o, "spec", "restartPolicy") ?? ""),
  "spec.serviceAccountName": (o) =>
    String(dig(o, "spec", "serviceAccountName") ?? ""),
};

/** Reads a nested property without throwing. */
export function dig(object: unknown, ...path: string[]): unknown {
  let current = object;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** A parsed field selector: a predicate. */
export function parseFieldSelector(
  text: string,
  kind: string,
): (object: KubeSimObject) => boolean {
  const tests: ((object: KubeSimObject) => boolean)[] = [];
  if (text.trim() === "") return () => true;
  for (const raw of text.split(",")) {
    const match = /^\s*([^=!\s]+)\s*(==|!=|=)\s*(.*?)\s*$/.exec(raw);
    if (!match) {
      throw new SelectorError(
        `invalid selector: '${text}'; can't understand '${raw}'`,
      );
    }
    const [, field, op, value] = match as unknown as [
      string,
      string,
      string,
      string,
    ];
    const read = FIELDS[field] ??
      (kind === "Pod" ? POD_FIELDS[field] : undefined);
    if (!read) {
      throw new SelectorError(
        `field label not supported: ${field}`,
      );
    }
    tests.push(
      op === "!=" ? (o) => read(o) !== value : (o) => read(o) === value,
    );
  }
  return (object) => tests.every((test) => test(object));
}
