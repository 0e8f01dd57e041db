// The client picker (consultations/picker.py): an ARIA 1.2 combobox on a
// client field. Typing searches the field's endpoint (data-lookup) and lists
// the matches with what tells two women of the same name apart: code, name,
// kana, age band and a last date. Arrow keys move in the list, Enter or a
// click/tap picks, Escape closes it. The field then holds the picked code and
// the chosen client is shown next to it. A name typed and not picked stops
// the form's submit with a message (a typed code goes to the server, which
// checks it). Each field fires "client-picker:change" with {client} (null
// when nothing is picked) for the page's own script.
(function () {
  "use strict";

  function setup(input) {
    var box = input.closest(".client-picker");
    var listbox = document.getElementById(input.getAttribute("aria-controls"));
    var chosenEl = document.getElementById(input.id + "-chosen");
    var problem = document.getElementById(input.id + "-problem");
    var form = input.form;
    var results = [];
    var active = -1;
    var picked = null;
    var timer = null;
    var asked = 0; // the number of the last search sent, to drop late answers

    function norm(text) {
      return (text || "").normalize("NFKC").trim().toUpperCase();
    }
    function looksLikeCode(text) {
      return /^[A-Z]{1,3}-?\d{1,12}$/.test(norm(text).replace(/[−ー]/g, "-"));
    }

    function span(cls, text) {
      var el = document.createElement("span");
      el.className = cls;
      el.textContent = text;
      return el;
    }

    function describe(target, c) {
      target.appendChild(span("picker-code", c.code));
      target.appendChild(document.createTextNode(" "));
      target.appendChild(span("picker-name", c.display_name));
      var facts = [c.kana, c.age_band, c.date_text].filter(Boolean);
      if (facts.length) {
        target.appendChild(document.createTextNode(" "));
        target.appendChild(span("picker-facts", facts.join(" · ")));
      }
    }

    function showProblem(text) {
      problem.textContent = text;
      box.classList.toggle("has-problem", !!text);
      if (text) input.setAttribute("aria-invalid", "true");
      else if (!box.closest(".has-error")) input.removeAttribute("aria-invalid");
    }

    function setPicked(c) {
      picked = c;
      chosenEl.textContent = "";
      if (c) {
        chosenEl.appendChild(span("picker-label", box.dataset.chosen + " "));
        describe(chosenEl, c);
        showProblem("");
      }
      box.classList.toggle("is-picked", !!c);
      input.dispatchEvent(new CustomEvent("client-picker:change", {
        bubbles: true, detail: {client: c}
      }));
    }

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function open() {
      if (!listbox.children.length) return;
      listbox.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function highlight(index) {
      var options = listbox.querySelectorAll("[role=option]");
      if (!options.length) return;
      active = (index + options.length) % options.length;
      options.forEach(function (opt, i) {
        opt.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({block: "nearest"});
    }

    function pick(index) {
      var c = results[index];
      if (!c) return;
      input.value = c.code;
      setPicked(c);
      close();
      input.focus();
    }

    function render(data) {
      results = data;
      listbox.textContent = "";
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (!results.length) {
        var none = document.createElement("li");
        none.className = "picker-none";
        none.setAttribute("role", "option");
        none.setAttribute("aria-disabled", "true");
        none.id = listbox.id + "-none";
        none.textContent = box.dataset.none;
        listbox.appendChild(none);
        results = [];
      }
      results.forEach(function (c, i) {
        var opt = document.createElement("li");
        opt.id = listbox.id + "-" + i;
        opt.setAttribute("role", "option");
        opt.setAttribute("aria-selected", "false");
        opt.dataset.code = c.code;
        describe(opt, c);
        listbox.appendChild(opt);
      });
      // A code typed in full is a pick already (the list stays open).
      var typed = norm(input.value);
      var exact = results.filter(function (c) { return c.code === typed; })[0];
      if (exact && !picked) setPicked(exact);
    }

    function search(q, then) {
      var number = ++asked;
      fetch(input.dataset.lookup + "?q=" + encodeURIComponent(q), {
        credentials: "same-origin", headers: {"Accept": "application/json"}
      })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (data) {
          if (number !== asked) return;
          render(data.results || []);
          if (then) then();
        })
        .catch(function () {
          if (number === asked) showProblem(box.dataset.failed);
        });
    }

    input.addEventListener("input", function () {
      if (picked && norm(input.value) !== picked.code) setPicked(null);
      showProblem("");
      clearTimeout(timer);
      var q = input.value.trim();
      if (!q) { listbox.textContent = ""; results = []; close(); return; }
      timer = setTimeout(function () {
        search(q, function () { if (document.activeElement === input) open(); });
      }, 200);
    });

    input.addEventListener("keydown", function (e) {
      var expanded = !listbox.hidden;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        if (!expanded) {
          open();
          highlight(e.key === "ArrowDown" ? 0 : results.length - 1);
        } else {
          highlight(active + (e.key === "ArrowDown" ? 1 : -1));
        }
      } else if (e.key === "Enter" && !e.ctrlKey && !e.metaKey) {
        if (expanded && active >= 0) { e.preventDefault(); pick(active); }
      } else if (e.key === "Escape") {
        if (expanded) { e.preventDefault(); close(); }
      } else if (e.key === "Tab") {
        close();
      }
    });

    // Keep the focus in the field while a pointer presses an option.
    listbox.addEventListener("mousedown", function (e) { e.preventDefault(); });
    listbox.addEventListener("click", function (e) {
      var opt = e.target.closest("[role=option]");
      if (!opt || opt.getAttribute("aria-disabled") === "true") return;
      var options = Array.prototype.slice.call(listbox.querySelectorAll("[role=option]"));
      pick(options.indexOf(opt));
    });

    // Leaving the field closes the list, unless the focus came back (the
    // submit check puts it back and opens the list).
    input.addEventListener("blur", function () {
      setTimeout(function () { if (document.activeElement !== input) close(); }, 150);
    });
    document.addEventListener("click", function (e) {
      if (!box.contains(e.target)) close();
    });

    if (form) {
      form.addEventListener("submit", function (e) {
        var text = input.value.trim();
        if (!text || picked || looksLikeCode(text)) return;
        e.preventDefault();
        e.stopImmediatePropagation();
        showProblem(box.dataset.unpicked);
        input.focus();
        if (listbox.children.length) open();
      }, true);
    }

    // A code already in the field (an edit, a form shown again, a link
    // from the client's page): show who it is.
    if (input.value.trim()) search(input.value.trim());
  }

  document.querySelectorAll("input[data-client-picker]").forEach(setup);
})();
