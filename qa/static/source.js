// The source page (/sources/<source>#start-end): the whole article, the cited span in a
// <mark> scrolled into view, its origin and its story. The conversation stays in
// sessionStorage; the back link returns to it.

import { getArticle } from "./api.js";
import { parseSpanFragment, renderArticle, revealMark, showOrigin, showStory } from "./article.js";
import { el } from "./dom.js";
import { t, wireLanguageSwitch } from "./i18n.js";
import { errorMessage } from "./views.js";

const source = document.body.dataset.source;
const container = document.getElementById("source-text");
const meta = document.getElementById("source-meta");
let articleText = null;

function showSpan() {
  if (articleText === null) return;
  const span = parseSpanFragment(location.hash);
  const mark = renderArticle(container, articleText, span);
  meta.textContent = span ? t("source.span_no_paragraph", { start: span.start, end: span.end, source }) : source;
  revealMark(mark);
}

async function load() {
  try {
    const article = await getArticle(source);
    articleText = article.text;
    showOrigin(document.getElementById("source-origin"), article);
    showStory(document.getElementById("source-story"), document.getElementById("source-story-list"), article);
    showSpan();
  } catch (error) {
    container.replaceChildren(el("p", { class: "load-error", role: "alert" }, t("source.load_failed_detail", { message: errorMessage(error) })));
  }
}

wireLanguageSwitch();
window.addEventListener("hashchange", showSpan);
load();
