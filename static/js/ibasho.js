// Small behaviours shared by every page (no inline scripts: the CSP forbids them).
document.addEventListener("change", function (e) {
  if (e.target.matches("select[data-autosubmit]")) e.target.form.submit();
});

// Confirmations. A form, or the submit button that sends it, with
// data-confirm="question" asks first; choosing Cancel stops the submission.
// Keyboard submissions (Enter, or Space on the button) ask the same way.
document.addEventListener("submit", function (e) {
  var button = e.submitter;
  var asker = button && button.hasAttribute("data-confirm") ? button : e.target;
  var question = asker.getAttribute("data-confirm");
  if (question && !window.confirm(question)) e.preventDefault();
});

// Import progress (templates/reports/import_result.html): while the task
// worker checks or writes a file, reload its page every two seconds.
(function () {
  if (document.querySelector("[data-import-progress]")) {
    setTimeout(function () { window.location.reload(); }, 2000);
  }
})();

// The header's menu on a narrow screen (static/css/ibasho.css hides the menu
// behind this button below 800 px). Without this script the button stays
// hidden and the menu open. Escape closes it and gives the button the focus.
(function () {
  var button = document.querySelector(".menu-toggle[aria-controls]");
  if (!button) return;
  var menu = document.getElementById(button.getAttribute("aria-controls"));
  if (!menu) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", open ? "false" : "true");
  });
  menu.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      button.setAttribute("aria-expanded", "false");
      button.focus();
    }
  });
})();

// A box that scrolls sideways (.scroll: a wide table's) can be scrolled from
// the keyboard: when nothing inside it takes the focus, the box itself does,
// for as long as it is narrower than its content (WCAG 2.1.1).
(function () {
  var focusable = "a[href], button, input, select, textarea, [tabindex]";
  function reach() {
    document.querySelectorAll(".scroll").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex") && !box.querySelector(focusable)) {
        box.tabIndex = 0;
        box.setAttribute("data-scroll-focus", "");
      } else if (!scrolls && box.hasAttribute("data-scroll-focus")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("data-scroll-focus");
      }
    });
  }
  reach();
  window.addEventListener("resize", reach);
})();
