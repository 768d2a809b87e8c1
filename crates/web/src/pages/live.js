// The live parts of the dashboard, from the server's events (/app/live): the home page's feed
// (a conversation that starts appears at the top, and its turns are added as they happen) and a
// conversation page's transcript (each new message added at the end). Text is set with
// textContent, never parsed as HTML. Without this script the pages still show what was said.
(function () {
  "use strict";
  if (!window.EventSource) return;
  var labels = { voice: "Call", sms: "SMS", whatsapp: "WhatsApp", web: "Web chat", api: "API", cli: "Command line" };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function listen(url, handle) {
    var src = new EventSource(url);
    ["started", "turn", "staff"].forEach(function (k) { src.addEventListener(k, handle); });
    src.addEventListener("reload", function () { window.location.reload(); });
  }

  // A conversation page: its transcript grows.
  var transcript = document.getElementById("transcript");
  if (transcript) {
    var none = document.getElementById("transcript-empty");
    var line = function (who, speaker, text, time) {
      if (!text) return;
      var li = el("li", "turn " + who);
      li.appendChild(el("span", "speaker", speaker));
      li.appendChild(el("p", "said", text));
      li.appendChild(el("span", "meta muted", time));
      transcript.appendChild(li);
      if (none) none.hidden = true;
    };
    listen(transcript.getAttribute("data-live"), function (e) {
      var ev;
      try { ev = JSON.parse(e.data); } catch (_) { return; }
      if (ev.kind === "turn") line("caller", "Caller", ev.caller, ev.time);
      if (ev.kind === "staff") line("agent staff", "Answered by hand", ev.reply, ev.time);
      else line("agent", "AI", ev.reply, ev.time);
    });
    return;
  }

  var feed = document.getElementById("feed");
  if (!feed) return;
  var empty = document.getElementById("feed-empty");

  function item(ev) {
    var li = feed.querySelector('li[data-conversation="' + ev.conversation + '"]');
    if (li) return li;
    li = el("li", "live-item");
    li.setAttribute("data-conversation", ev.conversation);
    var head = el("div", "live-head");
    var link = el("a", null, (labels[ev.channel] || ev.channel) + " · " + (ev.address || "unknown caller"));
    link.href = "/app/conversations/" + encodeURIComponent(ev.conversation) + "?b=" + encodeURIComponent(feed.getAttribute("data-business"));
    head.appendChild(link);
    head.appendChild(el("span", "muted", ev.time));
    li.appendChild(head);
    li.appendChild(el("ol", "live-turns"));
    if (empty) empty.hidden = true;
    feed.insertBefore(li, feed.firstChild);
    return li;
  }

  function say(li, who, text) {
    if (!text) return;
    var line = el("li", who, text);
    li.querySelector(".live-turns").appendChild(line);
  }

  listen(feed.getAttribute("data-live"), function (e) {
    var ev;
    try { ev = JSON.parse(e.data); } catch (_) { return; }
    var li = item(ev);
    if (ev.kind === "turn") say(li, "caller", ev.caller);
    say(li, "agent", ev.reply);
    if (ev.emergency) li.classList.add("urgent");
  });
})();
