/**
 * A&AI error bodies (aai-aai-common error.properties; reference/aai.md §1.9).
 *
 * @module
 */

/** `Disposition:Category:HTTP:RESTcode:Text` of the AAI_xxxx codes we answer. */
const ERRORS: Record<string, [number, number, number, number, string]> = {
  "3000": [5, 2, 400, 3000, "Invalid input performing %1 on %2"],
  "3008": [5, 6, 400, 3008, "URI is not encoded in UTF-8"],
  "3012": [5, 6, 400, 3012, "Method Not Allowed"],
  "3016": [5, 6, 400, 3016, "Request uses an unsupported version"],
  "3102": [5, 1, 400, 3102, "Error parsing input performing %1 on %2"],
  "3300": [5, 1, 403, 3300, "Unauthorized"],
  "4009": [4, 0, 400, 3000, "Invalid X-FromAppId in header"],
  "4010": [4, 0, 400, 3000, "Invalid X-TransactionId in header"],
  "4016": [
    4,
    0,
    400,
    3000,
    'The depth parameter must be a number or the string "all"',
  ],
  "6110": [5, 4, 400, 3100, "Node cannot be deleted"],
  "6111": [5, 4, 400, 3000, "Invalid input object"],
  "6114": [5, 4, 404, 3001, "Node Not Found"],
  "6115": [5, 4, 400, 3000, "Unrecognized NodeType"],
  "6118": [5, 4, 400, 3000, "Required Field not passed."],
  "6120": [5, 4, 400, 3000, "Bad Parameter Passed"],
  "6129": [5, 4, 404, 3003, "Error making edge to target node"],
  "6130": [5, 4, 412, 3000, "Precondition Required"],
  "6131": [5, 4, 412, 3000, "Precondition Failed"],
  "6135": [5, 4, 412, 3000, "Resource version specified on create"],
  "6140": [5, 4, 400, 3000, "Edge multiplicity violated"],
  "6145": [
    5,
    4,
    400,
    3000,
    "Cannot create a nested/containment edge via relationship",
  ],
  "6147": [5, 4, 400, 3000, "Payload Limit Reached"],
  "6149": [5, 4, 404, 3001, "No relationship was found"],
};

/** The REST message templates behind `messageId`. */
const REST_TEXT: Record<number, string> = {
  3000: "Invalid input performing %1 on %2",
  3001: "Resource not found for %1 using id %2",
  3003:
    "Failed to make edge to missing target node of type %3 with keys %4 performing %1 on %2",
  3008: "URI is not encoded in UTF-8",
  3012: "Method Not Allowed",
  3016: "Request uses an unsupported version",
  3100: "Unsupported operation %1",
  3102: "Error parsing input performing %1 on %2",
  3300: "Unauthorized",
};

/** A rule violation; rendered as an A&AI error body by the handler. */
export class SimError extends Error {
  /** `aaiCode`: the AAI_xxxx code (a key of {@linkcode ERRORS}); `detail`: what broke. */
  constructor(
    readonly aaiCode: string,
    readonly detail: string,
    /** Extra template variables before the message (AAI_6129: target type and keys). */
    readonly extra: string[] = [],
  ) {
    super(`AAI_${aaiCode} ${detail}`);
    this.name = "SimError";
  }
}

/** An A&AI error answer: HTTP status, `ERR.x.y.zzzz` code and body. */
export interface ErrorReply {
  /** The HTTP status. */
  status: number;
  /** `ERR.{disposition}.{category}.{code}`. */
  code: string;
  /** The `requestError` body. */
  body: Record<string, unknown>;
}

/** The answer A&AI gives for `error` on `method path` (an unknown code: 500). */
export function errorReply(
  error: SimError,
  method: string,
  path: string,
): ErrorReply {
  const [disposition, category, status, rest, errText] =
    ERRORS[error.aaiCode] ??
      [5, 4, 500, 3002, "Internal Error"];
  const code = `ERR.${disposition}.${category}.${error.aaiCode}`;
  const variables = [
    method,
    path,
    ...error.extra,
    `${errText}:${error.detail}`,
    code,
  ];
  const template = REST_TEXT[rest] ?? "Internal Error";
  const text = `${template} (msg=%${
    variables.length - 1
  }) (ec=%${variables.length})`;
  const kind = category === 1 ? "policyException" : "serviceException";
  return {
    status,
    code,
    body: {
      requestError: {
        [kind]: {
          messageId: `${category === 1 ? "POL" : "SVC"}${rest}`,
          text,
          variables,
        },
      },
    },
  };
}
