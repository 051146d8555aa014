// The chat page: ask questions, show cited passages, open a citation in the side panel.
// Data comes from the JSON API (POST /api/ask, GET /api/sources[/<source>]); everything
// that comes from a user or an article is rendered as text, never as HTML.

import { el, fetchJSON, renderArticle, slicePoints, sourcePageUrl } from "./render.js";

const STORAGE_KEY = "newsqa.conversation.v1";
const MAX_STORED_EXCHANGES = 50;
const MAX_HISTORY = Number(document.body.dataset.maxHistory) || 5;

const form = document.getElementById("ask-form");
const questionBox = document.getElementById("question");
const sendButton = document.getElementById("send");
const conversation = document.getElementById("conversation");
const welcome = document.getElementById("welcome");
const statusLine = document.getElementById("status");
const newConversationButton = document.getElementById("new-conversation");
const panel = document.getElementById("source-view");
const panelTitle = document.getElementById("source-title");
const panelMeta = document.getElementById("source-meta");
const panelText = document.getElementById("source-text");
const panelPageLink = document.getElementById("source-page-link");
const panelClose = document.getElementById("source-close");
const chatColumn = document.querySelector(".chat-column");
// Below this width the panel covers the whole screen (see app.css): the conversation
// under it is made inert, so Tab and screen readers stay in the panel.
const panelCoversScreen = window.matchMedia("(max-width: 959px)");

/** The conversation: {question, response} for each answered exchange, oldest first. */
let exchanges = [];
let waiting = false;
const articleCache = new Map();
let panelOpener = null;
let panelRequest = 0;

// ---- persistence: the conversation survives a reload and a visit to a source page ----

function loadConversation() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "[]");
    return Array.isArray(stored) ? stored.filter((x) => x && typeof x.question === "string" && x.response) : [];
  } catch (error) {
    return [];
  }
}

function saveConversation() {
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(exchanges.slice(-MAX_STORED_EXCHANGES)));
  } catch (error) {
    // Storage full or disabled: the conversation still lives on this page.
  }
}

/** The earlier questions sent with a new one, oldest first, at most MAX_HISTORY. */
function historyQuestions() {
  return exchanges.map((exchange) => exchange.question).slice(-MAX_HISTORY);
}

// ---- rendering ----

function formatScore(score) {
  return Number.isFinite(score) ? score.toFixed(2) : "–";
}

function scoreBar(score) {
  const fraction = Math.max(0, Math.min(1, Number(score) || 0));
  const fill = el("span", { class: "score-fill" });
  fill.style.width = `${Math.round(fraction * 100)}%`;
  return el(
    "span",
    { class: "score", title: `Relevance score ${formatScore(score)} (0 to 1)` },
    el("span", { class: "score-bar", "aria-hidden": "true" }, fill),
    el("span", { class: "score-value" }, el("span", { class: "visually-hidden" }, "score "), formatScore(score)),
  );
}

/** The passage text with its best sentence in a <mark>; highlight offsets are source offsets. */
function passageText(passage) {
  const paragraph = el("p", { class: "passage-text", lang: "fr" });
  const text = passage.text;
  const citation = passage.citation;
  const highlight = passage.highlight;
  if (!highlight) {
    paragraph.append(text);
    return paragraph;
  }
  const length = Array.from(text).length;
  const start = Math.max(0, highlight.start - citation.start);
  const end = Math.min(length, highlight.end - citation.start);
  if (end <= start) {
    paragraph.append(text);
    return paragraph;
  }
  paragraph.append(
    slicePoints(text, 0, start),
    el("mark", { class: "best-sentence" }, slicePoints(text, start, end)),
    slicePoints(text, end, length),
  );
  return paragraph;
}

function citationLink(citation) {
  const label = `${citation.title} ¶${citation.paragraph}`;
  return el(
    "a",
    {
      class: "citation",
      "data-testid": "citation",
      href: sourcePageUrl(citation.source, citation.start, citation.end),
      "data-source": citation.source,
      "data-start": citation.start,
      "data-end": citation.end,
      "data-paragraph": citation.paragraph,
      title: `Open “${citation.title}” at paragraph ${citation.paragraph}`,
      lang: "fr",
    },
    label,
  );
}

function passageItem(passage) {
  return el(
    "li",
    { class: "passage", "data-testid": "passage", "data-rank": passage.rank },
    el(
      "div",
      { class: "passage-head" },
      el(
        "span",
        { class: "passage-source" },
        el("span", { class: "rank" }, el("span", { class: "visually-hidden" }, "Passage "), String(passage.rank)),
        citationLink(passage.citation),
      ),
      scoreBar(passage.score),
    ),
    passageText(passage),
    corroboration(passage),
  );
}

/** A citation link with its own test hook, for the links inside a passage's corroboration. */
function corroborationLink(citation, testId) {
  const link = citationLink(citation);
  link.dataset.testid = testId;
  return link;
}

const DIFFERENCE_KINDS = { quote: "Quote", number: "Number", date: "Date", name: "Name", hedge: "Certainty" };

/** "Also reported by" links to the other articles' passages, and the differences side by side. */
function corroboration(passage) {
  const alsoIn = passage.also_in || [];
  const differences = passage.differences || [];
  if (!alsoIn.length) return null;
  const block = el("div", { class: "corroboration", "data-testid": "corroboration" });
  const seen = new Set();
  const links = [];
  for (const other of alsoIn) {
    links.push(el("li", {}, corroborationLink(other.citation, "also-in")));
    seen.add(other.citation.title);
  }
  block.append(
    el("p", { class: "also-in-label" }, `Also reported by ${[...seen].join(", ")}:`),
    el("ul", { class: "also-in" }, ...links),
  );
  if (differences.length) {
    const rows = differences.map((difference) =>
      el(
        "div",
        { class: "difference", "data-testid": "difference", "data-kind": difference.kind },
        el("span", { class: "difference-kind" }, DIFFERENCE_KINDS[difference.kind] || difference.kind),
        el("blockquote", { class: "difference-side", lang: "fr" }, el("q", {}, difference.here), " ",
          corroborationLink(difference.here_citation, "difference-here")),
        el("blockquote", { class: "difference-side", lang: "fr" }, el("q", {}, difference.there), " ",
          corroborationLink(difference.there_citation, "difference-there")),
      ),
    );
    block.append(
      el(
        "details",
        { class: "differences", open: true },
        el("summary", {}, differences.length === 1 ? "1 difference between the sources" : `${differences.length} differences between the sources`),
        ...rows,
      ),
    );
  }
  return block;
}

function passageList(passages) {
  return el("ol", { class: "passages" }, ...passages.map(passageItem));
}

function followUpNote(response) {
  const used = response.history_used || [];
  if (!used.length) return null;
  return el("p", { class: "follow-up-note" }, "Read as a follow-up to “", used[used.length - 1], "”.");
}

function answerBlock(response) {
  const block = el("section", { class: "answer", "data-testid": "answer", "aria-label": "Answer" });
  const passages = response.passages || [];
  const note = followUpNote(response);
  if (response.answered) {
    const count = passages.length === 1 ? "1 passage answers" : `${passages.length} passages answer`;
    block.append(el("p", { class: "answer-summary" }, `${count} this question, best first.`));
    if (note) block.append(note);
    block.append(passageList(passages));
  } else {
    block.classList.add("unanswered");
    block.append(
      el(
        "p",
        { class: "no-answer", "data-testid": "no-answer" },
        el("strong", {}, "The articles do not answer this question."),
        " Try other words, or ask about what the articles cover.",
      ),
    );
    if (note) block.append(note);
    if (passages.length) {
      block.append(
        el(
          "details",
          { class: "closest" },
          el("summary", {}, `Closest passages (${passages.length})`),
          el("p", { class: "closest-warning" }, "These passages came nearest, but they do not answer the question."),
          passageList(passages),
        ),
      );
    }
  }
  return block;
}

function questionBubble(question) {
  return el(
    "div",
    { class: "question-bubble" },
    el("span", { class: "visually-hidden" }, "You asked: "),
    el("p", { class: "question-text", "data-testid": "asked" }, question),
  );
}

function exchangeNode(question) {
  return el("article", { class: "exchange" }, questionBubble(question));
}

function pendingBlock() {
  return el(
    "div",
    { class: "answer pending", "data-testid": "pending" },
    el("span", { class: "spinner", "aria-hidden": "true" }),
    "Searching the articles…",
  );
}

function errorBlock(message, onRetry) {
  const retry = el("button", { type: "button", class: "button-secondary", "data-testid": "retry" }, "Try again");
  retry.addEventListener("click", onRetry);
  return el(
    "div",
    { class: "answer failed", "data-testid": "error", role: "alert" },
    el("p", {}, el("strong", {}, "No answer: "), message),
    el("p", {}, "Your question is still in the box below. ", retry),
  );
}

function showEmptyState() {
  const empty = exchanges.length === 0 && conversation.childElementCount === 0;
  welcome.hidden = !empty;
  newConversationButton.hidden = empty;
}

function setWaiting(isWaiting) {
  waiting = isWaiting;
  sendButton.disabled = isWaiting;
  sendButton.textContent = isWaiting ? "Sending…" : "Send";
  form.setAttribute("aria-busy", isWaiting ? "true" : "false");
  document.body.classList.toggle("is-waiting", isWaiting);
}

function announce(message) {
  statusLine.textContent = message;
}

// ---- asking ----

async function ask(rawQuestion) {
  const question = rawQuestion.trim();
  if (waiting) return;
  if (!question) {
    announce("Type a question first.");
    questionBox.focus();
    return;
  }
  // A question sent again after a failure replaces its failed attempt.
  for (const failed of conversation.querySelectorAll(".exchange.failed-exchange")) {
    if (failed.dataset.question === question) failed.remove();
  }

  const node = exchangeNode(question);
  const pending = pendingBlock();
  node.append(pending);
  conversation.append(node);
  showEmptyState();
  setWaiting(true);
  announce("Searching the articles…");
  const history = historyQuestions();
  questionBox.value = "";
  resizeQuestionBox();
  node.scrollIntoView({ block: "nearest" });

  try {
    const response = await fetchJSON("/api/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ question, history }),
    });
    pending.replaceWith(answerBlock(response));
    exchanges.push({ question, response });
    saveConversation();
    announce(response.answered ? `Answer: ${response.passages.length} passages.` : "The articles do not answer this question.");
  } catch (error) {
    node.classList.add("failed-exchange");
    node.dataset.question = question;
    pending.replaceWith(
      errorBlock(error.message, () => {
        questionBox.value = question;
        ask(question);
      }),
    );
    // Keep the question for sending again, unless something new was typed meanwhile.
    if (!questionBox.value.trim()) {
      questionBox.value = question;
      resizeQuestionBox();
    }
    announce("The question could not be answered: " + error.message);
  } finally {
    setWaiting(false);
    showEmptyState();
    node.scrollIntoView({ block: "start" });
  }
}

function resizeQuestionBox() {
  questionBox.style.height = "auto";
  questionBox.style.height = `${Math.min(questionBox.scrollHeight + 2, 200)}px`;
}

// ---- the source panel ----

async function loadArticle(source) {
  if (!articleCache.has(source)) {
    const request = fetchJSON("/api/sources/" + encodeURIComponent(source));
    articleCache.set(source, request);
    request.catch(() => articleCache.delete(source));
  }
  return articleCache.get(source);
}

async function openSource(target, opener = null, pushHistory = true) {
  const { source, start, end, paragraph } = target;
  const request = ++panelRequest;
  panelOpener = opener || panelOpener;
  for (const link of document.querySelectorAll(".citation.active")) link.classList.remove("active");
  if (opener) opener.classList.add("active");
  panel.hidden = false;
  document.body.classList.add("source-open");
  updateInert();
  panelTitle.textContent = "Loading the article…";
  panelMeta.textContent = "";
  panelText.replaceChildren();
  panelPageLink.href = sourcePageUrl(source, start, end);
  if (pushHistory) {
    // One history entry for the panel however many citations are opened in it, so that
    // the browser's back button, like the panel's own, returns to the conversation.
    const url = "#view=" + encodeURIComponent(`${source}:${start}-${end}`);
    if (history.state && history.state.sourceView) history.replaceState({ sourceView: target }, "", url);
    else history.pushState({ sourceView: target }, "", url);
  }

  let article;
  try {
    article = await loadArticle(source);
  } catch (error) {
    if (request !== panelRequest) return;
    panelTitle.textContent = "The article could not be loaded";
    panelMeta.textContent = error.message;
    panelClose.focus();
    return;
  }
  if (request !== panelRequest) return;
  panelTitle.textContent = article.title;
  const where = paragraph ? `¶${paragraph} · ` : "";
  panelMeta.textContent = `${where}characters ${start}–${end} of ${article.source}`;
  const mark = renderArticle(panelText, article.text, { start, end });
  if (mark) {
    mark.scrollIntoView({ block: "center" });
    mark.focus({ preventScroll: true });
  } else {
    panel.focus();
  }
}

function closeSource(restoreFocus = true) {
  if (panel.hidden) return;
  panelRequest++;
  panel.hidden = true;
  document.body.classList.remove("source-open");
  updateInert();
  for (const link of document.querySelectorAll(".citation.active")) link.classList.remove("active");
  if (restoreFocus && panelOpener && document.contains(panelOpener)) {
    panelOpener.focus({ preventScroll: false });
  }
}

function updateInert() {
  chatColumn.inert = !panel.hidden && panelCoversScreen.matches;
}

function requestClose() {
  if (history.state && history.state.sourceView) history.back(); // popstate closes the panel
  else closeSource();
}

function targetFromLink(link) {
  return {
    source: link.dataset.source,
    start: Number(link.dataset.start),
    end: Number(link.dataset.end),
    paragraph: Number(link.dataset.paragraph) || null,
  };
}

function targetFromHash(hash) {
  const match = /^#view=(.+)$/.exec(hash || "");
  if (!match) return null;
  const value = decodeURIComponent(match[1]);
  const parts = /^(.+):(\d+)-(\d+)$/.exec(value);
  return parts ? { source: parts[1], start: Number(parts[2]), end: Number(parts[3]), paragraph: null } : null;
}

// ---- wiring ----

form.addEventListener("submit", (event) => {
  event.preventDefault();
  ask(questionBox.value);
});

questionBox.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !event.altKey && !event.ctrlKey && !event.metaKey) {
    event.preventDefault();
    ask(questionBox.value);
  }
});
questionBox.addEventListener("input", resizeQuestionBox);

conversation.addEventListener("click", (event) => {
  const link = event.target.closest("a.citation");
  if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  openSource(targetFromLink(link), link);
});

welcome.addEventListener("click", (event) => {
  const example = event.target.closest("button.example");
  if (!example) return;
  questionBox.value = example.textContent;
  ask(example.textContent);
});

newConversationButton.addEventListener("click", () => {
  exchanges = [];
  saveConversation();
  conversation.replaceChildren();
  closeSource(false);
  showEmptyState();
  announce("New conversation.");
  questionBox.focus();
});

panelClose.addEventListener("click", requestClose);
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !panel.hidden) {
    event.preventDefault();
    requestClose();
  }
});
panelCoversScreen.addEventListener("change", updateInert);
window.addEventListener("popstate", (event) => {
  const target = event.state && event.state.sourceView;
  if (target) openSource(target, null, false);
  else closeSource();
});

async function showSources() {
  try {
    const body = await fetchJSON("/api/sources");
    const titles = (body.sources || []).map((s) => s.title);
    if (!titles.length) return;
    const line = document.getElementById("sources-line");
    line.replaceChildren(
      el("strong", {}, titles.length === 1 ? "1 article: " : `${titles.length} articles: `),
      el("span", { lang: "fr" }, titles.join(" · ")),
    );
    line.hidden = false;
  } catch (error) {
    // The list is a courtesy; asking still works without it.
  }
}

function restore() {
  exchanges = loadConversation();
  for (const exchange of exchanges) {
    const node = exchangeNode(exchange.question);
    node.append(answerBlock(exchange.response));
    conversation.append(node);
  }
  showEmptyState();
  const target = targetFromHash(location.hash);
  if (target) {
    history.replaceState({ sourceView: target }, "", location.hash);
    openSource(target, null, false);
  } else if (exchanges.length) {
    conversation.lastElementChild.scrollIntoView({ block: "start" });
  }
}

restore();
showSources();
