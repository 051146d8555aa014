// Shared by the chat page and the source page: DOM building and article rendering.
// Every piece of data (questions, passages, titles, article text) goes into the page as
// text nodes or textContent, never as HTML.

/** Build an element: el("a", {href: "/", class: "x"}, "text", otherNode). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** The URL of an article's own page, with the cited characters in the fragment. */
export function sourcePageUrl(source, start, end) {
  const base = "/sources/" + encodeURIComponent(source);
  return Number.isInteger(start) && Number.isInteger(end) ? `${base}#${start}-${end}` : base;
}

/** Read "#start-end" back into numbers; null when the fragment is not that. */
export function parseSpanFragment(hash) {
  const match = /^#?(\d+)-(\d+)$/.exec(hash || "");
  if (!match) return null;
  const start = Number(match[1]);
  const end = Number(match[2]);
  return end > start ? { start, end } : null;
}

/**
 * Fill `container` with the article text, the span [start, end) wrapped in a <mark>.
 * Offsets are code points (the API's offsets count Unicode code points, like Python),
 * so the text is sliced as an array of code points, not of UTF-16 units.
 * Returns the <mark>, or null when no span is given or it falls outside the text.
 */
export function renderArticle(container, text, span) {
  container.replaceChildren();
  const points = Array.from(text);
  if (!span || span.start < 0 || span.end > points.length || span.end <= span.start) {
    appendParagraphs(container, text);
    return null;
  }
  const mark = el("mark", { class: "cited", tabindex: "-1", id: "cited-passage" });
  appendParagraphs(mark, points.slice(span.start, span.end).join(""));
  appendParagraphs(container, points.slice(0, span.start).join(""));
  container.append(mark);
  appendParagraphs(container, points.slice(span.end).join(""));
  return mark;
}

/**
 * Append text, each line break kept as a text node inside a <span class="line-break">
 * that the stylesheet turns into a paragraph gap. The container's textContent stays
 * exactly the text (offsets and copy-paste are unchanged); only the spacing differs.
 */
function appendParagraphs(parent, text) {
  const lines = text.split("\n");
  lines.forEach((line, index) => {
    if (index > 0) parent.append(el("span", { class: "line-break" }, "\n"));
    if (line) parent.append(document.createTextNode(line));
  });
}

/** Slice a string by code points, like Python's str slicing. */
export function slicePoints(text, start, end) {
  return Array.from(text).slice(start, end).join("");
}

/** An error carrying the API's {"error": {"code", "message"}} when there is one. */
export class RequestFailed extends Error {
  constructor(message, status = 0, code = "network") {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** fetch + JSON, turning HTTP and network failures into RequestFailed with a readable message. */
export async function fetchJSON(url, options = {}) {
  let response;
  try {
    response = await fetch(url, { headers: { Accept: "application/json" }, ...options });
  } catch (error) {
    throw new RequestFailed("The server could not be reached. Check that it is running, then try again.");
  }
  let body = null;
  try {
    body = await response.json();
  } catch (error) {
    body = null;
  }
  if (!response.ok) {
    const apiError = body && body.error;
    const message = apiError && apiError.message ? apiError.message : `The server answered with an error (HTTP ${response.status}).`;
    throw new RequestFailed(message, response.status, apiError && apiError.code ? apiError.code : "http_error");
  }
  if (body === null) throw new RequestFailed("The server sent a reply that is not JSON.", response.status, "bad_reply");
  return body;
}
