// The JSON API seen from the page: fetch, the one error shape {"error": {"code", "message"}},
// and the few calls the pages make. No labels here: a failure is a RequestFailed with a
// code, and the views choose the words for it (views.js errorMessage).

/** A failed request: `code` is the API's error code, or "network", "bad_reply", "http_error". */
export class RequestFailed extends Error {
  constructor(code, status = 0, detail = "") {
    super(detail || code);
    this.code = code;
    this.status = status;
    this.detail = detail;
  }
}

/** fetch + JSON; HTTP and network failures become RequestFailed. */
export async function fetchJSON(url, options = {}) {
  let response;
  try {
    response = await fetch(url, { headers: { Accept: "application/json" }, ...options });
  } catch (error) {
    throw new RequestFailed("network");
  }
  let body = null;
  try {
    body = await response.json();
  } catch (error) {
    body = null;
  }
  if (!response.ok) {
    const apiError = body && body.error;
    throw new RequestFailed((apiError && apiError.code) || "http_error", response.status, (apiError && apiError.message) || "");
  }
  if (body === null) throw new RequestFailed("bad_reply", response.status);
  return body;
}

/** POST /api/ask: the answer to `question`, read after the earlier questions in `history`. */
export function askQuestion(question, history) {
  return fetchJSON("/api/ask", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ question, history }),
  });
}

const articles = new Map();

/** GET /api/sources/<source>, once per page (a failed request is asked again next time). */
export function getArticle(source) {
  if (!articles.has(source)) {
    const request = fetchJSON("/api/sources/" + encodeURIComponent(source));
    articles.set(source, request);
    request.catch(() => articles.delete(source));
  }
  return articles.get(source);
}

/** GET /api/stories/<id>: the story's articles by date, the facts they share, their differences. */
export function getStory(id) {
  return fetchJSON("/api/stories/" + encodeURIComponent(id));
}

/** GET /api/sources: {sources: [{source, title, ...}]}. */
export function listSources() {
  return fetchJSON("/api/sources");
}

/** Remember the reader's language in its cookie (POST /language answers 204). */
export async function saveLanguage(lang) {
  let response;
  try {
    response = await fetch("/language", { method: "POST", body: new URLSearchParams({ lang }) });
  } catch (error) {
    throw new RequestFailed("network");
  }
  if (!response.ok) throw new RequestFailed("http_error", response.status);
}
