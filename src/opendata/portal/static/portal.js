// The portal's only script (pages work without it): follow a check from its progress page
// until the report is ready, and let a file be dropped anywhere on the upload zone.
(function () {
  "use strict";
  var statusUrl = document.body.getAttribute("data-status-url");
  if (statusUrl && window.fetch) {
    // Ask where the check stands every two seconds instead of reloading the page, which
    // would make a screen reader start it again each time; the status line (role=status)
    // changes only when the check's state does, and the page loads once, when it is done.
    var known = document.body.getAttribute("data-status");
    var text = document.getElementById("progress-text");
    var seconds = document.getElementById("progress-seconds");
    var ask = function () {
      window.fetch(statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          // Signed out, or the check is gone: the page itself says so.
          return response.ok && !response.redirected ? response.json() : { status: "reload" };
        })
        .then(function (state) {
          if (state.status !== "queued" && state.status !== "running") {
            window.location.reload();
            return;
          }
          if (seconds) { seconds.textContent = String(state.seconds); }
          if (state.status !== known && text) { text.textContent = state.text; }
          known = state.status;
          window.setTimeout(ask, 2000);
        })
        .catch(function () { window.setTimeout(ask, 5000); });  // the portal restarting
    };
    window.setTimeout(ask, 2000);
  }
  // The failing rows' preview is wider than a phone: scroll it sideways so that the first
  // faulty cell of its rows is in view (its row number stays readable on the left).
  var preview = document.querySelector("table.preview");
  if (preview && !window.location.hash) {
    var box = preview.parentElement;
    var fault = preview.querySelector("td.fault");
    if (box && fault && box.scrollWidth > box.clientWidth) {
      var head = preview.querySelector("tbody th");
      var left = fault.offsetLeft - (head ? head.offsetWidth : 0) - 8;
      box.scrollLeft = Math.max(0, left);
    }
  }
  var zone = document.querySelector(".drop");
  var input = document.getElementById("file");
  if (zone && input) {
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) { input.files = event.dataTransfer.files; }
    });
  }
})();
