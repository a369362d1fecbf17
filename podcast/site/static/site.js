// Survivor Voices website: quick exit, click-to-seek, follow-along, speed, share, copy.
// Stores nothing (no cookies, no storage) and talks to no server.
(function () {
  "use strict";
  var exit = document.getElementById("quick-exit");
  function leave(event) {
    if (event) event.preventDefault();
    document.body.hidden = true;
    // replace(): the visit's page is swapped out of the history, so Back does not bring it back.
    window.location.replace(exit.href);
  }
  if (exit) {
    exit.addEventListener("click", leave);
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") leave(event);
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-copy]"), function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentNode.querySelector(".status");
    button.hidden = false;
    button.addEventListener("click", function () {
      field.select();
      var done = function () { status.textContent = "Copied"; };
      if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(done, function () { status.textContent = "Press Ctrl+C to copy"; });
    });
  });
  var audio = document.getElementById("audio");
  if (!audio) return;
  var gate = document.getElementById("gate");
  var controls = document.querySelector(".controls");
  if (controls) controls.hidden = false;
  var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  function seek(seconds, play) {
    audio.currentTime = seconds;
    if (play) audio.play().catch(function () {});
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.seek") : null;
    if (button) seek(parseFloat(button.getAttribute("data-t")), true);
  });
  var speed = document.getElementById("speed");
  if (speed) speed.addEventListener("change", function () { audio.playbackRate = parseFloat(speed.value); });
  var share = document.getElementById("share");
  var shareUrl = document.getElementById("share-url");
  if (share) share.addEventListener("click", function () {
    var url = window.location.href.split("#")[0] + "#t=" + Math.floor(audio.currentTime);
    shareUrl.value = url;
    shareUrl.hidden = false;
    shareUrl.select();
    var status = share.parentNode.querySelector(".status");
    if (navigator.clipboard) navigator.clipboard.writeText(url).then(function () { status.textContent = "Link copied"; }, function () {});
  });
  var start = /^#t=(\d+(?:\.\d+)?)$/.exec(window.location.hash);
  if (start) {
    if (gate) gate.addEventListener("toggle", function () { if (gate.open) seek(parseFloat(start[1]), false); });
    else seek(parseFloat(start[1]), false);
  }
  var cues = Array.prototype.slice.call(document.querySelectorAll(".cue"));
  var follow = document.getElementById("follow");
  if (follow) follow.parentNode.parentNode.hidden = false;
  var current = null;
  audio.addEventListener("timeupdate", function () {
    var t = audio.currentTime, found = null;
    for (var i = 0; i < cues.length; i++) {
      if (parseFloat(cues[i].getAttribute("data-start")) <= t && t < parseFloat(cues[i].getAttribute("data-end"))) { found = cues[i]; break; }
    }
    if (found === current) return;
    if (current) { current.classList.remove("now"); current.removeAttribute("aria-current"); }
    current = found;
    if (current && follow && follow.checked) {
      current.classList.add("now");
      current.setAttribute("aria-current", "true");
      current.scrollIntoView({ block: "nearest", behavior: reduced ? "auto" : "smooth" });
    }
  });
})();
