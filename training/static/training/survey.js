// Fast survey entry: in a row, typing 1–5 picks that score and moves to the
// next row; "clear" empties a row. Without JavaScript the form still works.
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll(".survey-row"));
  rows.forEach(function (row, index) {
    var radios = row.querySelectorAll("input[type=radio]");
    var clear = row.querySelector(".clear-row");
    if (clear) {
      clear.hidden = false;
      clear.addEventListener("click", function () {
        radios.forEach(function (r) { r.checked = false; });
        row.querySelector("input[type=text]").value = "";
        radios[0].focus();
      });
    }
    radios.forEach(function (radio) {
      radio.addEventListener("keydown", function (event) {
        var score = parseInt(event.key, 10);
        if (score >= 1 && score <= 5) {
          event.preventDefault();
          radios[score - 1].checked = true;
          var next = rows[index + 1];
          if (next) {
            next.querySelector("input[type=radio]").focus();
          } else {
            row.querySelector("input[type=text]").focus();
          }
        }
      });
    });
  });
})();
