// The story page (/stories/<id>): who reported the story, by date of publication; the
// facts two or more of its articles state, each statement cited; and where they differ,
// side by side. Everything comes from GET /api/stories/<id>.

import { getStory } from "./api.js";
import { originLine, sourcePageUrl } from "./article.js";
import { el } from "./dom.js";
import { formatDate, t, wireLanguageSwitch } from "./i18n.js";
import { citationLink, differenceRow, errorMessage } from "./views.js";

const storyId = document.body.dataset.story;
const status = document.getElementById("story-status");

function section(list) {
  return list.closest("section");
}

/** One article of the timeline: its date (or "date unknown"), outlet, title and original link. */
function articleItem(article) {
  const date = formatDate(article.published);
  const title = el(
    "a",
    { class: "story-link", "data-testid": "story-article", href: sourcePageUrl(article.source), "data-source": article.source, lang: "fr" },
    article.title || article.source,
  );
  return el(
    "li",
    { class: "story-entry" },
    date ? el("time", { class: "story-date", datetime: date.datetime, title: date.title }, date.text)
      : el("span", { class: "story-date undated" }, t("story.undated")),
    " ",
    title,
    " ",
    originLine({ outlet: article.outlet, url: article.url }),
  );
}

/** One shared fact: each article's statement, cited. */
function factItem(fact) {
  return el(
    "li",
    { class: "story-fact", "data-testid": "story-fact" },
    ...fact.statements.map((statement) =>
      el(
        "blockquote",
        { class: "statement", "data-testid": "statement", "data-source": statement.citation.source, lang: "fr" },
        el("p", {}, statement.text),
        el("footer", {}, citationLink(statement.citation, "statement-citation"), " ", originLine(statement.citation)),
      ),
    ),
  );
}

function show(story) {
  const first = story.articles[0];
  const heading = document.getElementById("story-heading");
  heading.textContent = t("story.heading", { title: first ? first.title : story.id });
  document.title = `${heading.textContent} · ${t("app.name")}`;

  const articles = document.getElementById("story-articles");
  articles.replaceChildren(...story.articles.map(articleItem));
  section(articles).hidden = false;

  const facts = document.getElementById("story-facts");
  document.getElementById("story-facts-title").textContent = t("story.facts", { count: story.facts.length });
  facts.replaceChildren(...(story.facts.length ? story.facts.map(factItem) : [el("li", { class: "empty" }, t("story.no_facts"))]));
  section(facts).hidden = false;

  const differences = document.getElementById("story-differences");
  document.getElementById("story-differences-title").textContent = t("story.differences", { count: story.differences.length });
  differences.replaceChildren(
    ...(story.differences.length ? story.differences.map(differenceRow) : [el("p", { class: "empty" }, t("story.no_differences"))]),
  );
  section(differences).hidden = false;
  status.hidden = true;
}

async function load() {
  try {
    show(await getStory(storyId));
  } catch (error) {
    status.textContent = t("story.load_failed_detail", { message: errorMessage(error) });
    status.setAttribute("role", "alert");
    status.classList.add("load-error");
  }
}

wireLanguageSwitch();
load();
