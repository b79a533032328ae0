// Small conveniences; every page works without them.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Choosing a template or format shows it at once.
  for (const select of document.querySelectorAll("form.picker select")) {
    select.addEventListener("change", () => select.form.submit());
  }
  // A button pressed once: a slow generation is not started twice.
  for (const form of document.querySelectorAll("form.generate")) {
    form.addEventListener("submit", () => {
      const button = form.querySelector("button.big");
      if (button) {
        setTimeout(() => { button.disabled = false; }, 4000);
        button.disabled = true;
      }
    });
  }
});
