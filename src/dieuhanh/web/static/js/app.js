// Điều Hành: small progressive enhancements; pages work without JavaScript.
(function () {
  "use strict";
  // Send the CSRF token with every HTMX request made from a signed-in page.
  document.addEventListener("htmx:configRequest", function (evt) {
    var token = document.body.getAttribute("data-csrf");
    if (token) { evt.detail.headers["X-CSRF-Token"] = token; }
  });
})();
