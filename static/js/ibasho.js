// Small behaviours shared by every page (no inline scripts: the CSP forbids them).
document.addEventListener("change", function (e) {
  if (e.target.matches("select[data-autosubmit]")) e.target.form.submit();
});

// Import progress (templates/reports/import_result.html): while the task
// worker checks or writes a file, reload its page every two seconds.
(function () {
  if (document.querySelector("[data-import-progress]")) {
    setTimeout(function () { window.location.reload(); }, 2000);
  }
})();
