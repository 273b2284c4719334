// The slide-up design panel: catalogue swatches drawn from each design's colours, and the upload of a
// reference picture. It only reports choices; the live page decides what a choice does to the session.

/** CSS background that previews a design without any image download. */
export function swatchBackground(design) {
  const a = design.color || "#c8102e";
  const b = design.color2 || a;
  switch (design.kind) {
    case "gradient":
      return `linear-gradient(180deg, ${a}, ${b})`;
    case "french":
      return `linear-gradient(0deg, ${a} 0 68%, ${b} 68% 100%)`;
    case "picture":
      return `repeating-linear-gradient(45deg, ${a} 0 6px, ${b} 6px 12px)`;
    default:
      return a;
  }
}

export class DesignPanel {
  /**
   * @param {{panel: HTMLElement, toggle: HTMLElement, grid: HTMLElement, file: HTMLInputElement,
   *   onPick: (design: object) => void, onUpload: (file: File) => void}} parts
   */
  constructor({ panel, toggle, grid, file, onPick, onUpload }) {
    Object.assign(this, { panel, toggle, grid, onPick, onUpload });
    this.selectedId = null;
    file.addEventListener("change", () => {
      const picked = file.files && file.files[0];
      if (picked) {
        this.select(null);
        this.onUpload(picked);
        this.close();
      }
      file.value = "";
    });
  }

  render(designs) {
    this.grid.replaceChildren();
    for (const design of designs) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "design";
      button.dataset.id = String(design.id);
      button.dataset.finish = design.finish || "gloss";
      button.setAttribute("role", "radio");
      button.setAttribute("aria-checked", String(design.id === this.selectedId));
      const nail = document.createElement("span");
      nail.className = "nail";
      nail.style.background = swatchBackground(design);
      const name = document.createElement("span");
      name.className = "design-name";
      name.textContent = design.name || `Design ${design.id}`;
      button.append(nail, name);
      button.addEventListener("click", () => {
        this.select(design.id);
        this.onPick(design);
      });
      this.grid.append(button);
    }
  }

  select(id) {
    this.selectedId = id;
    for (const el of this.grid.querySelectorAll(".design")) {
      el.setAttribute("aria-checked", String(el.dataset.id === String(id)));
    }
  }

  get isOpen() {
    return this.panel.classList.contains("open");
  }

  open() {
    this.panel.classList.add("open");
    this.panel.setAttribute("aria-hidden", "false");
    this.toggle.setAttribute("aria-expanded", "true");
  }

  close() {
    this.panel.classList.remove("open");
    this.panel.setAttribute("aria-hidden", "true");
    this.toggle.setAttribute("aria-expanded", "false");
  }
}
