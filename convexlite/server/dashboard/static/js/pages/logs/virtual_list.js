// A scrolling list that puts in the page only the rows in view and a few around them, so
// that thousands of rows stay fast. Every row has the same height.

import { h, replace } from "../../dom.js";

// `nodeFor(item)` gives an item's element (the caller may keep it for the next draw).
export function virtualList({ id, className, rowHeight, nodeFor, overscan = 20 }) {
  let items = [];
  const inner = h("div");
  inner.style.position = "relative"; // set through the CSSOM: the CSP refuses style attributes
  const element = h("div", { id, className, onscroll: () => draw() }, inner);

  function draw() {
    const top = element.scrollTop;
    const first = Math.max(0, Math.floor(top / rowHeight) - overscan);
    const last = Math.min(items.length,
      Math.ceil((top + element.clientHeight) / rowHeight) + overscan);
    const nodes = [];
    for (let i = first; i < last; i++) {
      const node = nodeFor(items[i]);
      Object.assign(node.style, {
        position: "absolute", left: "0", right: "0", top: `${i * rowHeight}px`, height: `${rowHeight}px`,
      });
      nodes.push(node);
    }
    replace(inner, nodes);
  }

  return {
    element,
    // Lists `newItems`; when `added` of them are new at the top, a reader scrolled further
    // down keeps the rows in view where they were.
    show(newItems, added = 0) {
      items = newItems;
      inner.style.height = `${items.length * rowHeight}px`;
      if (added > 0 && element.scrollTop > 0) element.scrollTop += added * rowHeight;
      draw();
    },
  };
}
