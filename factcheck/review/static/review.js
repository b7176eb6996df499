// Keyboard triage for the review desk. Pages work without it.
(function () {
  "use strict";
  var page = document.body.getAttribute("data-page");
  var help = document.getElementById("help");

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function go(id) {
    var link = document.getElementById(id);
    if (link) { window.location.assign(link.href); }
  }

  var rows = page === "queue" ? Array.prototype.slice.call(document.querySelectorAll("tr.row")) : [];
  var selected = -1;
  function select(i) {
    if (!rows.length) { return; }
    if (selected >= 0) { rows[selected].classList.remove("selected"); }
    selected = Math.max(0, Math.min(rows.length - 1, i));
    rows[selected].classList.add("selected");
    rows[selected].scrollIntoView({block: "nearest"});
  }
  function openSelected() {
    if (selected < 0) { return; }
    var link = rows[selected].querySelector("a.claim-link");
    if (link) { window.location.assign(link.href); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (typing(event.target)) {
      if (event.key === "Escape") { event.target.blur(); }
      return;
    }
    var key = event.key;
    if (key === "?") {
      help.hidden = !help.hidden;
    } else if (key === "Escape") {
      help.hidden = true;
    } else if (page === "queue" && key === "j") {
      select(selected + 1);
    } else if (page === "queue" && key === "k") {
      select(selected - 1);
    } else if (page === "queue" && (key === "Enter" || key === "o")) {
      openSelected();
    } else if (page === "claim" && key === "j") {
      go("next");
    } else if (page === "claim" && key === "k") {
      go("prev");
    } else if (page === "claim" && key === "c") {
      var reviewer = document.getElementById("reviewer");
      if (!reviewer.value.trim()) { reviewer.focus(); event.preventDefault(); return; }
      document.getElementById("advance").value = "1";
      document.getElementById("confirm").click();
    } else if (page === "claim" && key === "v") {
      document.getElementById("verdict").focus();
    } else if (page === "claim" && key === "e") {
      var evidence = document.getElementById("evidence");
      evidence.scrollIntoView();
      evidence.focus();
    } else {
      return;
    }
    event.preventDefault();
  });
})();
