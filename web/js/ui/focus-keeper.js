// Keyboard focus is not dropped when the focused control is disabled. Train is disabled the moment it is
// pressed, Pause for as long as its request is on its way, Stop when the run ends: the browser then
// leaves focus nowhere (on <body>), and a keyboard or screen-reader user loses their place.
// Once the page has settled (no request on its way: nothing around the control is aria-busy, and no
// control changed for a moment), focus goes back to the control if it is enabled again (Pause after its
// request), else to the first enabled control of its group (a .button-row, fieldset, form or section,
// the nearest that has one): Pause after Train, Train after Stop, Pause after Enter in a disabled field.

const SETTLE_MS = 250;   // controls change together in one render; this lets a few renders pass
const GROUPS = '.button-row, fieldset, form, section';
const FOCUSABLE = 'button, input, select, textarea, [tabindex]:not([tabindex="-1"])';

export function keepFocus(root = document) {
  let focused = null;  // the control that had focus last (a disabled control may lose it at once)
  let lost = null;     // ... when it was disabled
  let timer = null;
  root.addEventListener('focusin', (e) => {
    focused = e.target;
    // The person moved on (Tab, a click) while the control was disabled: where they went is theirs, even
    // if they leave it again before the page settles.
    if (lost && e.target !== lost) lost = null;
  });
  // Focus left by the person (a click elsewhere) is theirs to leave; focus taken by disabling is not.
  root.addEventListener('focusout', (e) => { if (!e.relatedTarget && !e.target.matches(':disabled')) focused = null; });
  const nobody = () => !document.activeElement || document.activeElement === document.body;
  const settle = () => {
    timer = null;
    if (lost && lost.closest('[aria-busy="true"]')) return;  // its end is a mutation too: settle then
    if (lost && nobody()) {
      const target = usable(lost) ? lost : firstUsable(lost);
      if (target) target.focus({ preventScroll: true });
    }
    lost = null;
  };
  new MutationObserver((records) => {
    // A render sets every attribute again: only real changes count.
    const changes = records.filter((r) => r.oldValue !== r.target.getAttribute(r.attributeName));
    if (!changes.length) return;
    const hit = focused && changes.some(({ target }) => target.contains(focused));
    // The focused control itself, or the fieldset around it, was disabled.
    if (!lost && hit && focused.matches(':disabled') && (nobody() || document.activeElement === focused)) lost = focused;
    if (lost) {
      clearTimeout(timer);
      timer = setTimeout(settle, SETTLE_MS);
    }
  }).observe(root, { subtree: true, attributeOldValue: true, attributeFilter: ['disabled', 'aria-busy'] });
}

function usable(el) {
  return el.isConnected && !el.matches(':disabled') && el.getClientRects().length > 0;
}

/** The first enabled control of the group around `el`, else of the group around that, and so on. */
function firstUsable(el) {
  for (let group = el.closest(GROUPS); group; group = group.parentElement && group.parentElement.closest(GROUPS)) {
    const found = [...group.querySelectorAll(FOCUSABLE)].find(usable);
    if (found) return found;
  }
  return null;
}
