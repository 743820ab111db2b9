// Contact desk: a bulk job's page, followed live. Progressive enhancement
// only: without it the page refreshes itself (<noscript> meta refresh).
(function () {
  "use strict";

  // Keep a running bulk job's page current: every few seconds read the
  // page again and put its progress, controls and links in place. Without
  // JavaScript the page refreshes itself instead (<noscript> meta refresh).
  var LIVE_EVERY = 2000;

  function followJob() {
    var live = document.querySelector("[data-bulk-live='on']");
    if (!live || !window.fetch || !window.DOMParser) {
      return;
    }
    var parts = ["[data-bulk-live]", "[data-bulk-controls]"];
    var tick = function () {
      window.fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (res) {
          return res.ok ? res.text() : Promise.reject(res.status);
        })
        .then(function (html) {
          var next = new DOMParser().parseFromString(html, "text/html");
          parts.forEach(function (selector) {
            var now = document.querySelector(selector);
            var then = next.querySelector(selector);
            if (now && then) {
              syncPart(now, then);
            } else if (now && !then) {
              now.remove();
            }
          });
          window.contactDesk.localizeTimes();
          var still = document.querySelector("[data-bulk-live='on']");
          if (still) {
            window.setTimeout(tick, LIVE_EVERY);
          } else {
            // "Job started" is over once the job has stopped.
            var flash = document.querySelector("[data-flash]");
            if (flash) {
              flash.remove();
            }
          }
        })
        .catch(function () {
          // A failed read (the app restarting): try again a little later.
          window.setTimeout(tick, LIVE_EVERY * 3);
        });
    };
    window.setTimeout(tick, LIVE_EVERY);
  }

  // syncPart brings a part of the page in step with the same part read
  // again, changing only what changed: the progress is a live region
  // (aria-live), which then says only the news, and the focus (on the
  // progress heading after a step, on a button) stays where it is.
  function syncPart(now, then) {
    Array.prototype.slice.call(then.attributes).forEach(function (attr) {
      now.setAttribute(attr.name, attr.value);
    });
    var kids = Array.prototype.slice.call(then.children);
    var old = Array.prototype.slice.call(now.children);
    kids.forEach(function (kid, i) {
      var was = old[i];
      if (was && was.id && was.id === kid.id && kid.children.length === 0) {
        // A heading: the same node, its words brought up to date.
        if (was.textContent !== kid.textContent) {
          was.textContent = kid.textContent;
        }
        return;
      }
      if (was && was.isEqualNode(kid)) {
        return;
      }
      var fresh = document.importNode(kid, true);
      if (was) {
        was.replaceWith(fresh);
      } else {
        now.appendChild(fresh);
      }
    });
    old.slice(kids.length).forEach(function (el) {
      el.remove();
    });
  }

  document.addEventListener("DOMContentLoaded", followJob);
})();
