// cart.js: the catalogue's live total. It is only a preview: the server
// prices the cart again from the catalogue at checkout. Kept out of the
// page because the Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  var form = document.getElementById("cart");
  var out = document.getElementById("total");
  if (!form || !out) {
    return;
  }

  // group writes a whole number with a comma every three digits, the same
  // way on every browser locale (NT$1,234,567).
  function group(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function update() {
    var total = 0;
    var inputs = form.querySelectorAll("input[data-price]");
    for (var i = 0; i < inputs.length; i++) {
      var qty = parseInt(inputs[i].value, 10);
      var price = parseInt(inputs[i].getAttribute("data-price"), 10);
      if (qty > 0 && price > 0) {
        total += qty * price;
      }
    }
    out.textContent = "NT$" + group(total);
  }

  form.addEventListener("input", update);
  update();
})();
