// The customer table: click a header to sort (again to reverse), type to filter.
// Plain DOM code, no library: the page works offline and runs no other script.
(function () {
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var body = table.tBodies[0];
    var headers = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(headers, function (th, index) {
      th.tabIndex = 0;
      var sort = function () {
        var descending = th.getAttribute("aria-sort") !== "descending";
        Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        var numeric = th.dataset.type === "number";
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[index].dataset.value, y = b.cells[index].dataset.value;
          if (x === undefined) { x = a.cells[index].textContent; }
          if (y === undefined) { y = b.cells[index].textContent; }
          var order;
          if (numeric) {
            // Empty cells (no value) sort last either way.
            if (x === "" && y === "") { order = 0; }
            else if (x === "") { return 1; }
            else if (y === "") { return -1; }
            else { order = parseFloat(x) - parseFloat(y); }
          } else {
            order = x.localeCompare(y);
          }
          return descending ? -order : order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      };
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sort(); } });
    });
  });
  document.querySelectorAll("input.table-filter").forEach(function (input) {
    var table = document.getElementById(input.dataset.table);
    var counter = document.getElementById(input.dataset.counter);
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      var shown = 0;
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        var match = !needle || row.textContent.toLowerCase().indexOf(needle) !== -1;
        row.hidden = !match;
        if (match) { shown += 1; }
      });
      if (counter) { counter.textContent = shown.toLocaleString("en"); }
    });
  });
})();
