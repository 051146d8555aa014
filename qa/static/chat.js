// The chat page, wiring only: the question box and its controller, the conversation
// (conversation.js) rendered by views.js, citations opened in the panel (panel.js), and
// the language switch (i18n.js). The API calls are in api.js.

import { askQuestion, listSources } from "./api.js";
import { wireCheckMode } from "./check.js";
import { Conversation } from "./conversation.js";
import { t, wireLanguageSwitch } from "./i18n.js";
import { closeSource, openSource, restoreFromHash, targetFromLink, wirePanel } from "./panel.js";
import { answerAnnouncement, answerBlock, errorBlock, errorMessage, exchangeNode, pendingBlock, sourcesLine } from "./views.js";

const form = document.getElementById("ask-form");
const questionBox = document.getElementById("question");
const sendButton = document.getElementById("send");
const log = document.getElementById("conversation");
const welcome = document.getElementById("welcome");
const statusLine = document.getElementById("status");
const newConversationButton = document.getElementById("new-conversation");

const conversation = new Conversation(Number(document.body.dataset.maxHistory) || 5);
let waiting = false;

function showEmptyState() {
  const empty = conversation.isEmpty && log.childElementCount === 0;
  welcome.hidden = !empty;
  newConversationButton.hidden = empty;
}

function setWaiting(isWaiting) {
  waiting = isWaiting;
  sendButton.disabled = isWaiting;
  sendButton.textContent = t(isWaiting ? "ask.sending" : "ask.send");
  form.setAttribute("aria-busy", isWaiting ? "true" : "false");
  document.body.classList.toggle("is-waiting", isWaiting);
}

function announce(message) {
  statusLine.textContent = message;
}

function resizeQuestionBox() {
  questionBox.style.height = "auto";
  questionBox.style.height = `${Math.min(questionBox.scrollHeight + 2, 200)}px`;
}

async function ask(rawQuestion) {
  const question = rawQuestion.trim();
  if (waiting) return;
  if (!question) {
    announce(t("ask.empty"));
    questionBox.focus();
    return;
  }
  // A question sent again after a failure replaces its failed attempt.
  for (const failed of log.querySelectorAll(".exchange.failed-exchange")) {
    if (failed.dataset.question === question) failed.remove();
  }

  const node = exchangeNode(question);
  const pending = pendingBlock();
  node.append(pending);
  log.append(node);
  showEmptyState();
  setWaiting(true);
  announce(t("ask.searching"));
  const history = conversation.history();
  questionBox.value = "";
  resizeQuestionBox();
  node.scrollIntoView({ block: "nearest" });

  try {
    const response = await askQuestion(question, history);
    pending.replaceWith(answerBlock(response));
    conversation.add(question, response);
    announce(answerAnnouncement(response));
  } catch (error) {
    node.classList.add("failed-exchange");
    node.dataset.question = question;
    pending.replaceWith(
      errorBlock(error, () => {
        questionBox.value = question;
        ask(question);
      }),
    );
    // Keep the question for sending again, unless something new was typed meanwhile.
    if (!questionBox.value.trim()) {
      questionBox.value = question;
      resizeQuestionBox();
    }
    announce(t("error.announce", { message: errorMessage(error) }));
  } finally {
    setWaiting(false);
    showEmptyState();
    node.scrollIntoView({ block: "start" });
  }
}

// The same box checks a claim in the "Check a claim" mode (check.js, wired at the end).
let checkMode = null;

function send(text) {
  if (checkMode && checkMode.active()) checkMode.submit(text);
  else ask(text);
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  send(questionBox.value);
});

questionBox.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !event.altKey && !event.ctrlKey && !event.metaKey) {
    event.preventDefault();
    send(questionBox.value);
  }
});
questionBox.addEventListener("input", resizeQuestionBox);

log.addEventListener("click", (event) => {
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
  conversation.clear();
  log.replaceChildren();
  closeSource(false);
  showEmptyState();
  announce(t("conversation.cleared"));
  questionBox.focus();
});

async function showSources() {
  try {
    const body = await listSources();
    sourcesLine(document.getElementById("sources-line"), body.sources || []);
  } catch (error) {
    // The list is a courtesy; asking still works without it.
  }
}

function restore() {
  for (const exchange of conversation.load()) {
    const node = exchangeNode(exchange.question);
    node.append(answerBlock(exchange.response));
    log.append(node);
  }
  showEmptyState();
  if (!restoreFromHash() && !conversation.isEmpty) log.lastElementChild.scrollIntoView({ block: "start" });
}

wirePanel();
wireLanguageSwitch();
restore();
checkMode = wireCheckMode(questionBox, { setWaiting, announce, refresh: showEmptyState });
showSources();
