// happy-dom 21 deviates from browsers in one way the Courier UI packages hit: `new CustomEvent(undefined)`
// must stringify the type to "undefined" (WebIDL DOMString), and courier-ui-core's theme manager
// dispatches such an event while an element is being constructed. Browsers accept it; happy-dom
// crashes in dispatchEvent. This restores the browser behaviour; the SDK itself runs unmodified.
const { CustomEvent: HappyCustomEvent } = globalThis

globalThis.CustomEvent = class CustomEvent<T> extends HappyCustomEvent<T> {
  constructor(type: string, init?: CustomEventInit<T>) {
    super(String(type), init)
  }
} as typeof globalThis.CustomEvent
