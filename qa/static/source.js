// The source page (/sources/<source>#start-end): the whole article, the cited span in a
// <mark> scrolled into view. The conversation stays in sessionStorage; the back link
// returns to it.

import { fetchJSON, parseSpanFragment, renderArticle } from "./render.js";

const source = document.body.dataset.source;
const container = document.getElementById("source-text");
const meta = document.getElementById("source-meta");
let articleText = null;

function showSpan() {
  if (articleText === null) return;
  const span = parseSpanFragment(location.hash);
  const mark = renderArticle(container, articleText, span);
  meta.textContent = span ? `${source} · characters ${span.start}–${span.end}` : source;
  if (mark) {
    mark.scrollIntoView({ block: "center" });
    mark.focus({ preventScroll: true });
  }
}

async function load() {
  try {
    const article = await fetchJSON("/api/sources/" + encodeURIComponent(source));
    articleText = article.text;
    showSpan();
  } catch (error) {
    container.replaceChildren();
    const message = document.createElement("p");
    message.className = "load-error";
    message.setAttribute("role", "alert");
    message.textContent = "The article could not be loaded: " + error.message;
    container.append(message);
  }
}

window.addEventListener("hashchange", showSpan);
load();
