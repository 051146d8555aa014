// The chat page's source panel: an article beside the conversation (over it on a small
// screen), the cited span marked, with one browser history entry so that the back
// button, like the panel's own, returns to the conversation.

import { getArticle } from "./api.js";
import { renderArticle, revealMark, showOrigin, showStory, sourcePageUrl } from "./article.js";
import { t } from "./i18n.js";
import { errorMessage } from "./views.js";

const panel = document.getElementById("source-view");
const title = document.getElementById("source-title");
const origin = document.getElementById("source-origin");
const meta = document.getElementById("source-meta");
const text = document.getElementById("source-text");
const story = document.getElementById("source-story");
const storyList = document.getElementById("source-story-list");
const pageLink = document.getElementById("source-page-link");
const closeButton = document.getElementById("source-close");
const chatColumn = document.querySelector(".chat-column");
// Below this width the panel covers the whole screen (see app.css): the conversation
// under it is made inert, so Tab and screen readers stay in the panel.
const coversScreen = window.matchMedia("(max-width: 959px)");

let opener = null;
let request = 0;

/** What to show: {source, start, end, paragraph}; start/end null for a whole article. */
export function targetFromLink(link) {
  const start = link.dataset.start === undefined ? null : Number(link.dataset.start);
  const end = link.dataset.end === undefined ? null : Number(link.dataset.end);
  return { source: link.dataset.source, start, end, paragraph: Number(link.dataset.paragraph) || null };
}

function hashFor(target) {
  const span = Number.isInteger(target.start) && Number.isInteger(target.end) ? `:${target.start}-${target.end}` : "";
  return "#view=" + encodeURIComponent(target.source + span);
}

function targetFromHash(hash) {
  const match = /^#view=(.+)$/.exec(hash || "");
  if (!match) return null;
  let value;
  try {
    value = decodeURIComponent(match[1]);
  } catch (error) {
    return null;
  }
  const parts = /^(.+):(\d+)-(\d+)$/.exec(value);
  return parts
    ? { source: parts[1], start: Number(parts[2]), end: Number(parts[3]), paragraph: null }
    : { source: value, start: null, end: null, paragraph: null };
}

function spanLine(target, article) {
  const { start, end, paragraph } = target;
  if (!Number.isInteger(start) || !Number.isInteger(end)) return article.source;
  const key = paragraph ? "source.span" : "source.span_no_paragraph";
  return t(key, { paragraph, start, end, source: article.source });
}

function updateInert() {
  chatColumn.inert = !panel.hidden && coversScreen.matches;
}

function markActive(link) {
  for (const active of document.querySelectorAll(".citation.active")) active.classList.remove("active");
  if (link) link.classList.add("active");
}

/** Open `target` in the panel; `from` is the link it was opened from (focus returns there). */
export async function openSource(target, from = null, pushHistory = true) {
  const { source, start, end } = target;
  const mine = ++request;
  opener = from || opener;
  markActive(from && from.classList.contains("citation") ? from : null);
  panel.hidden = false;
  document.body.classList.add("source-open");
  updateInert();
  title.textContent = t("source.loading");
  meta.textContent = "";
  showOrigin(origin, null);
  showStory(story, storyList, null);
  text.replaceChildren();
  pageLink.href = sourcePageUrl(source, start, end);
  if (pushHistory) {
    // One history entry for the panel however many citations are opened in it.
    if (history.state && history.state.sourceView) history.replaceState({ sourceView: target }, "", hashFor(target));
    else history.pushState({ sourceView: target }, "", hashFor(target));
  }

  let article;
  try {
    article = await getArticle(source);
  } catch (error) {
    if (mine !== request) return;
    title.textContent = t("source.load_failed");
    meta.textContent = errorMessage(error);
    closeButton.focus();
    return;
  }
  if (mine !== request) return;
  title.textContent = article.title;
  showOrigin(origin, article);
  meta.textContent = spanLine(target, article);
  const span = Number.isInteger(start) && Number.isInteger(end) ? { start, end } : null;
  const mark = renderArticle(text, article.text, span);
  showStory(story, storyList, article);
  if (!mark) panel.scrollTop = 0;
  revealMark(mark, panel);
}

/** Close the panel; the focus goes back to the link it was opened from. */
export function closeSource(restoreFocus = true) {
  if (panel.hidden) return;
  request++;
  panel.hidden = true;
  document.body.classList.remove("source-open");
  updateInert();
  markActive(null);
  if (restoreFocus && opener && document.contains(opener)) opener.focus({ preventScroll: false });
}

function requestClose() {
  if (history.state && history.state.sourceView) history.back(); // popstate closes the panel
  else closeSource();
}

/** The panel's own controls, Escape, the back button, and the links of the story list. */
export function wirePanel() {
  closeButton.addEventListener("click", requestClose);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) {
      event.preventDefault();
      requestClose();
    }
  });
  coversScreen.addEventListener("change", updateInert);
  window.addEventListener("popstate", (event) => {
    const target = event.state && event.state.sourceView;
    if (target) openSource(target, null, false);
    else closeSource();
  });
  storyList.addEventListener("click", (event) => {
    const link = event.target.closest("a.story-link");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    openSource(targetFromLink(link), null);
  });
}

/** Reopen the panel a reload or a change of language left in the URL (#view=...). */
export function restoreFromHash() {
  const target = targetFromHash(location.hash);
  if (!target) return false;
  history.replaceState({ sourceView: target }, "", location.hash);
  openSource(target, null, false);
  return true;
}
