// The reader's language. The server chooses it (the `lang` cookie set by the language
// switch, else Accept-Language, else French), writes it in <html lang> and hands the page
// its message catalogue (qa/static/i18n/<lang>.json) in <html data-messages>. Every label
// a script shows comes from t(); dates and numbers are formatted with Intl for the language.

import { saveLanguage } from "./api.js";

const root = document.documentElement;

/** The page's language: "fr" or "en". */
export const LANG = root.lang || "fr";

/** For Intl: the reader's own variant of the page's language (en-GB dates for an en-GB browser). */
export const LOCALE =
  (navigator.languages || []).find((tag) => tag.split("-")[0].toLowerCase() === LANG) || LANG;

const MESSAGES = readMessages();
const plurals = new Intl.PluralRules(LOCALE);
const integers = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });

function readMessages() {
  try {
    return JSON.parse(root.dataset.messages || "{}");
  } catch (error) {
    return {};
  }
}

/**
 * The message `key` in the page's language, its {placeholders} filled from `params`.
 * A plural message ({"one": ..., "other": ...}) is chosen by `params.count`. The result is
 * plain text: callers put it in the page as text, never as HTML.
 */
export function t(key, params = {}) {
  let message = MESSAGES[key];
  if (message && typeof message === "object") message = message[plurals.select(Number(params.count))] ?? message.other;
  if (typeof message !== "string") return key;
  return message.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? formatValue(params[name]) : whole));
}

function formatValue(value) {
  return Number.isInteger(value) ? integers.format(value) : String(value);
}

/** A number with exactly `digits` decimals, in the language's notation ("0,97" in French). */
export function formatDecimal(value, digits = 2) {
  return new Intl.NumberFormat(LOCALE, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
}

// ISO 8601 calendar dates without a time name no time zone: they are read and written in
// UTC, so that "2025-07-15" is the 15th for every reader. A date with a time is shown in
// the reader's own time zone.
const CALENDAR_FORMS = [
  [/^\d{4}$/, { year: "numeric" }],
  [/^\d{4}-\d{2}$/, { year: "numeric", month: "long" }],
  [/^\d{4}-\d{2}-\d{2}$/, { dateStyle: "long" }],
];

/**
 * An ISO 8601 date or date-time for the reader ("15 juillet 2025", "July 15, 2025"):
 * {text, title, datetime}, or null when `value` is missing or not a date.
 */
export function formatDate(value) {
  if (typeof value !== "string" || !value.trim()) return null;
  const iso = value.trim();
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return null;
  for (const [pattern, options] of CALENDAR_FORMS) {
    if (pattern.test(iso)) {
      const text = new Intl.DateTimeFormat(LOCALE, { ...options, timeZone: "UTC" }).format(date);
      return { text, title: text, datetime: iso };
    }
  }
  return {
    text: new Intl.DateTimeFormat(LOCALE, { dateStyle: "long" }).format(date),
    title: new Intl.DateTimeFormat(LOCALE, { dateStyle: "full", timeStyle: "short" }).format(date),
    datetime: iso,
  };
}

/**
 * The language switch (templates/_language_switch.html) works as a plain form; with
 * script, the choice is saved (POST /language sets the cookie) and the page reloads in
 * place, keeping its URL fragment (an open source panel) and its history entry.
 */
export function wireLanguageSwitch() {
  const form = document.getElementById("language-switch");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    const button = event.submitter;
    if (!button || !button.value) return;
    event.preventDefault();
    if (button.value === LANG) return;
    try {
      await saveLanguage(button.value);
      location.reload();
    } catch (error) {
      // The server could not be asked in the background: let the form do it.
      form.append(Object.assign(document.createElement("input"), { type: "hidden", name: "lang", value: button.value }));
      form.submit();
    }
  });
}
