// The conversation's rendering: an answer's passages with their citations, origins and
// corroboration, the no-answer block, the pending and error blocks. Pure functions from
// the API's JSON to DOM nodes; the words come from the catalogue (i18n.js).

import { originLine, sourcePageUrl } from "./article.js";
import { el, slicePoints } from "./dom.js";
import { formatDecimal, t } from "./i18n.js";

function formatScore(score) {
  return Number.isFinite(score) ? formatDecimal(score, 2) : "–";
}

function scoreBar(score) {
  const fraction = Math.max(0, Math.min(1, Number(score) || 0));
  const fill = el("span", { class: "score-fill" });
  fill.style.width = `${Math.round(fraction * 100)}%`;
  return el(
    "span",
    { class: "score", title: t("passage.score_title", { score: formatScore(score) }) },
    el("span", { class: "score-bar", "aria-hidden": "true" }, fill),
    el("span", { class: "score-value" }, el("span", { class: "visually-hidden" }, t("passage.score")), formatScore(score)),
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

/** A citation: "Title ¶N", a link to the article's page that the chat page opens in its panel. */
export function citationLink(citation, testId = "citation") {
  return el(
    "a",
    {
      class: "citation",
      "data-testid": testId,
      href: sourcePageUrl(citation.source, citation.start, citation.end),
      "data-source": citation.source,
      "data-start": citation.start,
      "data-end": citation.end,
      "data-paragraph": citation.paragraph,
      title: t("citation.open", { title: citation.title, paragraph: citation.paragraph }),
      lang: "fr",
    },
    `${citation.title} ¶${citation.paragraph}`,
  );
}

function passageItem(passage) {
  const origin = originLine(passage.citation);
  return el(
    "li",
    { class: "passage", "data-testid": "passage", "data-rank": passage.rank },
    el(
      "div",
      { class: "passage-head" },
      el(
        "span",
        { class: "passage-source" },
        el("span", { class: "rank" }, el("span", { class: "visually-hidden" }, t("passage.rank")), String(passage.rank)),
        el("span", { class: "passage-cite" }, citationLink(passage.citation), origin),
      ),
      scoreBar(passage.score),
    ),
    passageText(passage),
    corroboration(passage),
  );
}

/** Who else reports it: the outlets when the citations name them, else the articles' titles. */
function reporters(alsoIn) {
  const names = new Set();
  for (const other of alsoIn) {
    const outlet = typeof other.citation.outlet === "string" ? other.citation.outlet.trim() : "";
    names.add(outlet || other.citation.title);
  }
  return [...names].join(", ");
}

// Kind -> label: the server's DIFFERENCE_KINDS, named in the page's language (data-difference-kinds).
const DIFFERENCE_KINDS = readKinds();

function readKinds() {
  try {
    return JSON.parse(document.body.dataset.differenceKinds || "{}");
  } catch (error) {
    return {};
  }
}

/** The label of a difference kind; an unknown kind as it is. */
function kindLabel(kind) {
  return DIFFERENCE_KINDS[kind] || kind;
}

/** One difference, side by side: its kind, then each source's wording with its citation. */
export function differenceRow(difference) {
  return el(
    "div",
    { class: "difference", "data-testid": "difference", "data-kind": difference.kind },
    el("span", { class: "difference-kind" }, kindLabel(difference.kind)),
    el("blockquote", { class: "difference-side", lang: "fr" }, el("q", {}, difference.here), " ",
      citationLink(difference.here_citation, "difference-here"), " ", originLine(difference.here_citation)),
    el("blockquote", { class: "difference-side", lang: "fr" }, el("q", {}, difference.there), " ",
      citationLink(difference.there_citation, "difference-there"), " ", originLine(difference.there_citation)),
  );
}

/** "Also reported by" links to the other articles' passages, and the differences side by side. */
function corroboration(passage) {
  const alsoIn = passage.also_in || [];
  const differences = passage.differences || [];
  if (!alsoIn.length) return null;
  const block = el("div", { class: "corroboration", "data-testid": "corroboration" });
  block.append(
    el("p", { class: "also-in-label" }, t("corroboration.also", { names: reporters(alsoIn) })),
    el("ul", { class: "also-in" }, ...alsoIn.map((other) => el("li", {}, citationLink(other.citation, "also-in"), " ", originLine(other.citation)))),
  );
  if (differences.length) {
    const rows = differences.map(differenceRow);
    block.append(
      el(
        "details",
        { class: "differences", open: true },
        el("summary", {}, t("corroboration.differences", { count: differences.length })),
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
  return el("p", { class: "follow-up-note" }, t("answer.follow_up", { question: used[used.length - 1] }));
}

// The message naming each language an abstention's other_language can hold.
const LANGUAGE_NAMES = { fr: "language.fr", en: "language.en" };

// The line under "the articles do not answer" that says why, or "" when the reason has none.
function abstentionReason(abstention) {
  const notFound = abstention.not_found || [];
  if (notFound.length) return t("answer.not_found", { names: notFound.join(", ") });
  if (abstention.reason === "date_not_found") return t("answer.no_date");
  const language = LANGUAGE_NAMES[abstention.other_language];
  if (language) return t("answer.other_language", { language: t(language) });
  return "";
}

/** The answer to one question: its passages best first, or the no-answer block. */
export function answerBlock(response) {
  const block = el("section", { class: "answer", "data-testid": "answer", "aria-label": t("answer.label") });
  const passages = response.passages || [];
  const note = followUpNote(response);
  if (response.answered) {
    block.append(el("p", { class: "answer-summary" }, t("answer.summary", { count: passages.length })));
    if (note) block.append(note);
    block.append(passageList(passages));
  } else {
    block.classList.add("unanswered");
    block.append(
      el(
        "p",
        { class: "no-answer", "data-testid": "no-answer" },
        el("strong", {}, t("answer.none")),
        " ",
        t("answer.none_hint"),
      ),
    );
    const abstention = response.abstention || {};
    const why = abstentionReason(abstention);
    if (why) block.append(el("p", { class: "not-found", "data-testid": "not-found" }, why));
    if (note) block.append(note);
    if (passages.length) {
      block.append(
        el(
          "details",
          { class: "closest" },
          el("summary", {}, t("answer.closest", { count: passages.length })),
          el(
            "p",
            { class: "closest-warning" },
            t(abstention.other_language ? "answer.closest_warning_other_language" : "answer.closest_warning"),
          ),
          passageList(passages),
        ),
      );
    }
  }
  return block;
}

/** What the status line announces once an answer is shown. */
export function answerAnnouncement(response) {
  return response.answered ? t("answer.announce", { count: (response.passages || []).length }) : t("answer.none");
}

/** One exchange of the conversation, starting with the question as it was asked. */
export function exchangeNode(question) {
  return el(
    "article",
    { class: "exchange" },
    el(
      "div",
      { class: "question-bubble" },
      el("span", { class: "visually-hidden" }, t("exchange.asked")),
      el("p", { class: "question-text", "data-testid": "asked" }, question),
    ),
  );
}

export function pendingBlock() {
  return el(
    "div",
    { class: "answer pending", "data-testid": "pending" },
    el("span", { class: "spinner", "aria-hidden": "true" }),
    t("ask.searching"),
  );
}

// API error codes a reader can do something about, and the message that says what.
const ERROR_MESSAGES = {
  network: "error.network",
  bad_reply: "error.bad_reply",
  rate_limited: "error.rate_limited",
  too_long: "error.too_long",
  blank_claim: "check.blank",
  unavailable: "error.unavailable",
  index_unavailable: "error.unavailable",
  model_unavailable: "error.unavailable",
};

/** The reader's words for a RequestFailed (api.js): a known case, else the server's own message. */
export function errorMessage(error) {
  const key = ERROR_MESSAGES[error.code];
  if (key) return t(key);
  if (error.detail) return t("error.detail", { status: error.status, message: error.detail });
  return t("error.http", { status: error.status });
}

/** A failed request, the way the chat shows one; `keys` names the title and "kept" lines (the check mode has its own). */
export function errorBlock(error, onRetry, keys = { title: "error.title", kept: "error.kept" }) {
  const retry = el("button", { type: "button", class: "button-secondary", "data-testid": "retry" }, t("error.retry"));
  retry.addEventListener("click", onRetry);
  return el(
    "div",
    { class: "answer failed", "data-testid": "error", role: "alert" },
    el("p", {}, el("strong", {}, t(keys.title)), errorMessage(error)),
    el("p", {}, t(keys.kept), retry),
  );
}

/** "12 articles: title · title · …" under the welcome text. */
export function sourcesLine(line, sources) {
  const titles = sources.map((s) => s.title);
  if (!titles.length) return;
  line.replaceChildren(
    el("strong", {}, t("welcome.articles", { count: titles.length })),
    el("span", { lang: "fr" }, titles.join(" · ")),
  );
  line.hidden = false;
}
