// An article on the page, shared by the source panel (panel.js), the source page
// (source.js) and the answers (views.js): its URL, its text with the cited span marked,
// scrolled to and focused (the one place for that), its origin line (outlet · date ·
// link to the original) and the other articles of its story.

import { el } from "./dom.js";
import { formatDate, t } from "./i18n.js";

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

/** Bring a marked passage into view and give it the focus; without one, focus `fallback`. */
export function revealMark(mark, fallback = null) {
  if (mark) {
    mark.scrollIntoView({ block: "center" });
    mark.focus({ preventScroll: true });
  } else if (fallback) {
    fallback.focus();
  }
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

/** The URL if it is a web address (http or https), else null: a feed's "javascript:" is no link. */
export function webAddress(url) {
  if (typeof url !== "string" || !url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed : null;
  } catch (error) {
    return null;
  }
}

/** A link to the original article, out of this site, in a new tab, telling it nothing. */
export function originalLink(url) {
  const address = webAddress(url);
  if (!address) return null;
  const host = address.hostname.replace(/^www\./, "");
  const label = t("citation.original", { host });
  return el(
    "a",
    { class: "original-link", "data-testid": "original-link", href: address.href, target: "_blank", rel: "noopener noreferrer", title: label, "aria-label": label },
    host,
    el("span", { class: "external-mark", "aria-hidden": "true" }, "↗"),
  );
}

/**
 * "Exemple Info · 15 juillet 2025 · exemple.info↗" for a citation or an article with
 * `outlet`, `published` (ISO 8601) and `url`; whichever are missing or null are left out,
 * and with none of them there is no line (null).
 */
export function originLine(record) {
  if (!record) return null;
  const parts = [];
  if (typeof record.outlet === "string" && record.outlet.trim()) {
    parts.push(el("span", { class: "outlet" }, record.outlet.trim()));
  }
  const date = formatDate(record.published);
  if (date) parts.push(el("time", { datetime: date.datetime, title: date.title }, date.text));
  const link = originalLink(record.url);
  if (link) parts.push(link);
  if (!parts.length) return null;
  const line = el("span", { class: "origin", "data-testid": "origin" });
  parts.forEach((part, index) => {
    if (index > 0) line.append(" · ");
    line.append(part);
  });
  return line;
}

/** Show an article's origin line in `holder` (hidden when there is none). */
export function showOrigin(holder, record) {
  const line = originLine(record);
  holder.replaceChildren(...(line ? [line] : []));
  holder.hidden = !line;
}

/**
 * The other articles of `article`'s story, from `article.story`: either
 * {"articles": [{source, title, outlet, published, url}, ...]} or, as GET /api/stories
 * lists a story, {"sources": [...], "titles": [...]}. Empty when the article has none.
 */
export function storyArticles(article) {
  const story = article && article.story;
  if (!story || typeof story !== "object") return [];
  let items = [];
  if (Array.isArray(story.articles)) items = story.articles;
  else if (Array.isArray(story.sources)) {
    const titles = Array.isArray(story.titles) ? story.titles : [];
    items = story.sources.map((source, index) => ({ source, title: titles[index] }));
  }
  return items.filter((item) => item && typeof item.source === "string" && item.source !== article.source);
}

/**
 * Fill the story section (templates/_story.html) with links to the other articles of
 * `article`'s story, or hide it. The links lead to the articles' pages; the chat page's
 * panel opens them in place (panel.js).
 */
export function showStory(section, list, article) {
  const items = storyArticles(article);
  list.replaceChildren(
    ...items.map((item) => {
      const title = typeof item.title === "string" && item.title ? item.title : item.source;
      return el(
        "li",
        {},
        el(
          "a",
          { class: "story-link", "data-testid": "story-article", href: sourcePageUrl(item.source), "data-source": item.source, title: t("source.story_open", { title }), lang: "fr" },
          title,
        ),
        " ",
        originLine(item),
      );
    }),
  );
  const page = section.querySelector("#source-story-page");
  if (page && article && article.story && typeof article.story.id === "string") {
    page.href = storyPageUrl(article.story.id);
  }
  section.hidden = items.length === 0;
}

/** The URL of a story's page. */
export function storyPageUrl(id) {
  return "/stories/" + encodeURIComponent(id);
}
