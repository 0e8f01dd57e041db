// Canned replies (定型文) in the LINE reply box, by keyboard: Ctrl+/ (or "/"
// at the start of the box, or the button) opens a searchable list; the arrow
// keys move, Enter inserts the reply at the cursor (variables already filled
// in by the server) for editing, Escape goes back to the text. No inline
// script: the texts come from the list's data-text attributes.
(function () {
  "use strict";

  function init(form) {
    var textarea = form.querySelector("textarea[name=text]");
    var picker = form.querySelector("[data-canned-picker]");
    var opener = form.querySelector(".canned-open");
    if (!textarea || !picker) return;
    var search = picker.querySelector("input[type=search]");
    var empty = picker.querySelector(".canned-empty");
    var options = Array.prototype.slice.call(
      picker.querySelectorAll("[role=option]")
    );
    var active = -1;

    function shown() {
      return options.filter(function (o) { return !o.hidden; });
    }

    function highlight(index) {
      var list = shown();
      options.forEach(function (o) { o.setAttribute("aria-selected", "false"); });
      if (!list.length) {
        active = -1;
        search.removeAttribute("aria-activedescendant");
        return;
      }
      active = (index + list.length) % list.length;
      var option = list[active];
      option.setAttribute("aria-selected", "true");
      search.setAttribute("aria-activedescendant", option.id);
      if (option.scrollIntoView) option.scrollIntoView({ block: "nearest" });
    }

    function filter() {
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      options.forEach(function (o) {
        var haystack = (o.textContent + " " + o.getAttribute("data-text")).toLowerCase();
        o.hidden = !words.every(function (w) { return haystack.indexOf(w) !== -1; });
      });
      if (empty) empty.hidden = shown().length > 0;
      highlight(0);
    }

    function open() {
      picker.hidden = false;
      search.value = "";
      search.setAttribute("aria-expanded", "true");
      if (opener) opener.setAttribute("aria-expanded", "true");
      filter();
      search.focus();
    }

    function close() {
      picker.hidden = true;
      search.setAttribute("aria-expanded", "false");
      if (opener) opener.setAttribute("aria-expanded", "false");
      textarea.focus();
    }

    function pick(option) {
      if (!option) return;
      var text = option.getAttribute("data-text");
      var start = textarea.selectionStart;
      var end = textarea.selectionEnd;
      var value = textarea.value;
      textarea.value = value.slice(0, start) + text + value.slice(end);
      close();
      var caret = start + text.length;
      textarea.setSelectionRange(caret, caret);
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
    }

    textarea.addEventListener("keydown", function (event) {
      var atStart = textarea.value.slice(0, textarea.selectionStart).trim() === "";
      var plainSlash = event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey;
      if ((event.key === "/" && (event.ctrlKey || event.metaKey)) || (plainSlash && atStart)) {
        event.preventDefault();
        open();
      }
    });
    search.addEventListener("input", filter);
    search.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight(active + 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(active - 1);
      } else if (event.key === "Enter") {
        event.preventDefault();
        pick(shown()[active]);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    options.forEach(function (option) {
      option.addEventListener("click", function () { pick(option); });
    });
    if (opener) {
      opener.addEventListener("click", function () {
        if (picker.hidden) open(); else close();
      });
    }
  }

  document.querySelectorAll("form.reply-form, form.line-reply").forEach(init);
})();
