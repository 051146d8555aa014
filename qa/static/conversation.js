// The conversation's state: the answered exchanges, oldest first, kept in sessionStorage
// so that they survive a reload, a change of language and a visit to a source page.

const STORAGE_KEY = "newsqa.conversation.v1";
const MAX_STORED_EXCHANGES = 50;

export class Conversation {
  /** `maxHistory`: how many earlier questions go with a new one (the server's MAX_HISTORY). */
  constructor(maxHistory) {
    this.maxHistory = maxHistory;
    /** {question, response} per answered exchange, oldest first. */
    this.exchanges = [];
  }

  /** Read the stored conversation; anything unreadable counts as none. */
  load() {
    try {
      const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "[]");
      this.exchanges = Array.isArray(stored)
        ? stored.filter((x) => x && typeof x.question === "string" && x.response && typeof x.response === "object")
        : [];
    } catch (error) {
      this.exchanges = [];
    }
    return this.exchanges;
  }

  add(question, response) {
    this.exchanges.push({ question, response });
    this.save();
  }

  clear() {
    this.exchanges = [];
    this.save();
  }

  get isEmpty() {
    return this.exchanges.length === 0;
  }

  /** The earlier questions sent with a new one, oldest first, at most maxHistory. */
  history() {
    return this.exchanges.map((exchange) => exchange.question).slice(-this.maxHistory);
  }

  save() {
    try {
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(this.exchanges.slice(-MAX_STORED_EXCHANGES)));
    } catch (error) {
      // Storage full or disabled: the conversation still lives on this page.
    }
  }
}
