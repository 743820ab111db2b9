// Contact desk: progressive enhancement only. Every page works without it.
(function () {
  "use strict";

  var SAVING = "Saving\u2026";

  // (1) Move focus to the error summary so screen readers and keyboard
  // users start from the list of problems.
  function focusErrorSummary() {
    // The error summary, else a "not saved" alert or the conflict view.
    var summary = document.querySelector("[data-error-summary]") || document.querySelector("[data-focus-on-load]");
    if (summary && document.activeElement !== summary) {
      summary.focus();
    }
  }

  // (2) Keep the value input's type in step with the contact type, so
  // phones get the phone keypad and emails the email keyboard.
  function syncValueType(form) {
    var select = form.querySelector("select[name=type]");
    var input = form.querySelector("input[name=value]");
    if (!select || !input) {
      return;
    }
    var update = function () {
      input.type = select.value.toLowerCase() === "email" ? "email" : "tel";
    };
    select.addEventListener("change", update);
    update();
    // On the add form, a value with an "@" is an email: the type follows,
    // and the note beside it (a live region) says so.
    var note = form.querySelector("[data-type-note]");
    if (!form.hasAttribute("data-adding") || !note) {
      return;
    }
    input.addEventListener("input", function () {
      if (input.value.indexOf("@") < 0 || select.value.toLowerCase() === "email") {
        return;
      }
      select.value = "Email";
      update();
      note.textContent = "Type set to Email: the value has an @.";
    });
  }

  // (3) Prevent double submits and say that saving is under way.
  function buttonsOf(form) {
    var list = [];
    var own = form.querySelectorAll("[data-save-button], [data-remove-button], [data-undo-button], [data-restore-button], [data-preview-button], [data-confirm-button]");
    var i;
    for (i = 0; i < own.length; i++) {
      list.push(own[i]);
    }
    if (form.id) {
      var outside = document.querySelectorAll("button[form='" + form.id + "']");
      for (i = 0; i < outside.length; i++) {
        list.push(outside[i]);
      }
    }
    return list;
  }

  function startSaving(form) {
    form.setAttribute("data-submitting", "");
    var save = form.querySelector("[data-save-button]");
    if (save) {
      if (!save.hasAttribute("data-label")) {
        save.setAttribute("data-label", save.textContent);
      }
      save.textContent = SAVING;
    }
    var buttons = buttonsOf(form);
    buttons.forEach(function (b) {
      b.setAttribute("aria-disabled", "true");
    });
    // Disabling a submit button before the submission has started would
    // drop its value from the request: wait until it is under way.
    window.setTimeout(function () {
      if (!form.hasAttribute("data-submitting")) {
        return;
      }
      buttons.forEach(function (b) {
        b.disabled = true;
      });
    }, 0);
  }

  function resetSaving(form) {
    form.removeAttribute("data-submitting");
    var save = form.querySelector("[data-save-button]");
    if (save && save.hasAttribute("data-label")) {
      save.textContent = save.getAttribute("data-label");
    }
    buttonsOf(form).forEach(function (b) {
      b.disabled = false;
      b.removeAttribute("aria-disabled");
    });
  }

  function guardSubmit(form) {
    form.addEventListener("submit", function (event) {
      if (form.hasAttribute("data-submitting")) {
        event.preventDefault();
        return;
      }
      startSaving(form);
    });
  }

  function forms() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-contact-form], [data-remove-form], [data-undo-form], [data-restore-form], [data-bulk-form], [data-bulk-confirm]"));
  }

  // With no DISPLAY_TZ the server writes times in UTC (and says so); the
  // browser shows them in its own zone.
  var localFormat = null;
  function localizeTimes() {
    if (!document.body || !document.body.hasAttribute("data-local-times") || !window.Intl) {
      return;
    }
    if (!localFormat) {
      localFormat = new Intl.DateTimeFormat(undefined, {
        year: "numeric", month: "short", day: "numeric",
        hour: "numeric", minute: "2-digit", timeZoneName: "short"
      });
    }
    document.querySelectorAll("time[datetime]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (!isNaN(when.getTime()) && el.getAttribute("datetime").indexOf("T") > 0) {
        el.textContent = localFormat.format(when);
        el.setAttribute("data-localized", "");
      }
    });
  }

  // (5) The audit trail's dates are days in the zone times are shown in.
  // With no DISPLAY_TZ that is the browser's own: the filter form sends it
  // (its hidden tz field), and the date shortcuts take it and their days
  // from it. Without JavaScript the page counts days in UTC and says so.
  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function localDay(daysBack) {
    var d = new Date();
    d.setDate(d.getDate() - daysBack);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }

  function sendTimeZone() {
    var field = document.querySelector("input[data-audit-tz]");
    if (!field || !window.Intl || !window.URL) {
      return;
    }
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone) {
      return;
    }
    var known = field.value === zone;
    field.value = zone;
    document.querySelectorAll("a[data-audit-shortcut][data-days-back]").forEach(function (a) {
      var url = new URL(a.getAttribute("href"), window.location.href);
      url.searchParams.set("tz", zone);
      url.searchParams.set("from", localDay(parseInt(a.getAttribute("data-days-back"), 10) || 0));
      url.searchParams.set("to", localDay(0));
      a.setAttribute("href", url.pathname + url.search);
    });
    // The note says what the dates shown were counted in: it changes only
    // while no date has been asked yet, so it stays true of the entries.
    var note = document.querySelector("[data-audit-zone]");
    var asked = new URL(window.location.href).searchParams;
    if (note && !known && !asked.get("from") && !asked.get("to")) {
      note.textContent = "Dates in your time zone (" + zone + ").";
      note.setAttribute("data-audit-zone", zone);
    }
  }

  // Keys for busy days: "/" goes to the search box (home has it) when not
  // typing in a field; Ctrl+Enter (Cmd+Enter) saves the contact form from
  // any of its fields, Enter in the memo still adding a line.
  function typing(el) {
    var tag = el && el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (el && el.isContentEditable);
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey && !typing(event.target)) {
      event.preventDefault();
      var box = document.getElementById("q");
      if (box) {
        box.focus();
        box.select();
      } else {
        window.location.assign("/");
      }
      return;
    }
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.closest) {
      var form = event.target.closest("form[data-contact-form]");
      if (form) {
        event.preventDefault();
        if (form.requestSubmit) {
          form.requestSubmit();
        } else {
          form.submit();
        }
      }
    }
  });

  // The memo the edit form opens in has its text selected: typing replaces
  // it, an arrow key keeps it.
  function selectOnLoad() {
    var el = document.querySelector("[data-select-on-load]");
    if (!el || !el.select) {
      return;
    }
    if (document.activeElement === el) {
      el.select();
    } else {
      // autofocus may land after DOMContentLoaded.
      el.addEventListener("focus", function () { el.select(); }, { once: true });
    }
  }

  // bulk.js (a job's page) shows the times it brings in the same way.
  window.contactDesk = { localizeTimes: localizeTimes };

  document.addEventListener("DOMContentLoaded", function () {
    localizeTimes();
    sendTimeZone();
    selectOnLoad();
    focusErrorSummary();
    forms().forEach(function (form) {
      syncValueType(form);
      guardSubmit(form);
    });
  });

  // A page restored from the back/forward cache keeps its "Saving…" state:
  // put the buttons back.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      forms().forEach(resetSaving);
    }
  });
})();
