// The portal's only script (pages work without it): reload a progress page until its report
// is ready, and let a file be dropped anywhere on the upload zone.
(function () {
  "use strict";
  var refresh = document.body.getAttribute("data-refresh");
  if (refresh) {
    window.setTimeout(function () { window.location.reload(); }, Number(refresh) * 1000);
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
