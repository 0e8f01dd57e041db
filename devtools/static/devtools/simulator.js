// LINE simulator (development tool): refresh the phone's conversation every
// 2 seconds, so that replies sent by counsellors show without a reload.
(function () {
  "use strict";
  var screen = document.getElementById("sim-feed");
  if (!screen || !window.fetch) return;
  var url = screen.getAttribute("data-feed-url");
  var last = null; // the last answer, as received

  function atBottom() {
    return screen.scrollHeight - screen.scrollTop - screen.clientHeight < 40;
  }

  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null || html === last) return;
        var follow = atBottom();
        screen.innerHTML = html;
        last = html;
        if (follow) screen.scrollTop = screen.scrollHeight;
      })
      .catch(function () { /* the next tick tries again */ })
      .then(function () { window.setTimeout(refresh, 2000); });
  }

  screen.scrollTop = screen.scrollHeight;
  window.setTimeout(refresh, 2000);
})();
