// Live updates of the LINE pages (inbox, conversation, home worklist).
//
// An element with data-line-live="inbox|conversation|worklist" polls its
// data-live-url with the page's token and If-None-Match: the server answers
// 304 while nothing changed, else the part of the page drawn again by the
// same template the page includes. Every POLL_MS while the tab is visible,
// every HIDDEN_MS while it is not; after a failed poll the page says so and
// tries again with a growing pause. See consultations/line/live.py.
(function () {
  "use strict";

  var POLL_MS = 1200;
  var HIDDEN_MS = 15000;
  var BACKOFF_MS = [2000, 4000, 8000, 15000, 30000];

  function show(selector, visible) {
    document.querySelectorAll(selector).forEach(function (el) {
      el.hidden = !visible;
    });
  }

  function fragment(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    return template.content;
  }

  // Conversation: add the new messages at the end, once each; a day
  // separator only when the day changes.
  function addMessages(list, html) {
    var incoming = null;
    var days = list.querySelectorAll("li.line-day");
    var lastDay = days.length ? days[days.length - 1].dataset.day : null;
    Array.prototype.slice.call(fragment(html).children).forEach(function (li) {
      if (li.classList.contains("line-day")) {
        if (li.dataset.day === lastDay) return;
        lastDay = li.dataset.day;
      } else if (li.id && document.getElementById(li.id)) {
        return;
      }
      list.querySelectorAll("li.empty").forEach(function (empty) {
        empty.remove();
      });
      list.appendChild(li);
      if (li.classList.contains("in") && !incoming) incoming = li;
    });
    return incoming;
  }

  function Poller(el) {
    this.el = el;
    this.kind = el.dataset.lineLive;
    this.etag = null;
    this.failures = 0;
    this.timer = null;
    this.stopped = false;
    this.firstUnseen = null;
  }

  Poller.prototype.url = function () {
    var url = new URL(this.el.dataset.liveUrl, window.location.href);
    if (this.kind === "inbox" || this.kind === "worklist") {
      new URLSearchParams(window.location.search).forEach(function (value, key) {
        if (key === "unread" || key === "page") url.searchParams.set(key, value);
      });
    }
    url.searchParams.set("t", this.el.dataset.liveToken);
    if (this.kind === "conversation") {
      url.searchParams.set("after", this.el.dataset.after || "0");
      if (document.visibilityState === "visible") url.searchParams.set("seen", "1");
    }
    return url;
  };

  Poller.prototype.schedule = function (ms) {
    var self = this;
    window.clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = window.setTimeout(function () {
      self.poll();
    }, ms);
  };

  Poller.prototype.nextDelay = function () {
    return document.visibilityState === "visible" ? POLL_MS : HIDDEN_MS;
  };

  Poller.prototype.poll = function () {
    var self = this;
    var headers = { Accept: "text/html" };
    if (this.etag) headers["If-None-Match"] = this.etag;
    // no-store: the browser's cache must not answer for the server, so
    // that a 304 reaches this code as a 304.
    fetch(this.url(), { headers: headers, cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 403) {
          self.stopped = true;
          show("[data-line-live-lost]", false);
          show("[data-line-live-ended]", true);
          return null;
        }
        if (response.status !== 200 && response.status !== 304) {
          throw new Error("HTTP " + response.status);
        }
        self.etag = response.headers.get("ETag") || self.etag;
        if (response.status === 304) return null;
        return response.text().then(function (html) {
          self.apply(html, response);
        });
      })
      .then(function () {
        self.failures = 0;
        show("[data-line-live-lost]", false);
        self.schedule(self.nextDelay());
      })
      .catch(function () {
        var pause = BACKOFF_MS[Math.min(self.failures, BACKOFF_MS.length - 1)];
        self.failures += 1;
        show("[data-line-live-lost]", true);
        self.schedule(pause);
      });
  };

  Poller.prototype.apply = function (html, response) {
    if (this.kind === "conversation") {
      var incoming = addMessages(this.el, html);
      var last = response.headers.get("X-Last-Message");
      if (last) this.el.dataset.after = last;
      if (incoming) {
        if (!this.firstUnseen) this.firstUnseen = incoming;
        show("[data-line-newer]", true);
      }
    } else if (html.indexOf("data-live-part") !== -1) {
      // Several parts of the page (the desk: queue, my chats, rows), each in
      // a template element named after the part it replaces.
      var box = document.createElement("div");
      box.innerHTML = html;
      box.querySelectorAll("template[data-live-part]").forEach(function (part) {
        var target = document.querySelector(
          '[data-live-part="' + part.dataset.livePart + '"]'
        );
        if (target) target.innerHTML = part.innerHTML;
      });
    } else {
      this.el.innerHTML = html;
    }
  };

  // "There are new messages. Show them": scroll to the first one and count
  // them as seen by the reply form (seen_message_id).
  Poller.prototype.acknowledge = function () {
    if (this.firstUnseen) this.firstUnseen.scrollIntoView({ block: "center" });
    this.firstUnseen = null;
    document.querySelectorAll("input[name=seen_message_id]").forEach(
      function (input) {
        input.value = this.el.dataset.after;
      },
      this
    );
    show("[data-line-newer]", false);
  };

  function start() {
    var pollers = [];
    document.querySelectorAll("[data-line-live]").forEach(function (el) {
      var poller = new Poller(el);
      pollers.push(poller);
      poller.schedule(0);
      if (poller.kind === "conversation") {
        document.querySelectorAll("[data-line-seen]").forEach(function (button) {
          button.addEventListener("click", function () {
            poller.acknowledge();
          });
        });
      }
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState !== "visible") return;
      pollers.forEach(function (poller) {
        if (!poller.failures) poller.schedule(0);
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
