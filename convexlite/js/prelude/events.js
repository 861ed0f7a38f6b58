// DOMException, Event and EventTarget: the minimal DOM event model AbortSignal and
// user code rely on (synchronous dispatch, no capture/bubble tree).

const DOM_EXCEPTION_CODES = {
  IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5,
  NoModificationAllowedError: 7, NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11,
  SyntaxError: 12, InvalidModificationError: 13, NamespaceError: 14, InvalidAccessError: 15,
  TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20, URLMismatchError: 21,
  QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24, DataCloneError: 25,
};

class DOMException extends Error {
  #name;

  constructor(message = "", name = "Error") {
    super(String(message));
    this.#name = String(name);
  }

  get name() {
    return this.#name;
  }

  get code() {
    return DOM_EXCEPTION_CODES[this.#name] ?? 0;
  }
}
for (const [name, code] of Object.entries(DOM_EXCEPTION_CODES)) {
  const constant = name.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase().replace(/_ERROR$/, "_ERR");
  Object.defineProperty(DOMException, constant, { value: code, enumerable: true });
}

const stoppedEvents = new WeakSet();

class Event {
  #type;
  #bubbles;
  #cancelable;
  #composed;
  #defaultPrevented = false;
  #timeStamp = performanceNow();
  target = null;
  currentTarget = null;

  constructor(type, init = {}) {
    if (arguments.length === 0) throw new TypeError("Event: the type argument is required");
    this.#type = String(type);
    this.#bubbles = Boolean(init?.bubbles);
    this.#cancelable = Boolean(init?.cancelable);
    this.#composed = Boolean(init?.composed);
  }

  get type() { return this.#type; }
  get bubbles() { return this.#bubbles; }
  get cancelable() { return this.#cancelable; }
  get composed() { return this.#composed; }
  get defaultPrevented() { return this.#defaultPrevented; }
  get timeStamp() { return this.#timeStamp; }
  get isTrusted() { return false; }
  get eventPhase() { return this.currentTarget === null ? 0 : 2; }
  get srcElement() { return this.target; }

  preventDefault() {
    if (this.#cancelable) this.#defaultPrevented = true;
  }

  stopPropagation() {}

  stopImmediatePropagation() {
    stoppedEvents.add(this);
  }

  composedPath() {
    return this.currentTarget === null ? [] : [this.currentTarget];
  }
}

class CustomEvent extends Event {
  #detail;

  constructor(type, init = {}) {
    super(type, init);
    this.#detail = init?.detail ?? null;
  }

  get detail() {
    return this.#detail;
  }
}

class EventTarget {
  #listeners = new Map();

  addEventListener(type, listener, options) {
    if (listener === null || listener === undefined) return;
    const once = typeof options === "object" && options !== null && Boolean(options.once);
    const capture = typeof options === "boolean" ? options : Boolean(options?.capture);
    const signal = typeof options === "object" && options !== null ? options.signal : undefined;
    if (signal?.aborted) return;
    const list = this.#listeners.get(String(type)) ?? [];
    if (list.some((entry) => entry.listener === listener && entry.capture === capture)) return;
    const entry = { listener, once, capture, removed: false };
    list.push(entry);
    this.#listeners.set(String(type), list);
    signal?.addEventListener("abort", () => this.removeEventListener(type, listener, { capture }));
  }

  removeEventListener(type, listener, options) {
    const capture = typeof options === "boolean" ? options : Boolean(options?.capture);
    const list = this.#listeners.get(String(type));
    if (list === undefined) return;
    const index = list.findIndex((entry) => entry.listener === listener && entry.capture === capture);
    if (index !== -1) {
      list[index].removed = true;
      list.splice(index, 1);
    }
  }

  dispatchEvent(event) {
    if (!(event instanceof Event)) throw new TypeError("dispatchEvent: argument is not an Event");
    event.target = this;
    event.currentTarget = this;
    const handlerName = `on${event.type}`;
    const list = (this.#listeners.get(event.type) ?? []).slice();
    const handler = this[handlerName];
    if (typeof handler === "function" && !list.some((entry) => entry.listener === handler)) {
      list.unshift({ listener: handler, once: false, removed: false, isProperty: true });
    }
    for (const entry of list) {
      if (entry.removed) continue;
      if (entry.once) this.removeEventListener(event.type, entry.listener, { capture: entry.capture });
      try {
        if (typeof entry.listener === "function") entry.listener.call(this, event);
        else if (typeof entry.listener?.handleEvent === "function") entry.listener.handleEvent(event);
      } catch (error) {
        reportListenerError(error);
      }
      if (stoppedEvents.has(event)) break;
    }
    event.currentTarget = null;
    return !event.defaultPrevented;
  }
}

function reportListenerError(error) {
  pushLogLine("ERROR", ["Uncaught", inspectTop(error)]);
}

defineGlobal("DOMException", DOMException);
defineGlobal("Event", Event);
defineGlobal("CustomEvent", CustomEvent);
defineGlobal("EventTarget", EventTarget);
