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
