// Before/after comparison: the "before" image is clipped to the left of a draggable divider. A native
// range input drives it, so keyboard and screen readers work without extra code.

/** Wire a comparison box; returns a function that resets the divider to the middle. */
export function initCompare({ range, clip, handle }) {
  const apply = () => {
    const pct = Number(range.value);
    clip.style.clipPath = `inset(0 ${100 - pct}% 0 0)`;
    handle.style.left = `${pct}%`;
  };
  range.addEventListener("input", apply);
  apply();
  return () => {
    range.value = "50";
    apply();
  };
}
