// The hall's sign-in code: fetched now and every time it changes, shown as an image.
(function () {
  "use strict";
  var image = document.getElementById("sign-in-qr");
  if (!image) { return; }
  var every = 30;
  function refresh() {
    fetch(image.getAttribute("data-source"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (body && typeof body.qr === "string" && body.qr.indexOf("data:image/svg+xml") === 0) {
          image.src = body.qr;
          every = body.seconds || every;
        }
      })
      .catch(function () {})
      .then(function () { window.setTimeout(refresh, every * 1000); });
  }
  refresh();
})();
