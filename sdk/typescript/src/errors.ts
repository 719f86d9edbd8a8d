import { problemCodeValues, type components } from "./schema.js";

/** An RFC 9457 problem, the body of every error response of the service. */
export type Problem = components["schemas"]["Problem"];

/** One field at fault in a {@link Problem}, e.g. `{ field: "email", reason: "is already registered" }`. */
export type FieldError = components["schemas"]["FieldError"];

/** A code the service sends in a {@link Problem}, as the contract's `ProblemCode` lists them. */
export type ProblemCode = components["schemas"]["ProblemCode"];

/** Every {@link ProblemCode}, generated from the contract. */
export const problemCodes: ReadonlyArray<ProblemCode> = problemCodeValues;

/** Reports whether `code` is one the contract lists (a newer service may send others). */
export function isProblemCode(code: string): code is ProblemCode {
  return (problemCodes as ReadonlyArray<string>).includes(code);
}

/** The code of a problem the client makes up itself, for an error response that is not a problem document. */
export const UNEXPECTED_RESPONSE = "UNEXPECTED_RESPONSE";

/** Reports whether a response carries an `application/problem+json` body. */
export function isProblemResponse(response: Response): boolean {
  const type = response.headers.get("Content-Type") ?? "";
  return type.split(";")[0]!.trim().toLowerCase() === "application/problem+json";
}

/**
 * An error response of the service, as an Error.
 *
 * Branch on `code` (`EMAIL_TAKEN`, `UNAUTHENTICATED`, …), which is stable; `title` and
 * `detail` are for people. `errors` lists the fields at fault (empty when none are named).
 * Only `application/problem+json` bodies are read as problems: any other error response
 * (a proxy's HTML page, say) becomes a ProblemError with code `UNEXPECTED_RESPONSE`, which
 * the service never sends, and an empty `requestId` unless the response had `X-Request-ID`.
 */
export class ProblemError extends Error {
  /** The HTTP status. */
  readonly status: number;
  /**
   * The stable, machine-readable code, UPPER_SNAKE_CASE: a {@link ProblemCode}, or
   * `UNEXPECTED_RESPONSE`, or a code added by a newer service.
   */
  readonly code: ProblemCode | typeof UNEXPECTED_RESPONSE | (string & {});
  /** A short summary of the problem type. */
  readonly title: string;
  /** What went wrong this time, when the service says. */
  readonly detail: string | undefined;
  /** The request's id, as in the `X-Request-ID` header: quote it when reporting a problem. */
  readonly requestId: string;
  /** The fields at fault. */
  readonly errors: FieldError[];
  /** The problem document as received (or as made up, for `UNEXPECTED_RESPONSE`). */
  readonly problem: Problem;

  /** Wraps a problem document. */
  constructor(problem: Problem) {
    super(`${problem.code} (${problem.status}): ${problem.detail ?? problem.title}`);
    this.name = "ProblemError";
    this.status = problem.status;
    this.code = problem.code;
    this.title = problem.title;
    this.detail = problem.detail;
    this.requestId = problem.request_id;
    this.errors = problem.errors ?? [];
    this.problem = problem;
  }

  /**
   * Builds the error for a non-2xx response whose body was already read into `body`
   * (as openapi-fetch does into `error`: parsed JSON, or the text when it is not JSON).
   */
  static from(response: Response, body: unknown): ProblemError {
    if (isProblemResponse(response) && isProblem(body)) return new ProblemError(body);
    return new ProblemError({
      type: "about:blank",
      title: response.statusText || `HTTP ${response.status}`,
      status: response.status,
      code: UNEXPECTED_RESPONSE,
      detail: `The server answered ${response.status} with ${response.headers.get("Content-Type") ?? "no content type"}, not a problem document.`,
      request_id: response.headers.get("X-Request-ID") ?? "",
    });
  }
}

function isProblem(body: unknown): body is Problem {
  if (typeof body !== "object" || body === null) return false;
  const p = body as Record<string, unknown>;
  return typeof p.code === "string" && typeof p.status === "number" && typeof p.title === "string";
}

/**
 * Returns the data of an openapi-fetch result, or throws its error as a {@link ProblemError}.
 *
 * ```ts
 * const me = unwrap(await client.GET("/api/v1/users/me"));
 * ```
 */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.response.ok) return result.data as T;
  throw ProblemError.from(result.response, result.error);
}
