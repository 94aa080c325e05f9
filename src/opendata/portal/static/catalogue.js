// The catalogue page's preview tables: sort by a column, filter the rows. Offline, no library;
// without this script the tables are plain and complete.
"use strict";
(function () {
  function cellValue(row, index) {
    var cell = row.cells[index];
    return cell ? cell.textContent.trim() : "";
  }
  function compare(a, b) {
    var x = a.replace(",", "."), y = b.replace(",", ".");
    if (x !== "" && y !== "" && !isNaN(Number(x)) && !isNaN(Number(y))) {
      return Number(x) - Number(y);
    }
    if (a === "" || b === "") { return a === "" ? (b === "" ? 0 : 1) : -1; }
    return a.localeCompare(b, "fr", { numeric: true, sensitivity: "base" });
  }
  function setUp(table, number) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var headers = table.tHead.rows[0].cells;
    var status = document.createElement("p");
    status.className = "help";
    status.setAttribute("role", "status");
    var label = document.createElement("label");
    var id = "filtre-" + number;
    label.setAttribute("for", id);
    label.textContent = "Filtrer ces lignes";
    var input = document.createElement("input");
    input.type = "search";
    input.id = id;
    input.setAttribute("aria-describedby", id + "-etat");
    status.id = id + "-etat";
    var box = document.createElement("div");
    box.className = "filter";
    box.appendChild(label);
    box.appendChild(input);
    box.appendChild(status);
    table.parentNode.insertBefore(box, table);
    function count() {
      var shown = rows.filter(function (r) { return !r.hidden; }).length;
      status.textContent = shown + " ligne(s) sur " + rows.length;
    }
    input.addEventListener("input", function () {
      var words = input.value.toLocaleLowerCase("fr").trim();
      rows.forEach(function (row) {
        row.hidden = words !== "" && row.textContent.toLocaleLowerCase("fr").indexOf(words) < 0;
      });
      count();
    });
    Array.prototype.forEach.call(headers, function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      th.setAttribute("aria-sort", "none");
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headers, function (other) {
          other.setAttribute("aria-sort", "none");
        });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        rows.sort(function (a, b) {
          var order = compare(cellValue(a, index), cellValue(b, index));
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
    count();
  }
  document.addEventListener("DOMContentLoaded", function () {
    var tables = document.querySelectorAll("table.sortable");
    Array.prototype.forEach.call(tables, function (table, number) { setUp(table, number + 1); });
  });
})();
