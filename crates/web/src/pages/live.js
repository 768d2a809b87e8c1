// The home page's live feed: a conversation that starts appears at the top, and its turns are
// added as they happen, from the server's events (/app/live). Text is set with textContent,
// never parsed as HTML. Without this script the page still shows the conversations so far.
(function () {
  "use strict";
  var feed = document.getElementById("feed");
  if (!feed || !window.EventSource) return;
  var empty = document.getElementById("feed-empty");
  var labels = { voice: "Call", sms: "SMS", whatsapp: "WhatsApp", web: "Web chat", api: "API", cli: "Command line" };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

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

  function handle(e) {
    var ev;
    try { ev = JSON.parse(e.data); } catch (_) { return; }
    var li = item(ev);
    if (ev.kind === "turn") say(li, "caller", ev.caller);
    say(li, "agent", ev.reply);
    if (ev.emergency) li.classList.add("urgent");
  }

  var src = new EventSource(feed.getAttribute("data-live"));
  src.addEventListener("started", handle);
  src.addEventListener("turn", handle);
  src.addEventListener("reload", function () { window.location.reload(); });
})();
