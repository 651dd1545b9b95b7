// shop.js: small helps for every page of the shop. Each works without
// the others, and every page works without them: the number to copy is
// selectable, the waiting pages reload themselves (<noscript>), and the
// language link keeps the cart. Kept out of the page because the
// Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  // Copy buttons: a button with data-copy copies that text and says so
  // for a moment. Hidden in the page, shown only when copying can work.
  function initCopy(root) {
    var buttons = root.querySelectorAll("button[data-copy]");
    for (var i = 0; i < buttons.length; i++) {
      var b = buttons[i];
      if (!navigator.clipboard || b.getAttribute("data-ready")) {
        continue;
      }
      b.setAttribute("data-ready", "1");
      b.hidden = false;
      b.addEventListener("click", function (ev) {
        var btn = ev.currentTarget;
        var label = btn.getAttribute("data-label") || btn.textContent;
        btn.setAttribute("data-label", label);
        navigator.clipboard.writeText(btn.getAttribute("data-copy")).then(function () {
          btn.textContent = btn.getAttribute("data-copied") || label;
          btn.classList.add("btn-success");
          setTimeout(function () {
            btn.textContent = label;
            btn.classList.remove("btn-success");
          }, 2000);
        }, function () {});
      });
    }
  }

  // The checkout's pay type survives a language switch: the link to the
  // other language comes back to the checkout with ?pay= set.
  function initCheckout() {
    var form = document.querySelector("form[action='/checkout'][method=post]");
    var link = document.getElementById("lang-switch");
    if (!form || !link) {
      return;
    }
    function update() {
      var chosen = form.querySelector("input[name=pay_type]:checked");
      if (!chosen) {
        return;
      }
      var href = new URL(link.href, location.href);
      var next = new URL(href.searchParams.get("next") || "/", location.href);
      next.searchParams.set("pay", chosen.value);
      href.searchParams.set("next", next.pathname + next.search);
      link.href = href.pathname + href.search;
    }
    form.addEventListener("change", update);
    update();
  }

  // Waiting pages: <main data-poll="URL" data-version="V">. The URL
  // answers {"version": …, "next": …}; when the version moves on, the
  // main part of the page is drawn again in place (no reload, no
  // flicker), or the browser goes on to next. Asked every 2 s at first,
  // less often as time passes (at most every 20 s), not while the tab is
  // hidden, and at once when it is shown again.
  var timer = 0;
  var delay = 2000;
  var busy = false;

  function main() {
    return document.querySelector("main");
  }

  function schedule() {
    clearTimeout(timer);
    var m = main();
    if (!m || !m.getAttribute("data-poll")) {
      return;
    }
    timer = setTimeout(poll, delay);
    delay = Math.min(Math.round(delay * 1.25), 20000);
  }

  function redraw() {
    return fetch(location.href, {cache: "no-store", credentials: "same-origin"}).then(function (res) {
      if (!res.ok) {
        throw new Error("HTTP " + res.status);
      }
      return res.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var fresh = doc.querySelector("main");
      var m = main();
      if (!fresh || !m) {
        return;
      }
      m.innerHTML = fresh.innerHTML;
      ["data-poll", "data-version"].forEach(function (a) {
        if (fresh.hasAttribute(a)) {
          m.setAttribute(a, fresh.getAttribute(a));
        } else {
          m.removeAttribute(a);
        }
      });
      document.title = doc.title;
      initCopy(m);
    });
  }

  function poll() {
    var m = main();
    var url = m && m.getAttribute("data-poll");
    if (!url || busy) {
      return;
    }
    if (document.hidden) {
      schedule();
      return;
    }
    busy = true;
    fetch(url, {cache: "no-store", credentials: "same-origin", headers: {"Accept": "application/json"}}).then(function (res) {
      if (!res.ok) {
        throw new Error("HTTP " + res.status);
      }
      return res.json();
    }).then(function (st) {
      if (st.next) {
        location.replace(st.next);
        return null;
      }
      if (st.version && st.version !== m.getAttribute("data-version")) {
        delay = 2000;
        return redraw();
      }
      return null;
    }).catch(function () {
      // A network hiccup or a restart: ask again later.
    }).then(function () {
      busy = false;
      schedule();
    });
  }

  function wake() {
    if (!document.hidden) {
      delay = 2000;
      clearTimeout(timer);
      poll();
    }
  }

  initCopy(document);
  initCheckout();
  schedule();
  document.addEventListener("visibilitychange", wake);
  // Back from the bank's page: the browser may show the page as it was.
  window.addEventListener("pageshow", function (ev) {
    if (ev.persisted) {
      wake();
    }
  });
})();
