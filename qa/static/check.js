// The "Check a claim" mode of the chat page: the mode switch, the claim and its filters,
// POST /api/check rendered (the verdict and summary, each source with its verdict, its
// passage with the matching sentence marked and its differences side by side, a timeline
// of who reported it, what was searched), and the ClaimReview export (POST
// /api/check/claimreview). The chat's question box is shared: chat.js hands a submitted
// text here while the mode is "check".

import { originLine } from "./article.js";
import { fetchJSON } from "./api.js";
import { el, slicePoints } from "./dom.js";
import { formatDate, formatDecimal, t } from "./i18n.js";
import { openSource, targetFromLink } from "./panel.js";
import { citationLink, errorBlock, errorMessage, pendingBlock } from "./views.js";

const MODE_KEY = "newsqa.mode.v1";
const MODES = ["ask", "check"];

/** POST a check body to `url` (/api/check or /api/check/claimreview). */
function postCheck(url, body) {
  return fetchJSON(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });
}

/** The request body: the claim and the filters that are filled in. */
function checkBody(claim) {
  const body = { claim };
  const outlets = document.getElementById("check-outlets").value.split(",").map((s) => s.trim()).filter(Boolean);
  if (outlets.length) body.outlets = outlets;
  for (const name of ["since", "until"]) {
    const value = document.getElementById(`check-${name}`).value;
    if (value) body[name] = value;
  }
  return body;
}

// ---- rendering

// Each verdict and difference kind -> its message (qa.models CLAIM_VERDICTS, SOURCE_VERDICTS, CLAIM_DIFFERENCE_KINDS).
const VERDICTS = {
  stated: "verdict.stated",
  stated_differently: "verdict.stated_differently",
  contradicted: "verdict.contradicted",
  hedged: "verdict.hedged",
  not_found: "verdict.not_found",
};
const SOURCE_VERDICTS = {
  states: "source_verdict.states",
  differs: "source_verdict.differs",
  hedges: "source_verdict.hedges",
  contradicts: "source_verdict.contradicts",
  related: "source_verdict.related",
};
const DIFFERENCE_KINDS = {
  number: "difference.number",
  date: "difference.date",
  name: "difference.name",
  quote: "difference.quote",
  hedge: "difference.hedge",
  negation: "difference.negation",
};

/** The label of a value in one of the tables above; an unknown value as it is. */
function label(table, value) {
  return table[value] ? t(table[value]) : value;
}

function verdictBadge(table, verdict, testId) {
  return el("span", { class: "verdict-badge verdict-" + verdict, "data-testid": testId, "data-verdict": verdict }, label(table, verdict));
}

/** The passage with each matching sentence in a <mark>; span offsets are article offsets. */
function passageText(source) {
  const paragraph = el("p", { class: "passage-text", lang: "fr" });
  const text = source.text;
  const base = source.citation.start;
  const length = Array.from(text).length;
  const parts = (source.span || [])
    .map((part) => ({ start: Math.max(0, part.start - base), end: Math.min(length, part.end - base) }))
    .filter((part) => part.end > part.start)
    .sort((a, b) => a.start - b.start);
  let at = 0;
  for (const part of parts) {
    if (part.start < at) continue;
    paragraph.append(slicePoints(text, at, part.start), el("mark", { class: "claim-match", "data-testid": "claim-match" }, slicePoints(text, part.start, part.end)));
    at = part.end;
  }
  paragraph.append(slicePoints(text, at, length));
  return paragraph;
}

/** One difference side by side: its kind, the claim's words, the source's words. */
function claimDifference(difference) {
  return el(
    "div",
    { class: "difference", "data-testid": "claim-difference", "data-kind": difference.kind },
    el("span", { class: "difference-kind" }, label(DIFFERENCE_KINDS, difference.kind)),
    el("blockquote", { class: "difference-side", "data-testid": "difference-claim" },
      el("span", { class: "difference-who" }, t("check.claim_says")), " ", el("q", {}, difference.claim.text)),
    el("blockquote", { class: "difference-side", "data-testid": "difference-source", lang: "fr" },
      el("span", { class: "difference-who" }, t("check.source_says")), " ", el("q", {}, difference.source.text)),
  );
}

function sameCitation(a, b) {
  return Boolean(a && b) && a.source === b.source && a.start === b.start && a.end === b.end;
}

function sourceItem(source, first) {
  const differences = source.differences || [];
  const isFirst = sameCitation(source.citation, first);
  return el(
    "li",
    { class: "passage check-source", "data-testid": "check-source", "data-verdict": source.verdict },
    el(
      "div",
      { class: "passage-head" },
      verdictBadge(SOURCE_VERDICTS, source.verdict, "source-verdict"),
      el("span", { class: "passage-cite" }, citationLink(source.citation), originLine(source.citation)),
      isFirst ? el("span", { class: "first-reported", "data-testid": "first-reported-badge" }, t("check.first_reported")) : null,
    ),
    passageText(source),
    differences.length
      ? el("div", { class: "differences check-differences" }, el("p", { class: "also-in-label" }, t("check.differences", { count: differences.length })),
        ...differences.map(claimDifference))
      : null,
  );
}

/** Who reported it, by date: one line per article that states, differs, hedges or contradicts. */
function timeline(response) {
  const seen = new Set();
  const entries = [];
  for (const source of response.sources || []) {
    if (source.verdict === "related" || seen.has(source.citation.source)) continue;
    seen.add(source.citation.source);
    const date = formatDate(source.citation.published);
    const isFirst = Boolean(response.first_reported) && response.first_reported.source === source.citation.source;
    entries.push(
      el(
        "li",
        { class: isFirst ? "story-entry is-first" : "story-entry", "data-testid": "timeline-entry", "data-first": isFirst ? "true" : null },
        date ? el("time", { class: "story-date", datetime: date.datetime, title: date.title }, date.text)
          : el("span", { class: "story-date undated" }, t("story.undated")),
        " ",
        el("span", { class: "outlet" }, source.citation.outlet || source.citation.title),
        " ",
        citationLink(source.citation, "timeline-citation"),
        " ",
        verdictBadge(SOURCE_VERDICTS, source.verdict, "timeline-verdict"),
        isFirst ? el("span", { class: "first-reported" }, t("check.first_reported")) : null,
      ),
    );
  }
  if (!entries.length) return null;
  return el("section", { class: "check-section", "aria-label": t("check.timeline") },
    el("h3", {}, t("check.timeline")), el("ol", { class: "story-timeline", "data-testid": "check-timeline" }, ...entries));
}

function coverage(response) {
  const c = response.coverage || {};
  const lines = [t("check.coverage", { articles: c.articles ?? 0, outlets: c.outlets ?? 0 })];
  const range = c.date_range || {};
  const earliest = formatDate(range.earliest);
  const latest = formatDate(range.latest);
  if (earliest && latest) lines.push(t("check.coverage_dates", { earliest: earliest.text, latest: latest.text }));
  if ((c.unknown_outlets || []).length) lines.push(t("check.unknown_outlets", { outlets: c.unknown_outlets.join(", ") }));
  if (c.closest) lines.push(t("check.closest", { score: formatDecimal(c.closest.score), threshold: formatDecimal(c.closest.threshold) }));
  return el("div", { class: "check-coverage", "data-testid": "check-coverage" }, ...lines.map((line) => el("p", {}, line)));
}

/** The ClaimReview export: POST the same body, then show the JSON-LD and offer it as a file. */
function exportBlock(body) {
  const button = el("button", { type: "button", class: "button-secondary", "data-testid": "export-claimreview" }, t("check.export"));
  const output = el("div", { class: "claimreview", "aria-live": "polite" });
  button.addEventListener("click", async () => {
    button.disabled = true;
    output.replaceChildren(t("check.exporting"));
    try {
      const review = await postCheck("/api/check/claimreview", body);
      const json = JSON.stringify(review, null, 2);
      const href = URL.createObjectURL(new Blob([json], { type: "application/json" }));
      output.replaceChildren(
        el("a", { href, download: "claimreview.jsonld", class: "button-quiet", "data-testid": "claimreview-download" }, t("check.download")),
        el("pre", { class: "claimreview-json", "data-testid": "claimreview-json", tabindex: "0" }, json),
      );
    } catch (error) {
      output.replaceChildren(el("p", { class: "load-error", role: "alert" }, errorMessage(error)));
    } finally {
      button.disabled = false;
    }
  });
  return el("div", { class: "check-export" }, button, output);
}

/** A whole check: verdict, summary, sources, timeline, coverage, export. */
export function checkBlock(response, body) {
  const sources = response.sources || [];
  return el(
    "section",
    { class: "answer check-result", "data-testid": "check-result", "data-verdict": response.verdict, "aria-label": t("check.result") },
    el("p", { class: "check-verdict" }, el("span", { class: "visually-hidden" }, t("check.verdict")), verdictBadge(VERDICTS, response.verdict, "check-verdict")),
    el("p", { class: "check-summary", "data-testid": "check-summary", lang: response.language || null }, response.summary),
    sources.length ? el("ol", { class: "passages check-sources" }, ...sources.map((s) => sourceItem(s, response.first_reported))) : null,
    timeline(response),
    coverage(response),
    exportBlock(body),
  );
}

function claimNode(claim) {
  return el("article", { class: "exchange check-exchange" },
    el("div", { class: "question-bubble" }, el("span", { class: "visually-hidden" }, t("check.checked")),
      el("p", { class: "question-text", "data-testid": "checked-claim" }, claim)));
}

// ---- the mode and its controller

/**
 * Wire the mode switch and the checks. `box` is the shared text box; `ui` gives chat.js's
 * setWaiting(bool) and announce(text). Returns {active(), submit(text)}.
 */
export function wireCheckMode(box, ui) {
  const log = document.getElementById("checks");
  const area = document.getElementById("check-area");
  const chatArea = [document.getElementById("welcome"), document.getElementById("conversation")];
  const filters = document.getElementById("check-filters");
  const labelNode = document.getElementById("question-label");
  const hint = document.getElementById("ask-hint");
  const buttons = [...document.querySelectorAll("[data-mode]")];
  const askLabels = { label: labelNode.textContent, hint: hint.textContent, placeholder: box.placeholder };
  let mode = "ask";
  let waiting = false;

  function setMode(next, focus = true) {
    mode = MODES.includes(next) ? next : "ask";
    const checking = mode === "check";
    for (const button of buttons) button.setAttribute("aria-pressed", String(button.dataset.mode === mode));
    area.hidden = !checking;
    filters.hidden = !checking;
    document.body.classList.toggle("check-mode", checking);
    for (const node of chatArea) node.hidden = checking;
    if (!checking) ui.refresh(); // the chat's own empty state decides its welcome
    labelNode.textContent = checking ? t("check.label") : askLabels.label;
    hint.textContent = checking ? t("check.hint") : askLabels.hint;
    box.placeholder = checking ? t("check.placeholder") : askLabels.placeholder;
    try {
      sessionStorage.setItem(MODE_KEY, mode);
    } catch (error) {
      // Storage disabled: the mode lives on this page only.
    }
    if (focus) box.focus();
  }

  async function submit(raw) {
    if (waiting) return;
    const claim = raw.trim();
    const body = checkBody(claim);
    const node = claimNode(claim || "…");
    const pending = pendingBlock();
    node.append(pending);
    log.append(node);
    document.getElementById("check-welcome").hidden = true;
    waiting = true;
    ui.setWaiting(true);
    ui.announce(t("check.searching"));
    node.scrollIntoView({ block: "nearest" });
    try {
      const response = await postCheck("/api/check", body);
      pending.replaceWith(checkBlock(response, body));
      box.value = "";
      ui.announce(t("check.announce", { verdict: label(VERDICTS, response.verdict) }));
    } catch (error) {
      node.classList.add("failed-exchange");
      pending.replaceWith(errorBlock(error, () => { node.remove(); submit(claim); }, { title: "check.error_title", kept: "check.error_kept" }));
      box.value = claim;
      ui.announce(t("error.announce", { message: errorMessage(error) }));
    } finally {
      waiting = false;
      ui.setWaiting(false);
      node.scrollIntoView({ block: "start" });
    }
  }

  for (const button of buttons) button.addEventListener("click", () => setMode(button.dataset.mode));
  log.addEventListener("click", (event) => {
    const link = event.target.closest("a.citation");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    openSource(targetFromLink(link), link);
  });
  document.getElementById("check-examples").addEventListener("click", (event) => {
    const example = event.target.closest("button.example");
    if (!example) return;
    box.value = example.textContent;
    submit(example.textContent);
  });
  let stored = "ask";
  try {
    stored = sessionStorage.getItem(MODE_KEY) || "ask";
  } catch (error) {
    stored = "ask";
  }
  setMode(stored, false);
  return { active: () => mode === "check", submit };
}
