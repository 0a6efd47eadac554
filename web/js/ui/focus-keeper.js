// Keyboard focus is not dropped when the focused control is disabled. Train is disabled the moment it is
// pressed, Pause for as long as its request is on its way, Stop when the run ends: the browser then
// leaves focus nowhere (on <body>), and a keyboard or screen-reader user loses their place.
// Once the page has settled, focus goes back to the control if it is enabled again (Pause after its
// request), else to the first enabled control of its group (a .button-row, else its fieldset, form or
// section): Pause after Train, Train after Stop.

const SETTLE_MS = 250;   // a pause or resume re-enables its button within this; a new run does not
const GROUPS = '.button-row, fieldset, form, section';
const FOCUSABLE = 'button, input, select, textarea, [tabindex]:not([tabindex="-1"])';

export function keepFocus(root = document) {
  let focused = null;  // the control that had focus last (a disabled control may lose it at once)
  let lost = null;     // ... when it was disabled
  let timer = null;
  root.addEventListener('focusin', (e) => { focused = e.target; });
  // Focus left by the person (a click elsewhere) is theirs to leave; focus taken by disabling is not.
  root.addEventListener('focusout', (e) => { if (!e.relatedTarget && !e.target.matches(':disabled')) focused = null; });
  const nobody = () => !document.activeElement || document.activeElement === document.body;
  const settle = () => {
    timer = null;
    if (lost && nobody()) {
      const target = usable(lost) ? lost : firstUsable(lost.closest(GROUPS));
      if (target) target.focus({ preventScroll: true });
    }
    lost = null;
  };
  new MutationObserver((changes) => {
    const hit = focused && changes.some(({ target }) => target.contains(focused));
    // The focused control itself, or the fieldset around it, was disabled.
    if (!lost && hit && focused.matches(':disabled') && (nobody() || document.activeElement === focused)) lost = focused;
    if (lost) {
      clearTimeout(timer);
      timer = setTimeout(settle, SETTLE_MS);
    }
  }).observe(root, { subtree: true, attributes: true, attributeFilter: ['disabled'] });
}

function usable(el) {
  return el.isConnected && !el.matches(':disabled') && el.getClientRects().length > 0;
}

function firstUsable(group) {
  if (!group) return null;
  return [...group.querySelectorAll(FOCUSABLE)].find(usable) || null;
}
