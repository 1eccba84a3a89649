// A small client written against the types openapi-typescript generates from the public
// document (`make openapi-check` type-checks it with `tsc --strict`). It indexes the document
// the way an app would: a route that stops declaring its multipart body, its 200 or its problem
// responses, or a schema that changes shape, fails the compile.
import type { components, operations, paths } from "./build/ts/pathwise";

type Schemas = components["schemas"];
type Problem = Schemas["ProblemDetail"];
type TokenResponse = Schemas["TokenResponse"];
type Upload = paths["/v1/roster/imports"]["post"]["requestBody"]["content"]["multipart/form-data"];
type ImportJob = operations["upload_import"]["responses"][202]["content"]["application/json"];
type AttemptCreate =
  paths["/v1/assessments/{assessment_id}/attempts"]["post"]["requestBody"]["content"]["application/json"];
type Attempt = operations["start_attempt"]["responses"][201]["content"]["application/json"];
type AnswerIn = operations["answer_item"]["requestBody"]["content"]["application/json"];
type Overview = operations["learner_overview"]["responses"][200]["content"]["application/json"];
type NotFound = operations["learner_overview"]["responses"][404]["content"]["application/problem+json"];

const PROBLEM_TYPES = "https://pathwise.dev/problems/";

export class PathwiseError extends Error {
  constructor(readonly problem: Problem) {
    // The optional members are absent, never null: `??` is the whole story.
    super(`${problem.status} ${problem.title}: ${problem.detail ?? "no detail"}`);
  }

  /** The slug of one of our problem types (`learner-not-found`), or undefined for another's. */
  get slug(): string | undefined {
    const type = this.problem.type ?? "about:blank";
    return type.startsWith(PROBLEM_TYPES) ? type.slice(PROBLEM_TYPES.length) : undefined;
  }
}

function isProblem(body: unknown): body is Problem {
  return typeof body === "object" && body !== null && "status" in body && "title" in body;
}

export class Pathwise {
  private token = "";

  constructor(private readonly baseUrl: string) {}

  private async call<T>(method: string, path: string, body?: BodyInit, json = true): Promise<T> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined && json) headers["Content-Type"] = "application/json";
    const answer = await fetch(`${this.baseUrl}${path}`, { method, headers, body: body ?? null });
    const parsed: unknown = await answer.json();
    if (!answer.ok) {
      if (isProblem(parsed)) throw new PathwiseError(parsed);
      throw new Error(`${answer.status} without a problem body`);
    }
    return parsed as T;
  }

  async login(username: string): Promise<TokenResponse> {
    const form = new URLSearchParams({ grant_type: "password", username });
    const token = await this.call<TokenResponse>("POST", "/v1/auth/token", form, false);
    this.token = token.access_token;
    return token;
  }

  uploadRoster(zip: Blob, options: Omit<Upload, "file">): Promise<ImportJob> {
    const form = new FormData();
    form.append("file", zip, "roster.zip");
    for (const [name, value] of Object.entries(options)) form.append(name, String(value));
    return this.call<ImportJob>("POST", "/v1/roster/imports", form, false);
  }

  startCheck(assessmentId: string, body: AttemptCreate): Promise<Attempt> {
    return this.call<Attempt>("POST", `/v1/assessments/${assessmentId}/attempts`, JSON.stringify(body));
  }

  answer(attempt: Attempt, itemId: string, body: AnswerIn): Promise<Attempt> {
    return this.call<Attempt>("PUT", `/v1/attempts/${attempt.id}/responses/${itemId}`, JSON.stringify(body));
  }

  overview(learnerId: string): Promise<Overview> {
    return this.call<Overview>("GET", `/v1/learners/${learnerId}/overview`);
  }
}

export async function walk(api: Pathwise, checkId: string, learnerId: string): Promise<string> {
  await api.login("admin-district");
  const job = await api.uploadRoster(new Blob([]), { dry_run: true });
  const started = await api.startCheck(checkId, { learner_id: learnerId });
  const first = started.items[0];
  if (first !== undefined) await api.answer(started, first.item_id, { answer: { choice: "B" } });
  try {
    const seen = await api.overview(learnerId);
    return `${job.state} ${seen.learner_id} ${seen.degraded.join(",")}`;
  } catch (error) {
    if (error instanceof PathwiseError && error.slug === "learner-not-found") {
      const missing: NotFound = error.problem;
      return missing.instance ?? "";
    }
    throw error;
  }
}
