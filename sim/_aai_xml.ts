/**
 * XML bodies: what aai-resources answers when Accept does not ask for JSON.
 *
 * @module
 */
import { isRecord } from "./_aai_engine.ts";

function xmlEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

function xmlElement(name: string, value: unknown): string {
  if (Array.isArray(value)) {
    return value.map((v) => xmlElement(name, v)).join("");
  }
  if (value === null || value === undefined) return "";
  if (isRecord(value)) {
    const inner = Object.entries(value).map(([key, v]) =>
      key === "variables" && Array.isArray(v)
        ? `<variables>${xmlElement("variable", v)}</variables>`
        : xmlElement(key, v)
    ).join("");
    return `<${name}>${inner}</${name}>`;
  }
  return `<${name}>${xmlEscape(String(value))}</${name}>`;
}

/** A JSON body as the XML aai-resources answers (an error as `<Fault>`). */
export function toXml(root: string, body: unknown, version: string): string {
  const head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';
  if (isRecord(body) && "requestError" in body) {
    return `${head}<Fault>${
      xmlElement("requestError", body.requestError)
    }</Fault>`;
  }
  const ns = ` xmlns="http://org.onap.aai.inventory/${version}"`;
  if (isRecord(body)) {
    const singleList = Object.keys(body).length === 1 &&
      Array.isArray(Object.values(body)[0]);
    const inner = singleList
      ? xmlElement(Object.keys(body)[0] as string, Object.values(body)[0])
      : Object.entries(body).map(([k, v]) => xmlElement(k, v)).join("");
    return `${head}<${root}${ns}>${inner}</${root}>`;
  }
  return `${head}<${root}${ns}>${xmlEscape(String(body))}</${root}>`;
}
