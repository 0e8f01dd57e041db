// Consultation entry: the first-consultation note for the picked client
// (the picker itself is client_picker.js), the "new" box only for anonymous
// contacts, and keyboard shortcuts (1-6 pick a channel while a channel
// button has the focus, unless the user turned them off;
// Ctrl+Enter saves, Ctrl+Shift+Enter saves and opens a new form).
(function () {
  "use strict";
  var form = document.getElementById("consultation-form");
  if (!form) return;
  var code = form.querySelector("[name=client_code]");
  var isNew = form.querySelector("[name=is_new]");
  var status = document.getElementById("client-status");
  var channels = form.querySelector("fieldset.channels");
  var shortcuts = form.dataset.shortcuts !== "off";

  function syncNew() {
    var anonymous = code.value.trim() === "";
    isNew.disabled = !anonymous;
    if (!anonymous) isNew.checked = false;
  }

  // The client picker (client_picker.js) says who was picked: a client
  // with no consultation yet makes this one her first.
  code.addEventListener("client-picker:change", function (e) {
    var client = e.detail.client;
    syncNew();
    status.textContent = client && !client.has_consultations ? status.dataset.firstText : "";
  });
  code.addEventListener("input", function () {
    syncNew();
    status.textContent = "";
  });
  syncNew();

  // Start where the work is: on the first field with an error, else on the
  // channel buttons, so Tab walks the form at once and 1-6 still pick.
  var first = form.querySelector(
    ".has-error input:not([type=hidden]):not([disabled]), .has-error select, .has-error textarea");
  if (!first) {
    first = form.querySelector("[name=channel]:checked") || form.querySelector("[name=channel]");
  }
  if (first) first.focus();

  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      var name = e.shiftKey ? "save_new" : "save";
      form.querySelector("button[name=" + name + "]").click();
      return;
    }
    // 1-6 pick a channel only while a channel button has the focus (a
    // digit typed anywhere else is the user's), and not at all when she
    // turned single-key shortcuts off (WCAG 2.1.4).
    var inChannels = channels && channels.contains(document.activeElement);
    if (shortcuts && inChannels && !e.ctrlKey && !e.altKey && !e.metaKey && /^[1-6]$/.test(e.key)) {
      var radios = form.querySelectorAll("[name=channel]");
      var radio = radios[parseInt(e.key, 10) - 1];
      if (radio) { radio.checked = true; radio.focus(); e.preventDefault(); }
    }
  });
})();
