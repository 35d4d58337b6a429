// Refreshes a running job's status section until the job finishes, then
// reloads the page so its row errors and files appear.
(function () {
  function poll() {
    var live = document.querySelector("[data-live]");
    if (!live) return;
    fetch(live.getAttribute("data-live"), { credentials: "same-origin" })
      .then(function (res) { return res.ok ? res.text() : Promise.reject(res.status); })
      .then(function (html) {
        var box = document.createElement("div");
        box.innerHTML = html;
        var next = box.querySelector("#live");
        if (!next) return;
        if (next.getAttribute("data-terminal") === "true") { location.reload(); return; }
        live.replaceWith(next);
        setTimeout(poll, 700);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
