// DOM building shared by every page. Every piece of data (questions, passages, titles,
// article text) goes into the page as text nodes or textContent, never as HTML.

/** Build an element: el("a", {href: "/", class: "x"}, "text", otherNode). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Slice a string by code points, like Python's str slicing (the API's offsets count code points). */
export function slicePoints(text, start, end) {
  return Array.from(text).slice(start, end).join("");
}
